"""The architecture's "nevers", as tests: the import contracts hold and fail when broken, and the
pure modules read no clock, environment or file."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: Modules whose functions must be pure: the authority's core, the shared formats, the DCC's rules.
PURE = sorted(
    [*ROOT.joinpath("cpl", "core").glob("*.py"), *ROOT.joinpath("formats").glob("*.py"), ROOT / "smi" / "rules.py"]
)

#: Calls that reach the world outside: a clock, the environment, files, processes.
IMPURE_CALLS = {
    "now",
    "today",
    "utcnow",
    "time",
    "monotonic",
    "open",
    "getenv",
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "system",
    "popen",
}


def _run_lint_imports(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(config)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def _ini_value(value: object) -> str:
    return "".join(f"\n    {item}" for item in value) if isinstance(value, list) else str(value)


def _contracts_config(tmp_path: Path, extra: list[dict[str, object]]) -> Path:
    """The project's import-linter configuration from pyproject.toml, plus ``extra`` contracts, as INI."""
    section = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    lines = ["[importlinter]"]
    lines += [f"{key} = {_ini_value(value)}" for key, value in section.items() if key != "contracts"]
    for contract in [*section["contracts"], *extra]:
        lines.append(f"[importlinter:contract:{contract['id']}]")
        lines += [f"{key} = {_ini_value(value)}" for key, value in contract.items() if key != "id"]
    path = tmp_path / "contracts.ini"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_every_import_contract_is_kept(tmp_path: Path) -> None:
    result = _run_lint_imports(_contracts_config(tmp_path, []))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("source", "forbidden", "why"),
    [
        ("cpl.core", "formats", "the core reads the shared vocabulary, so forbidding it must break"),
        ("smi", "signing", "the simulator verifies signatures, so forbidding signing must break"),
    ],
)
def test_a_broken_contract_fails_the_lint_and_names_the_import(
    tmp_path: Path, source: str, forbidden: str, why: str
) -> None:
    extra = {
        "id": "broken-on-purpose",
        "name": f"{source} never imports {forbidden}",
        "type": "forbidden",
        "source_modules": [source],
        "forbidden_modules": [forbidden],
    }
    result = _run_lint_imports(_contracts_config(tmp_path, [extra]))
    assert result.returncode == 1, why
    assert f"{source} never imports {forbidden} BROKEN" in result.stdout.replace("\n", " ")
    assert f"{source}." in result.stdout and f"-> {forbidden}" in result.stdout


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_modules_read_no_clock_environment_or_file(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    impure = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in IMPURE_CALLS:
                impure.append(f"line {node.lineno}: {name}()")
        if isinstance(node, ast.Attribute) and node.attr == "environ":
            impure.append(f"line {node.lineno}: environ")
    assert impure == []


def test_the_impurity_scan_finds_a_clock_read(tmp_path: Path) -> None:
    """The scan above must be able to fail: a module that reads the clock is caught."""
    module = tmp_path / "clocked.py"
    module.write_text("import datetime as dt\n\ndef today():\n    return dt.datetime.now(dt.UTC).date()\n")
    with pytest.raises(AssertionError):
        test_pure_modules_read_no_clock_environment_or_file(module)


def test_each_shared_word_has_one_definition() -> None:
    """The authority's core and the DCC read the same Physical Device Types and controlled types."""
    from cpl.core import domain
    from cpl.views import CertificateNumbers
    from formats import vocabulary
    from smi import rules, seeding

    assert domain.PhysicalDeviceType is vocabulary.PhysicalDeviceType
    assert rules.PhysicalDeviceType is vocabulary.PhysicalDeviceType
    assert seeding.CPL_CONTROLLED_TYPES is vocabulary.CPL_CONTROLLED_TYPES
    assert tuple(CertificateNumbers.model_fields) == vocabulary.CERTIFICATE_KEYS == ("zigbee", "dlms", "cpa")
