"""No data is not zero, units are never invented (issue 9, items 3 and 4) and zonal
statistics over zones without a unit class (item 7)."""

from __future__ import annotations

import json
import logging

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner
from conftest import make_units, write_tif
from rasterio.transform import from_origin
from shapely.geometry import Point, box

from zoning.cli import main
from zoning.errors import InputError
from zoning.hotspots import MIN_UNITS, co_hotspots
from zoning.io.raster import grid_from_array, open_grid
from zoning.io.raster_preview import preview_label
from zoning.stats import zonal_stats

X0, Y0 = 500000.0, 3300000.0  # south-west corner of make_units' layout, EPSG:4549


def _tif(path, arr, transform, tags=None, nodata=None, units=None):
    return write_tif(path, arr, transform, nodata=nodata, tags=tags, units=units)


# --- item 4: units never invented ---------------------------------------------------------


def test_an_undeclared_grid_has_unknown_units_logged_once(caplog):
    units = make_units(3, 2)
    arr = np.full((2, 3), 2.0)
    t = from_origin(X0, Y0 + 2000, 1000, 1000)
    with caplog.at_level(logging.WARNING, logger="zoning"):
        res = zonal_stats(units, {"g": (arr, t, 4549)})
    cols = [c for c in res.columns if c.startswith("g_")]
    assert "g_sum" not in cols  # sums only when asked for
    assert res.attrs["units"]["g_mean"] == "unknown"
    assert "t/yr" not in json.dumps(res.attrs["units"])
    info = res.attrs["grids"]["g"]
    assert info["quantity"] == "unknown" and info["units_declared"] is False
    assert info["declared_units"] is None and info["output_units"] == "unknown"
    said = [r for r in caplog.records if "declares no units" in r.getMessage()]
    assert len(said) == 1 and "not t/cell/yr" in said[0].getMessage()
    # a sum when asked for: the values as stored, in unknown units
    res = zonal_stats(units, {"g": (arr, t, 4549)}, stats=["sum"])
    assert res["g_sum"].tolist() == pytest.approx([2.0] * 6)
    assert res.attrs["units"]["g_sum"] == "unknown"


def test_an_undeclared_file_is_unknown_not_t_per_cell(tmp_path):
    path = _tif(tmp_path / "g.tif", np.ones((2, 2)), from_origin(X0, Y0 + 2000, 1000, 1000))
    with open_grid(path) as g:
        assert (g.quantity, g.units, g.declared) == ("unknown", None, False)
        assert g.output_units == "unknown" and g.units_label("zh") == "单位未知"
        assert preview_label(g, "en") == "units unknown" and preview_label(g, "zh") == "单位未知"
    # metadata units nobody knows are not taken for t/cell/yr either
    odd = _tif(tmp_path / "odd.tif", np.ones((2, 2)), from_origin(X0, Y0 + 2000, 1000, 1000))
    with rasterio.open(odd, "r+") as ds:
        ds.update_tags(units="furlongs")
    with open_grid(odd) as g:
        assert g.quantity == "unknown" and g.units is None


def test_a_flux_needs_its_units():
    with pytest.raises(InputError, match="flux grid needs its units"):
        grid_from_array(np.ones((2, 2)), from_origin(0, 2, 1, 1), 4549, quantity="flux")


@pytest.mark.parametrize(
    "units, quantity, label_en, label_zh",
    [
        ("m", "intensive", "m", "m"),
        ("degree", "intensive", "°", "°"),
        ("%", "intensive", "%", "%"),
        ("people/km2", "intensive", "people/km²", "人/km²"),
        ("kWh/m2/yr", "intensive", "kWh/m²/yr", "kWh/m²/年"),
        ("people/cell", "amount", "people/cell", "人/格"),
        ("ug/m3", "concentration", "µg/m³", "µg/m³"),
        ("t/cell/yr", "amount", "t/cell/yr", "t/格/年"),
    ],
)
def test_common_units_are_known_with_their_labels(units, quantity, label_en, label_zh):
    g = grid_from_array(np.ones((2, 2)), from_origin(0, 2, 1, 1), 4549, units=units)
    assert g.quantity == quantity
    assert g.units_label("en") == label_en and g.units_label("zh") == label_zh


def test_an_intensive_grid_is_averaged_never_summed(tmp_path):
    units = make_units(2, 1)
    arr = np.array([[100.0, 300.0]])
    dem = _tif(
        tmp_path / "dem.tif",
        arr,
        from_origin(X0, Y0 + 1000, 1000, 1000),
        tags={"quantity": "elevation", "units": "m"},  # as data/dem.tif says
    )
    dem = open_grid(dem)  # the statistics take open grids
    res = zonal_stats(units, {"dem": dem})
    assert "dem_sum" not in res.columns
    assert res["dem_mean"].tolist() == pytest.approx([100.0, 300.0])
    assert res.attrs["units"]["dem_mean"] == "m"
    assert res.attrs["grids"]["dem"]["quantity"] == "intensive"
    with pytest.raises(InputError, match="intensive.*never summed"):
        zonal_stats(units, {"dem": dem}, stats=["sum"])
    # an intensive grid in units nobody registered is still averaged in them
    g = grid_from_array(
        arr, from_origin(X0, Y0 + 1000, 1000, 1000), 4549, quantity="intensive", units="dB(A)"
    )
    res = zonal_stats(units, {"noise": g})
    assert res.attrs["units"]["noise_mean"] == "dB(A)"


def test_people_per_cell_are_summed_in_people():
    units = make_units(2, 1)
    g = grid_from_array(
        np.array([[10.0, 30.0]]),
        from_origin(X0, Y0 + 1000, 1000, 1000),
        4549,
        units="people/cell",
    )
    res = zonal_stats(units, {"pop": g}, stats=["sum", "mean"])
    assert res["pop_sum"].tolist() == pytest.approx([10.0, 30.0])
    assert res.attrs["units"]["pop_sum"] == "people"


def test_cli_stats_metadata_show_declared_units_in_the_run_language(tmp_path):
    units = make_units(2, 1)
    upath = tmp_path / "u.gpkg"
    units.to_file(upath)
    t = from_origin(X0, Y0 + 1000, 1000, 1000)
    pm = _tif(tmp_path / "pm.tif", np.array([[30.0, 40.0]]), t, tags={"units": "ug/m3"})
    raw = _tif(tmp_path / "raw.tif", np.array([[1.0, 2.0]]), t)
    nox = _tif(tmp_path / "nox.tif", np.array([[1.0, 2.0]]), t, tags={"units": "t/cell/yr"})
    out = tmp_path / "s.csv"
    r = CliRunner().invoke(
        main,
        [
            "stats",
            "--units",
            str(upath),
            "--grid",
            f"pm={pm}",
            "--grid",
            f"raw={raw}",
            "--grid",
            f"nox={nox}",
            "--lang",
            "zh",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    meta = json.loads(out.with_name("s.meta.json").read_text(encoding="utf-8"))
    assert meta["column_units"]["pm_mean"] == "µg/m³"
    assert meta["grids"]["pm"]["declared_units"] == "µg/m³"
    assert meta["column_units"]["raw_mean"] == "unknown"
    assert meta["column_units_label"]["raw_mean"] == "单位未知"
    assert meta["column_units_label"]["nox_sum"] == "t/年"
    assert "ug/m3" not in json.dumps(meta, ensure_ascii=False).replace(str(tmp_path), "")


# --- item 3: no data is not zero -----------------------------------------------------------


def _half_covered_layout():
    """4 x 1 units of 1 km; the grid covers units 0 and 1 and half of unit 2."""
    units = make_units(4, 1)
    arr = np.full((2, 5), 1.0)  # 500 m cells, 2.5 km wide
    t = from_origin(X0, Y0 + 1000, 500, 500)
    return units, arr, t


def test_a_unit_half_outside_and_one_wholly_outside():
    units, arr, t = _half_covered_layout()
    res = zonal_stats(units, {"g": (arr, t, 4549)}, grid_units={"g": "t/cell/yr"})
    assert res["g_sum"].tolist()[:3] == pytest.approx([4.0, 4.0, 2.0])  # exact partial sum
    assert np.isnan(res["g_sum"].iloc[3]) and np.isnan(res["g_mean"].iloc[3])
    assert res["g_coverage"].tolist() == pytest.approx([1.0, 1.0, 0.5, 0.0])


def test_a_grid_with_no_valid_cell_under_any_unit_is_still_refused():
    units = make_units(2, 1)
    arr = np.full((2, 2), np.nan)
    with pytest.raises(InputError, match="no valid cell under any unit"):
        zonal_stats(units, {"g": (arr, from_origin(X0, Y0 + 1000, 1000, 1000), 4549)})


def _planted_band(n_cols=12, n_rows=12, cover_cols=None):
    units = make_units(n_cols, n_rows)
    rng = np.random.default_rng(1)
    arr = rng.gamma(4, 0.25, (n_rows, n_cols))
    arr[:4, :4] += 3  # a hot block in the north-west
    if cover_cols is not None:
        arr[:, cover_cols:] = np.nan  # no data east of cover_cols
    return units, arr, from_origin(X0, Y0 + n_rows * 1000, 1000, 1000)


def test_hotspots_leave_units_without_data_out_and_count_them(caplog):
    units, arr, t = _planted_band(cover_cols=9)  # 3 columns x 12 rows without data
    gu = {"nox": "t/cell/yr", "co2": "t/cell/yr"}
    with caplog.at_level(logging.WARNING, logger="zoning"):
        res = co_hotspots(
            units, {"nox": (arr, t, 4549)}, {"co2": (arr * 2, t, 4549)}, grid_units=gu
        )
    s = res.attrs["summary"]
    assert s["units_without_data"] == {"pollutant": 36, "carbon": 36}
    assert s["units_tested"] == {"pollutant": 108, "carbon": 108}
    assert s["classes"]["no_data"] == 36
    east = res.geometry.bounds["minx"] >= X0 + 9000
    assert (res.loc[east, "co_class"] == "no_data").all()
    assert res.loc[east, "pollutant_gi_z"].isna().all()
    assert res.loc[east, "pollutant_t_per_km2"].isna().all()  # not 0
    assert res.loc[~east, "co_class"].isin(["both", "pollution", "carbon", "neither"]).all()
    assert (res["co_class"] == "both").sum() >= 4
    assert any("36 unit(s) without data" in r.getMessage() for r in caplog.records)
    assert not any("fewer than" in r.getMessage() for r in caplog.records)


def test_hotspots_partly_covered_unit_intensity_is_over_its_covered_part():
    units, arr, t = _half_covered_layout()
    units = make_units(4, 1)
    gu = {"nox": "t/cell/yr", "co2": "t/cell/yr"}
    res = co_hotspots(units, {"nox": (arr, t, 4549)}, {"co2": (arr, t, 4549)}, grid_units=gu)
    # half covered: 2 t over 0.5 km2 = 4 t/km2, as in the whole units (not 2)
    assert res["pollutant_t_per_km2"].tolist()[:3] == pytest.approx([4.0, 4.0, 4.0])
    assert res["pollutant_coverage"].tolist() == pytest.approx([1.0, 1.0, 0.5, 0.0])
    assert res["co_class"].iloc[3] == "no_data"
    # below min_coverage the half-covered unit is left out too
    res = co_hotspots(
        units, {"nox": (arr, t, 4549)}, {"co2": (arr, t, 4549)}, grid_units=gu, min_coverage=0.6
    )
    assert res.attrs["summary"]["units_without_data"]["pollutant"] == 2


def test_hotspots_warn_when_too_few_units_have_data(caplog):
    units, arr, t = _planted_band(5, 5)  # 25 units
    with caplog.at_level(logging.WARNING, logger="zoning"):
        res = co_hotspots(
            units,
            {"nox": (arr, t, 4549)},
            {"co2": (arr, t, 4549)},
            grid_units={"nox": "t/cell/yr", "co2": "t/cell/yr"},
        )
    text = [r.getMessage() for r in caplog.records if "fewer than" in r.getMessage()]
    assert (
        len(text) == 2
        and f"only 25 unit(s) with data in the Gi* test (fewer than {MIN_UNITS})" in text[0]
    )
    assert res.attrs["summary"]["too_few_units"] == {"pollutant": True, "carbon": True}


def test_hotspots_of_an_undeclared_grid_never_say_tonnes():
    units, arr, t = _planted_band()
    res = co_hotspots(units, {"nox": (arr, t, 4549)}, {"co2": (arr, t, 4549)})
    assert "pollutant_t" not in res.columns and "pollutant_sum" in res.columns
    assert res.attrs["units"]["pollutant_sum"] == "unknown"
    assert res.attrs["units"]["pollutant_per_km2"] == "unknown"
    assert "pollutant_total_t" not in res.attrs["summary"]


# --- rule grids: a value with no data decides nothing ----------------------------------------


def _rules(*conds):
    from zoning.rules.schema import parse_rules

    body = ["version: 1", "grids:", "  g: {path: g.tif, units: t/cell/yr}", "rules:"]
    for i, cond in enumerate(conds):
        body += [
            f"  - id: R{i}",
            "    dimension: emission",
            "    clause: {zh: 条款, en: clause}",
            "    message: {zh: 消息, en: message}",
            "    outcome: prohibited",
            f"    when: {cond}",
        ]
    return parse_rules("\n".join(body) + "\n", source="t.yaml")


def test_rule_grid_over_a_unit_without_data_is_undecided():
    from zoning.rules.engine import evaluate

    units, arr, t = _half_covered_layout()  # 1 t per 500 m cell
    rs = _rules(
        "{grid: {name: g, at: unit_sum, ge: 3}}",  # partial 2 in unit 2: could be more
        "{grid: {name: g, at: unit_sum, lt: 1}}",  # partial 2 in unit 2: certainly not < 1
        "{grid: {name: g, at: unit_mean, ge: 1}}",  # half a unit's mean says nothing certain
        "{grid: {name: g, at: unit_sum, ge: 1}}",  # partial 2 >= 1: certainly true
    )
    fac = gpd.GeoDataFrame(
        {"stage": ["x"] * 4},
        geometry=[Point(X0 + 500 + 1000 * i, Y0 + 500) for i in range(4)],
        crs="EPSG:4549",
    )
    ev = evaluate(fac, rs, units=units, unit_index=np.arange(4), grids={"g": (arr, t, 4549)})
    # unit 0, 1 complete; unit 2 half covered; unit 3 wholly outside: never decided on 0
    assert ev.fired[:, 0].tolist() == [True, True, False, False]
    assert ev.unknown[:, 0].tolist() == [False, False, True, True]
    assert ev.fired[:, 1].tolist() == [False, False, False, False]
    assert ev.unknown[:, 1].tolist() == [False, False, False, True]
    assert ev.unknown[:, 2].tolist() == [False, False, True, True]
    assert ev.fired[:, 3].tolist() == [True, True, True, False]
    assert ev.missing_facts(3, 0) == ["grid:g"]


# --- item 7: zones without a unit class -------------------------------------------------------


@pytest.fixture
def townships(tmp_path):
    zones = gpd.GeoDataFrame(
        {"id": ["T1", "T2", "T3", "T4"], "乡镇": ["甲", "乙", "丙", "丁"]},
        geometry=[box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000) for i in range(4)],
        crs="EPSG:4549",
    )
    path = tmp_path / "towns.gpkg"
    zones.to_file(path)
    return path


def test_cli_stats_over_zones_with_an_id_only(townships, tmp_path):
    arr = np.array([[1.0, 2.0, 3.0, 4.0]])
    g = _tif(
        tmp_path / "g.tif", arr, from_origin(X0, Y0 + 1000, 1000, 1000), tags={"units": "t/cell/yr"}
    )
    out = tmp_path / "towns.csv"
    r = CliRunner().invoke(
        main,
        [
            "stats",
            "--units",
            str(townships),
            "--field",
            "code=id",
            "--grid",
            f"g={g}",
            "--stat",
            "sum",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    import pandas as pd

    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table["code"].tolist() == ["T1", "T2", "T3", "T4"]
    assert "unit_class" not in table.columns
    assert table["g_sum"].tolist() == pytest.approx([1.0, 2.0, 3.0, 4.0])


def test_cli_hotspots_over_zones_with_an_id_only(tmp_path):
    units, arr, t = _planted_band(6, 6)
    zones = units[["code", "geometry"]].rename(columns={"code": "id"})
    zpath = tmp_path / "zones.gpkg"
    zones.to_file(zpath)
    g = _tif(tmp_path / "g.tif", arr, t)  # undeclared: allowed, reported in unknown units
    r = CliRunner().invoke(
        main,
        [
            "hotspots",
            "--units",
            str(zpath),
            "--field",
            "code=id",
            "--pollutant-grid",
            f"nox={g}",
            "--carbon-grid",
            f"co2={g}",
            "--grid-units",
            "co2=t/cell/yr",
            "--lang",
            "en",
            "--out",
            str(tmp_path / "hs"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "units in Gi*: pollutant 36, carbon 36" in r.output
    frame = gpd.read_file(tmp_path / "hs" / "hotspots.geojson")
    assert "pollutant_sum" in frame.columns and "carbon_t" in frame.columns
    html = (tmp_path / "hs" / "hotspots.html").read_text(encoding="utf-8")
    assert "Pollutant intensity (units unknown/km²)" in html
    assert "Carbon intensity (t/km²/yr)" in html


def test_cli_stats_still_refuses_a_layer_without_an_id(townships, tmp_path):
    r = CliRunner().invoke(
        main,
        ["stats", "--units", str(townships), "--grid", "g=x.tif", "--out", str(tmp_path / "o.csv")],
    )
    assert r.exit_code == 2 and "code" in r.output
    assert not (tmp_path / "o.csv").exists()


def test_preview_labels_show_what_was_declared():
    t = Affine(1000, 0, X0, 0, -1000, Y0)
    conc = grid_from_array(np.ones((1, 1)), t, 4549, units="mg/m3")
    assert preview_label(conc, "zh") == "µg/m³"  # read in µg/m³ (converted)
    dem = grid_from_array(np.ones((1, 1)), t, 4549, units="m")
    assert preview_label(dem, "en") == "m"
    amt = grid_from_array(np.ones((1, 1)), t, 4549, units="kg/cell/yr")
    assert preview_label(amt, "zh") == "t/格/年"  # read in t per cell


def test_an_undeclared_grid_travels_to_a_worker_still_undeclared(tmp_path):
    import pickle

    path = _tif(tmp_path / "g.tif", np.ones((2, 2)), from_origin(X0, Y0 + 2000, 1000, 1000))
    with open_grid(path) as g:
        again = pickle.loads(pickle.dumps(g))  # as Dask sends it: reopened there
        assert (again.quantity, again.units) == ("unknown", None)
        again.close()


def test_a_rule_grid_is_read_in_the_units_the_rule_file_declares(tmp_path):
    from zoning.io.raster import read_grid

    t = from_origin(X0, Y0 + 1000, 1000, 1000)
    mg = _tif(tmp_path / "mg.tif", np.array([[0.035, 0.050]]), t, tags={"units": "mg/m3"})
    # thresholds in ug/m3 compare with ug/m3 values; in mg/m3 with mg/m3 values
    assert read_grid(mg, units="ug/m3")[0].tolist()[0] == pytest.approx([35.0, 50.0])
    assert read_grid(mg, units="mg/m3")[0].tolist()[0] == pytest.approx([0.035, 0.05])
    raw = _tif(tmp_path / "raw.tif", np.array([[35.0, 50.0]]), t)  # declares nothing
    assert read_grid(raw, units="ug/m3")[0].tolist()[0] == pytest.approx([35.0, 50.0])
    with pytest.raises(InputError, match="declares units 't/cell/yr'.*declares 'mg/m3'"):
        read_grid(mg, units="t/cell/yr")


@pytest.mark.parametrize("command", ["stats", "hotspots"])
def test_grid_units_for_a_grid_not_given_is_exit_2(command, townships, tmp_path):
    g = _tif(tmp_path / "g.tif", np.ones((1, 4)), from_origin(X0, Y0 + 1000, 1000, 1000))
    grids = (
        ["--grid", f"g={g}"]
        if command == "stats"
        else ["--pollutant-grid", f"g={g}", "--carbon-grid", f"c={g}"]
    )
    out = tmp_path / ("o.csv" if command == "stats" else "hs")
    r = CliRunner().invoke(
        main,
        [
            command,
            "--units",
            str(townships),
            "--field",
            "code=id",
            *grids,
            "--grid-units",
            "nox=t/cell/yr",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 2 and "--grid-units" in r.output and "nox" in r.output
    assert not out.exists()
