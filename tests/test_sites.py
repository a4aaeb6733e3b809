"""Sites read once (zoning.sites) and the helpers that share them: the same answers as
reading each geometry again."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from zoning.cellindex import _window_pairs
from zoning.overlay import assign_points
from zoning.rules import _leaves
from zoning.rules._base import _Context, row_groups
from zoning.sites import Sites


def _geoms():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shapely on the NaN vertex
        nan_polygon = Polygon([(0, 0), (1, np.nan), (1, 1), (0, 0)])
    return np.array(
        [
            Point(1, 2),
            None,
            Point(),
            box(0, 0, 2, 2),
            LineString([(0, 0), (4, 0)]),
            nan_polygon,
            Point(np.nan, 3),
        ],
        dtype=object,
    )


def test_sites_of_an_array():
    g = _geoms()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "invalid value" warning for the NaN polygon
        s = Sites.of(g)
    assert s.types.tolist() == [0, -1, 0, 3, 1, 3, 0]
    assert s.present.tolist() == [True, False, False, True, True, True, True]
    assert (s.x[0], s.y[0]) == (1.0, 2.0)
    # a polygon's and a line's site is a point on them, as point_on_surface gives
    assert shapely.intersects_xy(box(0, 0, 2, 2), s.x[3], s.y[3])
    assert s.y[4] == 0.0 and 0 <= s.x[4] <= 4
    # no site for a polygon with a NaN vertex, nor for the empty and missing ones
    assert np.isnan([s.x[1], s.x[2], s.x[5]]).all()
    assert s.finite().tolist() == [True, False, False, True, True, False, False]
    pts = s.points()
    assert shapely.get_type_id(pts[[0, 3, 4]]).tolist() == [0, 0, 0]
    assert pts[1] is None


def test_sites_without_rows_and_belonging():
    g = _geoms()
    s = Sites.of(g)
    g2 = g.copy()
    drop = np.zeros(len(g), dtype=bool)
    drop[[0, 3]] = True
    g2[drop] = None
    s2 = s.without(drop, g2)
    assert s2.belongs_to(g2) and not s2.belongs_to(g) and s.belongs_to(g)
    assert s2.types.tolist()[:4] == [-1, -1, 0, -1] and not s2.present[[0, 3]].any()
    assert np.isnan(s2.x[[0, 3]]).all() and s2.x[4] == s.x[4]


def test_assign_points_with_given_sites_equals_reading_them():
    units = gpd.GeoDataFrame(
        {"code": ["A", "B"], "unit_class": [1, 3]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)],
        crs="EPSG:4549",
    )
    pts = gpd.GeoDataFrame(
        geometry=[Point(5, 5), Point(10, 5), None, box(12, 2, 14, 4), Point(30, 3)],
        crs="EPSG:4549",
    )
    want = assign_points(units, pts)
    assert want.tolist() == [0, 0, -1, 1, -1]  # the shared edge goes to class 1
    sites = Sites.of(pts.geometry.values)
    assert assign_points(units, pts, sites=sites).tolist() == want.tolist()
    # sites of another array are not used
    other = Sites.of(np.array([Point(15, 5)] * 5, dtype=object))
    assert assign_points(units, pts, sites=other).tolist() == want.tolist()


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("columns", [0, 3, 20, 70])
def test_row_groups_in_either_memory_order(order, columns):
    rng = np.random.default_rng(1)
    base = rng.random((8, columns)) < 0.5
    mask = np.asarray(base[rng.integers(0, 8, 500)], order=order)
    inverse, combos = row_groups(mask)
    assert (combos[inverse] == mask).all()
    assert len(combos) == len({row.tobytes() for row in mask}) or columns == 0
    if columns:  # numbered in order of first appearance
        firsts = [int(np.flatnonzero(inverse == g)[0]) for g in range(len(combos))]
        assert firsts == sorted(firsts)


def test_window_pairs_table_equals_search():
    rng = np.random.default_rng(2)
    width, height = 37, 23
    keys = np.sort(rng.integers(0, width * height, 400))
    r0 = rng.integers(0, height, 50)
    c0 = rng.integers(0, width, 50)
    r1 = np.minimum(r0 + rng.integers(0, 6, 50), height)
    c1 = np.minimum(c0 + rng.integers(0, 6, 50), width)
    a = _window_pairs(keys, width, r0, r1, c0, c1)
    b = _window_pairs(keys, width, r0, r1, c0, c1, cells=width * height)
    assert len(a[0]) > 50
    assert (a[0] == b[0]).all() and (a[1] == b[1]).all()


@pytest.mark.parametrize("within_m", [0.0, 100.0, 250.0])
def test_near_prefilter_keeps_every_site_inside_a_widened_box(within_m):
    """Sites on a lattice whose lines meet the boxes' edges and corners exactly: every
    site inside (or on the edge of) a box widened by ``within_m`` is kept."""
    step = 50.0
    xs, ys = np.meshgrid(np.arange(0, 10_000 + step, step), np.arange(0, 8_000 + step, step))
    fac = gpd.GeoDataFrame(geometry=shapely.points(xs.ravel(), ys.ravel()), crs="EPSG:4549")
    targets = np.array([box(1000, 1000, 1500, 1250), box(6000, 3000, 6050, 3000.5)])
    tree = shapely.STRtree(targets)
    ctx = _Context(fac, None, np.zeros(len(fac), int), np.ones(len(fac)), {}, {})
    rows = np.arange(len(fac))
    kept = set(_leaves._may_be_near(ctx, ("t", within_m), tree, within_m, rows).tolist())
    assert ctx.cache[("may_be_near", ("t", within_m))] is not None  # the raster was used
    b = shapely.bounds(targets)
    x, y = xs.ravel(), ys.ravel()
    inside = (
        (x[:, None] >= b[:, 0] - within_m)
        & (x[:, None] <= b[:, 2] + within_m)
        & (y[:, None] >= b[:, 1] - within_m)
        & (y[:, None] <= b[:, 3] + within_m)
    ).any(axis=1)
    assert inside.sum() > 20 and set(np.flatnonzero(inside).tolist()) <= kept
    assert len(kept) < len(fac) // 4  # and most sites are left out


def test_a_polygon_with_a_nan_vertex_is_invalid_in_conflicts():
    """GEOS bounds skip a NaN vertex, so the bounds alone would call it valid."""
    from zoning.conflicts import _invalid_mask

    fac = gpd.GeoDataFrame(geometry=_geoms(), crs="EPSG:4549")
    assert _invalid_mask(fac).tolist() == [False, True, True, False, False, True, True]


def _voronoi_units(n: int, seed: int = 5) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    seeds = shapely.multipoints(rng.random((n, 2)) * 10_000)
    frame = box(0, 0, 10_000, 10_000)
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)), frame
    )
    return gpd.GeoDataFrame(
        {"code": [f"ZH33990{i % 3 + 1}{i:05d}" for i in range(len(cells))]},
        geometry=cells,
        crs="EPSG:4549",
    ).assign(unit_class=2)


def test_grid_labels_through_the_locator_equal_the_box_tests():
    from affine import Affine

    from zoning.overlay import UnitLocator
    from zoning.sampling import cell_labels

    units = _voronoi_units(300)
    loc = UnitLocator(units, expected=200_000)
    # 250 m cells over units ~580 m across: most cells touch a boundary (the box tests'
    # case), with centres on the frame's edge and beyond it
    tr = Affine(250.0, 0, -500.0, 0, -250.0, 10_500.0)
    want = cell_labels(loc.polys, (46, 46), tr, loc.rank)
    exact = cell_labels(loc.polys, (46, 46), tr, loc.rank, locate=loc.locate)
    xy = np.random.default_rng(7).random((60_000, 2)) * 10_000
    loc.locate(xy[:, 0], xy[:, 1])  # many points: the cell index is built, and kept
    assert loc._index is not None
    indexed = cell_labels(loc.polys, (46, 46), tr, loc.rank, locate=loc.locate)
    assert (want == 0).any() and len(np.unique(want)) > 250
    assert (exact == want).all() and (indexed == want).all()


def test_conflict_chunks_share_one_cell_index(monkeypatch):
    import zoning.overlay as overlay
    from zoning.conflicts import conflicts, gen_conflicts
    from zoning.rules import parse_rules

    units = _voronoi_units(200)
    rng = np.random.default_rng(6)
    xy = rng.random((120_000, 2)) * 10_000
    fac = gpd.GeoDataFrame(geometry=shapely.points(xy), crs="EPSG:4549")
    fac = fac.assign(sector="2614", stage="existing")
    rules = parse_rules(
        "version: 1\nrules:\n  - id: R1\n    dimension: spatial\n"
        "    clause: {zh: 条款, en: clause}\n    message: {zh: 消息, en: message}\n"
        "    outcome: prohibited\n    when: {sector: ['26']}\n",
        source="r.yaml",
    )
    built = []
    real = overlay.PointIndex

    def counting(*a, **k):
        built.append(1)
        return real(*a, **k)

    monkeypatch.setattr(overlay, "PointIndex", counting)
    parts = list(gen_conflicts(units, fac, rules, chunk_size=60_000))
    assert len(parts) == 2 and len(built) == 1
    whole = conflicts(units, fac, rules)
    joined = np.concatenate([p["unit_code"].to_numpy(dtype=object) for p in parts])
    assert (joined == whole["unit_code"].to_numpy(dtype=object)).all()
    assert whole["status"].eq("conflict").all()
    # and each point's unit is the one that covers it (the units tile without overlap)
    tree = shapely.STRtree(np.asarray(units.geometry.values))
    p_i, u_i = tree.query(np.asarray(fac.geometry.values), predicate="intersects")
    codes = units["code"].to_numpy(dtype=object)
    single = np.bincount(p_i, minlength=len(fac))[p_i] == 1  # inside one unit only
    assert single.sum() > 100_000
    assert (joined[p_i[single]] == codes[u_i[single]]).all()


def test_a_collection_without_a_point_on_surface_has_no_site():
    """GEOS gives an empty point on the surface of a collection with an empty part: the
    row has no site (invalid in conflicts) instead of failing the whole run."""
    from zoning.conflicts import _invalid_mask

    gc = shapely.from_wkt("GEOMETRYCOLLECTION (POLYGON EMPTY, POINT (5 5))")
    fac = gpd.GeoDataFrame(geometry=[gc, Point(5, 5)], crs="EPSG:4549")
    s = Sites.of(fac.geometry.values)
    assert s.present.tolist() == [True, True] and s.x[1] == 5.0
    geos_point = shapely.point_on_surface(gc)  # empty with GEOS 3.14
    if shapely.is_empty(geos_point):
        assert np.isnan(s.x[0]) and _invalid_mask(fac, s).tolist() == [True, False]
    else:
        assert (s.x[0], s.y[0]) == (geos_point.x, geos_point.y)


def test_extent_share_of_units_inside_partly_outside_and_without_area():
    from affine import Affine

    from zoning.rules._base import _Context
    from zoning.rules.engine import _extent_share

    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])  # area 0
    units = gpd.GeoDataFrame(
        geometry=[box(1, 1, 3, 3), box(8, 1, 12, 3), bowtie, None], crs="EPSG:4549"
    )
    ctx = _Context(units.iloc[:0], units, np.zeros(0, int), np.zeros(0), {}, {})
    share = _extent_share(ctx, (10, 10), Affine(1.0, 0, 0, 0, -1.0, 10.0), "EPSG:4549")
    assert share.tolist() == [1.0, 0.5, 0.0, 0.0]


def test_a_locator_of_other_units_is_refused():
    from zoning.errors import InputError
    from zoning.overlay import UnitLocator
    from zoning.rules import evaluate, parse_rules

    units = _voronoi_units(20)
    other = units.copy()
    fac = gpd.GeoDataFrame(geometry=[Point(5_000, 5_000)], crs="EPSG:4549")
    rules = parse_rules(
        "version: 1\nrules:\n  - id: R1\n    dimension: spatial\n"
        "    clause: {zh: 条款, en: clause}\n    message: {zh: 消息, en: message}\n"
        "    outcome: prohibited\n    when: {inside_unit: true}\n",
        source="r.yaml",
    )
    with pytest.raises(InputError, match="locator"):
        assign_points(units, fac, locator=UnitLocator(other))
    with pytest.raises(InputError, match="locator"):
        evaluate(fac, rules, units=units, unit_index=np.zeros(1, int), locator=UnitLocator(other))
    assert (
        assign_points(units, fac, locator=UnitLocator(units)).tolist()
        == assign_points(units, fac).tolist()
    )


@pytest.mark.parametrize("ids", [["a1", "b2", None], [7, 8, None]])
def test_facility_ids_keep_their_kind(ids):
    from zoning.conflicts import conflicts
    from zoning.rules import parse_rules

    units = _voronoi_units(20)
    fac = gpd.GeoDataFrame(
        {"facility_id": ids, "sector": ["2614"] * 3, "stage": ["existing"] * 3},
        geometry=[Point(100, 100), Point(5_000, 5_000), Point(9_000, 200)],
        crs="EPSG:4549",
    )
    rules = parse_rules(
        "version: 1\nrules:\n  - id: R1\n    dimension: spatial\n"
        "    clause: {zh: 条款, en: clause}\n    message: {zh: 消息, en: message}\n"
        "    outcome: prohibited\n    when: {sector: ['26']}\n",
        source="r.yaml",
    )
    got = conflicts(units, fac, rules)["facility_id"].tolist()
    assert got[:2] == ids[:2] and got[2] == "F3"
