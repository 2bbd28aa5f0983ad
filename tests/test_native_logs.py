"""TensorFlow's native start-up lines (absl, CUDA probes) stay off the terminal; UNSUP_EMBED_NATIVE_LOGS=1 shows them."""

import os
import re
import subprocess
import sys

import pytest
from fresh_interpreter import ROOT

# A command body that imports TensorFlow, logs one line of its own through Python, and succeeds.
SCRIPT = """
import logging
from unsup_embed.cli.common import run_command
def body():
    import tensorflow
    logging.getLogger("unsup_embed").warning("a line of the tool's own")
    return 0
raise SystemExit(run_command("unsup-embed test", body))
"""
NATIVE_LINE = re.compile(r"^(WARNING: All log messages before absl|[IWEF]\d{4} \d\d:\d\d:\d\d)", re.MULTILINE)


def stderr_of_command(**environment) -> str:
    variables = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]), **environment}
    variables.pop("TF_CPP_MIN_LOG_LEVEL", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=variables, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


@pytest.mark.slow  # two TensorFlow imports in fresh interpreters: some 10 s
def test_native_start_up_lines_stay_off_the_terminal_and_the_tools_own_lines_do_not():
    shown = stderr_of_command(UNSUP_EMBED_NATIVE_LOGS="1")
    if not NATIVE_LINE.search(shown):
        pytest.skip("TensorFlow prints no native start-up line on this machine, so there is nothing to keep off")
    kept_off = stderr_of_command()
    assert not NATIVE_LINE.search(kept_off), kept_off
    assert "a line of the tool's own" in kept_off and "a line of the tool's own" in shown
