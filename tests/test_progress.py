"""Progress events from the library, rendered on a stream."""

from __future__ import annotations

import io
import logging

import pytest

from zoning import progress


@pytest.fixture
def rendered(monkeypatch):
    stream = io.StringIO()
    handler = progress.ProgressHandler(stream, min_s=0.0, every_s=0.0)
    logger = logging.getLogger("zoning.progress")
    monkeypatch.setattr(logger, "handlers", [handler])
    monkeypatch.setattr(logger, "propagate", False)
    monkeypatch.setattr(logger, "level", logging.INFO)
    monkeypatch.setattr(progress, "_THROTTLE_S", 0.0)
    return stream


def test_piped_progress_is_timed_lines(rendered):
    with progress.step("write x", total=4) as s:
        s.advance(2)
        s.advance(2)
    lines = rendered.getvalue().splitlines()
    assert lines[0].startswith("write x: 50%")
    assert lines[-1].startswith("write x: ") and lines[-1].endswith(" s")
    assert "\r" not in rendered.getvalue()


def test_a_terminal_gets_a_bar(rendered, monkeypatch):
    monkeypatch.setattr(rendered, "isatty", lambda: True, raising=False)
    with progress.step("evaluate", total=10) as s:
        s.advance(5)
    out = rendered.getvalue()
    assert "\r" in out and "[###############" in out and " 50%" in out
    assert out.endswith(" s\n")


def test_quiet_shows_nothing(rendered):
    logging.getLogger("zoning.progress").setLevel(logging.ERROR)
    with progress.step("evaluate", total=1) as s:
        s.advance()
    assert rendered.getvalue() == ""
