"""Help as people read it: an example on every command (`cpl` and `smi`), and no flag shows a type
(`--json <bool>`), whatever the command."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from cpl.cli import build_app, hide_flag_types
from smi import cli as smi_cli


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, sub in getattr(command, "commands", {}).items():
        found.extend(_paths(sub, (*prefix, name)))
    return found


def _leaves(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The commands that run something: every command with no sub-commands, and a group that runs alone."""
    subs = getattr(command, "commands", None)
    if subs is None:
        return [prefix]
    found = [prefix] if prefix and getattr(command, "invoke_without_command", False) else []
    for name, sub in subs.items():
        found.extend(_leaves(sub, (*prefix, name)))
    return found


def _help(command: Any, path: tuple[str, ...], capsys: pytest.CaptureFixture[str], prog: str = "cpl") -> str:
    with pytest.raises(SystemExit) as done:
        command.main(args=[*path, "--help"], prog_name=prog, standalone_mode=True)
    assert done.value.code == 0, path
    return capsys.readouterr().out


def _examples(text: str) -> list[str]:
    return [line.strip().removeprefix("Example:").strip() for line in text.splitlines() if "Example:" in line]


@pytest.mark.parametrize(
    ("prog", "app"), [("cpl", lambda: build_app({})), ("smi", smi_cli.build_app)], ids=["cpl", "smi"]
)
def test_every_command_shows_an_example_of_itself(
    prog: str, app: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each command's help ends its description with `Example: PROG COMMAND ...`, on one line (at a
    width that wraps nothing), naming the command itself: a line to copy, not a sketch of another."""
    monkeypatch.setenv("COLUMNS", "400")
    command = typer.main.get_command(app())
    leaves = _leaves(command)
    assert len(leaves) > (30 if prog == "cpl" else 10)
    for path in leaves:
        examples = _examples(_help(command, path, capsys, prog))
        assert examples, (prog, path)
        name = " ".join((prog, *path))
        assert all(e == name or e.startswith(name + " ") for e in examples), (name, examples)


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


def test_no_help_of_the_installed_smi_shows_a_type_for_a_flag() -> None:
    """The `smi` console script (api.serve.smi_main, which adds `serve`) hides flag types as `cpl` does."""
    import subprocess
    import sys
    from pathlib import Path

    from api.serve import smi_app

    smi = Path(sys.executable).with_name("smi")
    paths = _paths(typer.main.get_command(smi_app()))
    assert ("serve",) in paths and len(paths) > 10
    for path in paths:
        shown = subprocess.run(
            [str(smi), *path, "--help"], capture_output=True, text=True, timeout=60, env={"COLUMNS": "120", "PATH": ""}
        )
        assert shown.returncode == 0 and "--help" in shown.stdout, (path, shown.stderr)
        assert "<bool>" not in shown.stdout, (path, shown.stdout)
        if path == ("serve",):
            assert "Example: smi serve --port 8001" in shown.stdout
