"""Atomic outputs: write to a temporary sibling, rename into place when complete."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from zoning.errors import InputError


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path``.

    On an exception nothing is left behind: neither the temporary nor a partial file.
    A target that exists but is not a regular file (``/dev/null``, a named pipe) is
    written into once the output is complete, never replaced; a folder is refused.  A
    symbolic link is followed: its target is replaced, the link stays.
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    if path.is_dir():
        raise InputError("the output is a folder", source=path, param="out", fix="name a file")
    if path.exists() and not path.is_file():
        with tempfile.TemporaryDirectory() as scratch:
            tmp_path = Path(scratch) / path.name
            yield tmp_path
            with open(tmp_path, "rb") as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory; on success its files are moved into ``path``.

    Files already in ``path`` that the step does not write are left alone; on an
    exception nothing of the step is written.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(
            "the output must be a folder but is a file", source=path, param="out",
            fix="name a folder (it is created if missing)",
        )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
        path.mkdir(parents=True, exist_ok=True)
        for item in sorted(tmp.rglob("*")):
            if item.is_file():
                dest = path / item.relative_to(tmp)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
