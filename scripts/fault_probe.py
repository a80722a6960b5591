"""Run the race, kill and busy tests again and again and count how often each came out clean.

    .venv/bin/python scripts/fault_probe.py [--rounds 5] [TEST_FILE_OR_NODE ...]

Each round runs the tests once (their own real servers, processes and kill -9s), reading the
outcome of every test from pytest's JUnit XML. A test is clean in a round when it passed: each one
asserts the whole state afterwards (one approval, an unforked audit chain, every alert exactly once,
no signed file the store does not know). Prints, per test, clean rounds over rounds, and a total.
Not part of `make test` (the tests themselves are): this is the probe behind the figures in the
closing note of an issue about races and crashes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree  # parsing pytest's own report, not input from outside
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TESTS = (
    "tests/cpl/test_races.py",
    "tests/smi/test_races.py",
    "tests/smi/test_crash_recovery.py",
    "tests/smi/test_busy.py",
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="how many times to run the tests (default 5)")
    parser.add_argument("tests", nargs="*", default=list(DEFAULT_TESTS), help="test files or node ids")
    args = parser.parse_args(argv)
    clean: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for round_number in range(1, args.rounds + 1):
            report = Path(tmp) / f"round-{round_number}.xml"
            subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *args.tests],
                cwd=ROOT,
                capture_output=True,
            )
            for case in ElementTree.parse(report).getroot().iter("testcase"):
                name = f"{case.get('classname', '')}::{case.get('name', '')}"
                if case.find("skipped") is not None:
                    continue
                seen[name] += 1
                if case.find("failure") is None and case.find("error") is None:
                    clean[name] += 1
            print(f"round {round_number}: {sum(clean.values())}/{sum(seen.values())} clean so far", flush=True)
    for name in sorted(seen):
        print(f"{clean[name]}/{seen[name]}  {name}")
    print(f"total: {sum(clean.values())}/{sum(seen.values())} clean")
    return 0 if clean == seen else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
