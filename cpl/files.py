"""Files that leave the system (extracts, published lists, templates): written whole or not at all.

A reader (a web server, the DCC's collector, a person) sees the old file or the new one, never half
of one, and a file is only ever written for state that has committed: callers write after their
unit of work, from the stored bytes, so a crash leaves nothing the store does not know.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from cpl.checkpoints import checkpoint


def write_atomically(path: Path, data: bytes, *, mode: int = 0o666) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then rename it into place.

    ``mode`` is narrowed by the umask (temporary files are created 0600; published files are public).
    The directory is synced after the rename, so the new name survives a power cut too.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.name}.", delete=False) as partial:
        try:
            partial.write(data)
            partial.flush()
            os.fsync(partial.fileno())
        except BaseException:
            partial.close()
            os.unlink(partial.name)
            raise
    umask = os.umask(0)
    os.umask(umask)
    checkpoint("file:renaming")
    try:
        os.chmod(partial.name, mode & ~umask)
        os.replace(partial.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial.name)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # a platform without directory descriptors: the rename is still atomic
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def remove_partial_writes(directory: Path) -> list[Path]:
    """Temporary files a crash left mid-write (``.NAME.xxxx``): never complete, never published; removed."""
    if not directory.is_dir():
        return []
    left = [p for p in directory.iterdir() if p.name.startswith(".") and p.is_file()]
    for path in left:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return left
