import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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
