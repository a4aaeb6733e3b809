"""SHA-256 of the input files, computed once per file version.

A run records which inputs it used (``result.json``'s ``inputs``): every file with its
hash.  :func:`file_sha256` keeps each hash in a small cache keyed by the file's resolved
path, size and modification time (ns), so a file named by several steps (the unit layer of
every demo product, a layer file several rule layers share) is read for its hash once, and
a file that changed is hashed again.  A reader that reads the bytes anyway (a rule file, a
vertex list) uses :func:`read_bytes` and its hash costs no second read.
"""

from __future__ import annotations

import hashlib
import os
import threading
from os import PathLike
from pathlib import Path

from zoning.errors import DataSourceError

_BLOCK = 1 << 20
#: How many file versions the cache remembers (a run names a handful of files).
_MAX = 256
_cache: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def _key(path: Path) -> tuple[str, int, int]:
    st = os.stat(path)
    return str(path.resolve()), st.st_size, st.st_mtime_ns


def _remember(key: tuple[str, int, int], digest: str) -> None:
    with _lock:
        if len(_cache) >= _MAX:
            _cache.pop(next(iter(_cache)))
        _cache[key] = digest


def read_bytes(source: str | PathLike, /) -> bytes:
    """The bytes of a file, its SHA-256 remembered for :func:`file_sha256`.

    Raises the ``OSError`` of opening or reading it (the reader words it).
    """
    path = Path(source)
    before = _key(path)
    with open(path, "rb") as fh:
        data = fh.read()
    if _key(path) == before and before[1] == len(data):
        _remember(before, hashlib.sha256(data).hexdigest())
    return data


def file_sha256(source: str | PathLike, /) -> str:
    """SHA-256 of a file (hex), to record which inputs a run used; read once per version.

    Raises
    ------
    DataSourceError
        When the file cannot be read.
    """
    path = Path(source)
    try:
        key = _key(path)
        with _lock:
            known = _cache.get(key)
        if known is not None:
            return known
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(_BLOCK), b""):
                h.update(block)
        if _key(path) != key:  # changed while being read: hash it again next time
            return h.hexdigest()
    except OSError as exc:
        raise DataSourceError(f"cannot read the file ({exc})", source=source) from exc
    _remember(key, h.hexdigest())
    return h.hexdigest()


def file_input(source: str | PathLike, /, **extra) -> dict:
    """An entry of a run's ``inputs``: ``{"path": ..., "sha256": ..., **extra}``."""
    return {"path": str(source), "sha256": file_sha256(source), **extra}
