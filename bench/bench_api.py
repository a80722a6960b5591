"""The API under a bounded load: concurrency 4, 20 s per route (BENCH_API_SECONDS), against a minimal FastAPI app.

Both are real servers (`cpl serve` and a one-route FastAPI app under the same uvicorn), in their own
processes, measured the same way in the same run: requests per second and the 99th percentile
latency, each server warmed up first. The routes: the public page, the CPL JSON, a one-row check
(the workbook checked, nothing stored) and a one-row submission. The store holds 10,000 audit
events and a published list, so history is part of the load. The ratio is the minimal app's
requests/s over ours (how many times slower we are); the check and the submission aim at a p99 of
at most 100 ms.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench import ROOT, Measurement

CONCURRENCY = 4
SECONDS = float(os.environ.get("BENCH_API_SECONDS", "20"))
AUDIT_EVENTS = 10_000
#: The p99 the check and the submission aim at (issue 11).
P99_LIMIT_SECONDS = 0.100
#: Requests each server answers before it is measured (its first ones pay for lazy set-up).
WARM_UP = 20
CPL = Path(sys.executable).with_name("cpl")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("the server stopped before it listened") from None
            time.sleep(0.2)
    raise RuntimeError("the server did not listen within 60 s")


Request = Callable[[httpx.Client], httpx.Response]


def _load(url: str, request: Request, expect: int = 200) -> tuple[float, float]:
    """Requests per second and p99 latency (s) of ``CONCURRENCY`` clients for ``SECONDS``, after a
    warm-up; every answer must have the status ``expect``."""
    with httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(WARM_UP):
            response = request(http)
            assert response.status_code == expect, response.text
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + SECONDS

    def client() -> None:
        mine: list[float] = []
        with httpx.Client(base_url=url, timeout=30) as http:
            while time.monotonic() < stop:
                start = time.perf_counter()
                response = request(http)
                mine.append(time.perf_counter() - start)
                assert response.status_code == expect, response.text
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) >= 100 else max(latencies)
    return len(latencies) / elapsed, p99


def _store(directory: Path) -> tuple[dict[str, str], str]:
    """A CPL store with parties, a published extract and 10,000 audit events; the env and a token.

    ``one.xlsx`` is the one-row workbook of the published entry; ``new.xlsx`` a one-row New entry
    that is not on the list (clean: every rule runs and passes), which the check and the submission send.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPL_")}
    env.update(
        CPL_DATABASE_URL=f"sqlite:///{directory / 'cpl.db'}",
        CPL_EXTRACT_DIR=str(directory / "extracts"),
        CPL_OUTBOX_DIR=str(directory / "outbox"),
        CPL_PUBLIC_DIR=str(directory / "public"),
        CPL_SPECS_FILE=str(directory / "specifications.json"),
    )

    def cpl(*args: str) -> str:
        return subprocess.run([str(CPL), *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True).stdout

    cpl("parties", "add", "acme-meters", "--role", "manufacturer", "--email", "a@example.com")
    cpl("parties", "add", "secas", "--role", "secas")
    cpl("parties", "add-user", "alice", "--party", "secas")
    cpl("parties", "add-user", "bob", "--party", "secas")
    workbook = directory / "one.xlsx"
    subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            from cpl.demo.samples import sample_submission
            from cpl.workbook.template import write_submission
            s = sample_submission(1, start=900)
            write_submission({str(workbook)!r}, s.entries, s.certificates)
            s = sample_submission(1, start=901)
            write_submission({str(directory / "new.xlsx")!r}, s.entries, s.certificates)
        """),
        ],
        check=True,
        cwd=ROOT,
    )
    cpl("submit", str(workbook), "--party", "acme-meters")
    cpl("approve", "1", "--by", "alice")
    cpl("extract", "prepare", "--by", "alice")
    cpl("extract", "approve", "1", "--by", "bob")
    cpl("publish")
    token = cpl("parties", "add-token", "acme-meters", "--label", "bench").strip().split()[-1]
    connection = sqlite3.connect(directory / "cpl.db")
    (previous,) = connection.execute("SELECT event_hash FROM audithead WHERE id = 1").fetchone()
    rows = []
    for i in range(AUDIT_EVENTS):
        event_hash = hashlib.sha256(f"{previous}{i}".encode()).hexdigest()
        rows.append((dt.datetime.now(dt.UTC).isoformat(), "bench", "bench", f"n:{i}", "{}", previous, event_hash))
        previous = event_hash
    connection.executemany(
        "INSERT INTO auditevent (at, actor, action, subject, details_json, previous_hash, event_hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    connection.execute(
        "UPDATE audithead SET event_hash = ?, events = events + ? WHERE id = 1", (previous, AUDIT_EVENTS)
    )
    connection.commit()
    connection.close()
    return env, token


MINIMAL_APP = """
from fastapi import FastAPI
app = FastAPI()
@app.get("/")
def home() -> dict[str, str]:
    return {"hello": "world"}
"""


def run() -> list[Measurement]:
    results: list[Measurement] = []
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work)
        env, token = _store(directory)
        (directory / "minimal_app.py").write_text(MINIMAL_APP)
        workbook = (directory / "new.xlsx").read_bytes()
        ours_port, minimal_port = _free_port(), _free_port()
        ours = subprocess.Popen(
            [str(CPL), "serve", "--port", str(ours_port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        minimal = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "minimal_app:app", "--port", str(minimal_port), "--log-level", "warning"],
            cwd=directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(ours_port, ours)
            _wait_for(minimal_port, minimal)
            base_rps, base_p99 = _load(f"http://127.0.0.1:{minimal_port}", lambda http: http.get("/"))
            bearer = {"Authorization": f"Bearer {token}"}
            counter = iter(range(10**9))

            def upload(path: str) -> Request:
                return lambda http: http.post(
                    path, headers=bearer, files={"workbook": (f"w{next(counter)}.xlsx", workbook)}
                )

            # name, request, expected status, and whether the p99 aim applies
            routes: list[tuple[str, Request, int, bool]] = [
                ("GET / (the public page)", lambda http: http.get("/"), 200, False),
                ("GET /api/v1/cpl.json", lambda http: http.get("/api/v1/cpl.json"), 200, False),
                ("POST /api/v1/checks (one row)", upload("/api/v1/checks"), 200, True),
                ("POST /api/v1/submissions (one row)", upload("/api/v1/submissions"), 201, True),
            ]
            for name, request, expect, aimed in routes:
                rps, p99 = _load(f"http://127.0.0.1:{ours_port}", request, expect)
                results.append(
                    Measurement(
                        f"{name}: {rps:,.0f} req/s, p99 {p99 * 1000:.0f} ms",
                        1 / rps,
                        f"minimal app: {base_rps:,.0f} req/s, p99 {base_p99 * 1000:.0f} ms",
                        1 / base_rps,
                        p99_seconds=p99 if aimed else None,
                        limit_seconds=P99_LIMIT_SECONDS if aimed else None,
                    )
                )
        finally:
            for process in (ours, minimal):
                process.terminate()
                process.wait(timeout=30)
    return results
