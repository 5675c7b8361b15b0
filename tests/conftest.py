"""Fixtures shared by several test files."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

HOSTILE = Path(__file__).parent / "hostile"

# what a command prints must not depend on how busy the machine is: no "still working" lines
# (tests/test_progress.py sets its own delays); inherited by the commands the tests start
os.environ.setdefault("NHVMETRICS_PROGRESS_DELAY", "3600")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    """The hostile-input corpus (tests/hostile/make_corpus.py), generated once per session into a
    temporary folder; tests only read it."""
    spec = importlib.util.spec_from_file_location("make_corpus", HOSTILE / "make_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main(tmp_path_factory.mktemp("hostile") / "files")


# The inner loop (`pytest -m "not slow"`, under a minute) leaves out the folders and files whose
# tests each run whole commands over many files; the README's test command runs everything.
SLOW_FOLDERS = {"hostile", "properties", "browser"}
SLOW_FILES = {
    "guarantees/test_no_personnummer.py",
    "guarantees/test_injection.py",
    "schema/test_validate_batches.py",
}


def pytest_collection_modifyitems(config, items):
    root = Path(__file__).parent
    for item in items:
        try:
            rel = Path(item.fspath).relative_to(root)
        except ValueError:
            continue
        if rel.parts[0] in SLOW_FOLDERS or rel.as_posix() in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
