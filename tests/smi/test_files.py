"""The files the simulator writes: a block of alert lines appended once, whole, whatever crashes left;
receipts replaced whole; everything created for its owner only."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from smi import files


def lines(block: str, count: int) -> list[str]:
    return [json.dumps({"block": block, "n": n}) for n in range(count)]


def of(block: str) -> Callable[[bytes], bool]:
    return lambda line: line.startswith(b'{"block": "%s"' % block.encode())


def read(path: Path) -> list[tuple[str, int]]:
    return [(line["block"], line["n"]) for line in map(json.loads, path.read_text().splitlines())]


@pytest.fixture(params=[7, 1 << 20], ids=["tiny-reads", "one-read"])
def alerts(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An alerts file, read back in chunks of 7 bytes (many reads per line) or 1 MiB."""
    monkeypatch.setattr(files, "_CHUNK", request.param)
    return tmp_path / "alerts.jsonl"


def test_blocks_are_appended_in_order_each_once(alerts: Path) -> None:
    assert files.append_block(alerts, files.encoded([lines("A", 3)]), belongs=of("A")) == 3
    assert files.append_block(alerts, files.encoded([lines("B", 2), [], lines("B", 4)[2:]]), belongs=of("B")) == 4
    assert read(alerts) == [("A", 0), ("A", 1), ("A", 2), ("B", 0), ("B", 1), ("B", 2), ("B", 3)]


def test_a_block_written_again_replaces_what_a_crashed_attempt_left(alerts: Path) -> None:
    files.append_block(alerts, files.encoded([lines("A", 2)]), belongs=of("A"))
    with alerts.open("a") as crashed:  # the first two of B's three lines, then the process died
        crashed.write("\n".join(lines("B", 2)) + "\n")
    files.append_block(alerts, files.encoded([lines("B", 3)]), belongs=of("B"))
    # and once more, after a crash before it was recorded
    files.append_block(alerts, files.encoded([lines("B", 3)]), belongs=of("B"))
    assert read(alerts) == [("A", 0), ("A", 1), ("B", 0), ("B", 1), ("B", 2)]


def test_a_half_line_left_at_the_end_is_cut_off_before_the_next_block(alerts: Path) -> None:
    files.append_block(alerts, files.encoded([lines("A", 2)]), belongs=of("A"))
    with alerts.open("ab") as torn:
        torn.write(b'{"block": "B", "n')
    files.append_block(alerts, files.encoded([lines("B", 1)]), belongs=of("B"))
    assert read(alerts) == [("A", 0), ("A", 1), ("B", 0)]


def test_a_file_that_is_only_a_half_line_becomes_the_block(alerts: Path) -> None:
    alerts.write_bytes(b'{"block": "A"')
    files.append_block(alerts, files.encoded([lines("A", 1)]), belongs=of("A"))
    assert read(alerts) == [("A", 0)]


def test_only_the_run_of_the_blocks_lines_at_the_very_end_is_replaced(alerts: Path) -> None:
    alerts.write_text("\n".join([*lines("A", 1), *lines("B", 1), *lines("A", 2)[1:]]) + "\n")
    files.append_block(alerts, files.encoded([lines("A", 2)]), belongs=of("A"))
    assert read(alerts) == [("A", 0), ("B", 0), ("A", 0), ("A", 1)]


def test_an_empty_block_changes_nothing_but_a_half_line(alerts: Path) -> None:
    files.append_block(alerts, files.encoded([lines("A", 1)]), belongs=of("A"))
    before = alerts.read_bytes()
    assert files.append_block(alerts, files.encoded([]), belongs=of("B")) == 0
    assert alerts.read_bytes() == before


def test_the_alerts_file_is_created_for_its_owner_only(alerts: Path) -> None:
    previous = os.umask(0)
    try:
        files.append_block(alerts, files.encoded([lines("A", 1)]), belongs=of("A"))
    finally:
        os.umask(previous)
    assert alerts.stat().st_mode & 0o777 == 0o600


def test_a_receipt_is_replaced_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "receipts" / "receipt-1.p7m"
    files.write_atomically(target, b"first")
    files.write_atomically(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["receipt-1.p7m"]
    assert target.stat().st_mode & 0o777 == 0o600


def test_owner_only_creates_0600_and_narrows_only_what_is_wider_than_0640(tmp_path: Path) -> None:
    created = tmp_path / "new.db"
    files.owner_only(created)
    assert created.stat().st_mode & 0o777 == 0o600
    for before, after in [(0o644, 0o600), (0o666, 0o600), (0o660, 0o600), (0o640, 0o640), (0o600, 0o600)]:
        existing = tmp_path / f"existing-{before:o}.db"
        existing.write_bytes(b"")
        existing.chmod(before)
        files.owner_only(existing)
        assert existing.stat().st_mode & 0o777 == after, oct(before)


def test_a_block_given_in_pieces_cut_anywhere_is_written_whole_and_counted_by_lines(alerts: Path) -> None:
    files.append_block(alerts, files.encoded([lines("A", 1)]), belongs=of("A"))
    data = ("\n".join(lines("B", 3)) + "\n").encode()
    assert files.append_block(alerts, [data[:5], data[5:40], b"", data[40:]], belongs=of("B")) == 3
    assert read(alerts) == [("A", 0), ("B", 0), ("B", 1), ("B", 2)]


def test_a_crash_between_pieces_leaves_a_half_line_that_the_next_attempt_replaces(alerts: Path) -> None:
    data = ("\n".join(lines("B", 3)) + "\n").encode()

    class Died(RuntimeError):
        pass

    def die() -> None:
        raise Died

    files.append_block(alerts, files.encoded([lines("A", 1)]), belongs=of("A"))
    with pytest.raises(Died):
        files.append_block(alerts, [data[:40], data[40:]], belongs=of("B"), after_batch=die)
    assert alerts.read_bytes().endswith(data[:40])  # a whole line of B and half of the next
    assert files.append_block(alerts, [data], belongs=of("B")) == 3
    assert read(alerts) == [("A", 0), ("B", 0), ("B", 1), ("B", 2)]


def test_sealed_lines_are_read_back_in_batches_only_when_the_digest_is_theirs(tmp_path: Path) -> None:
    path = tmp_path / ".alerts.jsonl.2.streamed"
    streamed = files.StreamedLines(path)
    data = ("\n".join(lines("A", 5)) + "\n").encode()
    streamed.write(data[:9])
    streamed.write(data[9:])
    digest = streamed.seal()
    assert digest is not None
    batches = files.sealed_lines(path, digest, batch=2)
    assert batches is not None
    assert [b.count(b"\n") for b in batches] == [2, 2, 1]
    assert b"".join(files.sealed_lines(path, digest, batch=2) or []) == data
    assert files.sealed_lines(path, "0" * 64) is None and files.sealed_lines(path, None) is None
    path.unlink()
    assert files.sealed_lines(path, digest) is None


def _streamed_block(tmp_path: Path, count: int) -> tuple[Path, bytes, Path, bytes, str | None]:
    """An alerts file holding two lines of block A (its bytes), and ``count`` lines of block B streamed
    and sealed beside it (their bytes and digest)."""
    alerts, path = tmp_path / "alerts.jsonl", tmp_path / ".alerts.jsonl.2.streamed"
    files.append_block(alerts, files.encoded([lines("A", 2)]), belongs=of("A"))
    streamed = files.StreamedLines(path)
    data = ("\n".join(lines("B", count)) + "\n").encode()
    streamed.write(data)
    return alerts, alerts.read_bytes(), path, data, streamed.seal()


@pytest.mark.parametrize("batch", [1, 2, 3, 7, 50_000])
def test_a_sealed_file_is_appended_whole_file_to_file_with_a_step_after_each_batch(tmp_path: Path, batch: int) -> None:
    alerts, before, path, data, digest = _streamed_block(tmp_path, 7)
    sealed = files.sealed_lines(path, digest, batch=batch)
    assert sealed is not None and sealed.lines == 7
    steps: list[int] = []

    assert files.append_block(alerts, sealed, belongs=of("B"), after_batch=lambda: steps.append(1)) == 7
    assert alerts.read_bytes() == before + data
    assert len(steps) == -(-7 // batch)  # a step after each batch of lines, the last one short


def test_a_sealed_file_cut_short_by_a_kill_is_copied_again_once(tmp_path: Path) -> None:
    alerts, before, path, data, digest = _streamed_block(tmp_path, 5)

    def die() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        files.append_block(alerts, files.sealed_lines(path, digest, batch=2) or [], belongs=of("B"), after_batch=die)
    assert alerts.read_bytes() == before + data[: data.index(b"\n", data.index(b"\n") + 1) + 1]
    assert files.append_block(alerts, files.sealed_lines(path, digest, batch=2) or [], belongs=of("B")) == 5
    assert alerts.read_bytes() == before + data


def test_a_copy_falls_back_to_a_buffer_where_the_kernel_cannot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> int:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    alerts, before, path, data, digest = _streamed_block(tmp_path, 4)
    sealed = files.sealed_lines(path, digest, batch=3)
    assert sealed is not None
    assert files.append_block(alerts, sealed, belongs=of("B")) == 4
    assert alerts.read_bytes() == before + data
