"""`make bench`: run every benchmark module (or those named on the command line) and print ratios."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench
from bench import Measurement


def main(argv: list[str]) -> int:
    names = argv or sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_"))
    failed_aims = 0
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}: {(module.__doc__ or '').strip().splitlines()[0]}", flush=True)
        results: list[Measurement] = module.run()
        for m in results:
            aim = "" if m.aim is None else f"  aim <= {m.aim:.1f}x {'ok' if m.ratio <= m.aim else 'MISSED'}"
            if m.aim is not None and m.ratio > m.aim:
                failed_aims += 1
            limit = ""
            if m.within_limit is not None and m.p99_seconds is not None and m.limit_seconds is not None:
                limit = (
                    f"   p99 {m.p99_seconds * 1000:.0f} ms, aim <= {m.limit_seconds * 1000:.0f} ms "
                    f"{'ok' if m.within_limit else 'MISSED'}"
                )
                failed_aims += not m.within_limit
            if m.within_seconds_limit is not None and m.seconds_limit is not None:
                limit += f"   aim <= {m.seconds_limit:.2f} s {'ok' if m.within_seconds_limit else 'MISSED'}"
                failed_aims += not m.within_seconds_limit
            print(
                f"   {m.name:<48} {m.seconds:9.3f} s   {m.baseline_name:<40} {m.baseline_seconds:9.3f} s"
                f"   ratio {m.ratio:5.2f}x{aim}{limit}",
                flush=True,
            )
    print(f"{failed_aims} aim(s) missed" if failed_aims else "all aims met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
