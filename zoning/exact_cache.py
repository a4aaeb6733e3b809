"""Results of :mod:`zoning.exact` kept in memory for a later call on the same grid files
and units (see that module's docstring for the key)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

from zoning.grid import Grid

#: Bytes of results kept in memory (see the module's docstring).
CACHE_MAX_BYTES = 256 * 2**20

_cache: OrderedDict[tuple, np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()
_cache_bytes = 0


def clear_cache() -> None:
    """Forget every result kept in memory (see the module's docstring)."""
    global _cache_bytes
    with _cache_lock:
        _cache.clear()
        _cache_bytes = 0


def _grid_key(grid: Grid) -> tuple | None:
    """How a grid open on a file is read, or None (arrays, files not plain, or a file
    changed since it was opened)."""
    from zoning.io.raster import file_identity

    if grid._dataset is None or grid._open_args is None or grid._file_id is None:
        return None
    if file_identity(grid.source) != grid._file_id[:5]:
        return None
    return (
        grid._file_id,
        str(grid._open_args.get("source")),
        grid.band,
        None if grid.nodata is None else repr(float(grid.nodata)),
        grid.scale,
        grid.offset,
        grid.quantity,
        grid.units,
        grid._flip,
        grid._mask_band,
        tuple(grid.transform)[:6],
        grid.width,
        grid.height,
        grid.crs.to_wkt(),
    )


def _cache_keys(grids: dict, specs: dict, wkbs, crs, strategy, max_cells) -> dict:
    gkeys = {name: _grid_key(g) for name, g in grids.items()}
    if all(k is None for k in gkeys.values()):
        return dict.fromkeys(specs)
    h = hashlib.blake2b(digest_size=20)
    h.update(crs.to_wkt().encode())
    h.update(len(wkbs).to_bytes(8, "little"))
    h.update(b"".join(wkbs))
    geom = h.hexdigest()
    return {
        k: None
        if gkeys[name] is None
        else (gkeys[name], geom, strategy, int(max_cells), stat, weighted, args)
        for k, (stat, name, weighted, args) in specs.items()
    }


def _cache_get(key) -> np.ndarray | None:
    if key is None:
        return None
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
        return hit


def _cache_put(key, values: np.ndarray) -> None:
    global _cache_bytes
    if key is None or values.nbytes > CACHE_MAX_BYTES:
        return
    values = values.copy()
    values.flags.writeable = False
    with _cache_lock:
        if key in _cache:
            return
        _cache[key] = values
        _cache_bytes += values.nbytes
        while _cache_bytes > CACHE_MAX_BYTES:
            _, old = _cache.popitem(last=False)
            _cache_bytes -= old.nbytes
