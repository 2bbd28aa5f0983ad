"""`python -m unsup_embed` runs the `unsup-embed` command group."""

import sys

from .cli import main

sys.exit(main())
