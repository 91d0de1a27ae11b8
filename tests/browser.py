"""Headless Chromium (Debian's package) for the report tests: the page's
DOM after its scripts ran, and a screenshot kept as a test artefact."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ARTEFACTS = Path(__file__).parents[1] / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")


def _flags(profile: Path) -> list[str]:
    return [*FLAGS, f"--user-data-dir={profile}"]


def rendered_dom(page: Path, profile: Path, timeout: float = 180) -> str:
    """The DOM of ``page`` once Chromium has run it (no network needed)."""
    return subprocess.run(
        ["chromium", *_flags(profile), "--dump-dom", page.as_uri()],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    ).stdout


def screenshot(page: Path, profile: Path, name: str, height: int, timeout: float = 180) -> Path:
    """A 1200-pixel-wide screenshot of ``page`` in ``test-artifacts/name``."""
    ARTEFACTS.mkdir(exist_ok=True)
    shot = ARTEFACTS / name
    subprocess.run(
        ["chromium", *_flags(profile), f"--screenshot={shot}", f"--window-size=1200,{height}", page.as_uri()],
        check=False,
        capture_output=True,
        timeout=timeout,
    )
    return shot
