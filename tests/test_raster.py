"""Reading grids: units and conversions, nodata, masks, scale/offset, true cell areas."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import CRS, Geod
from rasterio.transform import from_origin

from zoning.errors import CRSError, DataSourceError, InputError
from zoning.io.raster import (
    SECONDS_PER_YEAR,
    cell_areas_m2,
    grid_from_array,
    open_grid,
    unit_factor,
)


@pytest.mark.parametrize(
    ("units", "quantity", "factor"),
    [
        ("t/cell/yr", "amount", 1.0),
        ("kg/cell/yr", "amount", 1e-3),
        ("Gg yr-1", "amount", 1e3),
        ("kg m-2 s-1", "flux", 1e-3 * SECONDS_PER_YEAR),
        ("kg/m2/s", "flux", 1e-3 * SECONDS_PER_YEAR),
        ("t km-2 yr-1", "flux", 1e-6),
        ("t/ha/yr", "flux", 1e-4),
        ("µg/m³", "concentration", 1.0),
        ("mg/m3", "concentration", 1e3),
    ],
)
def test_unit_factors(units, quantity, factor):
    assert unit_factor(units, quantity) == pytest.approx(factor, rel=1e-15)


def test_units_of_another_quantity_refused():
    with pytest.raises(InputError, match="concentration"):
        unit_factor("ug/m3", "amount")
    with pytest.raises(InputError, match="not known"):
        unit_factor("furlongs", "flux")


@pytest.mark.parametrize("lat0", [0.0, 60.0])
def test_geographic_cell_areas_match_geodesic(lat0):
    t = from_origin(100.0, lat0 + 1.0, 0.1, 0.1)
    areas = cell_areas_m2(t, CRS.from_epsg(4326), height=10)
    geod = Geod(ellps="WGS84")
    for r in (0, 9):
        top = lat0 + 1.0 - 0.1 * r
        # cell edges along parallels are not geodesics: densify them
        xs = np.linspace(100.0, 100.1, 2001)
        lons = np.r_[xs, xs[::-1]]
        lats = np.r_[np.full(xs.size, top), np.full(xs.size, top - 0.1)]
        ref, _ = geod.polygon_area_perimeter(lons, lats)
        assert areas[r] == pytest.approx(abs(ref), rel=1e-9)
    # cells shrink towards the pole
    assert areas[0] < areas[9]


def test_flux_grid_converts_with_true_cell_area_at_two_latitudes():
    # 1 kg m-2 s-1 everywhere on 0.5 degree cells at the equator and at 60 N
    arr = np.ones((2, 1), dtype="float64")
    for lat_top in (0.5, 60.5):
        g = grid_from_array(
            arr,
            from_origin(110.0, lat_top, 0.5, 0.5),
            "EPSG:4326",
            quantity="flux",
            units="kg m-2 s-1",
        )
        got = g.read()
        area = cell_areas_m2(g.transform, g.crs, height=1)[0]
        assert got[0, 0] == pytest.approx(area * 1e-3 * SECONDS_PER_YEAR, rel=1e-12)
    eq = grid_from_array(
        arr, from_origin(110.0, 0.5, 0.5, 0.5), "EPSG:4326", quantity="flux", units="kg m-2 s-1"
    ).read()[0, 0]
    north = grid_from_array(
        arr, from_origin(110.0, 60.5, 0.5, 0.5), "EPSG:4326", quantity="flux", units="kg m-2 s-1"
    ).read()[0, 0]
    # a cell at 60 N is about half the area of one at the equator
    assert north / eq == pytest.approx(np.cos(np.radians(60.25)), rel=2e-2)


def test_projected_flux_uses_nominal_cell_area():
    g = grid_from_array(
        np.full((2, 2), 2.0),
        from_origin(0, 2000, 1000, 1000),
        "EPSG:4549",
        quantity="flux",
        units="t km-2 yr-1",
    )
    np.testing.assert_allclose(g.read(), 2.0)  # 2 t/km2/yr on 1 km2 cells


def test_concentration_converted_not_area_scaled():
    g = grid_from_array(np.full((2, 2), 0.035), from_origin(0, 2, 1, 1), "EPSG:4549", units="mg/m3")
    assert g.quantity == "concentration"
    np.testing.assert_allclose(g.read(), 35.0)


def _write(path, arr, **kw):
    profile = dict(
        driver="GTiff",
        width=arr.shape[1],
        height=arr.shape[0],
        count=1,
        dtype=arr.dtype,
        crs="EPSG:4549",
        transform=from_origin(500000, 3300000, 1000, 1000),
    )
    tags = kw.pop("tags", {})
    scale_offset = kw.pop("scale_offset", None)
    units = kw.pop("units", None)
    profile.update(kw)
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(arr, 1)
        if tags:
            ds.update_tags(1, **tags)
        if scale_offset:
            ds.scales, ds.offsets = (scale_offset[0],), (scale_offset[1],)
        if units:
            ds.units = (units,)
    return path


def test_geotiff_nodata_scale_offset_and_units(tmp_path):
    raw = np.array([[10, 20], [-1, 40]], dtype="int16")
    path = _write(tmp_path / "g.tif", raw, nodata=-1, scale_offset=(0.5, 1.0), units="kg/cell/yr")
    with open_grid(path) as g:
        assert (g.quantity, g.units, g.name) == ("amount", "kg/cell/yr", "g")
        got = g.read()
    expected = (raw * 0.5 + 1.0) * 1e-3
    assert np.isnan(got[1, 0])
    np.testing.assert_allclose(got[[0, 0, 1], [0, 1, 1]], expected[[0, 0, 1], [0, 1, 1]])


def test_geotiff_internal_mask_respected(tmp_path):
    arr = np.arange(4, dtype="float32").reshape(2, 2)
    path = _write(tmp_path / "m.tif", arr)
    with rasterio.open(path, "r+") as ds:
        ds.write_mask(np.array([[255, 0], [255, 255]], dtype="uint8"))
    with open_grid(path, quantity="amount") as g:
        got = g.read()
    assert np.isnan(got[0, 1]) and got[1, 1] == 3.0


def test_quantity_declared_in_tags(tmp_path):
    path = _write(
        tmp_path / "c.tif",
        np.ones((2, 2), "float32"),
        tags={"quantity": "concentration", "units": "ug/m3"},
    )
    with open_grid(path) as g:
        assert g.quantity == "concentration"


def _write_cf_netcdf(path, packed, lats, lons, *, scale, offset, fill, units):
    from scipy.io import netcdf_file

    with netcdf_file(path, "w") as nc:
        nc.createDimension("lat", len(lats))
        nc.createDimension("lon", len(lons))
        la = nc.createVariable("lat", "f8", ("lat",))
        la[:] = lats
        la.units = b"degrees_north"
        lo = nc.createVariable("lon", "f8", ("lon",))
        lo[:] = lons
        lo.units = b"degrees_east"
        v = nc.createVariable("emi_co2", "i2", ("lat", "lon"))
        v[:] = packed
        v.scale_factor, v.add_offset, v._FillValue = scale, offset, np.int16(fill)
        v.units = units.encode()


def test_netcdf_cf_flux_latitude_ascending(tmp_path):
    # EDGAR-like: latitude increasing (bottom-up), packed int16, kg m-2 s-1
    packed = np.array([[100, 200], [300, -999]], dtype="int16")  # row 0 = south
    path = tmp_path / "emi.nc"
    _write_cf_netcdf(
        path,
        packed,
        [30.25, 30.75],
        [100.25, 100.75],
        scale=1e-12,
        offset=0.0,
        fill=-999,
        units="kg m-2 s-1",
    )
    with open_grid(path, crs="EPSG:4326") as g:
        assert (g.quantity, g.units) == ("flux", "kg m-2 s-1")
        assert g.transform.e < 0 and g.bounds == pytest.approx((100, 30, 101, 31))
        vals = g.read()
        areas = g.cell_areas_m2()
    assert areas[0] < areas[1]  # the top (northern) row has the smaller cells
    assert np.isnan(vals[0, 1])  # the fill value, north-east
    per_area = vals / areas[:, None] / (1e-3 * SECONDS_PER_YEAR)
    np.testing.assert_allclose(per_area[0, 0], 300e-12, rtol=1e-6)
    np.testing.assert_allclose(per_area[1], [100e-12, 200e-12], rtol=1e-6)


def test_bottom_up_array_is_flipped():
    data = np.array([[1.0, 2.0], [3.0, 4.0]])  # row 0 = south
    g = grid_from_array(data, Affine(1, 0, 0, 0, 1, 10), 4549, units="t/cell/yr")
    assert g.transform.e == -1 and g.transform.f == 12
    np.testing.assert_array_equal(g.read(), [[3.0, 4.0], [1.0, 2.0]])


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(DataSourceError, match="file not found"):
        open_grid(tmp_path / "missing.tif")
    with pytest.raises(CRSError, match="no coordinate reference system"):
        grid_from_array(np.ones((2, 2)), Affine.identity(), None)
    with pytest.raises(InputError, match="rotated"):
        grid_from_array(np.ones((2, 2)), Affine(1, 0.1, 0, 0, -1, 0), 4549)
    with pytest.raises(InputError, match="quantity was 'mass'"):
        grid_from_array(np.ones((2, 2)), from_origin(0, 2, 1, 1), 4549, quantity="mass")


def test_windowed_read_matches_full(tmp_path):
    rng = np.random.default_rng(0)
    arr = rng.random((37, 53)).astype("float32")
    path = _write(tmp_path / "w.tif", arr, tiled=True, blockxsize=16, blockysize=16)
    with open_grid(path, units="t/cell/yr") as g:
        full = g.read()
        part = g.read(5, 7, 20, 30)
    np.testing.assert_array_equal(part, full[5:25, 7:37])


def test_preview_keeps_every_kth_cell_and_scales_the_transform():
    arr = np.arange(100.0).reshape(10, 10)
    g = grid_from_array(arr, from_origin(0, 10, 1, 1), 4549, units="t/cell/yr")
    small, t = g.read_preview(max_cells=30)
    np.testing.assert_array_equal(small, arr[::2, ::2])
    assert (t.a, t.e, t.c, t.f) == (2.0, -2.0, 0.0, 10.0)
    full, t1 = g.read_preview()
    assert full.shape == (10, 10) and t1 == g.transform


def test_netcdf_with_several_variables_needs_a_name(tmp_path):
    from scipy.io import netcdf_file

    path = tmp_path / "multi.nc"
    with netcdf_file(path, "w") as nc:
        nc.createDimension("lat", 2)
        nc.createDimension("lon", 3)
        nc.createVariable("lat", "f8", ("lat",))[:] = [40.25, 40.75]
        nc.createVariable("lon", "f8", ("lon",))[:] = [116.25, 116.75, 117.25]
        for name, value in (("nox", 1.0), ("so2", 2.0)):
            v = nc.createVariable(name, "f4", ("lat", "lon"))
            v[:] = np.full((2, 3), value, dtype="float32")
            v.units = b"t/cell/yr"
    with pytest.raises(DataSourceError, match="several variables"):
        open_grid(path, crs="EPSG:4326")
    with open_grid(path, variable="so2", crs="EPSG:4326") as g:
        assert g.name == "so2" and g.quantity == "amount"
        np.testing.assert_array_equal(g.read(), 2.0)
