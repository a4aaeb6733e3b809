"""Exact statistics in worker processes and kept in memory: the very same values either way."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from conftest import write_tif
from rasterio.transform import from_origin
from shapely.geometry import box

import zoning.exact as exact
import zoning.exact_cache as cache
import zoning.exact_workers as workers
from zoning.errors import InputError
from zoning.hotspots import co_hotspots
from zoning.io.raster import open_grid
from zoning.stats import clear_cache, zonal_stats

X0, Y0, CELL, SIZE = 500000.0, 3303000.0, 100.0, 120
T = from_origin(X0, Y0, CELL, CELL)
STATS = ["sum", "mean", "min", "max", "count", "nodata_share"]


def _write(path, arr, nodata=-9999.0):
    return write_tif(path, arr, T, nodata=nodata, band_tags={"units": "t/cell/yr"}, block=32)


@pytest.fixture
def grids(tmp_path):
    rng = np.random.default_rng(5)
    out = {}
    for name in ("nox", "co2"):
        arr = np.round(rng.gamma(2.0, 3.0, (SIZE, SIZE)), 3)
        arr[rng.random((SIZE, SIZE)) < 0.02] = -9999.0
        out[name] = _write(tmp_path / f"{name}.tif", arr)
    return out


@pytest.fixture
def units():
    """Voronoi units over the grid and a little beyond it (some partly outside)."""
    rng = np.random.default_rng(11)
    ext = SIZE * CELL
    bounds = (X0 - 300, Y0 - ext - 300, X0 + ext + 300, Y0 + 300)
    pts = shapely.points(rng.uniform(X0, X0 + ext, 300), rng.uniform(Y0 - ext, Y0, 300))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box(*bounds))
    )
    cells = shapely.intersection(cells, box(*bounds))
    return gpd.GeoDataFrame(
        {"code": [f"U{i}" for i in range(len(cells))]}, geometry=cells, crs=4549
    )


@pytest.fixture(autouse=True)
def _empty_cache():
    clear_cache()
    yield
    clear_cache()


def _open(paths):
    return {n: open_grid(p, name=n, quantity="amount") for n, p in paths.items()}


def test_worker_processes_give_the_very_values_of_one_process(units, grids, caplog):
    one = zonal_stats(units, _open(grids), stats=STATS, workers=1)
    clear_cache()
    with caplog.at_level(logging.DEBUG, logger="zoning.exact"):
        three = zonal_stats(units, _open(grids), stats=STATS, workers=3)
    assert sum("by a worker" in r.getMessage() for r in caplog.records) == 2
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "exact" in r.name]
    pd.testing.assert_frame_equal(pd.DataFrame(one), pd.DataFrame(three), check_exact=True)
    assert one.attrs == three.attrs
    # and units outside the grid keep no value, partly outside a partial coverage
    assert (one["nox_coverage"] < 1).any() and one["nox_count"].gt(0).all()


def test_a_failing_worker_is_logged_and_its_part_computed_here(units, grids, monkeypatch, caplog):
    one = zonal_stats(units, _open(grids), stats=["sum", "max"], workers=1)
    clear_cache()
    monkeypatch.setattr(workers, "_BOOT", "import sys; sys.stderr.write('no luck\\n'); sys.exit(3)")
    with caplog.at_level(logging.WARNING, logger="zoning.exact"):
        two = zonal_stats(units, _open(grids), stats=["sum", "max"], workers=2)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "worker process of the exact statistics failed (no luck)" in warning
    pd.testing.assert_frame_equal(pd.DataFrame(one), pd.DataFrame(two), check_exact=True)


def test_reading_only_the_window_under_the_units_changes_nothing(units, grids):
    g = open_grid(grids["nox"], name="nox", quantity="amount")
    geoms = np.asarray(units.geometry.values)[:40]
    window = exact._window(geoms, g)
    r0, c0, r1, c1 = window
    assert (r1 - r0) * (c1 - c0) < SIZE * SIZE  # a part of the grid only
    specs = {}
    exact._ops_for(g, tuple(STATS), specs, {})
    wkbs, ids = shapely.to_wkb(geoms), np.arange(len(geoms))
    args = (wkbs, ids, units.crs.to_wkt(), {"nox": g}, specs, "raster-sequential", 10**7)
    whole, part = exact._run(*args, None), exact._run(*args, window)
    assert whole.keys() == part.keys()
    for k in whole:
        np.testing.assert_array_equal(whole[k], part[k])
    # a unit wholly outside the grid: an empty window, nothing read, nothing counted
    far = np.array([box(X0 - 10_000, Y0 + 5_000, X0 - 9_000, Y0 + 6_000)])
    r0, c0, r1, c1 = exact._window(far, g)
    assert (r1 - r0) * (c1 - c0) == 0
    out = exact._run(shapely.to_wkb(far), np.arange(1), *args[2:], (r0, c0, r1, c1))
    assert out["nox@count"][0] == 0 and out["nox@sum"][0] == 0


def test_hotspots_take_the_sums_of_an_earlier_zonal_stats(units, grids, monkeypatch):
    stats = zonal_stats(units, _open(grids), workers=1)
    calls = []
    real = exact._run
    monkeypatch.setattr(exact, "_run", lambda *a, **k: calls.append(1) or real(*a, **k))
    g = _open(grids)
    hot = co_hotspots(units, {"nox": g["nox"]}, {"co2": g["co2"]})
    assert calls == []  # every column was kept from zonal_stats
    np.testing.assert_array_equal(hot["pollutant_t"].to_numpy(), stats["nox_sum"].to_numpy())
    # another name for the same file is the same grid; other units are not
    again = zonal_stats(units, {"other": open_grid(grids["nox"], quantity="amount")})
    assert calls == []
    np.testing.assert_array_equal(again["other_sum"].to_numpy(), stats["nox_sum"].to_numpy())
    zonal_stats(units.iloc[:-1], {"nox": open_grid(grids["nox"], quantity="amount")})
    assert calls == [1]


def test_a_rewritten_file_is_computed_again(units, grids):
    first = zonal_stats(units, {"nox": open_grid(grids["nox"], quantity="amount")})
    with rasterio.open(grids["nox"]) as ds:
        arr = ds.read(1)
    _write(grids["nox"], np.where(arr == -9999.0, arr, arr * 2))
    second = zonal_stats(units, {"nox": open_grid(grids["nox"], quantity="amount")})
    np.testing.assert_allclose(second["nox_sum"], 2 * first["nox_sum"], rtol=1e-6)
    # a grid opened before its file was rewritten is not looked up, nor kept
    g = open_grid(grids["nox"], quantity="amount")
    _write(grids["nox"], arr)
    assert cache._grid_key(g) is None


def test_a_vrt_is_never_kept_its_source_may_change(units, grids, tmp_path):
    """A VRT reads other files: its own fingerprint does not say whether their values
    changed, so its statistics are computed every time."""
    with rasterio.open(grids["nox"]) as ds:
        arr, width, height = ds.read(1), ds.width, ds.height
    vrt = tmp_path / "nox.vrt"
    vrt.write_text(
        f'<VRTDataset rasterXSize="{width}" rasterYSize="{height}"><SRS>EPSG:4549</SRS>'
        f"<GeoTransform>{X0}, {CELL}, 0, {Y0}, 0, -{CELL}</GeoTransform>"
        '<VRTRasterBand dataType="Float32" band="1"><NoDataValue>-9999</NoDataValue>'
        '<Metadata><MDI key="units">t/cell/yr</MDI></Metadata><SimpleSource>'
        '<SourceFilename relativeToVRT="1">nox.tif</SourceFilename><SourceBand>1</SourceBand>'
        "</SimpleSource></VRTRasterBand></VRTDataset>"
    )
    first = zonal_stats(units, {"nox": open_grid(str(vrt), quantity="amount")})
    assert cache._grid_key(open_grid(str(vrt), quantity="amount")) is None
    assert cache._grid_key(open_grid(grids["nox"], quantity="amount")) is not None
    _write(grids["nox"], np.where(arr == -9999.0, arr, arr * 2))
    second = zonal_stats(units, {"nox": open_grid(str(vrt), quantity="amount")})
    np.testing.assert_allclose(second["nox_sum"], 2 * first["nox_sum"], rtol=1e-6)


def test_arrays_are_never_kept(units, monkeypatch):
    arr = np.ones((SIZE, SIZE))
    calls = []
    real = exact._run
    monkeypatch.setattr(exact, "_run", lambda *a, **k: calls.append(1) or real(*a, **k))
    a = zonal_stats(units, {"g": (arr, T, 4549)}, quantities={"g": "amount"})
    arr *= 3  # changed in place
    b = zonal_stats(units, {"g": (arr, T, 4549)}, quantities={"g": "amount"}, workers=2)
    assert calls == [1, 1]  # computed twice, here (arrays are not sent to workers)
    np.testing.assert_allclose(b["g_sum"], 3 * a["g_sum"], rtol=1e-12)


def test_the_cache_stays_under_its_bound(units, grids, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_MAX_BYTES", 3 * len(units) * 8)
    zonal_stats(units, _open(grids), stats=STATS, workers=1)
    assert cache._cache_bytes <= 3 * len(units) * 8
    assert 0 < len(cache._cache) <= 3


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_workers_must_be_a_whole_number(units, grids, bad):
    with pytest.raises(InputError, match="workers was") as e:
        zonal_stats(units, _open(grids), workers=bad)
    assert e.value.param == "workers"


def test_parts_cut_the_work_along_the_longer_side(units, grids):
    g = _open(grids)
    geoms = np.asarray(units.geometry.values)
    parts = workers._parts(geoms, g, 2)
    assert len(parts) == 2 and sum(len(p) for p in parts) == len(geoms)
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(geoms)))
    # small runs stay in this process unless asked
    assert len(workers._parts(geoms, g, None)) == 1
