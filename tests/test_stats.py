"""Exact per-unit statistics: known answers, conservation, CRS, agreement with references."""

from __future__ import annotations

import json
import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from conftest import make_units
from rasterio.transform import from_origin
from shapely.geometry import box

from zoning.errors import InputError
from zoning.io.raster import cell_areas_m2, grid_from_array, open_grid
from zoning.stats import gen_zonal_stats, zonal_stats

X0, Y0 = 500000.0, 3303000.0  # top-left of the test grids, EPSG:4549
T = from_origin(X0, Y0, 1000.0, 1000.0)  # 1 km cells


def _units(geoms, crs="EPSG:4549"):
    return gpd.GeoDataFrame({"code": [f"U{i}" for i in range(len(geoms))]}, geometry=geoms, crs=crs)


def _cell(i, j, frac_x=1.0):
    """Box of cell (row i, col j), or its western frac_x part."""
    x = X0 + j * 1000.0
    y = Y0 - i * 1000.0
    return box(x, y - 1000.0, x + 1000.0 * frac_x, y)


def test_constant_grid_sum_is_value_times_covered_cells():
    grid = np.full((5, 5), 7.0)
    # 2.5 x 1.5 cells, offset so that every edge cuts cells
    poly = box(X0 + 500, Y0 - 2000, X0 + 3000, Y0 - 500)
    res = zonal_stats(_units([poly]), {"nox": (grid, T, "EPSG:4549")}, stats=["sum", "count"])
    assert res["nox_count"].iloc[0] == pytest.approx(2.5 * 1.5, rel=1e-12)
    assert res["nox_sum"].iloc[0] == pytest.approx(7.0 * 2.5 * 1.5, rel=1e-12)


def test_half_a_cell_gets_half_its_amount():
    grid = np.arange(9, dtype="float64").reshape(3, 3) + 1.0
    res = zonal_stats(
        _units([_cell(1, 2, 0.5)]), {"so2": (grid, T, 4549)}, stats=["sum", "mean", "count"]
    )
    assert res["so2_sum"].iloc[0] == pytest.approx(grid[1, 2] / 2, rel=1e-12)
    assert res["so2_mean"].iloc[0] == pytest.approx(grid[1, 2], rel=1e-12)
    assert res["so2_count"].iloc[0] == pytest.approx(0.5, rel=1e-12)


def _voronoi_units(n, bounds, seed=1, crs="EPSG:4549"):
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = bounds
    pts = shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n))
    frame = box(*bounds)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame))
    return _units(list(shapely.intersection(cells, frame)), crs=crs)


def test_tiling_units_conserve_the_total():
    rng = np.random.default_rng(5)
    grid = rng.gamma(2.0, 3.0, (40, 60))
    t = from_origin(X0, Y0, 250.0, 250.0)
    bounds = (X0, Y0 - 40 * 250.0, X0 + 60 * 250.0, Y0)
    units = _voronoi_units(120, bounds)
    res = zonal_stats(units, {"co2": (grid, t, 4549)}, stats=["sum"])
    assert len(res) == 120
    assert res["co2_sum"].sum() == pytest.approx(grid.sum(), rel=1e-9)


def test_nodata_only_and_partly_outside_units():
    """No data is not zero: no value (NaN) and coverage 0; a partial sum keeps its
    exact value with its coverage share beside it."""
    grid = np.full((4, 4), 2.0)
    grid[:2, :2] = -1.0  # nodata block in the north-west
    units = _units(
        [
            box(X0, Y0 - 2000, X0 + 2000, Y0),  # nodata only
            box(X0 - 1000, Y0 - 4000, X0 + 1000, Y0 - 2000),  # half outside (west)
            box(X0 + 9000, Y0 + 1000, X0 + 9500, Y0 + 2000),  # entirely outside
            box(X0 + 1000, Y0 - 3000, X0 + 3000, Y0 - 1000),  # one nodata cell in four
            box(X0 + 2000, Y0 - 4000, X0 + 4000, Y0 - 2000),  # whole, all valid
        ]
    )
    res = zonal_stats(
        units,
        {"g": (grid, T, 4549, -1.0)},
        stats=["sum", "mean", "min", "count", "nodata_share"],
        grid_units={"g": "t/cell/yr"},
    )
    assert list(res["code"]) == ["U0", "U1", "U2", "U3", "U4"]
    assert "g_coverage" in res.columns and res.attrs["units"]["g_coverage"] == "1"
    # nodata only: no sum (not 0), no mean, zero valid cells, coverage 0
    assert np.isnan(res["g_sum"].iloc[0]) and np.isnan(res["g_mean"].iloc[0])
    assert np.isnan(res["g_min"].iloc[0])
    assert res["g_count"].iloc[0] == 0 and res["g_nodata_share"].iloc[0] == 1.0
    assert res["g_coverage"].iloc[0] == 0.0
    # half outside: the exact sum of the inside half, and coverage 0.5 beside it
    assert res["g_sum"].iloc[1] == pytest.approx(2 * 2.0)
    assert res["g_coverage"].iloc[1] == pytest.approx(0.5)
    assert res["g_nodata_share"].iloc[1] == 0.0
    # wholly outside: kept, no value at all, coverage 0
    assert np.isnan(res["g_sum"].iloc[2]) and np.isnan(res["g_mean"].iloc[2])
    assert res["g_count"].iloc[2] == 0 and np.isnan(res["g_nodata_share"].iloc[2])
    assert res["g_coverage"].iloc[2] == 0.0
    # one nodata cell in four: three quarters covered
    assert res["g_nodata_share"].iloc[3] == pytest.approx(0.25)
    assert res["g_sum"].iloc[3] == pytest.approx(3 * 2.0)
    assert res["g_coverage"].iloc[3] == pytest.approx(0.75)
    assert res["g_coverage"].iloc[4] == 1.0 and res["g_sum"].iloc[4] == pytest.approx(8.0)


@pytest.mark.parametrize("where", ["nodata-only grid", "grid beside the units"])
def test_a_grid_with_no_data_under_any_unit_is_bad_input(where, tmp_path):
    grid = np.full((4, 4), -1.0) if where == "nodata-only grid" else np.full((4, 4), 2.0)
    x0 = X0 if where == "nodata-only grid" else X0 + 50_000
    units = _units([box(X0, Y0 - 2000, X0 + 2000, Y0), box(X0 + 2000, Y0 - 2000, X0 + 4000, Y0)])
    with pytest.raises(InputError, match=r"grid 'g' has no valid cell under any unit.*Fix:"):
        zonal_stats(units, {"g": (grid, from_origin(x0, Y0, 1000.0, 1000.0), 4549, -1.0)})


def test_cli_stats_nodata_only_grid_exit_2_and_no_output(tmp_path):
    from click.testing import CliRunner

    from zoning.cli import main

    path = tmp_path / "empty.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="float32",
        crs="EPSG:4549",
        transform=T,
        nodata=-1.0,
    ) as dst:
        dst.write(np.full((1, 4, 4), -1.0, dtype="float32"))
    units_path = tmp_path / "units.gpkg"
    make_units(1, 1, x0=X0, y0=Y0 - 2000).to_file(units_path)
    out = tmp_path / "stats.csv"
    res = CliRunner().invoke(
        main, ["stats", "--units", str(units_path), "--grid", f"g={path}", "--out", str(out)]
    )
    assert res.exit_code == 2
    assert "empty.tif" in res.output and "no valid cell" in res.output
    assert not out.exists()


def test_units_in_another_crs_are_reprojected_not_the_grid():
    rng = np.random.default_rng(2)
    grid = rng.random((20, 20)) * 10
    t = from_origin(X0, Y0, 500.0, 500.0)
    units = _voronoi_units(15, (X0 + 100, Y0 - 9900, X0 + 9900, Y0 - 100))
    ref = zonal_stats(units, {"g": (grid, t, 4549)}, stats=["sum", "mean"])
    geo = units.to_crs("EPSG:4490")
    res = zonal_stats(geo, {"g": (grid, t, 4549)}, stats=["sum", "mean"])
    assert res.crs.equals("EPSG:4490")  # units keep their CRS
    np.testing.assert_allclose(res["g_sum"], ref["g_sum"], rtol=1e-6)
    np.testing.assert_allclose(res["g_mean"], ref["g_mean"], rtol=1e-6)


def test_agrees_with_exactextract_and_with_cell_box_intersections():
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    rng = np.random.default_rng(11)
    grid = rng.random((12, 16)) * 100
    t = from_origin(X0, Y0, 300.0, 300.0)
    units = _voronoi_units(25, (X0 + 50, Y0 - 3550, X0 + 4750, Y0 - 20), seed=3)
    ours = zonal_stats(units, {"g": (grid, t, 4549)}, stats=["sum", "mean"])
    # the peer, called directly
    src = NumPyRasterSource(
        grid, X0, Y0 - 12 * 300.0, X0 + 16 * 300.0, Y0, srs_wkt=units.crs.to_wkt()
    )
    ee = exact_extract(src, units, ["sum", "mean"], output="pandas")
    np.testing.assert_allclose(ours["g_sum"], ee["sum"], rtol=1e-6)
    np.testing.assert_allclose(ours["g_mean"], ee["mean"], rtol=1e-6)
    # an independent computation: shapely areas of every cell box inside every unit
    cols, rows = np.meshgrid(np.arange(16), np.arange(12))
    cells = shapely.box(
        X0 + cols * 300.0, Y0 - (rows + 1) * 300.0, X0 + (cols + 1) * 300.0, Y0 - rows * 300.0
    ).ravel()
    for k, poly in enumerate(units.geometry):
        frac = shapely.area(shapely.intersection(cells, poly)) / 300.0**2
        expected_sum = float((frac * grid.ravel()).sum())
        assert ours["g_sum"].iloc[k] == pytest.approx(expected_sum, rel=1e-6)
        assert ours["g_mean"].iloc[k] == pytest.approx(expected_sum / frac.sum(), rel=1e-6)


def test_files_and_arrays_give_the_same_result(tmp_path):
    rng = np.random.default_rng(4)
    grid = rng.random((30, 30)).astype("float32")
    grid[20, 10] = -9999.0
    path = tmp_path / "pm.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=30,
        height=30,
        count=1,
        dtype="float32",
        crs="EPSG:4549",
        transform=T,
        nodata=-9999.0,
        tiled=True,
        blockxsize=16,
        blockysize=16,
        compress="deflate",
    ) as ds:
        ds.write(grid, 1)
    units = make_units(n_cols=4, n_rows=3, size=5000.0, x0=X0 + 700, y0=Y0 - 27000)
    opened = open_grid(path, name="g", quantity="amount")
    a = zonal_stats(units, {"g": opened})
    b = zonal_stats(units, {"g": (grid, T, 4549, -9999.0)}, quantities={"g": "amount"})
    cols = [c for c in a.columns if c.startswith("g_")]
    assert cols == [
        "g_sum",
        "g_mean",
        "g_min",
        "g_max",
        "g_count",
        "g_nodata_share",
        "g_coverage",
    ]
    np.testing.assert_allclose(a[cols].to_numpy(), b[cols].to_numpy(), rtol=1e-12)
    # the nodata cell is split 0.7 / 0.3 between two 25-cell units
    shares = a["g_nodata_share"].to_numpy()
    # (exactextract keeps coverage fractions in float32: ~1e-7 relative)
    np.testing.assert_allclose(shares[shares > 0], [0.7 / 25, 0.3 / 25], rtol=1e-6)
    # the feature-sequential order gives the same numbers
    c = zonal_stats(units, {"g": opened}, strategy="feature-sequential")
    np.testing.assert_allclose(c[cols].to_numpy(), a[cols].to_numpy(), rtol=1e-12)
    opened.close()
    # files are opened by the caller (io at the edges): a path is refused, naming the fix
    with pytest.raises(InputError, match="open_grid") as err:
        zonal_stats(units, {"g": path})
    assert err.value.param == "grids"
    # the streaming pair: chunks of units give the same table
    q = {"quantities": {"g": "amount"}}
    parts = list(gen_zonal_stats(units, {"g": (grid, T, 4549, -9999.0)}, chunk_size=5, **q))
    assert [len(p) for p in parts] == [4, 4, 4]
    d = zonal_stats(units, {"g": (grid, T, 4549, -9999.0)}, chunk_size=5, **q)
    pd.testing.assert_frame_equal(d, b)
    assert d.attrs == b.attrs


def test_flux_on_a_degree_grid_sums_true_amounts():
    # 1e-9 kg m-2 s-1 on 0.25-degree cells around 40 N; a unit covering 2 x 2 cells
    t = from_origin(116.0, 41.0, 0.25, 0.25)
    grid = np.full((4, 4), 1e-9)
    unit = _units([box(116.25, 40.25, 116.75, 40.75)], crs="EPSG:4326")
    res = zonal_stats(
        unit,
        {"co2": (grid, t, 4326)},
        quantities={"co2": "flux"},
        grid_units={"co2": "kg m-2 s-1"},
        stats=["sum"],
    )
    areas = cell_areas_m2(t, grid_from_array(grid, t, 4326).crs, np.array([1, 2]))
    expected = 1e-9 * 1e-3 * 365 * 86400 * 2 * areas.sum()
    assert res["co2_sum"].iloc[0] == pytest.approx(expected, rel=1e-9)
    assert res.attrs["units"]["co2_sum"] == "t/yr"


def test_concentration_is_averaged_not_summed():
    t = from_origin(116.0, 60.0, 10.0, 10.0)  # two huge cells, 50-60 N and 40-50 N
    grid = np.array([[10.0], [40.0]])
    unit = _units([box(116.0, 40.0, 126.0, 60.0)], crs="EPSG:4326")
    conc = {"pm25": (grid, t, 4326)}
    with pytest.raises(InputError, match="never summed"):
        zonal_stats(unit, conc, quantities={"pm25": "concentration"}, stats=["sum"])
    res = zonal_stats(unit, conc, quantities={"pm25": "concentration"})
    assert "pm25_sum" not in res.columns
    assert res["pm25_mean"].iloc[0] == pytest.approx(25.0)
    a = cell_areas_m2(t, grid_from_array(grid, t, 4326).crs, np.array([0, 1]))
    assert res["pm25_area_mean"].iloc[0] == pytest.approx((10 * a[0] + 40 * a[1]) / a.sum())
    assert res["pm25_area_mean"].iloc[0] > 25.0  # the southern cell is larger


def test_many_grids_in_several_crs_and_masked_arrays(units):
    g1 = np.ma.masked_array(np.full((3, 4), 1.0), mask=np.zeros((3, 4), bool))
    g1.mask[0, 0] = True
    t1 = from_origin(500000.0, 3302000.0, 1000.0, 1000.0)
    # the same region in EPSG:32650 (UTM 50N) — different CRS, coarse cells
    geo = units.to_crs(32650)
    xmin, ymin, xmax, ymax = geo.total_bounds
    t2 = from_origin(xmin - 5000, ymax + 5000, 5000.0, 5000.0)
    g2 = np.full((4, 4), 3.0)
    res = zonal_stats(units, {"a": (g1, t1, 4549), "b": (g2, t2, 32650)}, stats=["sum", "count"])
    assert res["a_sum"].sum() == pytest.approx(5.0)  # 6 cells of 1 km2, one masked
    assert res["b_sum"].sum() == pytest.approx(3.0 * geo.area.sum() / 5000.0**2, rel=1e-9)
    assert list(res.index) == list(units.index)


def test_grids_of_different_cell_grids_in_one_crs_each_as_if_alone():
    # in one CRS: a 1 km grid, a misaligned grid of 133.3 m cells (exactextract refuses the
    # two in one call: "Incompatible extents"), and an aligned 500 m grid (in one call with
    # it, exactextract counted the 1 km grid in 500 m cells: sums 4 times too large)
    rng = np.random.default_rng(8)
    units = _voronoi_units(20, (X0 + 100, Y0 - 5900, X0 + 5900, Y0 - 100), seed=2)
    grids = {
        "coarse": (rng.random((6, 6)) * 10, from_origin(X0, Y0, 1000.0, 1000.0), 4549),
        "fine": (rng.random((60, 45)), from_origin(X0 - 37.0, Y0 + 210.0, 133.3, 133.3), 4549),
        "half": (rng.random((14, 14)), from_origin(X0 - 500, Y0 + 500, 500.0, 500.0), 4549),
    }
    stats = ["sum", "mean", "min", "max", "count", "nodata_share"]
    q = dict.fromkeys(grids, "amount")
    together = zonal_stats(units, grids, stats=stats, quantities=q)
    for name, grid in grids.items():
        alone = zonal_stats(units, {name: grid}, stats=stats, quantities=q)
        cols = [f"{name}_{s}" for s in stats]
        np.testing.assert_array_equal(together[cols].to_numpy(), alone[cols].to_numpy())
    # the units tile 5.8 x 5.8 km: as many 1 km cells, and the 500 m grid's four times more
    assert together["coarse_count"].sum() == pytest.approx(5.8 * 5.8, rel=1e-6)
    assert together["half_count"].sum() == pytest.approx(4 * 5.8 * 5.8, rel=1e-6)


def test_an_exactextract_refusal_is_one_input_error_naming_the_grid(units):
    from zoning.stats import _extract_group

    a = grid_from_array(np.ones((3, 4)), T, 4549, name="a", quantity="amount")
    # cells 7.5 times finer, not aligned (as WorldPop 1 km and NASADEM 1 arc-second)
    t = from_origin(X0 - 37, Y0 + 21, 1000 / 7.5, 1000 / 7.5)
    b = grid_from_array(np.ones((25, 32)), t, 4549, name="b", quantity="amount")
    geoms = np.asarray(units.geometry.values)
    # ("Incompatible extents" or "Must construct view at resolution ...", by the grids)
    with pytest.raises(InputError, match=r"'a', 'b' failed in exactextract: .*Fix: the grids"):
        _extract_group(
            geoms,
            np.arange(len(geoms)),
            a.crs,
            [a, b],
            {"a": ("sum",), "b": ("sum",)},
            "raster-sequential",
            1_000_000,
        )


def test_cli_stats_library_error_exit_2_one_line(cli_inputs, tmp_path, monkeypatch):
    from click.testing import CliRunner

    import zoning.exact
    from zoning.cli import main

    real = zoning.exact._engine  # the exactextract adapters (zoning.exact)

    def failing_engine():
        def exact_extract(*args, **kw):
            raise RuntimeError("Cannot determine coverage fraction (it is either 0 or 100%)")

        return (exact_extract, *real()[1:])

    monkeypatch.setattr(zoning.exact, "_engine", failing_engine)
    upath, nox, _ = cli_inputs
    out = tmp_path / "x.csv"
    r = CliRunner().invoke(main, ["stats", "-u", str(upath), "--grid", str(nox), "-o", str(out)])
    assert r.exit_code == 2, r.output
    line = [x for x in r.output.splitlines() if "coverage fraction" in x]
    assert len(line) == 1 and str(nox) in line[0] and "Fix: check the unit geometries" in line[0]
    assert "Traceback" not in r.output and not out.exists()


def test_a_custom_crs_is_logged_by_a_short_name(caplog):
    from pyproj import CRS

    from zoning.stats import crs_label

    albers = CRS.from_proj4("+proj=aea +lat_1=25 +lat_2=47 +lon_0=105 +ellps=GRS80 +units=m")
    unit = _units([box(1000, 3e6 + 1000, 3000, 3e6 + 3000)], crs=albers)
    with caplog.at_level(logging.INFO, logger="zoning.stats"):
        zonal_stats(unit, {"g": (np.ones((4, 4)), from_origin(0, 3e6 + 4000, 1000, 1000), albers)})
    line = [r.getMessage() for r in caplog.records if "exact statistics" in r.getMessage()]
    assert line == ["exact statistics of g over 1 units (custom Albers Equal Area)"]
    assert crs_label("EPSG:4549") == "EPSG:4549" and crs_label(4326) == "EPSG:4326"


def test_bad_inputs_name_the_problem(units):
    grid = (np.ones((2, 2)), T, 4549)
    with pytest.raises(InputError, match="statistic"):
        zonal_stats(units, {"g": grid}, stats=["median"])
    with pytest.raises(InputError, match="no grid"):
        zonal_stats(units, {})
    with pytest.raises(InputError, match="not an Affine"):
        zonal_stats(units, {"g": (np.ones((2, 2)), (1, 0, 0, 0, -1, 0), 4549)})
    with pytest.raises(InputError, match="strategy"):
        zonal_stats(units, {"g": grid}, strategy="fast")


# --- the command line ----------------------------------------------------------------------


def _write_tif(path, arr, transform=T, crs="EPSG:4549", tags=None):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=arr.shape[1],
        height=arr.shape[0],
        count=1,
        dtype=arr.dtype,
        crs=crs,
        transform=transform,
        nodata=-9999.0,
    ) as ds:
        ds.write(arr, 1)
        if tags:
            ds.update_tags(**tags)
    return path


@pytest.fixture
def cli_inputs(tmp_path):
    units = make_units(n_cols=3, n_rows=2, size=1000.0, x0=X0, y0=Y0 - 2000)
    outside = units.iloc[[0]].copy()
    outside["code"] = "ZH339901399999"
    outside.geometry = [box(X0 + 50000, Y0, X0 + 51000, Y0 + 1000)]
    units = gpd.GeoDataFrame(pd.concat([units, outside], ignore_index=True), crs=units.crs)
    upath = tmp_path / "units.gpkg"
    units.to_file(upath, engine="pyogrio")
    nox = _write_tif(
        tmp_path / "nox.tif",
        np.full((3, 4), 2.0, dtype="float32"),
        tags={"units": "t/cell/yr", "quantity": "amount"},
    )
    pm = _write_tif(
        tmp_path / "pm.tif", np.full((3, 4), 30.0, dtype="float32"), tags={"units": "ug/m3"}
    )
    return upath, nox, pm


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg", ".parquet"])
def test_cli_stats_writes_every_unit(cli_inputs, tmp_path, suffix):
    from click.testing import CliRunner

    from zoning.cli import main

    upath, nox, pm = cli_inputs
    out = tmp_path / f"stats{suffix}"
    r = CliRunner().invoke(
        main,
        [
            "stats",
            "--units",
            str(upath),
            "--grid",
            f"nox={nox}",
            "--grid",
            f"pm={pm}",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    if suffix == ".csv":
        table = pd.read_csv(out, encoding="utf-8-sig")
    elif suffix == ".parquet":
        table = gpd.read_parquet(out)
    else:
        table = gpd.read_file(out)
    assert len(table) == 7
    assert {"code", "nox_sum", "nox_nodata_share", "pm_mean", "pm_area_mean"} <= set(table)
    assert "pm_sum" not in table.columns
    by_code = table.set_index("code")
    # outside: kept, no value (never 0), coverage 0
    assert np.isnan(by_code.loc["ZH339901399999", "nox_sum"])
    assert by_code.loc["ZH339901399999", "nox_coverage"] == 0
    assert table["nox_sum"].sum() == pytest.approx(6 * 2.0)
    assert by_code["pm_mean"].dropna().round(9).eq(30.0).all()
    # the final line says where the units of the columns are
    if suffix == ".geojson":
        assert "column units in the 'metadata' member of stats.geojson" in r.output
    else:
        meta = out.with_name("stats.meta.json")
        assert f"column units in {meta}" in r.output
        units = json.loads(meta.read_text(encoding="utf-8"))["column_units"]
        assert units["nox_sum"] == "t/yr" and units["pm_mean"] == "µg/m³"


def test_cli_stats_bare_grid_path_is_named_after_its_file(cli_inputs, tmp_path):
    from click.testing import CliRunner

    from zoning.cli import main

    upath, nox, pm = cli_inputs
    other = tmp_path / "NOx-2020 v2.tif"
    other.write_bytes(nox.read_bytes())
    out = tmp_path / "s.csv"
    args = ["stats", "-u", str(upath), "--grid", str(other), "--grid", f"pm={pm}", "-o", str(out)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert {"nox_2020_v2_sum", "pm_mean"} <= set(table.columns)
    assert table["nox_2020_v2_sum"].sum() == pytest.approx(6 * 2.0)
    # two grids of one name: refused, not one silently dropped
    r = CliRunner().invoke(
        main, ["stats", "-u", str(upath), "--grid", str(nox), "--grid", f"nox={pm}", "-o", str(out)]
    )
    assert r.exit_code == 2 and "two grids are named 'nox'" in r.output


def test_cli_stats_bad_inputs_exit_2(cli_inputs, tmp_path):
    from click.testing import CliRunner

    from zoning.cli import main

    upath, nox, pm = cli_inputs
    runner = CliRunner()
    r = runner.invoke(
        main,
        [
            "stats",
            "-u",
            str(upath),
            "--grid",
            f"pm={pm}",
            "--stat",
            "sum",
            "-o",
            str(tmp_path / "x.csv"),
        ],
    )
    assert r.exit_code == 2 and "never summed" in r.output
    assert not (tmp_path / "x.csv").exists()
    r = runner.invoke(main, ["stats", "-u", str(upath), "-o", str(tmp_path / "x.csv")])
    assert r.exit_code == 2 and "--grid" in r.output
    r = runner.invoke(
        main,
        [
            "stats",
            "-u",
            str(upath),
            "--grid",
            f"nox={tmp_path / 'no.tif'}",
            "-o",
            str(tmp_path / "x.csv"),
        ],
    )
    assert r.exit_code == 2 and "file not found" in r.output


def test_quantities_of_unknown_grids_name_the_parameter_and_the_flag(cli_inputs, tmp_path):
    """run_stats refuses quantities/grid_units of grids it was not given, naming the
    parameter; the command line names --quantity / --grid-units instead."""
    from click.testing import CliRunner

    from zoning.cli import main
    from zoning.errors import InputError
    from zoning.products.stats import run_stats

    upath, nox, pm = cli_inputs
    units = gpd.read_file(upath)
    for param in ("quantities", "grid_units"):
        with pytest.raises(InputError, match=f"parameter '{param}'.*'co2'") as err:
            run_stats(units, {"nox": nox}, tmp_path / "l.csv", **{param: {"co2": "amount"}})
        assert "--" not in str(err.value) and "['nox']" in str(err.value)
    assert not (tmp_path / "l.csv").exists()
    for flag in ("--quantity", "--grid-units"):
        out = tmp_path / "c.csv"
        args = ["stats", "-u", str(upath), "--grid", f"nox={nox}", flag, "co2=x", "-o", str(out)]
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 2 and f"option '{flag}'" in r.output and "co2" in r.output
        assert "quantities" not in r.output and "grid_units" not in r.output
        assert not out.exists()


def test_demo_step(tmp_path):
    from zoning.cli.stats import demo_step

    paths = demo_step(tmp_path, "en")
    table = pd.read_csv(paths["unit_stats_csv"], encoding="utf-8-sig")
    units = gpd.read_file(paths["unit_stats_geojson"])
    assert len(table) == len(units) > 0
    assert {"nox_sum", "co2_sum", "pm25_conc_mean"} <= set(table.columns)
    assert table["code"].is_unique


def test_integer_grid_with_nodata(tmp_path):
    arr = np.array([[1, 2], [-1, 4]], dtype="int16")
    path = tmp_path / "i.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="int16",
        crs="EPSG:4549",
        transform=T,
        nodata=-1,
    ) as ds:
        ds.write(arr, 1)
    unit = _units([box(X0, Y0 - 2000, X0 + 2000, Y0)])
    for grid in (open_grid(path, quantity="amount"), (arr, T, 4549, -1)):
        res = zonal_stats(
            unit,
            {"g": grid},
            quantities={"g": "amount"},
            stats=["sum", "count", "nodata_share", "min"],
        )
        assert res["g_sum"].iloc[0] == 7 and res["g_count"].iloc[0] == 3
        assert res["g_nodata_share"].iloc[0] == pytest.approx(0.25)
        assert res["g_min"].iloc[0] == 1


def test_grids_on_one_cell_grid_keep_their_own_nodata_share():
    # grids on one cell grid share one exactextract call and one count of covered cells;
    # each grid's missing cells are its own
    full = np.ones((4, 4))
    half = np.ones((4, 4))
    half[:, :2] = -9999.0
    none = np.full((4, 4), -9999.0)
    unit = box(X0, Y0 - 4000.0, X0 + 4000.0, Y0)
    res = zonal_stats(
        _units([unit, _cell(0, 0)]),
        {
            "a": (full, T, "EPSG:4549", -9999.0),
            "b": (half, T, "EPSG:4549", -9999.0),
            "c": (none, T, "EPSG:4549", -9999.0),
        },
        stats=["sum", "mean", "count", "nodata_share"],
        require_data=False,
    )
    assert res["a_nodata_share"].tolist() == [0.0, 0.0]
    assert res["b_nodata_share"].tolist() == [0.5, 1.0]
    assert res["c_nodata_share"].tolist() == [1.0, 1.0]
    assert res["b_count"].tolist() == [8.0, 0.0]
    assert res["b_mean"].iloc[0] == 1.0 and np.isnan(res["b_mean"].iloc[1])
    assert res["c_mean"].isna().all() and res["c_sum"].isna().all()


def test_mean_is_exactextracts_own_mean_bit_for_bit():
    from exactextract import exact_extract
    from exactextract.raster import NumPyRasterSource

    rng = np.random.default_rng(5)
    values = rng.gamma(2.0, 1.5, (40, 40))
    t = from_origin(X0, Y0, 100.0, 100.0)
    pts = np.column_stack([rng.uniform(X0, X0 + 4000, 60), rng.uniform(Y0 - 4000, Y0, 60)])
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts)))
    units = _units(list(shapely.intersection(cells, box(X0, Y0 - 4000, X0 + 4000, Y0))))
    ours = zonal_stats(units, {"g": (values, t, "EPSG:4549")}, stats=["mean"])
    src = NumPyRasterSource(values, xmin=X0, ymin=Y0 - 4000, xmax=X0 + 4000, ymax=Y0)
    ref = exact_extract(src, units, ["mean"], output="pandas")
    assert ours["g_mean"].notna().all()
    np.testing.assert_array_equal(ours["g_mean"].to_numpy(), ref["mean"].to_numpy())


def test_no_usable_unit_gives_empty_statistics_not_an_error():
    units = _units([shapely.Polygon(), shapely.Polygon()])
    res = zonal_stats(units, {"g": (np.ones((4, 4)), T, "EPSG:4549")}, stats=["sum", "count"])
    assert len(res) == 2
    assert res["g_sum"].isna().all() and res["g_count"].isna().all()
