"""Fixtures shared by several test files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HOSTILE = Path(__file__).parent / "hostile"


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    """The hostile-input corpus (tests/hostile/make_corpus.py), generated once per session into a
    temporary folder; tests only read it."""
    spec = importlib.util.spec_from_file_location("make_corpus", HOSTILE / "make_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main(tmp_path_factory.mktemp("hostile") / "files")
