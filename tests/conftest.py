"""Shared fixtures: paths to the shared real data and small config/file writers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture
def write_jsonl(tmp_path):
    def write(records, name="comments.jsonl") -> Path:
        path = tmp_path / name
        path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n"
                                for r in records), encoding="utf-8")
        return path
    return write


@pytest.fixture
def write_config(tmp_path):
    def write(text: str, name="moderator.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write


def pytest_configure(config):
    # Slow tests still run by default (CI runs them); ``-m "not slow"`` leaves them out locally.
    config.addinivalue_line("markers", "slow: takes more than a few seconds; runs in CI")
