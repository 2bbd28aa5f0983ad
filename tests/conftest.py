import atexit
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Compiled training steps go to the session's own directory, never the
# user's cache (training/compile_cache.py); runs of the same shapes share them.
_COMPILED = tempfile.mkdtemp(prefix="unsup-embed-tests-compiled-")
os.environ.setdefault("UNSUP_EMBED_COMPILE_CACHE", _COMPILED)
atexit.register(shutil.rmtree, _COMPILED, True)

# Helpers shared by the tests (loopback.py) import as top-level modules under
# any --import-mode, not only the default "prepend" one.
TESTS = str(Path(__file__).resolve().parent)
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="session")
def toy_corpus() -> Path:
    return DATA / "toy_world.txt"


@pytest.fixture(scope="session")
def toy_questions() -> Path:
    return DATA / "toy_world_questions.txt"


@pytest.fixture(scope="session")
def toy_groups() -> dict:
    return json.loads((DATA / "toy_world_groups.json").read_text())
