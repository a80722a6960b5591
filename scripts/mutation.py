"""Mutation testing of the pure modules, each against only the fast tests that exercise it.

    .venv/bin/python scripts/mutation.py                     # every configured module, then the table mutants
    .venv/bin/python scripts/mutation.py --module cpl/rules.py --no-tables
    .venv/bin/python scripts/mutation.py --tables-only

Everything project-specific is configuration: ``[tool.cpl-mutation]`` in pyproject.toml names the
modules, the tests for each, the packages to copy, the threshold and the two data files (equivalent
mutants; hand-made mutants of module-level tables). Nothing here names a module of this project.

Operator mutants come from mutmut 3, run once per module in a sandbox copy of the repository
(``<work_dir>/<module>/``) with a ``[tool.mutmut]`` table written for that module alone, so each
module is mutated against its own tests; mutmut then runs, for each mutant, only the tests that
called the mutated function. mutmut mutates function bodies only, never module-level code, so:

* module-level tables and constants are mutated by hand: each entry of the tables file replaces
  one constant's value in the source text of a sandbox copy, and the module's tests run in a fresh
  interpreter (so values derived from it at import, and copies imported elsewhere, follow);
* mutmut's workers are forked from a process that has already imported everything, so a mutant
  of a function that runs at import time never runs there. Survivors in such functions are run
  again in a fresh interpreter, where the mutant is active during the import.

A test run that hangs counts as killed ("timeout"): mutmut limits CPU and wall time per mutant;
the fresh-interpreter runs here have a wall-clock limit and are killed with their process group.

Score: killed (including timeouts) over all mutants less the listed equivalent ones, which are
reported with their reason and counted neither way. Exit status: 0 when every module reaches its
threshold, 1 when one does not, 2 when the harness could not measure (bad configuration, a red
baseline, mutmut failing).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import difflib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG_TABLE = "cpl-mutation"
KILLED_STATUSES = {"killed", "timeout", "segfault", "caught by type check"}
# mutmut's exit-code meanings (mutmut.stats.status_by_exit_code), used if it cannot be imported.
_FALLBACK_STATUS = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    2: "check was interrupted by user",
    None: "not checked",
    33: "no tests",
    34: "skipped",
    35: "suspicious",
    36: "timeout",
    37: "caught by type check",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    -11: "segfault",
    -9: "segfault",
}


class HarnessError(Exception):
    """The harness could not measure: configuration, baseline or tool failure."""


# --- configuration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleConfig:
    path: str  # relative to the repository root, e.g. "cpl/rules.py"
    tests: tuple[str, ...]  # pytest arguments: test files, node ids, -k / -m expressions
    threshold: float

    @property
    def dotted(self) -> str:
        return dotted_name(self.path)


@dataclass(frozen=True)
class Config:
    root: Path
    modules: tuple[ModuleConfig, ...]
    packages: tuple[str, ...]
    copy: tuple[str, ...]
    work_dir: Path
    threshold: float
    equivalents_file: Path | None
    tables_file: Path | None
    pytest_args: tuple[str, ...]
    mutmut: dict[str, Any]
    rerun_timeout: float
    module_timeout: float
    hypothesis_shrink: bool
    env: dict[str, str]


def _str_list(value: Any, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise HarnessError(f"{what} must be a list of strings")
    return tuple(value)


def load_config(root: Path) -> Config:
    pyproject = root / "pyproject.toml"
    data = tomllib.loads(pyproject.read_text("utf-8"))
    tool = data.get("tool", {})
    if "mutmut" in tool:
        raise HarnessError(
            "pyproject.toml has a [tool.mutmut] table; this runner writes one per module in its "
            f"sandbox from [tool.{CONFIG_TABLE}]: move the settings there"
        )
    raw = tool.get(CONFIG_TABLE)
    if raw is None:
        raise HarnessError(f"pyproject.toml has no [tool.{CONFIG_TABLE}] table")
    threshold = float(raw.get("threshold", 95.0))
    modules = []
    for path, spec in raw.get("modules", {}).items():
        if isinstance(spec, list):
            spec = {"tests": spec}
        if not isinstance(spec, dict) or "tests" not in spec:
            raise HarnessError(f"modules.{path!r}: give a list of tests, or a table with 'tests'")
        if not (root / path).is_file():
            raise HarnessError(f"modules.{path!r}: no such file")
        modules.append(
            ModuleConfig(
                path, _str_list(spec["tests"], f"modules.{path!r}.tests"), float(spec.get("threshold", threshold))
            )
        )
    if not modules:
        raise HarnessError(f"[tool.{CONFIG_TABLE}.modules] names no module")
    packages = raw.get("packages")
    if packages is None:  # every top-level package except the tests
        packages = sorted(p.parent.name for p in root.glob("*/__init__.py") if p.parent.name != "tests")
    packages = _str_list(packages, "packages")
    for module in modules:
        if module.path.split("/")[0] not in packages:
            raise HarnessError(f"{module.path} is not in one of the copied packages {list(packages)}")

    def optional_path(key: str) -> Path | None:
        value = raw.get(key)
        return None if value is None else root / value

    return Config(
        root=root,
        modules=tuple(modules),
        packages=packages,
        copy=_str_list(raw.get("copy", ["tests"]), "copy"),
        work_dir=root / raw.get("work_dir", ".mutation"),
        threshold=threshold,
        equivalents_file=optional_path("equivalents"),
        tables_file=optional_path("tables"),
        pytest_args=_str_list(raw.get("pytest_args", []), "pytest_args"),
        mutmut=dict(raw.get("mutmut", {})),
        rerun_timeout=float(raw.get("rerun_timeout", 300)),
        module_timeout=float(raw.get("module_timeout", 3600)),
        hypothesis_shrink=bool(raw.get("hypothesis_shrink", False)),
        env={str(k): str(v) for k, v in raw.get("env", {}).items()},
    )


@dataclass(frozen=True)
class Equivalent:
    module: str
    reason: str
    mutant: str | None = None  # mutmut's id, e.g. "x_judge_extract__mutmut_5" (shifts when the function changes)
    function: str | None = None  # "judge_extract" or "Class.method"
    original: str | None = None  # the changed source line(s), stripped, joined by newlines
    mutated: str | None = None

    def matches(self, m: Mutant) -> bool:
        if self.module != m.module:
            return False
        if self.mutant is not None:
            return self.mutant in (m.key, m.short_key)
        return (
            self.function == m.function
            and _norm(self.original) == _norm(m.original)
            and _norm(self.mutated) == _norm(m.mutated)
        )

    def describe(self) -> str:
        return self.mutant or f"{self.function}: {self.original} -> {self.mutated}"


def _norm(text: str | None) -> str:
    return "\n".join(" ".join(line.split()) for line in (text or "").strip().splitlines())


def load_equivalents(path: Path | None) -> list[Equivalent]:
    if path is None or not path.exists():
        return []
    found = []
    for i, item in enumerate(tomllib.loads(path.read_text("utf-8")).get("equivalent", []), 1):
        where = f"{path.name}: equivalent #{i}"
        if not item.get("module") or not item.get("reason"):
            raise HarnessError(f"{where} needs 'module' and 'reason'")
        if not item.get("mutant") and not (item.get("function") and "original" in item and "mutated" in item):
            raise HarnessError(f"{where} needs 'mutant', or 'function' with 'original' and 'mutated'")
        unknown = set(item) - {"module", "reason", "mutant", "function", "original", "mutated"}
        if unknown:
            raise HarnessError(f"{where} has unknown keys {sorted(unknown)}")
        found.append(Equivalent(**item))
    return found


@dataclass(frozen=True)
class TableMutant:
    module: str
    name: str
    replacement: str
    description: str
    tests: tuple[str, ...] | None


def load_tables(path: Path | None) -> list[TableMutant]:
    if path is None or not path.exists():
        return []
    found = []
    for i, item in enumerate(tomllib.loads(path.read_text("utf-8")).get("mutant", []), 1):
        where = f"{path.name}: mutant #{i}"
        for key in ("module", "name", "replacement"):
            if not isinstance(item.get(key), str):
                raise HarnessError(f"{where} needs '{key}' as a string")
        try:
            ast.parse(item["replacement"], mode="eval")
        except SyntaxError as error:
            raise HarnessError(f"{where}: replacement is not a Python expression ({error})") from None
        tests = _str_list(item["tests"], f"{where}.tests") if "tests" in item else None
        found.append(TableMutant(item["module"], item["name"], item["replacement"], item.get("description", ""), tests))
    return found


# --- processes ----------------------------------------------------------------------------------


@dataclass
class RunResult:
    returncode: int | None  # None: timed out and killed
    output: str
    seconds: float


def run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: float, log: Path | None = None) -> RunResult:
    """Run in its own process group; on timeout kill the whole group (a hung test may have children)."""
    start = time.monotonic()
    with subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    ) as process:
        try:
            out, _ = process.communicate(timeout=timeout)
            code: int | None = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, _ = process.communicate()
            code = None
    text = out.decode("utf-8", "replace")
    if log is not None:
        log.write_text(text, "utf-8")
    return RunResult(code, text, time.monotonic() - start)


def base_env(cfg: Config, sandbox: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUTANT_UNDER_TEST", "PYTEST_ADDOPTS"))}
    env.update(cfg.env)
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(sandbox / ".hypothesis")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a table mutant rewrites a file within the same second
    env["PYTHONHASHSEED"] = "0"  # the same set iteration order every run
    env.pop("PYTHONPATH", None)
    return env


def mutant_order(m: Mutant) -> tuple[int, str, int]:
    number = m.short_key.rpartition("__mutmut_")[2]
    return (m.line or 0, m.function, int(number) if number.isdigit() else 0)


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


PLUGIN = "_cpl_mutation_plugin"
_PLUGIN_SOURCE = '''"""Written by scripts/mutation.py into its sandbox: Hypothesis settings for mutation runs."""
try:
    from hypothesis import Phase, settings
except ImportError:
    pass
else:
    # No example database (nothing carried from one mutant to the next) and no deadline (a loaded
    # machine must not kill a mutant). {shrink_note}
    settings.register_profile("cpl-mutation", database=None, deadline=None, phases={phases})
    settings.load_profile("cpl-mutation")
'''


def write_plugin(cfg: Config, directory: Path) -> None:
    phases = "[Phase.explicit, Phase.generate" + (", Phase.shrink]" if cfg.hypothesis_shrink else "]")
    note = (
        "Shrinking kept (hypothesis_shrink = true)."
        if cfg.hypothesis_shrink
        else "No shrinking: the first failing example already kills the mutant, and shrinking it costs seconds."
    )
    (directory / f"{PLUGIN}.py").write_text(_PLUGIN_SOURCE.format(phases=phases, shrink_note=note), "utf-8")


def make_sandbox(cfg: Config, sandbox: Path) -> None:
    if sandbox.exists():
        shutil.rmtree(sandbox)
    sandbox.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")
    for name in (*cfg.packages, *cfg.copy):
        source = cfg.root / name
        if source.is_dir():
            shutil.copytree(source, sandbox / name, ignore=ignore)
        elif source.is_file():
            (sandbox / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, sandbox / name)
        else:
            raise HarnessError(f"{name} (in packages / copy) does not exist")
    shutil.copy2(cfg.root / "pyproject.toml", sandbox / "pyproject.toml")
    write_plugin(cfg, sandbox)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise HarnessError(f"cannot write {value!r} to [tool.mutmut]")


# --- operator mutants (mutmut) ------------------------------------------------------------------


@dataclass
class Mutant:
    module: str  # config path, e.g. "cpl/rules.py"
    key: str  # mutmut's full id, e.g. "cpl.rules.x_check_submission__mutmut_3"
    status: str
    function: str = "?"
    line: int | None = None
    original: str = ""
    mutated: str = ""
    short: str = ""  # e.g. ">= → >"
    note: str = ""
    equivalent: Equivalent | None = None

    @property
    def short_key(self) -> str:
        return self.key.rpartition(".")[2]

    @property
    def killed(self) -> bool:
        return self.status in KILLED_STATUSES


def status_table() -> Any:
    try:
        from mutmut.stats import status_by_exit_code

        return status_by_exit_code
    except ImportError:
        return _FALLBACK_STATUS


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Top-level functions and methods of top-level classes by name (mutmut mutates no deeper)."""
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[f"{node.name}.{item.name}"] = item
                    found.setdefault(item.name, item)  # mutmut names a method's copies after it alone
    return found


_TOKEN = re.compile(
    r"""[rRbBuUfF]{0,2}(?:"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|\d[\w.]*|\w+|\*\*=?|//=?|>>=?|<<=?"""
    r"""|->|:=|[=!<>]=|[-+*/%&|^@]=|\S"""
)


def short_change(before: str, after: str) -> str:
    """The smallest differing token span of two lines, e.g. '>= → >'."""
    a = [(m.start(), m.end()) for m in _TOKEN.finditer(before)]
    b = [(m.start(), m.end()) for m in _TOKEN.finditer(after)]
    ta, tb = [before[s:e] for s, e in a], [after[s:e] for s, e in b]
    ops = [op for op in difflib.SequenceMatcher(a=ta, b=tb, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not ops:
        return f"{before.strip()} → {after.strip()}"
    i1, i2, j1, j2 = ops[0][1], ops[-1][2], ops[0][3], ops[-1][4]
    if i1 == i2 or j1 == j2:  # a pure insertion or deletion: show a token either side
        i1, j1 = max(i1 - 1, 0), max(j1 - 1, 0)
        i2, j2 = min(i2 + 1, len(ta)), min(j2 + 1, len(tb))

    def span(line: str, pos: list[tuple[int, int]], lo: int, hi: int) -> str:
        text = line[pos[lo][0] : pos[hi - 1][1]] if lo < hi else ""
        return text if len(text) <= 70 else text[:67] + "..."

    return f"{span(before, a, i1, i2) or '∅'} → {span(after, b, j1, j2) or '∅'}"


def describe_mutants(mutants: list[Mutant], mutated_file: Path, original_file: Path) -> None:
    """Fill in function, line, original/mutated text and a short form, from mutmut's generated file."""
    generated = mutated_file.read_text("utf-8")
    generated_lines = generated.splitlines()
    gen_funcs = _functions(ast.parse(generated))
    source_lines = original_file.read_text("utf-8").splitlines()
    src_funcs = _functions(ast.parse("\n".join(source_lines)))

    def body(node: ast.AST) -> list[str]:
        return generated_lines[node.lineno - 1 : node.end_lineno]  # type: ignore[attr-defined]

    for m in mutants:
        mangled, _, _ = m.short_key.partition("__mutmut_")
        if "ǁ" in mangled:
            _, cls, name = mangled.split("ǁ")
            m.function = f"{cls}.{name}"
        else:
            name = mangled[2:]
            m.function = name
        orig_node, mut_node = gen_funcs.get(f"{mangled}__mutmut_orig"), gen_funcs.get(m.short_key)
        if orig_node is None or mut_node is None:
            m.note = "could not find the generated function"
            continue
        before = [line.replace(f"{mangled}__mutmut_orig", name) for line in body(orig_node)]
        after = [line.replace(m.short_key, name) for line in body(mut_node)]
        ops = [
            op for op in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes() if op[0] != "equal"
        ]
        if not ops:
            m.note = "mutant text equals the original"
            continue
        i1, i2, j1, j2 = ops[0][1], ops[-1][2], ops[0][3], ops[-1][4]
        m.original = "\n".join(line.strip() for line in before[i1:i2])
        m.mutated = "\n".join(line.strip() for line in after[j1:j2])
        src = src_funcs.get(m.function) or src_funcs.get(name)
        if src is not None:
            line = src.lineno + i1
            if i1 < i2 and 0 < line <= len(source_lines) and source_lines[line - 1].rstrip() == before[i1].rstrip():
                m.line = line
        if i2 - i1 == 1 and j2 - j1 == 1:
            m.short = short_change(before[i1], after[j1])
        elif j1 == j2:
            m.short = f"removed: {m.original.splitlines()[0]}" + (" ..." if i2 - i1 > 1 else "")
        else:
            m.short = f"{' / '.join(m.original.splitlines()) or '∅'} → {' / '.join(m.mutated.splitlines()) or '∅'}"


def mutmut_table(cfg: Config, module: ModuleConfig) -> str:
    settings: dict[str, Any] = {
        "source_paths": list(cfg.packages),
        "only_mutate": [module.path],
        "also_copy": [*cfg.copy, f"{PLUGIN}.py"],  # mutmut runs the tests inside mutants/: they need these there
        "pytest_add_cli_args_test_selection": list(module.tests),
        "pytest_add_cli_args": ["-p", PLUGIN, *cfg.pytest_args],
        "use_git_change_detection": False,
        **cfg.mutmut,
    }
    return "\n[tool.mutmut]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in settings.items())


def import_time_functions(cfg: Config, sandbox: Path, module: ModuleConfig, env: dict[str, str]) -> set[str]:
    """Mangled names of the module's functions that run while the tests are collected (imports,
    module-level code of the module and of everything the tests import), in a fresh interpreter."""
    probe = (
        "import importlib, json, os, sys\n"
        "os.environ['MUTANT_UNDER_TEST'] = 'stats'\n"
        "import pytest\n"
        "from mutmut.state import state\n"
        f"m = importlib.import_module({module.dotted!r})\n"
        f"assert os.path.realpath(m.__file__).startswith(os.path.realpath({str(sandbox / 'mutants')!r})), m.__file__\n"
        f"code = pytest.main(['--collect-only', '-q', '-p', {PLUGIN!r}, *{list(cfg.pytest_args)!r}, "
        f"*{list(module.tests)!r}])\n"
        "print('IMPORT-TIME', int(code), json.dumps(sorted(state()._stats)))\n"
    )
    result = run([sys.executable, "-c", probe], cwd=sandbox / "mutants", env=env, timeout=cfg.rerun_timeout)
    for line in result.output.splitlines():
        if line.startswith("IMPORT-TIME "):
            _, code, names = line.split(" ", 2)
            if code == "0":
                return {name.rpartition(".")[2] for name in json.loads(names)}
    raise HarnessError(f"{module.path}: the import-time probe failed:\n{tail(result.output)}")


def pytest_command(cfg: Config, tests: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p", PLUGIN, *cfg.pytest_args, *tests]


def rerun_fresh(cfg: Config, sandbox: Path, module: ModuleConfig, mutant: Mutant, env: dict[str, str]) -> str:
    """Run the module's tests in a new interpreter with the mutant active from the first import."""
    result = run(
        pytest_command(cfg, module.tests),
        cwd=sandbox / "mutants",
        env={**env, "MUTANT_UNDER_TEST": mutant.key},
        timeout=cfg.rerun_timeout,
    )
    if result.returncode is None:
        return "timeout"
    if result.returncode in (1, 2, 3):  # failed, or broke collection (import) or pytest itself
        return "killed"
    if result.returncode == 0:
        return "survived"
    raise HarnessError(f"{mutant.key}: fresh run exited {result.returncode}:\n{tail(result.output)}")


def mutate_module(cfg: Config, module: ModuleConfig, log: Any) -> list[Mutant]:
    sandbox = cfg.work_dir / module.path.replace("/", "__")
    make_sandbox(cfg, sandbox)
    with (sandbox / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write(mutmut_table(cfg, module))
    env = base_env(cfg, sandbox)
    mutmut = Path(sys.executable).with_name("mutmut")
    if not mutmut.exists():
        raise HarnessError(f"mutmut is not installed beside {sys.executable}: pip install 'mutmut>=3.8,<4'")
    log(f"  mutmut run ({module.path}; tests: {' '.join(module.tests)}) ...")
    result = run(
        [str(mutmut), "run", "--max-children", "1"],
        cwd=sandbox,
        env=env,
        timeout=cfg.module_timeout,
        log=sandbox / "mutmut.log",
    )
    if result.returncode is None:
        raise HarnessError(f"{module.path}: mutmut ran past module_timeout ({cfg.module_timeout:.0f} s)")
    meta = sandbox / "mutants" / (module.path + ".meta")
    if result.returncode != 0 or not meta.exists():
        raise HarnessError(
            f"{module.path}: mutmut exited {result.returncode} (log: {sandbox / 'mutmut.log'}):\n"
            f"{tail(result.output.replace(chr(13), chr(10)))}"
        )
    statuses = status_table()
    exit_codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
    mutants = [Mutant(module.path, key, statuses[code]) for key, code in exit_codes.items()]
    describe_mutants(mutants, sandbox / "mutants" / module.path, sandbox / module.path)

    survivors = [m for m in mutants if not m.killed and m.status in ("survived", "no tests")]
    if survivors:
        at_import = import_time_functions(cfg, sandbox, module, env)
        again = [m for m in survivors if m.short_key.partition("__mutmut_")[0] in at_import]
        if again:
            log(f"  {len(again)} survivor(s) in code that runs at import: running them in a fresh interpreter")
            clean = run(pytest_command(cfg, module.tests), cwd=sandbox / "mutants", env=env, timeout=cfg.rerun_timeout)
            if clean.returncode != 0:
                raise HarnessError(
                    f"{module.path}: the tests fail in a fresh interpreter without a mutant:\n{tail(clean.output)}"
                )
            for m in again:
                verdict = rerun_fresh(cfg, sandbox, module, m, env)
                if verdict != "survived":
                    m.note = f"{verdict} in a fresh interpreter (the function runs at import)"
                    m.status = verdict
                else:
                    m.note = "runs at import; survived a fresh interpreter too"
    return mutants


# --- table mutants ------------------------------------------------------------------------------


@dataclass
class TableResult:
    mutant: TableMutant
    status: str  # killed, timeout, killed at import, survived
    detail: str = ""
    seconds: float = 0.0

    @property
    def killed(self) -> bool:
        return self.status in ("killed", "timeout", "killed at import")


def patch_constant(source: str, name: str, replacement: str, where: str) -> str:
    """Replace the value of the module-level assignment to ``name`` in the source text.

    The replacement may name the original value ``ORIGINAL``: ``ORIGINAL - {X}`` drops one member.
    """
    targets: list[ast.Assign | ast.AnnAssign] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            if len(node.targets) != 1:
                raise HarnessError(f"{where}: {name} is assigned together with other names")
            targets.append(node)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            if node.value is None:
                raise HarnessError(f"{where}: {name} is annotated but not assigned")
            targets.append(node)
    if len(targets) != 1:
        raise HarnessError(f"{where}: {name} is assigned {len(targets)} times at module level (want exactly 1)")
    value = targets[0].value
    assert value is not None and value.end_lineno is not None and value.end_col_offset is not None
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def at(lineno: int, col: int) -> int:  # ast columns count UTF-8 bytes
        return offsets[lineno - 1] + len(lines[lineno - 1].encode("utf-8")[:col].decode("utf-8"))

    start, end = at(value.lineno, value.col_offset), at(value.end_lineno, value.end_col_offset)
    if re.search(r"\bORIGINAL\b", replacement):
        new_value = f"(lambda ORIGINAL: ({replacement}))({source[start:end]})"
    else:
        new_value = f"({replacement})"
    patched = source[:start] + new_value + source[end:]
    ast.parse(patched)
    return patched


_PROBE = """
import importlib, json, os, sys
def canon(v):
    if isinstance(v, (set, frozenset)):
        return ["set", sorted(canon(x) for x in v)]
    if isinstance(v, dict) or hasattr(v, "items") and callable(v.items):
        return ["map", sorted([canon(k), canon(x)] for k, x in v.items())]
    if isinstance(v, (list, tuple)):
        return [type(v).__name__, [canon(x) for x in v]]
    return repr(v)
try:
    m = importlib.import_module(sys.argv[1])
except (NameError, SyntaxError, ImportError) as e:
    print("PROBE-INVALID", type(e).__name__, e)
    raise SystemExit(0)
except BaseException as e:
    print("PROBE-RAISED", type(e).__name__, e)
    raise SystemExit(0)
assert os.path.realpath(m.__file__).startswith(os.path.realpath(os.getcwd())), m.__file__
print("PROBE-VALUE", json.dumps(canon(getattr(m, sys.argv[2]))))
"""


def probe_constant(sandbox: Path, dotted: str, name: str, env: dict[str, str], timeout: float) -> tuple[str, str]:
    result = run([sys.executable, "-c", _PROBE, dotted, name], cwd=sandbox, env=env, timeout=timeout)
    if result.returncode is None:
        return "PROBE-TIMEOUT", f"the import ran past {timeout:.0f} s"
    for line in result.output.splitlines():
        kind, _, rest = line.partition(" ")
        if kind in ("PROBE-VALUE", "PROBE-INVALID", "PROBE-RAISED"):
            return kind, rest
    raise HarnessError(f"probe of {dotted}.{name} failed:\n{tail(result.output)}")


def dotted_name(path: str) -> str:
    return path[: -len(".py")].replace("/", ".").removesuffix(".__init__")


def run_tables(
    cfg: Config, table_mutants: list[TableMutant], modules: dict[str, ModuleConfig], log: Any
) -> list[TableResult]:
    sandbox = cfg.work_dir / "tables"
    make_sandbox(cfg, sandbox)
    env = {**base_env(cfg, sandbox), "PYTHONPATH": str(sandbox)}
    results: list[TableResult] = []
    baselines: set[tuple[str, ...]] = set()
    for tm in table_mutants:
        tests = tm.tests or modules[tm.module].tests
        dotted = dotted_name(tm.module)
        where = f"table mutant {tm.module}:{tm.name} = {tm.replacement}"
        if tests not in baselines:
            clean = run(pytest_command(cfg, tests), cwd=sandbox, env=env, timeout=cfg.rerun_timeout)
            if clean.returncode != 0:
                raise HarnessError(f"the tests {' '.join(tests)} do not pass unmutated:\n{tail(clean.output)}")
            baselines.add(tests)
        target = sandbox / tm.module
        original = target.read_text("utf-8")
        kind, before = probe_constant(sandbox, dotted, tm.name, env, cfg.rerun_timeout)
        if kind != "PROBE-VALUE":
            raise HarnessError(f"{where}: the unmutated module does not import ({before})")
        target.write_text(patch_constant(original, tm.name, tm.replacement, where), "utf-8")
        try:
            kind, after = probe_constant(sandbox, dotted, tm.name, env, cfg.rerun_timeout)
            if kind == "PROBE-INVALID":
                raise HarnessError(f"{where}: the mutated module does not import ({after}); fix the replacement")
            if kind == "PROBE-VALUE" and after == before:
                raise HarnessError(f"{where}: the replacement has the same value as the original")
            outcome = None
            if kind == "PROBE-VALUE":
                outcome = run(pytest_command(cfg, tests), cwd=sandbox, env=env, timeout=cfg.rerun_timeout)
            if outcome is None:  # the import itself raised or hung
                results.append(TableResult(tm, "killed at import" if kind == "PROBE-RAISED" else "timeout", after))
            elif outcome.returncode is None:
                results.append(TableResult(tm, "timeout", seconds=outcome.seconds))
            elif outcome.returncode in (1, 2, 3):
                failed = [line for line in outcome.output.splitlines() if line.startswith(("FAILED", "ERROR"))]
                results.append(TableResult(tm, "killed", failed[0] if failed else "", outcome.seconds))
            elif outcome.returncode == 0:
                results.append(TableResult(tm, "survived", seconds=outcome.seconds))
            else:
                raise HarnessError(f"{where}: pytest exited {outcome.returncode}:\n{tail(outcome.output)}")
        finally:
            target.write_text(original, "utf-8")
        log(f"  {tm.module}:{tm.name} = {tm.replacement}: {results[-1].status}")
    return results


# --- report -------------------------------------------------------------------------------------


def pct(killed: int, total: int) -> str:
    return f"{(100.0 * killed / total) if total else 100.0:.1f}%"


def suggestion(m: Mutant) -> str:
    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    return (
        "[[equivalent]]\n"
        f"module = {q(m.module)}\nfunction = {q(m.function)}\n"
        f"original = {q(m.original)}\nmutated = {q(m.mutated)}\n"
        f'reason = "TODO: why no test can tell this mutant from the original"\n'
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parents[1],
        help="repository root (default: the parent of scripts/)",
    )
    parser.add_argument("--module", action="append", help="only this configured module (repeatable)")
    parser.add_argument("--no-tables", action="store_true", help="skip the hand-made table mutants")
    parser.add_argument("--tables-only", action="store_true", help="only the hand-made table mutants")
    parser.add_argument("--threshold", type=float, help="override every module's threshold (percent)")
    parser.add_argument(
        "--work-dir",
        type=Path,
        help="sandboxes and reports here instead of the configured work_dir (two runs at once need two)",
    )
    parser.add_argument(
        "--json", type=Path, help="also write the full results as JSON here (always written to <work_dir>/report.json)"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        cfg = load_config(args.root.resolve())
        if args.work_dir is not None:
            cfg = dataclasses.replace(cfg, work_dir=args.work_dir.resolve())
        modules = {m.path: m for m in cfg.modules}
        equivalents = load_equivalents(cfg.equivalents_file)
        all_tables = load_tables(cfg.tables_file)
        known = set(modules) | {t.module for t in all_tables}
        unknown = set(args.module or ()) - known
        if unknown:
            raise HarnessError(f"not configured: {sorted(unknown)}; configured: {sorted(known)}")
        selected = [modules[p] for p in args.module if p in modules] if args.module else list(cfg.modules)
        for t in all_tables:
            if not (cfg.root / t.module).is_file():
                raise HarnessError(f"table mutant {t.module}:{t.name}: no such file")
            if t.module not in modules and t.tests is None:
                raise HarnessError(f"table mutant {t.module}:{t.name}: the module is not configured, so give 'tests'")
        # With --module, the table mutants of those modules; otherwise all (some may be of other modules).
        tables = [t for t in all_tables if not args.module or t.module in args.module]

    except HarnessError as error:
        print(f"mutation: {error}", file=sys.stderr)
        return 2

    # One module that cannot be measured does not stop the others; the run still exits 2.
    errors: list[str] = []
    operator_results: dict[str, list[Mutant]] = {}
    seconds: dict[str, float] = {}
    if not args.tables_only:
        for module in selected:
            log(f"{module.path}:")
            t0 = time.monotonic()
            try:
                mutants = mutate_module(cfg, module, log)
            except HarnessError as error:
                log(f"mutation: {error}")
                errors.append(module.path)
                continue
            seconds[module.path] = time.monotonic() - t0
            for m in mutants:
                m.equivalent = next((e for e in equivalents if e.matches(m)), None)
            operator_results[module.path] = mutants
            log(f"  {len(mutants)} mutants in {seconds[module.path]:.0f} s")
    table_results: list[TableResult] = []
    if tables and not args.no_tables:
        log("table mutants:")
        t0 = time.monotonic()
        try:
            table_results = run_tables(cfg, tables, modules, log)
        except HarnessError as error:
            log(f"mutation: {error}")
            errors.append("table mutants")
        seconds["tables"] = time.monotonic() - t0

    # Survivors, grouped by module and function.
    for path, mutants in operator_results.items():
        alive = [m for m in mutants if not m.killed and m.equivalent is None]
        if not alive:
            continue
        print(f"\nsurviving mutants of {path} ({len(alive)}):")
        for m in sorted(alive, key=mutant_order):
            status = "" if m.status == "survived" else f" [{m.status}]"
            note = f" ({m.note})" if m.note else ""
            print(f"  {Path(path).name}:{m.line or '?'} {m.function}: {m.short}{status}{note}  <{m.short_key}>")
    equivalent_hits = [(m, m.equivalent) for ms in operator_results.values() for m in ms if m.equivalent]
    if equivalent_hits:
        print(f"\nequivalent mutants, not counted ({len(equivalent_hits)}):")
        for m, e in equivalent_hits:
            flag = "  [STALE: this mutant is killed now; drop the entry]" if m.killed else ""
            print(f"  {Path(m.module).name}:{m.line or '?'} {m.function}: {m.short}  — {e.reason}{flag}")
    measured = {m.path for m in selected} if not args.tables_only else set()
    unused = [
        e
        for e in equivalents
        if e.module in measured and not any(e.matches(m) for ms in operator_results.values() for m in ms)
    ]
    if unused:
        print(f"\nstale equivalent entries, matching no mutant ({len(unused)}):")
    for e in unused:
        print(f"  {e.module} {e.describe()}")
    if table_results:
        print(f"\ntable mutants ({sum(r.killed for r in table_results)} of {len(table_results)} killed):")
        for r in table_results:
            t = r.mutant
            detail = f" — {r.detail}" if r.detail else ""
            label = f" ({t.description})" if t.description else ""
            print(f"  {r.status:8} {t.module}:{t.name} = {t.replacement}{label}{detail}")

    # Scores.
    print()
    report: dict[str, Any] = {"modules": {}, "seconds": seconds}
    below = []
    total_killed = total_counted = 0
    table_only = [
        ModuleConfig(p, (), cfg.threshold)
        for p in dict.fromkeys(r.mutant.module for r in table_results)
        if p not in {m.path for m in selected}
    ]
    for module in [*selected, *table_only]:
        if module.path in errors:
            print(f"{module.path}: not measured (see the error above)")
            continue
        mutants = operator_results.get(module.path, [])
        counted = [m for m in mutants if m.equivalent is None]
        tables_here = [r for r in table_results if r.mutant.module == module.path]
        killed = sum(m.killed for m in counted) + sum(r.killed for r in tables_here)
        total = len(counted) + len(tables_here)
        if total == 0:
            continue
        total_killed += killed
        total_counted += total
        threshold = args.threshold if args.threshold is not None else module.threshold
        score = 100.0 * killed / total
        if score < threshold:
            below.append(module.path)
        by_status: dict[str, int] = {}
        for m in counted:
            by_status[m.status] = by_status.get(m.status, 0) + 1
        print(f"{module.path}: {pct(killed, total)} (killed {killed} of {total})")
        print(
            f"    operators {sum(m.killed for m in counted)} of {len(counted)} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(by_status.items()))}); "
            f"tables {sum(r.killed for r in tables_here)} of {len(tables_here)}; "
            f"equivalent (not counted) {len(mutants) - len(counted)}; threshold {threshold:g}%"
            + (f"; {seconds[module.path]:.0f} s" if module.path in seconds else "")
        )
        report["modules"][module.path] = {
            "killed": killed,
            "total": total,
            "score": round(score, 2),
            "threshold": threshold,
            "operators": [
                {k: v for k, v in m.__dict__.items() if k != "equivalent"}
                | {"id": m.short_key, "killed": m.killed, "equivalent": m.equivalent.reason if m.equivalent else None}
                for m in sorted(mutants, key=mutant_order)
            ],
            "tables": [
                {"name": r.mutant.name, "replacement": r.mutant.replacement, "status": r.status, "detail": r.detail}
                for r in tables_here
            ],
        }
    elapsed = time.monotonic() - started
    report["wall_seconds"] = round(elapsed, 1)
    cfg.work_dir.mkdir(parents=True, exist_ok=True)
    for target in (cfg.work_dir / "report.json", args.json):
        if target is not None:
            target.write_text(json.dumps(report, indent=2, ensure_ascii=False), "utf-8")
    survivors_file = cfg.work_dir / "survivors.toml"
    survivors_file.write_text(
        "# Surviving operator mutants as [[equivalent]] stanzas: copy the truly equivalent ones, with a reason,\n"
        f"# into {cfg.equivalents_file.name if cfg.equivalents_file else 'the equivalents file'}.\n\n"
        + "\n".join(
            suggestion(m) for ms in operator_results.values() for m in ms if not m.killed and m.equivalent is None
        ),
        "utf-8",
    )
    print(f"wall time: {elapsed:.0f} s; survivors as equivalent-file stanzas: {survivors_file}", file=sys.stderr)
    if below:
        print(f"below threshold: {', '.join(below)}", file=sys.stderr)
    if errors:
        print(f"not measured: {', '.join(errors)}", file=sys.stderr)
    print(f"mutation score: {pct(total_killed, total_counted)} (killed {total_killed} of {total_counted})")
    return 2 if errors else 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
