"""A cell index of polygons: point-in-polygon without an exact test where none is needed.

A raster of cells is laid over the polygons.  A cell whose closed box no polygon boundary
touches lies wholly inside the same polygons at every point (wholly inside or wholly
outside each one), and so does every cell connected to it through such cells.  Those
*clean* cells are grouped into connected regions (``scipy.ndimage.label``); one exact
test of one point per region (GEOS ``intersects``: interior or boundary) gives the
polygons of the whole region.  Only points in cells a boundary touches get the exact
test one by one.  The answers are those of the exact test at every point.

The boundary cells are found conservatively: each boundary segment is cut along its
major axis at the cell lines and every cell its pieces reach, widened by a millionth of
a cell, is marked (a cell marked needlessly only costs an exact test).

Ties (a point covered by several polygons: on a shared edge, or where polygons overlap)
go to the polygon of lowest ``rank`` (by default the first).
"""

from __future__ import annotations

import numpy as np
import shapely
from affine import Affine

#: Widening of each boundary piece, in cells (coordinates carry ~1e-12 cells of error).
_EPS = 1e-6
#: Up to this many cells, candidates are looked up in a table of one offset per cell
#: (8 bytes a cell) instead of searched for.
TABLE_MAX_CELLS = 20_000_000


def assign_xy(polys: np.ndarray, rank: np.ndarray, x, y, points=None) -> np.ndarray:
    """Per point, the position of the covering polygon of lowest ``rank`` (-1: none).

    The exact path: an STR tree of the points (``points``: their geometries when at hand)
    gives candidates per polygon, each polygon is prepared once and tests its candidates
    by coordinates (boundary included).  Points must have finite coordinates.
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if len(x) == 0 or len(polys) == 0:
        return np.full(len(x), -1, dtype=np.int64)
    tree = shapely.STRtree(shapely.points(x, y) if points is None else points)
    u_idx, p_idx = tree.query(polys)
    return _covering(polys, rank, u_idx, p_idx, x, y)


def _covering(polys, rank, u_idx, p_idx, x, y) -> np.ndarray:
    """Per point, the lowest-ranked polygon among its candidates (polygon ``u_idx``, point
    ``p_idx`` pairs) that covers it (-1: none)."""
    out = np.full(len(x), -1, dtype=np.int64)
    if len(p_idx) == 0:
        return out
    fresh = ~shapely.is_prepared(polys)
    shapely.prepare(polys[fresh])
    try:
        hit = shapely.intersects_xy(polys[u_idx], x[p_idx], y[p_idx])
    finally:
        shapely.destroy_prepared(polys[fresh])  # leave the caller's geometries as they were
    u_idx, p_idx = u_idx[hit], p_idx[hit]
    if len(p_idx) == 0:
        return out
    # most points lie in exactly one polygon: only those covered by several need ranking
    hits = np.bincount(p_idx, minlength=len(x))
    single = hits[p_idx] == 1
    out[p_idx[single]] = u_idx[single]
    if not single.all():
        u_m, p_m = u_idx[~single], p_idx[~single]
        order = np.lexsort((rank[u_m], p_m))
        p_sorted = p_m[order]
        first = np.r_[True, p_sorted[1:] != p_sorted[:-1]]
        out[p_sorted[first]] = u_m[order][first]
    return out


def _ranges(start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, value) of every value in ``start[i] .. start[i] + count[i] - 1``."""
    owner = np.repeat(np.arange(len(count)), count)
    value = start[owner] + (np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count))
    return owner, value


def _window_pairs(keys, width, r0, r1, c0, c1, cells=None) -> tuple[np.ndarray, np.ndarray]:
    """(polygon, position in ``keys``) of every sorted cell key (row * width + column) in
    rows r0..r1-1 and columns c0..c1-1 of each polygon's window: candidates without a
    tree.  ``cells``, the number of cells of the grid, when the grid is small enough for
    a table of the first key position per cell (a look-up instead of a search)."""
    h = np.where(c1 > c0, np.maximum(r1 - r0, 0), 0)
    poly, row = _ranges(r0, h)
    if cells is not None:
        first = np.zeros(cells + 1, dtype=np.int64 if len(keys) >= 2**31 else np.int32)
        np.cumsum(np.bincount(keys, minlength=cells), out=first[1:])
        lo = first[row * width + c0[poly]]
        hi = first[row * width + c1[poly]]
    else:
        lo = np.searchsorted(keys, row * width + c0[poly])
        hi = np.searchsorted(keys, row * width + c1[poly])
    which, pos = _ranges(lo, hi - lo)
    return poly[which], pos


def _cell_windows(polys, inv, shape, centres: bool):
    """Per polygon, the rows r0..r1-1 and columns c0..c1-1 of the cells whose centre lies in
    its box (``centres``) or that its box reaches (widened by eps); empty when missing."""
    b = shapely.bounds(polys)
    ok = np.isfinite(b).all(axis=1)
    ca, ra = _apply(inv, b[:, 0], b[:, 1])
    cb, rb = _apply(inv, b[:, 2], b[:, 3])
    shift, pad = (0.5, 0.0) if centres else (0.0, _EPS)
    with np.errstate(invalid="ignore"):
        if centres:  # cells whose centre (index + 0.5) lies inside the box, edges included
            c0 = np.ceil(np.minimum(ca, cb) - shift)
            r0 = np.ceil(np.minimum(ra, rb) - shift)
        else:
            c0 = np.floor(np.minimum(ca, cb) - pad)
            r0 = np.floor(np.minimum(ra, rb) - pad)
        c1 = np.floor(np.maximum(ca, cb) - shift + pad) + 1
        r1 = np.floor(np.maximum(ra, rb) - shift + pad) + 1
    out = []
    for v, n in ((r0, shape[0]), (r1, shape[0]), (c0, shape[1]), (c1, shape[1])):
        out.append(np.where(ok, np.clip(v, 0, n), 0).astype(np.int64))
    return out


def _segments(polys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end points (n, 2) of every segment of every ring of ``polys``.

    The coordinates of each geometry are read in one run, so a run also joins the end
    of one ring to the start of the next (a hole, another part): such a segment only
    marks more cells to test, never fewer.
    """
    coords, which = shapely.get_coordinates(polys, return_index=True)
    same = which[1:] == which[:-1]
    return coords[:-1][same], coords[1:][same]


def _mark_pieces(mask: np.ndarray, a0, a1, b0, b1, swap: bool) -> None:
    """Mark the cells reached by segments (a0, b0)-(a1, b1) in cell units, cut at the cell
    lines of their major axis ``a`` (columns, or rows when ``swap``)."""
    if len(a0) == 0:
        return
    n_a = mask.shape[0] if swap else mask.shape[1]
    n_b = mask.shape[1] if swap else mask.shape[0]
    lo, hi = np.minimum(a0, a1), np.maximum(a0, a1)
    k0 = np.floor(lo - _EPS).astype(np.int64)
    k1 = np.floor(hi + _EPS).astype(np.int64)
    k0c, k1c = np.maximum(k0, 0), np.minimum(k1, n_a - 1)
    count = np.maximum(k1c - k0c + 1, 0)
    seg = np.repeat(np.arange(len(a0)), count)
    if len(seg) == 0:
        return
    k = k0c[seg] + (np.arange(len(seg)) - np.repeat(np.cumsum(count) - count, count))
    s0, s1, t0, t1 = a0[seg], a1[seg], b0[seg], b1[seg]
    da = s1 - s0
    # the piece of the segment whose major coordinate lies in [k - eps, k + 1 + eps]
    p_lo = np.maximum(k - _EPS, lo[seg])
    p_hi = np.minimum(k + 1 + _EPS, hi[seg])
    with np.errstate(invalid="ignore", divide="ignore"):
        f_lo = np.where(da != 0, (p_lo - s0) / da, 0.0)
        f_hi = np.where(da != 0, (p_hi - s0) / da, 1.0)
    f_lo, f_hi = np.clip(f_lo, 0.0, 1.0), np.clip(f_hi, 0.0, 1.0)
    v_lo = t0 + f_lo * (t1 - t0)
    v_hi = t0 + f_hi * (t1 - t0)
    # |minor slope| <= 1 on the major axis: the interpolation errs by far less than eps
    m0 = np.floor(np.minimum(v_lo, v_hi) - _EPS).astype(np.int64)
    m1 = np.floor(np.maximum(v_lo, v_hi) + _EPS).astype(np.int64)
    m0, m1 = np.maximum(m0, 0), np.minimum(m1, n_b - 1)
    cnt = np.maximum(m1 - m0 + 1, 0)
    piece = np.repeat(np.arange(len(k)), cnt)
    m = m0[piece] + (np.arange(len(piece)) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    kk = k[piece]
    if swap:
        mask[kk, m] = True
    else:
        mask[m, kk] = True


def boundary_cells(polys: np.ndarray, shape: tuple[int, int], transform: Affine) -> np.ndarray:
    """Per cell of a north-up grid of ``shape`` (rows, columns), True where a boundary of
    ``polys`` may touch the closed cell (never False where one does)."""
    mask = np.zeros(shape, dtype=bool)
    start, end = _segments(np.asarray(polys))
    if len(start) == 0:
        return mask
    inv = ~Affine(*tuple(transform)[:6])
    c0, r0 = _apply(inv, start[:, 0], start[:, 1])
    c1, r1 = _apply(inv, end[:, 0], end[:, 1])
    ok = np.isfinite(c0) & np.isfinite(c1) & np.isfinite(r0) & np.isfinite(r1)
    wide = ok & (np.abs(c1 - c0) >= np.abs(r1 - r0))  # major axis: columns
    tall = ok & ~wide
    _mark_pieces(mask, c0[wide], c1[wide], r0[wide], r1[wide], swap=False)
    _mark_pieces(mask, r0[tall], r1[tall], c0[tall], c1[tall], swap=True)
    return mask


def polygonal(polys: np.ndarray) -> bool:
    """True when every geometry is a polygon, a multipolygon, missing or empty (the index
    holds areas only)."""
    areal = np.isin(shapely.get_type_id(polys), (-1, 3, 6))
    return bool(areal.all() or (areal | shapely.is_empty(polys)).all())


def clean_labels(
    polys: np.ndarray,
    rank: np.ndarray,
    shape: tuple[int, int],
    transform: Affine,
    boundary: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the position of the lowest-ranked polygon covering the whole closed cell
    (-1: none) where no boundary touches it; and the boundary mask (their value: -2)."""
    from scipy import ndimage

    tr = Affine(*tuple(transform)[:6])
    if boundary is None:
        boundary = boundary_cells(polys, shape, tr)
    region, n = ndimage.label(~boundary)
    flat = region.ravel()
    first = np.full(n + 1, -1, dtype=np.int64)
    big = flat.size >= 2**31
    cells = np.arange(flat.size - 1, -1, -1, dtype=np.int64 if big else np.int32)
    first[flat[::-1]] = cells  # the first cell of each region (region 0: boundary)
    rep = first[1:]
    col, row = rep % shape[1], rep // shape[1]
    x, y = _apply(tr, col + 0.5, row + 0.5)
    owner = np.concatenate([[-2], assign_xy(polys, rank, x, y)])
    return owner[region], boundary


def cell_labels(
    polys: np.ndarray,
    shape: tuple[int, int],
    transform: Affine,
    rank: np.ndarray,
    boundary: np.ndarray | None = None,
) -> np.ndarray:
    """Per cell, 1 + the position of the lowest-ranked polygon covering the cell centre
    (0: none); the exact test only for the centres of the cells a boundary touches
    (``boundary``: :func:`boundary_cells`, when already computed)."""
    tr = Affine(*tuple(transform)[:6])
    owner, boundary = clean_labels(polys, rank, shape, tr, boundary)
    keys = np.flatnonzero(boundary.ravel())
    cols, rows = keys % shape[1], keys // shape[1]
    x, y = _apply(tr, cols + 0.5, rows + 0.5)
    r0, r1, c0, c1 = _cell_windows(polys, ~tr, shape, centres=True)
    size = shape[0] * shape[1]
    table = size if size <= TABLE_MAX_CELLS else None
    u_idx, p_idx = _window_pairs(keys, shape[1], r0, r1, c0, c1, cells=table)
    owner.ravel()[keys] = _covering(polys, rank, u_idx, p_idx, x, y)
    owner += 1
    return owner


class PointIndex:
    """A cell index of ``polys`` for assigning many points (see the module docstring)."""

    def __init__(self, polys: np.ndarray, rank: np.ndarray, cells: int) -> None:
        self.polys = np.asarray(polys)
        self.rank = np.asarray(rank)
        b = shapely.bounds(self.polys)
        b = b[np.isfinite(b).all(axis=1)]
        self.owner = None
        if not len(b):
            return
        x0, y0 = b[:, 0].min(), b[:, 1].min()
        x1, y1 = b[:, 2].max(), b[:, 3].max()
        span = max(x1 - x0, y1 - y0, 1e-300)
        size = max(np.sqrt(max(x1 - x0, span * 1e-3) * max(y1 - y0, span * 1e-3) / cells), 1e-300)
        # one spare cell on each side: points on the outer edges fall in boundary cells
        w = int(np.ceil((x1 - x0) / size)) + 2
        h = int(np.ceil((y1 - y0) / size)) + 2
        self.transform = Affine(size, 0.0, x0 - size, 0.0, size, y0 - size)
        self.shape = (h, w)
        self.owner, _ = clean_labels(self.polys, self.rank, self.shape, self.transform)

    def assign(self, x, y) -> np.ndarray:
        """Per point (finite x, y), the position of the covering polygon of lowest rank."""
        x = np.asarray(x, dtype="float64")
        y = np.asarray(y, dtype="float64")
        if self.owner is None:
            return np.full(len(x), -1, dtype=np.int64)
        inv = ~self.transform
        col = np.floor(inv.a * x + inv.c)
        row = np.floor(inv.e * y + inv.f)
        inside = (col >= 0) & (row >= 0) & (col < self.shape[1]) & (row < self.shape[0])
        out = np.full(len(x), -1, dtype=np.int64)  # beyond the polygons' bounds: none
        ri = row[inside].astype(np.int64)
        ci = col[inside].astype(np.int64)
        out[inside] = self.owner[ri, ci]
        exact = np.flatnonzero(out == -2)
        if len(exact):
            key = row[exact].astype(np.int64) * self.shape[1] + col[exact].astype(np.int64)
            order = np.argsort(key, kind="stable")
            exact, key = exact[order], key[order]
            r0, r1, c0, c1 = _cell_windows(self.polys, inv, self.shape, centres=False)
            size = self.shape[0] * self.shape[1]
            table = size if size <= TABLE_MAX_CELLS else None
            u_idx, p_idx = _window_pairs(key, self.shape[1], r0, r1, c0, c1, cells=table)
            out[exact] = _covering(self.polys, self.rank, u_idx, p_idx, x[exact], y[exact])
        return out


def _apply(tr, x, y) -> tuple[np.ndarray, np.ndarray]:
    a, b, c, d, e, f = tuple(tr)[:6]
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    return a * x + b * y + c, d * x + e * y + f


__all__ = [
    "PointIndex",
    "assign_xy",
    "boundary_cells",
    "cell_labels",
    "clean_labels",
    "polygonal",
]
