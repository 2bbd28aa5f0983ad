"""`python -m unsup_embed` runs the `unsup-embed` command group."""

from .cli import group_command

group_command()
