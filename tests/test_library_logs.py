"""What a library logs reaches the user as one line at most, and a traceback only with -v."""

from __future__ import annotations

import logging
import sys

import pytest

from dhrbuild import cli


def _record(name: str, level: int) -> logging.LogRecord:
    try:
        raise ValueError("Metadata seems to be XML but not XMP")
    except ValueError:
        info = sys.exc_info()
    return logging.LogRecord(name, level, __file__, 1, "Error occurred parsing XMP", None, info)


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    lines: list[str] = []
    monkeypatch.setattr(cli, "_emit", lambda line, err=False: lines.append(line))
    return lines


def test_another_librarys_warning_is_not_shown_and_no_traceback_ever(
    said: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(cli._state, "verbose", False)
    handler = cli._LogLines()
    handler.emit(_record("pikepdf.models.metadata._xmp", logging.WARNING))
    assert said == []
    handler.emit(_record("pikepdf.models.metadata._xmp", logging.ERROR))
    handler.emit(_record("dhrbuild.inputs.word", logging.WARNING))
    assert said == ["error: Error occurred parsing XMP", "warning: Error occurred parsing XMP"]
    assert not any("Traceback" in line for line in said)


def test_verbose_shows_every_record(said: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli._state, "verbose", True)
    handler = cli._LogLines()
    handler.emit(_record("pikepdf.models.metadata._xmp", logging.WARNING))
    assert said == ["warning: pikepdf.models.metadata._xmp: Error occurred parsing XMP"]
    handler.emit(_record("dhrbuild.inputs.word", logging.WARNING))
    assert "Traceback" in said[1] and "not XMP" in said[1]  # dhrbuild's own: whole
