"""Help as people read it: no flag shows a type (`--json <bool>`), whatever the command."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from cpl.cli import build_app, hide_flag_types


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, sub in getattr(command, "commands", {}).items():
        found.extend(_paths(sub, (*prefix, name)))
    return found


def _help(command: Any, path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        command.main(args=[*path, "--help"], prog_name="cpl", standalone_mode=True)
    assert done.value.code == 0, path
    return capsys.readouterr().out


def test_no_help_shows_a_type_for_a_flag(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    command = typer.main.get_command(build_app({}))
    hide_flag_types(command)
    paths = _paths(command)
    assert len(paths) > 30  # every command and group, nested
    for path in paths:
        text = _help(command, path, capsys)
        assert "--help" in text, path
        assert "<bool>" not in text, (path, text)


def test_without_the_fix_typer_would_show_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check above can fail: the same help, built without hiding flag types, names `<bool>`."""
    monkeypatch.setenv("COLUMNS", "120")
    command = typer.main.get_command(build_app({}))
    assert "<bool>" in _help(command, ("list",), capsys)
