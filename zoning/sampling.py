"""Point sampling and cell-centre labels: the one kernel the engine, screening and siting use.

The maths works on arrays and an Affine (testable without files):

- :func:`cell_of` — the (row, column) of the cell under each point and whether it lies in
  the grid;
- :func:`sample_points` — a grid's value under each point (NaN outside the grid or on no
  data: no value, never 0), reading only the cells under the points;
- :func:`cell_labels` — per cell, 1 + the position of the polygon covering the cell's
  centre (0: none), one polygon per cell (ties to the lowest ``rank``).

Grids are :class:`zoning.grid.Grid` objects; :func:`as_grid` also takes the older
``(array, Affine, crs)`` tuples (NaN and masked cells are no data).
"""

from __future__ import annotations

import numpy as np
import shapely
from affine import Affine

import zoning.cellindex as cellindex
from zoning.errors import InputError
from zoning.grid import Grid


def as_grid(value, name: str = "grid") -> Grid:
    """A :class:`Grid` from a Grid or an ``(array, Affine, crs)`` tuple (a 3-D array: its
    first band; NaN and masked cells are no data; the CRS may be None).  No copy is made."""
    if isinstance(value, Grid):
        return value
    if not (isinstance(value, tuple) and len(value) == 3):
        raise InputError(
            f"grid '{name}' is a {type(value).__name__}; expected a Grid or "
            "an (array, Affine, crs) tuple",
            param="grids",
        )
    arr, transform, crs = value
    arr = np.asanyarray(arr)
    if arr.ndim == 3:
        arr = arr[0]
    from pyproj import CRS

    floating = np.issubdtype(arr.dtype, np.floating)
    return Grid(
        name=name,
        transform=Affine(*tuple(transform)[:6]),
        crs=None if crs is None else CRS.from_user_input(crs),
        width=arr.shape[1],
        height=arr.shape[0],
        quantity="unknown",
        units=None,
        nodata=float("nan") if floating else None,
        _array=arr,
    )


def cell_of(
    transform: Affine, shape: tuple[int, int], x, y
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row, column (int64) of the cell under each point (x, y) and whether it is inside a
    grid of ``shape`` (rows, columns); a point on a cell's left/top edge is in that cell."""
    ia, ib, ic, id_, ie, if_ = tuple(~Affine(*tuple(transform)[:6]))[:6]
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    with np.errstate(invalid="ignore"):
        col = np.floor(ia * x + ib * y + ic)
        row = np.floor(id_ * x + ie * y + if_)
        inside = (col >= 0) & (row >= 0) & (col < shape[1]) & (row < shape[0])
    row = np.where(inside, row, 0).astype(np.int64)
    col = np.where(inside, col, 0).astype(np.int64)
    return row, col, inside


def sample_points(grid: Grid | tuple, x, y, /) -> np.ndarray:
    """The grid's value (float64, output units) under each point (x, y in the grid's CRS);
    NaN outside the grid or on no data.  Only the cells under the points are read."""
    grid = as_grid(grid)
    row, col, inside = cell_of(grid.transform, (grid.height, grid.width), x, y)
    out = np.full(row.shape, np.nan)
    if inside.any():
        out[inside] = grid.read_cells(row[inside], col[inside])
    return out


def cell_labels(
    polys: np.ndarray,
    shape: tuple[int, int],
    transform: Affine,
    rank: np.ndarray | None = None,
    locate=None,
) -> np.ndarray:
    """Per cell of a grid of ``shape``, 1 + the position of the polygon covering the cell
    centre (0: none).

    ``locate``, when given, is a function of cell centres (x, y) giving the position of the
    covering polygon of lowest rank (-1: none), e.g. a :class:`zoning.overlay.UnitLocator`'s
    ``locate`` whose cell index is built already; a grid coarser than the polygons (most
    cells touch a boundary) asks it about every centre.

    Candidates come from each polygon's bounding box; a centre on a shared boundary (or
    under overlapping polygons) goes to the polygon of lowest ``rank`` (default: the first),
    so every cell counts for at most one polygon.  Missing geometries label nothing.

    Polygons on a grid finer than they are go through the cell index
    (:func:`zoning.cellindex.cell_labels`: the exact test only for the centres of the cells
    a boundary touches); the labels are the same.
    """
    polys = np.asarray(polys)
    labels = np.zeros(shape, dtype=np.int64)
    tr = Affine(*tuple(transform)[:6])
    if tr.b != 0 or tr.d != 0:
        raise InputError("rotated grids are not supported", fix="warp the grid to north-up")
    if not len(polys):
        return labels
    rank = np.arange(len(polys)) if rank is None else np.asarray(rank)
    # with fewer than ~8 x 8 cells per polygon most cells touch a boundary: then testing
    # every centre in the boxes is cheaper
    if shape[0] * shape[1] >= 64 * len(polys) and cellindex.polygonal(polys):
        boundary = cellindex.boundary_cells(polys, shape, tr)
        if boundary.mean() < 0.5:
            return cellindex.cell_labels(polys, shape, tr, rank, boundary=boundary)
    if locate is not None and shape[0] * shape[1] <= LOCATE_MAX_CELLS:
        rows, cols = np.divmod(np.arange(shape[0] * shape[1], dtype=np.int64), shape[1])
        x, y = _apply(tr, cols + 0.5, rows + 0.5)
        return (np.asarray(locate(x, y), dtype=np.int64) + 1).reshape(shape)
    return _labels_in_boxes(polys, shape, tr, rank)


#: Grids of up to this many cells may be labelled by ``locate`` (a centre's coordinates
#: take 16 bytes).
LOCATE_MAX_CELLS = 16_000_000


def _labels_in_boxes(polys, shape, tr, rank) -> np.ndarray:
    """:func:`cell_labels` testing every cell centre inside each polygon's box."""
    labels = np.zeros(shape, dtype=np.int64)
    inv = ~tr
    b = shapely.bounds(polys)  # NaN for missing geometries
    ok = np.isfinite(b).all(axis=1)
    ca, ra = _apply(inv, b[:, 0], b[:, 1])
    cb, rb = _apply(inv, b[:, 2], b[:, 3])
    with np.errstate(invalid="ignore"):
        # cells whose centre (index + 0.5) lies inside the box, edges included
        c0 = np.clip(np.ceil(np.minimum(ca, cb) - 0.5), 0, shape[1])
        c1 = np.clip(np.floor(np.maximum(ca, cb) - 0.5) + 1, 0, shape[1])
        r0 = np.clip(np.ceil(np.minimum(ra, rb) - 0.5), 0, shape[0])
        r1 = np.clip(np.floor(np.maximum(ra, rb) - 0.5) + 1, 0, shape[0])
    c0, c1, r0, r1 = (np.where(ok, v, 0).astype(np.int64) for v in (c0, c1, r0, r1))
    w, h = np.maximum(c1 - c0, 0), np.maximum(r1 - r0, 0)
    counts = w * h
    if counts.sum() == 0:
        return labels
    unit = np.repeat(np.arange(len(polys)), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(counts.sum()) - start  # position inside the polygon's window
    col = c0[unit] + k % np.maximum(w[unit], 1)
    row = r0[unit] + k // np.maximum(w[unit], 1)
    x, y = _apply(tr, col + 0.5, row + 0.5)
    fresh = ~shapely.is_prepared(polys)
    shapely.prepare(polys[fresh])
    try:
        hit = shapely.intersects_xy(polys[unit], x, y)
    finally:
        shapely.destroy_prepared(polys[fresh])
    unit, cell = unit[hit], (row * shape[1] + col)[hit]
    order = np.lexsort((rank[unit], cell))
    cell, unit = cell[order], unit[order]
    first = np.r_[True, cell[1:] != cell[:-1]]
    labels.ravel()[cell[first]] = unit[first] + 1
    return labels


_apply = cellindex._apply  # apply an affine transform to coordinate arrays


__all__ = ["as_grid", "cell_labels", "cell_of", "sample_points"]
