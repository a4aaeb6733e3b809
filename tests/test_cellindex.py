"""The cell index gives the exact test's answer at every point: on edges, on vertices, in
holes, in the parts of multipolygons, where units overlap, beside empty units."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from shapely.geometry import MultiPolygon, Polygon, box

from zoning import overlay
from zoning.cellindex import PointIndex, assign_xy, boundary_cells, cell_labels
from zoning.overlay import assign_points, unit_rank
from zoning.sampling import _labels_in_boxes
from zoning.sampling import cell_labels as sampling_cell_labels

RING = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(3, 3), (7, 3), (7, 7), (3, 7)]])


def _polys() -> np.ndarray:
    """A ring with a hole, a unit filling the hole, a multipolygon, two units overlapping,
    a slanted triangle, an empty and a missing unit."""
    return np.array(
        [
            RING,  # 0: a hole at 3..7
            box(3, 3, 7, 7),  # 1: fills the hole exactly (shares its edges)
            MultiPolygon([box(10, 0, 13, 4), box(10, 6, 13, 10)]),  # 2: two parts
            box(13, 0, 20, 10),  # 3
            box(16, 2, 22, 8),  # 4: overlaps 3, reaches beyond it
            Polygon([(0, 10), (20, 10), (10, 17)]),  # 5: slanted edges
            Polygon(),  # 6: empty
            None,  # 7: missing
        ],
        dtype=object,
    )


def _probe_points(polys: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Every vertex, points on every edge (midpoints, thirds), a lattice and random points."""
    coords = shapely.get_coordinates(polys)
    rings = shapely.get_rings(shapely.get_parts(polys[~shapely.is_missing(polys)]))
    segs = []
    for ring in rings:
        c = shapely.get_coordinates(ring)
        for f in (0.5, 1 / 3, 0.25):
            segs.append(c[:-1] + f * (c[1:] - c[:-1]))
    lattice = np.stack(np.meshgrid(np.arange(-1, 23, 0.5), np.arange(-1, 18, 0.5)), -1)
    rand = np.column_stack([rng.uniform(-2, 24, 4000), rng.uniform(-2, 19, 4000)])
    pts = np.concatenate([coords, *segs, lattice.reshape(-1, 2), rand])
    return pts[:, 0], pts[:, 1]


@pytest.mark.parametrize("cells", [4, 50, 400, 5000, 60000])
@pytest.mark.parametrize("rank", [None, "reversed"])
def test_point_index_equals_the_exact_test_everywhere(cells, rank):
    polys = _polys()
    r = np.arange(len(polys)) if rank is None else np.arange(len(polys))[::-1].copy()
    x, y = _probe_points(polys, np.random.default_rng(cells))
    want = assign_xy(polys, r, x, y)
    got = PointIndex(polys, r, cells).assign(x, y)
    assert (got == want).all()
    # the probes do reach every case: holes, both parts, overlaps, nothing
    assert {-1, 0, 1, 2, 3, 4, 5} <= set(want.tolist())
    on_hole_edge = (x == 3) & (y == 5)
    assert set(want[on_hole_edge]) == {0 if rank is None else 1}  # shared edge: rank


def test_point_index_clean_cells_take_most_points():
    polys = np.array([box(0, 0, 100, 100), box(100, 0, 200, 100)], dtype=object)
    idx = PointIndex(polys, np.arange(2), 10_000)
    assert (idx.owner == -2).mean() < 0.1  # only the cells along the edges need a test
    x = np.array([50.0, 150.0, 100.0, 100.0, 200.0, 250.0, -1e-9])
    y = np.array([50.0, 50.0, 50.0, 100.0, 0.0, 50.0, 50.0])
    assert idx.assign(x, y).tolist() == [0, 1, 0, 0, 1, -1, -1]


def test_boundary_cells_mark_every_cell_an_edge_touches():
    tr = Affine(1.0, 0.0, 0.0, 0.0, -1.0, 10.0)  # 10 x 10 cells of 1, top-left (0, 10)
    cx, cy = np.meshgrid(np.arange(10), np.arange(10))
    cellbox = shapely.box(cx, 9 - cy, cx + 1, 10 - cy)  # (row, col) -> its closed box
    # edges along cell lines touch the cells on both sides; slanted edges every cell they
    # pass through (or graze at a corner)
    for poly, spare in ((box(2, 2, 5, 5), 0), (Polygon([(0.5, 0.5), (9.5, 3.7), (0.5, 9.2)]), 2)):
        mask = boundary_cells(np.array([poly]), (10, 10), tr)
        touched = shapely.intersects(cellbox, poly.boundary)
        assert (mask >= touched).all()  # never misses one
        assert (mask & ~touched).sum() <= spare  # and barely marks more
    mask = boundary_cells(np.array([box(2, 2, 5, 5)]), (10, 10), tr)
    assert mask[4:9, 1:6].sum() == 24 and not mask[6, 3]  # the one cell off the edges


@pytest.mark.parametrize("shape,size", [((40, 46), 0.5), ((19, 23), 1.0), ((9, 12), 2.0)])
def test_cell_labels_equal_testing_every_centre(shape, size):
    polys = _polys()
    tr = Affine(size, 0.0, -1.0, 0.0, -size, 18.0)
    for rank in (np.arange(len(polys)), np.arange(len(polys))[::-1].copy()):
        want = _labels_in_boxes(polys, shape, tr, rank)
        assert (cell_labels(polys, shape, tr, rank) == want).all()
        assert (sampling_cell_labels(polys, shape, tr, rank) == want).all()
        assert set(np.unique(want)) >= {0, 1, 2, 3}


def test_cell_labels_centres_on_edges_and_vertices():
    # cell centres fall exactly on the shared edge x = 5 and on the vertex (5, 5)
    tr = Affine(1.0, 0.0, -0.5, 0.0, -1.0, 10.5)
    polys = np.array([box(0, 0, 5, 10), box(5, 0, 10, 10), box(5, 5, 10, 10)], dtype=object)
    for rank in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        rank = np.array(rank)
        want = _labels_in_boxes(polys, (11, 11), tr, rank)
        assert (cell_labels(polys, (11, 11), tr, rank) == want).all()


def test_assign_points_with_the_index_equals_without(monkeypatch):
    rng = np.random.default_rng(7)
    seeds = shapely.multipoints(rng.uniform(0, 1000, (300, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box(0, 0, 1000, 1000)))
    cells = shapely.intersection(cells, box(0, 0, 1000, 1000))
    units = gpd.GeoDataFrame(
        {
            "code": [f"ZH{i:04d}" for i in range(len(cells))],
            "unit_class": rng.integers(1, 4, len(cells)),
        },
        geometry=cells,
        crs="EPSG:4549",
    )
    # vertices and edge points of the units, and random sites
    v = shapely.get_coordinates(cells)
    mid = (v[:-1] + v[1:]) / 2
    xy = np.concatenate([v, mid, rng.uniform(-10, 1010, (20_000, 2))])
    pts = gpd.GeoDataFrame(geometry=shapely.points(xy), crs="EPSG:4549")
    monkeypatch.setattr(overlay, "INDEX_MIN_POINTS", 10**9)
    want = assign_points(units, pts)
    monkeypatch.setattr(overlay, "INDEX_MIN_POINTS", 1)
    got = assign_points(units, pts)
    assert (got == want).all()
    assert (want == -1).any() and len(set(want.tolist())) > 250
    ranks = unit_rank(units)
    shared = np.flatnonzero(want >= 0)
    assert (ranks[got[shared]] == ranks[want[shared]]).all()
