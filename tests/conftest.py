from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A console script of the environment running the tests."""
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture
def subprocess_env() -> dict:
    env = dict(os.environ)
    env.pop("FLAKE8_CONFIG", None)
    return env
