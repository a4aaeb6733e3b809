"""Co-hot-spots: Gi* with FDR on planted hot spots, co-control classes, intensities."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import make_units
from rasterio.transform import from_origin

from zoning.errors import InputError
from zoning.hotspots import _bh_qvalues, co_hotspots

T = from_origin(500000.0, 3312000.0, 500.0, 500.0)  # 24 x 24 cells of 0.25 km2
Q = {"nox": "amount", "co2": "amount"}
U = {"nox": "t/cell/yr", "co2": "t/cell/yr"}


@pytest.fixture
def planted():
    """12 x 12 one-km units; NOx and CO2 hot in the north-west, NOx alone in the
    south-west, CO2 alone in the south-east (rows counted from the north)."""
    units = make_units(12, 12, size=1000.0)
    rng = np.random.default_rng(0)
    nox = rng.gamma(4, 0.25, (24, 24))
    co2 = rng.gamma(4, 0.25, (24, 24))
    nox[2:10, 2:10] += 3
    co2[2:10, 2:10] += 3
    nox[14:22, 2:10] += 3
    co2[14:22, 14:22] += 3
    return units, nox, co2


def _block(frame, col, rows, cols):
    """Values of units at (row from north, col) positions of the 12 x 12 layout."""
    grid = frame[col].to_numpy().reshape(12, 12)[::-1]  # make_units starts in the south
    return grid[np.ix_(rows, cols)]


def test_planted_hot_spots_get_their_classes(planted):
    units, nox, co2 = planted
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no esda warning about the self-weight either
        res = co_hotspots(units, {"nox": (nox, T, 4549)}, {"co2": (co2, T, 4549)}, quantities=Q)
    core = [2, 3]  # the centre 2 x 2 units of each planted 4 x 4 block
    assert (_block(res, "co_class", core, core) == "both").all()
    assert (_block(res, "co_class", [8, 9], core) == "pollution").all()
    assert (_block(res, "co_class", [8, 9], [8, 9]) == "carbon").all()
    # nothing is hot away from the planted blocks
    cls = res["co_class"].to_numpy().reshape(12, 12)[::-1]
    inside = np.zeros((12, 12), bool)
    inside[0:6, 0:6] = inside[6:12, 0:6] = inside[6:12, 6:12] = True
    assert (cls[~inside] == "neither").all()
    s = res.attrs["summary"]
    assert s["pollutant"] == "nox" and s["carbon"] == "co2"
    assert sum(s["classes"].values()) == 144
    assert set(res["co_class_label"]) <= {
        "减污降碳协同热点",
        "仅污染物热点",
        "仅碳排放热点",
        "非热点",
    }
    # hot means a positive z and an FDR q-value under alpha
    hot = res["pollutant_hot"].to_numpy()
    assert (res.loc[hot, "pollutant_gi_z"] > 0).all()
    assert (res.loc[hot, "pollutant_gi_q"] <= 0.05).all()
    assert (res["pollutant_gi_q"] >= res["pollutant_gi_p"] - 1e-15).all()


def test_intensity_per_km2_and_totals(planted):
    units, nox, co2 = planted
    res = co_hotspots(
        units,
        {"nox": (nox, T, 4549)},
        {"co2": (co2, T, 4549)},
        quantities=Q,
        grid_units=U,
        lang="en",
    )
    assert res["pollutant_t"].sum() == pytest.approx(nox.sum(), rel=1e-9)
    # 1 km2 units, measured in the grid's CRS
    np.testing.assert_allclose(res["area_km2"], 1.0, rtol=1e-12)
    assert res.attrs["summary"]["area_crs"] == "EPSG:4549"
    np.testing.assert_allclose(res["carbon_t_per_km2"], res["carbon_t"] / res["area_km2"])
    assert "Neither" in set(res["co_class_label"])


def test_permutation_inference_is_deterministic(planted):
    units, nox, co2 = planted
    kw = dict(quantities=Q, inference="permutation", permutations=999, seed=3)
    a = co_hotspots(units, {"nox": (nox, T, 4549)}, {"co2": (co2, T, 4549)}, **kw)
    b = co_hotspots(units, {"nox": (nox, T, 4549)}, {"co2": (co2, T, 4549)}, **kw)
    np.testing.assert_array_equal(a["pollutant_gi_p"], b["pollutant_gi_p"])
    assert (a["co_class"] == "both").sum() >= 4


def test_uniform_field_has_no_hot_spot(planted):
    units, _, _ = planted
    flat = np.ones((24, 24))
    res = co_hotspots(units, {"nox": (flat, T, 4549)}, {"co2": (flat * 2, T, 4549)}, quantities=Q)
    assert (res["co_class"] == "neither").all()


def test_bh_qvalues_known_answer():
    p = np.array([0.01, 0.04, 0.03, 0.20])
    # sorted: 0.01*4/1=0.04, 0.03*4/2=0.06, 0.04*4/3=0.0533 -> min from the top: 0.0533
    np.testing.assert_allclose(_bh_qvalues(p), [0.04, 0.05333333, 0.05333333, 0.20])


def test_bad_inputs(planted):
    units, nox, co2 = planted
    with pytest.raises(InputError, match="alpha"):
        co_hotspots(units, (nox, T, 4549), (co2, T, 4549), alpha=2)
    with pytest.raises(InputError, match="concentration"):
        co_hotspots(
            units,
            {"pm": (nox, T, 4549)},
            {"co2": (co2, T, 4549)},
            quantities={"pm": "concentration", "co2": "amount"},
        )
    with pytest.raises(InputError, match="both named"):
        co_hotspots(units, {"x": (nox, T, 4549)}, {"x": (co2, T, 4549)})


def test_grids_of_different_resolution_in_one_crs(planted):
    # carbon on cells three times finer (each holding a ninth of the 500 m cell's amount):
    # each grid counts as if alone, so the results are those of the 500 m carbon grid
    units, nox, co2 = planted
    fine = np.kron(co2, np.full((3, 3), 1 / 9))
    t_fine = from_origin(500000.0, 3312000.0, 500.0 / 3, 500.0 / 3)
    kw = dict(quantities=Q, grid_units=U)
    ref = co_hotspots(units, {"nox": (nox, T, 4549)}, {"co2": (co2, T, 4549)}, **kw)
    res = co_hotspots(units, {"nox": (nox, T, 4549)}, {"co2": (fine, t_fine, 4549)}, **kw)
    np.testing.assert_array_equal(res["pollutant_t"], ref["pollutant_t"])
    np.testing.assert_allclose(res["carbon_t"], ref["carbon_t"], rtol=1e-9)
    assert list(res["co_class"]) == list(ref["co_class"])
    assert res.attrs["units"]["area_km2"] == "km2 (EPSG:4549)"


def test_bare_grid_paths_are_named_as_by_stats():
    from zoning.cli.hotspots import _named

    assert _named("/d/NOx-2020 v2.tif", "pollutant", "--pollutant-grid") == (
        "nox_2020_v2",
        "/d/NOx-2020 v2.tif",
    )
    assert _named("so2=/d/a.tif", "pollutant", "--pollutant-grid") == ("so2", "/d/a.tif")
    assert _named("/d/__.tif", "carbon", "--carbon-grid") == ("carbon", "/d/__.tif")


# --- the command line and the map ------------------------------------------------------------


@pytest.fixture
def cli_inputs(planted, tmp_path):
    import rasterio

    units, nox, co2 = planted
    upath = tmp_path / "units.gpkg"
    units.to_file(upath, engine="pyogrio")
    paths = {}
    for name, arr in (("nox", nox), ("co2", co2)):
        paths[name] = tmp_path / f"{name}.tif"
        with rasterio.open(
            paths[name],
            "w",
            driver="GTiff",
            width=24,
            height=24,
            count=1,
            dtype="float64",
            crs="EPSG:4549",
            transform=T,
        ) as ds:
            ds.write(arr, 1)
            ds.update_tags(units="t/cell/yr")
    return upath, paths


def test_cli_hotspots_writes_three_files(cli_inputs, tmp_path):
    import json

    import geopandas as gpd
    from click.testing import CliRunner

    from zoning.cli import main

    upath, paths = cli_inputs
    out = tmp_path / "hs"
    r = CliRunner().invoke(
        main,
        [
            "hotspots",
            "--units",
            str(upath),
            "--pollutant-grid",
            f"nox={paths['nox']}",
            "--carbon-grid",
            str(paths["co2"]),
            "--lang",
            "en",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == [
        "hotspots.geojson",
        "hotspots.html",
        "summary.json",
    ]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["pollutant"] == "nox" and summary["carbon"] == "co2"
    assert summary["classes"]["both"] >= 4 and sum(summary["classes"].values()) == 144
    frame = gpd.read_file(out / "hotspots.geojson")
    assert len(frame) == 144 and frame["co_class"].notna().all()
    assert (frame["co_class"] == "both").sum() == summary["classes"]["both"]


def test_cli_hotspots_needs_both_grids_with_units(cli_inputs, tmp_path):
    from click.testing import CliRunner

    from zoning.cli import main

    upath, paths = cli_inputs
    r = CliRunner().invoke(
        main,
        [
            "hotspots",
            "--units",
            str(upath),
            "--pollutant-grid",
            str(paths["nox"]),
            "--out",
            str(tmp_path / "hs"),
        ],
    )
    assert r.exit_code == 2 and "--carbon-grid" in r.output
    assert not (tmp_path / "hs").exists()


@pytest.mark.browser
def test_hotspot_map_renders_offline_with_bivariate_legend(browser, tmp_path):
    from zoning.cli.hotspots import demo_step

    paths = demo_step(tmp_path, "zh")
    assert paths["hotspots_html"].name == "hotspots.html"
    page = browser.open(paths["hotspots_html"])
    assert page.console_errors == []
    assert all(u.startswith(("file:", "data:")) for u in page.requests)
    legend = page.locator("table.zbivariate")
    assert legend.count() == 1
    assert "减污降碳" in page.content() or "热点" in legend.inner_text()
    # the two grids are layers with colour bars, hidden until switched on
    text = page.locator(".leaflet-control-layers").inner_text()
    assert "nox" in text and "co2" in text
    assert page.locator("path.leaflet-interactive").count() > 0


def test_demo_grid_layers_for_the_demo_map():
    from zoning.datasets import demo_path
    from zoning.io.raster_preview import preview_layers

    layers = preview_layers({n: demo_path(f"grids/{n}.tif") for n in ("nox", "co2")}, "en")
    assert set(layers) == {"nox", "co2"}
    arr, transform, crs, label = layers["co2"]
    assert arr.ndim == 2 and np.nanmax(arr) > 0 and transform.e < 0
    assert crs.to_epsg() == 4549 and label == "t/cell/yr"


def _voronoi_layer(n=300, seed=1):
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    pts = shapely.multipoints(rng.uniform(0, 10_000, (n, 2)))
    frame = shapely.box(0, 0, 10_000, 10_000)
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=frame))
    cells = shapely.intersection(cells, frame)
    # a unit with a hole holding an island unit, and a two-part unit
    island = shapely.buffer(shapely.centroid(cells[0]), 50)
    cells[0] = shapely.Polygon(cells[0].exterior.coords, [island.exterior.coords])
    cells[1] = shapely.union(cells[1], cells[2])
    cells = np.concatenate([np.delete(cells, 2), [island]])
    return gpd.GeoDataFrame(geometry=cells, crs=4549)


def test_queen_matrix_is_libpysal_queen():
    from libpysal.weights import Queen

    from zoning.hotspots import _queen

    layer = _voronoi_layer()
    ours = _queen(np.asarray(layer.geometry.values)).toarray()
    ref = Queen.from_dataframe(layer, use_index=False, silence_warnings=True).sparse.toarray()
    np.testing.assert_array_equal(ours, ref)
    assert ours[-1].sum() >= 1  # the island in the hole is the holed unit's neighbour
    assert (ours == ours.T).all() and not ours.diagonal().any()


def test_gi_star_is_esda_gi_star():
    from esda import G_Local
    from libpysal.weights import WSP

    from zoning.hotspots import _gi_star_normal, _queen

    layer = _voronoi_layer()
    w = _queen(np.asarray(layer.geometry.values))
    y = np.random.default_rng(2).gamma(2.0, 1.0, len(layer))
    ref = G_Local(y, WSP(w).to_W(silence_warnings=True), transform="B", star=1.0, permutations=0)
    np.testing.assert_allclose(_gi_star_normal(y, w), ref.Zs, rtol=1e-12, atol=1e-12)


def test_island_linked_to_its_nearest_unit(planted):
    units, nox, co2 = planted
    from zoning.hotspots import _weights

    apart = units.copy()
    apart.loc[0, "geometry"] = apart.loc[0, "geometry"].buffer(-100)  # touches nothing now
    w = _weights(apart.geometry, "queen", 8).toarray()
    assert w[0].sum() >= 1 and (w == w.T).all()
    nearest = np.flatnonzero(w[0])
    assert set(nearest) <= {1, 12, 13}


def test_lonlat_grid_sums_on_the_units_areas_in_equal_area(planted):
    # a longitude/latitude grid: sums in its CRS from the units as given, areas in the
    # equal-area EPSG:6933 (the units are reprojected once for each)
    from zoning.stats import zonal_stats

    units, nox, co2 = planted
    units = units.to_crs(4326)
    x0, y0, x1, y1 = units.total_bounds
    t = from_origin(x0 - 0.001, y1 + 0.001, (x1 - x0 + 0.002) / 24, (y1 - y0 + 0.002) / 24)
    grids = {"nox": (nox, t, 4326)}, {"co2": (co2, t, 4326)}
    res = co_hotspots(units, *grids, quantities=Q, grid_units=U)
    ref = zonal_stats(units, {**grids[0], **grids[1]}, stats=["sum"], quantities=Q, grid_units=U)
    np.testing.assert_array_equal(res["pollutant_t"], ref["nox_sum"])
    np.testing.assert_array_equal(res["carbon_t"], ref["co2_sum"])
    assert res.attrs["summary"]["area_crs"] == "EPSG:6933"
    np.testing.assert_allclose(res["area_km2"], units.to_crs(6933).area / 1e6, rtol=1e-12)
