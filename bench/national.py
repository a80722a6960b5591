"""`make bench-national`: the DCC's inventory at national scale, once, for real (not part of CI).

Starts a PostgreSQL server the way the tests do (durability on), takes the SEC's real CPL (the
2.051 workbook under ../shared/reference: its 729 entries, 716 distinct Device Models) as the CPL in
force, and grows one inventory through BENCH_NATIONAL_SIZES Devices (default 1,000,000, 10,000,000
and 100,000,000), seeded with a realistic skew: within each Device type a model's share falls as
1/rank, so a few models carry most Devices, as in the field. At each size, end to end through
`smi ingest` (a new process: start-up, signature check, apply, alerts, signed receipt):

* a withdrawal covering about 5% of the Devices (models picked until their suspendable Devices
  reach 5%), and the re-listing that restores them, each set against one raw UPDATE of the same rows
  timed just before it; BENCH_NATIONAL_ROUNDS times each (default 3), alternated, the medians reported;
* `smi preview` of the withdrawal (read-only): first as the first read since the seed, then once
  more after the withdrawal and the re-listing (the same state, as a reader finds it later);
* WAL written by each step, dead tuples left, the time VACUUM takes, and the withdrawal and
  re-listing once more after it;
* the devices table's size, its indexes', the history's, and each time as a share of the 24 hours
  the DCC has to apply an extract.

Everything is printed as it happens (stderr) and as a Markdown table at the end (stdout), for the
README. BENCH_NATIONAL_DIR sets where the work files (signed extracts, alerts) go (default /tmp).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from bench import ROOT
from bench.bench_smi import PG_SETTINGS, _signed, _smi_environment, postgres, raw_updates
from formats.extract import Extract, ExtractEntry
from formats.vocabulary import CPL_CONTROLLED_TYPES, PhysicalDeviceType
from smi.rules import SUSPENDABLE_STATUSES, ModelKey
from smi.seeding import SeedPlan, device_rows, oui_prefix, uncontrolled_models
from smi.service import Inventory
from smi.store import Store, devices

REFERENCE = ROOT.parent / "shared" / "reference" / "central_products_list_v2.051.xlsm"
SHARE = 0.05
SEED = 20261201
T0 = dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)
DAY = 86_400.0
#: The largest multiplicity a model gets from the skew (the top model of its type, against 1 for the tail).
SKEW_TOP = 60


def _say(message: str) -> None:
    print(f"   .. {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


# --- the real CPL as the one in force --------------------------------------------------------


def real_cpl(sequence: int) -> Extract:
    """The 2.051 list as an extract: Current entries Active, Removed ones Withdrawn (SMETS1 included)."""
    from cpl.core.sec_list import SecList
    from cpl.services.imports import read_sec_list
    from cpl.specs_file import default_registry

    listed = read_sec_list(REFERENCE.read_bytes(), default_registry())
    assert isinstance(listed, SecList), listed
    entries = []
    for e in listed.entries:
        entries.append(
            ExtractEntry(
                entry_id=f"SEC-{e.number:05d}",
                physical_device_type=e.physical_device_type.value,
                manufacturer=f"Manufacturer {e.manufacturer_id}",
                manufacturer_id=e.manufacturer_id,
                model=f"Model {e.model_id}",
                model_id=e.model_id,
                hardware_version=e.hardware_version,
                firmware_version=e.firmware_version,
                technical_specification=e.technical_specification,
                gbcs_version=e.gbcs_version,
                certificates={"zigbee": e.zse_certificate, "dlms": e.dlms_certificate, "cpa": e.cpa_certificate},
                cpa_expiry=None,
                manufacturer_image_hash=e.manufacturer_image_hash,
                status="Active" if e.current else "Withdrawn",
                status_since="2026-11-01",
                panel_reference=None if e.current else "SECP_99_0101",
            )
        )
    return Extract(sequence=sequence, issued_at=_at(sequence), previous_sha256=None, entries=tuple(entries))


def _at(sequence: int) -> dt.datetime:
    return T0 + dt.timedelta(hours=sequence)


def withdrawing(extract: Extract, sequence: int, models: frozenset[ModelKey]) -> Extract:
    entries = tuple(
        replace(e, status="Withdrawn", panel_reference="SECP_99_1201") if e.model_key in models else e
        for e in extract.entries
    )
    return replace(extract, sequence=sequence, issued_at=_at(sequence), entries=entries)


def skewed_plan(refs: dict[ModelKey, int], rng: random.Random) -> SeedPlan:
    """The seed's plan with each model listed as often as its weight: 1/rank within its type, shuffled."""
    by_type: dict[str, list[tuple[int, str]]] = {}
    for key in sorted(refs):
        by_type.setdefault(key[0], []).append((refs[key], oui_prefix(key[1])))
    weighted: dict[PhysicalDeviceType, list[tuple[int, str]]] = {}
    for kind, models in by_type.items():
        rng.shuffle(models)
        copies = [max(1, SKEW_TOP // (rank + 1)) for rank in range(len(models))]
        weighted[PhysicalDeviceType(kind)] = [m for m, n in zip(models, copies, strict=True) for _ in range(n)]
    return SeedPlan(models_by_type=weighted)


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Step:
    size: int
    name: str
    seconds: float
    devices: int | None = None
    wal_bytes: int | None = None
    dead_tuples: int | None = None
    baseline: float | None = None


class National:
    def __init__(self, server: Any, workdir: Path) -> None:
        self.server = server
        self.workdir = workdir
        self.url = server.create_database("national")
        self.store = Store.open(self.url)
        self.inventory = Inventory(self.store, alerts_path=workdir / "alerts.jsonl")
        self.environment = _smi_environment(self.url, workdir)
        self.smi = str(Path(sys.executable).with_name("smi"))
        self.base = real_cpl(1)
        self.sequence = 1
        self.steps: list[Step] = []
        self.sizes: dict[int, dict[str, int]] = {}

    def sql(self, statement: str) -> Any:
        with self.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            result = conn.execute(text(statement))
            return result.all() if result.returns_rows else []

    def wal(self) -> int:
        return int(self.sql("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")[0][0])

    def dead_tuples(self) -> int:
        time.sleep(1.5)  # the statistics a backend reports land a moment after its commit
        return int(self.sql("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'devices'")[0][0])

    def _smi(self, verb: str, extract: Extract) -> tuple[float, subprocess.CompletedProcess[str]]:
        """``smi VERB`` of ``extract``, signed, received at its issue time, as a new process: how long it took."""
        path = _signed(extract, self.workdir / f"{verb}-{extract.sequence}.p7m")
        received = _at(extract.sequence).strftime("%Y-%m-%dT%H:%M:%SZ")
        command = [self.smi, verb, str(path), "--received-at", received, "--json"]
        begin = time.perf_counter()
        done = subprocess.run(command, env=self.environment, capture_output=True, text=True)
        return time.perf_counter() - begin, done

    def ingest(self, extract: Extract) -> tuple[float, dict[str, Any]]:
        seconds, done = self._smi("ingest", extract)
        assert done.returncode == 0, done.stderr
        return seconds, json.loads(done.stdout)["applied"][-1]

    def preview(self, size: int, label: str, withdrawn: frozenset[ModelKey]) -> None:
        """`smi preview` of the next withdrawal of ``withdrawn`` (read-only), as a step, if the simulator has it."""
        seconds, done = self._smi("preview", withdrawing(self.base, self.sequence + 1, withdrawn))
        if done.returncode != 0:
            _say(f"smi preview not measured: {done.stderr.strip()[:200]}")
            return
        self.steps.append(Step(size, label, seconds))
        _say(f"{size:,}: {label} {seconds:.1f} s")

    def start(self) -> None:
        seconds, _ = self.ingest(self.base)
        _say(f"the real CPL (2.051, {len(self.base.entries)} entries) in force in {seconds:.1f} s")

    def grow_to(self, size: int) -> None:
        with self.store.begin() as conn:
            existing = self.store.device_count(conn)
            controlled = sorted(k for k in self.base.active_model_keys() if k[0] in CPL_CONTROLLED_TYPES)
            refs = self.store.model_refs(conn, controlled + uncontrolled_models(self.base, seed=SEED))
            first = self.store.max_device_ref(conn) + 1
        adding = size - existing
        _say(f"seeding {adding:,} Devices (to {size:,}) over {len(refs):,} models, skewed 1/rank")
        rows = device_rows(skewed_plan(refs, random.Random(SEED)), adding, first_row_id=first, seed=SEED + size, at=T0)
        loaded = [0]
        last = [time.perf_counter()]

        def progress(n: int) -> None:
            loaded[0] += n
            if time.perf_counter() - last[0] > 30:
                last[0] = time.perf_counter()
                _say(f"  {loaded[0]:,} of {adding:,}")

        begin = time.perf_counter()
        self.store.bulk_load_devices(rows, rebuild_indexes=adding >= existing, progress=progress)
        seconds = time.perf_counter() - begin
        self.steps.append(Step(size, f"seed +{adding:,} ({adding / seconds:,.0f} Devices/s)", seconds, adding))
        _say(f"seeded in {seconds:.0f} s")

    def pick_withdrawal(self, size: int) -> tuple[frozenset[ModelKey], int]:
        with self.store.begin() as conn:
            per_ref: Counter[int] = Counter(
                dict(
                    conn.execute(
                        select(devices.c.model_ref, func.count())
                        .where(devices.c.status.in_(sorted(SUSPENDABLE_STATUSES)))
                        .group_by(devices.c.model_ref)
                    ).all()
                )
            )
            controlled = sorted(k for k in self.base.active_model_keys() if k[0] in CPL_CONTROLLED_TYPES)
            refs = self.store.model_refs(conn, controlled)
        candidates = [k for k in controlled if per_ref.get(refs[k], 0) < SHARE * size]
        random.Random(SEED).shuffle(candidates)
        chosen: list[ModelKey] = []
        covered = 0
        for key in candidates:
            if covered >= SHARE * size:
                break
            chosen.append(key)
            covered += per_ref.get(refs[key], 0)
        # models listed by another Active entry stay allowed: count what the withdrawal really removes
        return frozenset(chosen), covered

    def apply(self, size: int, label: str, extract: Extract, raw: tuple[str, str] | None, key: str) -> None:
        baseline = None if raw is None else self.raw_update(raw)  # first, on the state the apply starts from
        wal = self.wal()
        seconds, applied = self.ingest(extract)
        written = self.wal() - wal
        dead = self.dead_tuples()
        changed = int(applied[key])
        self.steps.append(Step(size, label, seconds, changed, written, dead, baseline))
        _say(
            f"{size:,}: {label}: {changed:,} Devices in {seconds:.1f} s, WAL {written / 2**20:,.0f} MB, "
            f"{dead:,} dead tuples" + ("" if baseline is None else f"; raw UPDATE {baseline:.1f} s")
        )

    def raw_update(self, statements: tuple[str, str]) -> float:
        """The same rows changed by one raw UPDATE, then changed back (untimed), so the state is kept."""
        forward, back = statements
        begin = time.perf_counter()
        with self.store.engine.begin() as conn:
            changed = conn.exec_driver_sql(forward).rowcount
        seconds = time.perf_counter() - begin
        with self.store.engine.begin() as conn:
            undone = conn.exec_driver_sql(back).rowcount
        assert changed == undone > 0, (changed, undone)
        return seconds

    def withdraw_and_relist(
        self,
        size: int,
        withdrawn: frozenset[ModelKey],
        labels: tuple[str, str],
        raws: tuple[tuple[str, str] | None, tuple[str, str] | None],
    ) -> None:
        """The withdrawal of ``withdrawn``, then the re-listing restoring them, each after its raw UPDATE if any."""
        self.sequence += 1
        self.apply(size, labels[0], withdrawing(self.base, self.sequence, withdrawn), raws[0], "devices_suspended")
        self.sequence += 1
        relisting = replace(self.base, sequence=self.sequence, issued_at=_at(self.sequence))
        self.apply(size, labels[1], relisting, raws[1], "devices_restored")

    def measure(self, size: int) -> None:
        withdrawn, covered = self.pick_withdrawal(size)
        _say(f"{size:,}: withdrawing {len(withdrawn)} models covering {covered:,} suspendable Devices")
        with self.store.begin() as conn:
            refs = sorted(self.store.model_refs(conn, withdrawn).values())
        raw = raw_updates(refs)
        # each raw UPDATE is undone by the other after it is timed, so the apply finds the state it expects
        suspend_raw, restore_raw = (raw["suspend"], raw["restore"]), (raw["restore"], raw["suspend"])
        # the first preview is the first read of these Devices since the seed (it sets their pages' hint
        # bits); the second, after the rounds, finds the state the withdrawal met as a reader does later
        self.preview(size, "preview of the withdrawal (read-only)", withdrawn)
        for _ in range(rounds()):  # ours and the raw UPDATE alternated, round after round
            self.withdraw_and_relist(size, withdrawn, ("withdrawal (5%)", "re-listing"), (suspend_raw, restore_raw))
        self.preview(size, "preview of the withdrawal, once more (read-only)", withdrawn)
        begin = time.perf_counter()
        self.sql("VACUUM (ANALYZE) devices")
        vacuum = time.perf_counter() - begin
        self.steps.append(Step(size, "VACUUM (ANALYZE) devices", vacuum))
        _say(f"{size:,}: VACUUM {vacuum:.1f} s")
        self.withdraw_and_relist(size, withdrawn, ("withdrawal after VACUUM", "re-listing after VACUUM"), (None, None))
        row = self.sql(
            "SELECT pg_relation_size('devices'), pg_indexes_size('devices'), pg_total_relation_size('status_history')"
        )[0]
        self.sizes[size] = {"devices": int(row[0]), "indexes": int(row[1]), "history": int(row[2])}

    def report(self) -> str:
        lines = [
            f"PostgreSQL 15 ({PG_SETTINGS}), the SEC's 2.051 list in force, `make bench-national`:",
            "",
            "| Devices | step | Devices changed | time | share of 24 h | raw UPDATE | ratio | WAL "
            "| dead tuples after |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for s in _medians(self.steps):
            ratio = "" if s.baseline is None else f"{s.seconds / s.baseline:.2f}×"
            lines.append(
                f"| {s.size:,} | {s.name} | {'' if s.devices is None else f'{s.devices:,}'} | {s.seconds:,.1f} s | "
                f"{s.seconds / DAY:.3%} | {'' if s.baseline is None else f'{s.baseline:,.1f} s'} | {ratio} | "
                f"{'' if s.wal_bytes is None else _bytes(s.wal_bytes)} | "
                f"{'' if s.dead_tuples is None else f'{s.dead_tuples:,}'} |"
            )
        lines += ["", "| Devices | devices table | its indexes | status history |", "|---:|---:|---:|---:|"]
        for size, sizes in self.sizes.items():
            lines.append(
                f"| {size:,} | {_bytes(sizes['devices'])} | {_bytes(sizes['indexes'])} | {_bytes(sizes['history'])} |"
            )
        return "\n".join(lines)


def _medians(steps: Sequence[Step]) -> list[Step]:
    """One row per step name and size: the median of its rounds (each time, and each baseline's, named)."""
    grouped: dict[tuple[int, str], list[Step]] = {}
    for step in steps:
        grouped.setdefault((step.size, step.name), []).append(step)
    rows = []
    for (size, name), runs in grouped.items():
        if len(runs) == 1:
            rows.append(runs[0])
            continue
        baselines = [r.baseline for r in runs if r.baseline is not None]
        times = ", ".join(f"{r.seconds:.1f}" for r in runs)
        raws = ", ".join(f"{b:.1f}" for b in baselines)
        label = f"{name}, median of {len(runs)} (ours {times} s" + (f"; raw {raws} s)" if raws else ")")
        wal = [r.wal_bytes for r in runs if r.wal_bytes is not None]
        rows.append(
            Step(
                size,
                label,
                statistics.median(r.seconds for r in runs),
                runs[-1].devices,
                int(statistics.median(wal)) if wal else None,
                runs[-1].dead_tuples,
                statistics.median(baselines) if baselines else None,
            )
        )
    return rows


def rounds() -> int:
    """How many times the withdrawal and the re-listing are each applied, alternated with the raw UPDATE."""
    return max(1, int(os.environ.get("BENCH_NATIONAL_ROUNDS", "3")))


def _bytes(count: int) -> str:
    return f"{count / 2**30:,.2f} GiB" if count >= 2**30 else f"{count / 2**20:,.1f} MB"


def sizes_wanted() -> Sequence[int]:
    text_ = os.environ.get("BENCH_NATIONAL_SIZES", "1000000,10000000,100000000")
    return sorted(int(part.replace("_", "")) for part in text_.split(",") if part.strip())


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="bench-national-", dir=os.environ.get("BENCH_NATIONAL_DIR")))
    with postgres() as server:
        if server is None:
            return 2
        national = National(server, workdir)
        national.start()
        for size in sizes_wanted():
            national.grow_to(size)
            national.measure(size)
        national.store.dispose()
        print(national.report(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
