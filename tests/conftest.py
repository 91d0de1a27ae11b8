"""Shared fixtures: small named scenarios every test can reason about."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import patchplan as pp

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"


@pytest.fixture(scope="session")
def tiny() -> pp.Scenario:
    """4 clients in Colchester, provider P1 with 2 carers, one day (hand-checkable)."""
    return pp.read_scenario(TINY)


@pytest.fixture()
def tiny_dir(tmp_path: Path) -> Path:
    """A writable copy of the tiny scenario folder."""
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    return target


@pytest.fixture(scope="session")
def maldon() -> pp.Scenario:
    """Maldon district at 20% scale: small but generated end to end."""
    return pp.essex(district="Maldon", seed=7, scale=0.2)
