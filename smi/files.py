"""The files the simulator leaves outside its database: written whole, durably, and only for its owner.

Receipts are written whole or not at all (a temporary file beside the target, fsync, rename, fsync of
the directory). The alerts file is appended to by whole lines: a block of lines (one extract's alerts)
is written after the end of the last whole line, so a half line left by a crash is cut off first, and
any lines of the same block that a crashed earlier attempt left at the end are replaced, not repeated.
So writing a block again after a crash (the database says it is still owed) gives exactly one copy.
Callers hold the inventory's applier lock, so one writer appends at a time and the only block that can
be partly written is the last one.

Files are created 0600 (the umask can only narrow that); the database's own files are narrowed to
0640 at most (`owner_only`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Created files: read and written by their owner alone.
FILE_MODE = 0o600
#: The widest mode an existing database file is left with (group may read, nobody else anything).
WIDEST_MODE = 0o640

_CHUNK = 1 << 20


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` by a file holding ``data``: a reader sees the old file or the new, never half.

    Temporary files that an earlier attempt at the same file left (it died before its rename) go.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for left in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            left.unlink()
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as partial:
            partial.write(data)
            partial.flush()
            os.fsync(partial.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    sync_directory(path.parent)


def append_block(
    path: Path,
    batches: Iterable[bytes] | SealedLines,
    *,
    belongs: Callable[[bytes], bool],
    after_batch: Callable[[], None] = lambda: None,
) -> int:
    """Append a block of lines to ``path`` exactly once, however many earlier attempts a crash cut short.

    ``batches`` are the block's bytes in order (`encoded` makes them of lists of lines), or a sealed
    file of them (`sealed_lines`, copied file to file); together they are whole lines, each ending in
    a newline. ``belongs`` says whether a line already in the file is one of this block's (written by
    an attempt that crashed before it was recorded as written). Returns how many lines the block has.
    The file is flushed to disk before this returns; ``after_batch`` is called after each batch is written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        size = os.fstat(descriptor).st_size
        start = _start_of_trailing_lines(descriptor, _end_of_whole_lines(descriptor, size), belongs)
        if start != size:
            os.ftruncate(descriptor, start)
        write = batches.copy_into if isinstance(batches, SealedLines) else _writer_of(batches)
        count = write(descriptor, start, after_batch)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if created:
        sync_directory(path.parent)
    return count


def _writer_of(batches: Iterable[bytes]) -> Callable[[int, int, Callable[[], None]], int]:
    """How `append_block` writes ``batches`` into a file from an offset on: a batch at a time, each
    followed by ``after_batch``; it returns how many lines it wrote."""

    def write(descriptor: int, offset: int, after_batch: Callable[[], None]) -> int:
        count = 0
        for data in batches:
            if data:
                _write_all(descriptor, data, offset)
                offset += len(data)
                count += data.count(b"\n")
                after_batch()
        return count

    return write


def encoded(batches: Iterable[list[str]]) -> Iterator[bytes]:
    """Batches of lines as the bytes `append_block` and `StreamedLines` take: each line ends in a newline."""
    for lines in batches:
        if lines:
            yield ("\n".join(lines) + "\n").encode("utf-8")


def owner_only(path: Path) -> None:
    """Create ``path`` empty, 0600, if it is not there; narrow it to 0640 at most if it is wider."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        return
    except FileExistsError:
        pass
    narrow(path)


def narrow(path: Path) -> None:
    """An existing file wider than 0640 (world-readable, say) becomes 0600; 0640 or narrower stays as set."""
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return
    if mode & ~WIDEST_MODE:
        os.chmod(path, FILE_MODE)


def sync_directory(directory: Path) -> None:
    """Flush a directory's entries (a new or renamed file's name) to disk, where the platform allows."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _write_all(descriptor: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(descriptor, view, offset)
        view = view[written:]
        offset += written


def _copy_range(source: int, start: int, end: int, descriptor: int, offset: int) -> None:
    """The bytes of ``source`` from ``start`` to ``end``, written into ``descriptor`` at ``offset``: by
    the kernel (`os.copy_file_range`) where it can, the rest through a buffer."""
    kernel_copy = getattr(os, "copy_file_range", None)
    if kernel_copy is not None:
        with contextlib.suppress(OSError):  # not between these files (another file system, an old kernel)
            while start < end and (copied := kernel_copy(source, descriptor, end - start, start, offset)) > 0:
                start, offset = start + copied, offset + copied
    while start < end:
        data = os.pread(source, min(end - start, _CHUNK), start)
        if not data:
            raise OSError(f"{end - start} bytes of a sealed alerts file were missing when it was copied")
        _write_all(descriptor, data, offset)
        start, offset = start + len(data), offset + len(data)


def _read(descriptor: int, start: int, end: int) -> bytes:
    return os.pread(descriptor, end - start, start)


def _end_of_whole_lines(descriptor: int, size: int) -> int:
    """Where the last whole line ends: ``size``, or before a half line a crash left at the end."""
    position = size
    while position > 0:
        start = max(0, position - _CHUNK)
        chunk = _read(descriptor, start, position)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        position = start
    return 0


def _start_of_trailing_lines(descriptor: int, end: int, belongs: Callable[[bytes], bool]) -> int:
    """Where the run of lines just before ``end`` (a line end) for which ``belongs`` holds begins."""
    start = end  # the run found so far is [start, end)
    buffered_from, buffer = start, b""  # the bytes [buffered_from, start), ending in a newline
    while start > 0:
        newline = buffer.rfind(b"\n", 0, len(buffer) - 1)
        while newline < 0 and buffered_from > 0:
            read_from = max(0, buffered_from - _CHUNK)
            buffer = _read(descriptor, read_from, buffered_from) + buffer
            buffered_from = read_from
            newline = buffer.rfind(b"\n", 0, len(buffer) - 1)
        line_start = buffered_from + newline + 1
        if not belongs(buffer[newline + 1 : -1]):
            return start
        start = line_start
        buffer = buffer[: newline + 1]
    return start


class StreamedLines:
    """Lines streamed to a file of their own while a transaction produces them, sealed (closed, their
    SHA-256 known) before it commits, so that what the commit owes can be written from the file.

    The digest, recorded in the same transaction, is what makes the file trustworthy later: a file left
    by an attempt that rolled back (or that another run replaced) has another digest and is not used.
    So the file is not fsynced: a process killed after the commit leaves it whole in the page cache, and
    one that a power cut left short or missing fails the digest (the lines are then read back instead).
    The file is only a shortcut: one that cannot be written (no room, a directory in the way) leaves the
    stream broken, `seal` returns None, and the lines are read back from their source instead.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._digest = hashlib.sha256()
        self._file: Any = None
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "wb", opener=lambda name, flags: os.open(name, flags, FILE_MODE))  # noqa: SIM115

    def write(self, data: bytes) -> None:
        """Append whole lines (``data`` ends in a newline), as they come: from a COPY, a few rows at a time."""
        if self._file is None:
            return
        try:
            self._file.write(data)
        except OSError:
            self.discard()
            return
        self._digest.update(data)

    def seal(self) -> str | None:
        """Close the file; the lines' SHA-256 (None if the stream broke: nothing to rely on)."""
        if self._file is None:
            return None
        try:
            self._file.close()
        except OSError:
            self.discard()
            return None
        self._file = None
        return self._digest.hexdigest()

    def discard(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        with contextlib.suppress(OSError):
            self.path.unlink()


def sealed_lines(path: Path, digest: str | None, *, batch: int = 50_000) -> SealedLines | None:
    """The lines of a `StreamedLines` file, in batches of ``batch`` lines, if it is there and its SHA-256
    is ``digest`` (checked first, in one pass that also finds where each batch ends; never read whole)."""
    if digest is None:
        return None
    found = hashlib.sha256()
    ends: list[int] = []
    lines = 0
    try:
        with path.open("rb") as file:
            offset = 0
            while chunk := file.read(_CHUNK):
                found.update(chunk)
                lines = _mark_batch_ends(chunk, offset, lines, batch, ends)
                offset += len(chunk)
    except FileNotFoundError:
        return None
    if found.hexdigest() != digest:
        return None
    if offset and (not ends or ends[-1] != offset):
        ends.append(offset)  # a sealed file ends in a newline: its last batch ends with the file
    return SealedLines(path, ends, lines)


def _mark_batch_ends(chunk: bytes, offset: int, lines: int, batch: int, ends: list[int]) -> int:
    """Add to ``ends`` where each batch of ``batch`` lines that ends in ``chunk`` (at ``offset`` in the
    file, after ``lines`` lines) ends; the count of lines after it."""
    in_chunk = chunk.count(b"\n")
    position = 0
    while (wanted := batch - lines % batch) <= in_chunk:  # the lines this batch still needs are here
        for _ in range(wanted):
            position = chunk.index(b"\n", position) + 1
        lines, in_chunk = lines + wanted, in_chunk - wanted
        ends.append(offset + position)
    return lines + in_chunk


@dataclass(frozen=True)
class SealedLines:
    """A sealed `StreamedLines` file whose digest checked: its lines, a batch at a time (``ends``: the
    offset after each batch's last line; ``lines``: how many). `append_block` has the kernel copy them."""

    path: Path
    ends: list[int]
    lines: int

    def __iter__(self) -> Iterator[bytes]:
        with self.path.open("rb") as file:
            start = 0
            for end in self.ends:
                yield file.read(end - start)
                start = end

    def copy_into(self, descriptor: int, offset: int, after_batch: Callable[[], None]) -> int:
        """Write the lines into ``descriptor`` from ``offset`` on, a batch at a time, ``after_batch`` after
        each; how many lines it wrote."""
        with self.path.open("rb") as file:
            start = 0
            for end in self.ends:
                _copy_range(file.fileno(), start, end, descriptor, offset + start)
                start = end
                after_batch()
        return self.lines
