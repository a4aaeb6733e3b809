"""Candidates with reasons, Tier 1 sink, selection; the afforest and soil commands."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from click.testing import CliRunner
from shapely.geometry import Point, box

from zoning.cli import main
from zoning.errors import InputError
from zoning.io.afforest import read_legend
from zoning.optimize import InfeasibleBudget
from zoning.siting import (
    DistanceLimit,
    estimate_sink,
    find_candidates,
    removal_factors,
    select_sites,
    site_afforestation,
    slope_degrees,
)

CRS = "EPSG:4549"
X0, Y0 = 500000.0, 3300000.0


def _parcel(i, j, size=100.0, gap=4.0):
    x, y = X0 + i * (size + gap), Y0 + j * (size + gap)
    return box(x, y, x + size, y + size)


@pytest.fixture
def parcels():
    """A 6 x 2 field block of 1 ha parcels (4 m apart) plus a lone 1 ha parcel far east.

    Classes: columns 0-1 strict, column 2 safe, columns 3-5 strict; the lone one strict.
    """
    rows = []
    for j in range(2):
        for i in range(6):
            rows.append(
                {
                    "parcel_id": f"F{i}{j}",
                    "soil_class": 2 if i == 2 else 3,
                    "geometry": _parcel(i, j),
                }
            )
    rows.append({"parcel_id": "LONE", "soil_class": 3, "geometry": _parcel(20, 0)})
    rows.append(
        {"parcel_id": "TINY", "soil_class": 3, "geometry": box(X0 + 3000, Y0, X0 + 3050, Y0 + 50)}
    )
    rows.append({"parcel_id": "NOCLASS", "soil_class": 0, "geometry": _parcel(30, 0)})
    return gpd.GeoDataFrame(rows, crs=CRS)


def _grid(value_fn, cell=10.0):
    nx, ny = 400, 40
    transform = Affine(cell, 0, X0 - 100, 0, -cell, Y0 + 300)
    xs = X0 - 100 + (np.arange(nx) + 0.5) * cell
    ys = Y0 + 300 - (np.arange(ny) + 0.5) * cell
    gx, gy = np.meshgrid(xs, ys)
    return value_fn(gx, gy).astype("float64"), transform, CRS


def test_candidates_merge_neighbours_and_every_parcel_says_why(parcels):
    c = find_candidates(parcels)
    by = c.parcels.set_index("parcel_id")
    assert by.loc["F20", "reason"] == "not_strict"
    assert "严格管控" in by.loc["F20", "reason_zh"] and "not strict" in by.loc["F20", "reason_en"]
    assert by.loc["NOCLASS", "reason"] == "unclassified"
    assert by.loc["TINY", "reason"] == "small_patch"
    assert "0.25 ha" in by.loc["TINY", "reason_en"]
    # columns 0-1 and 3-5 are two patches (column 2 breaks the block); LONE is a third
    assert len(c.patches) == 3
    sizes = sorted(c.patches["n_parcels"].tolist())
    assert sizes == [1, 4, 6]
    assert c.patches["area_ha"].max() == pytest.approx(6.0)
    assert (c.parcels["candidate"] == (c.parcels["reason"] == "")).all()
    assert by.loc["F00", "patch_id"] == by.loc["F11", "patch_id"]
    assert by.loc["F00", "patch_id"] != by.loc["F30", "patch_id"]


def test_slope_landcover_excluded_and_distance(parcels):
    # a plane rising 1 m per m eastwards beyond x0+500: 45 degrees there, flat elsewhere
    dem = _grid(lambda x, y: np.where(x > X0 + 500, (x - X0 - 500), 0.0))
    assert slope_degrees(dem)[5, 300] == pytest.approx(45.0)
    # water (80) under column 0
    lc = _grid(lambda x, y: np.where(x < X0 + 100, 80, 40))
    red = gpd.GeoDataFrame(geometry=[box(X0 + 300, Y0, X0 + 420, Y0 + 50)], crs=CRS)
    road = gpd.GeoDataFrame(geometry=[Point(X0, Y0)], crs=CRS)
    c = find_candidates(
        parcels,
        dem=dem,
        landcover=lc,
        landcover_legend=read_legend("worldcover"),
        exclude={"red line": red},
        distance_limits=[DistanceLimit("road", road, max_m=1000)],
        min_patch_area_ha=0.5,
    )
    by = c.parcels.set_index("parcel_id")
    assert "slope" in by.loc["F50", "reason"] and by.loc["F50", "slope_deg"] > 25
    assert "above the limit 25°" in by.loc["F50", "reason_en"]
    assert by.loc["F00", "reason"] == "landcover"
    assert by.loc["F00", "reason_zh"] == "主要地类为水体，不宜造林"
    assert "excluded" in by.loc["F30", "reason"] and "red line" in by.loc["F30", "reason_en"]
    assert "too_far" in by.loc["LONE", "reason"]
    assert by.loc["F10", "candidate"] and by.loc["F10", "landcover"] == "cropland"


def test_extra_polluted_plots_are_considered(parcels):
    mine = gpd.GeoDataFrame(
        {"name": ["closed mine"]}, geometry=[box(X0 + 5000, Y0, X0 + 5200, Y0 + 200)], crs=CRS
    )
    c = find_candidates(parcels, extra_plots=mine)
    assert "polluted_plot" in set(c.patches["sources"])
    assert len(c.patches) == 4


def test_sink_uses_named_factors(parcels):
    f = removal_factors(ecozone="subtropical_humid")
    assert f["removal_t_co2_ha_yr"] == pytest.approx(8.0 * 1.23 * 0.47 * 44 / 12)
    patches, used = estimate_sink(find_candidates(parcels).patches, horizon_years=30, factors=f)
    big = patches.sort_values("area_ha").iloc[-1]
    assert big["sink_t_co2_yr"] == pytest.approx(6.0 * f["removal_t_co2_ha_yr"], rel=1e-4)
    assert big["sink_t_co2_horizon"] == pytest.approx(30 * big["sink_t_co2_yr"], rel=1e-4)
    assert used["formula"] == "G x (1 + R) x CF x 44/12"
    p2, u2 = estimate_sink(patches, rate_t_co2_ha_yr=2.0)
    assert p2["removal_t_co2_ha_yr"].eq(2.0).all() and u2["formula"] == "user rate"
    with pytest.raises(InputError, match="no ecological zone"):
        removal_factors()
    with pytest.raises(InputError, match="no ecological zone"):
        estimate_sink(patches)


@pytest.fixture
def patches(parcels):
    f = removal_factors(ecozone="subtropical_humid")
    return estimate_sink(find_candidates(parcels).patches, factors=f)[0]


def test_selection_budget_and_locks(patches):
    out, sel = select_sites(patches, budget_ha=5.0, gap=0.0)
    assert out.loc[out["selected"], "area_ha"].sum() <= 5.0
    assert out.loc[out["selected"], "area_ha"].sum() == pytest.approx(5.0)  # 4 + 1 ha
    # lock out the 4 ha patch through one of its parcels: the 1 ha patch is the only fit
    out2, _ = select_sites(patches, budget_ha=5.0, locked_out=["F00"], gap=0.0)
    assert out2.loc[out2["selected"], "area_ha"].sum() == pytest.approx(1.0)
    assert (out2["locked"] == "out").sum() == 1
    with pytest.raises(InfeasibleBudget, match="more than the budget"):
        select_sites(patches, budget_ha=5.0, locked_in=["AF0001"])
    with pytest.raises(InputError, match="NOPE"):
        select_sites(patches, budget_ha=5.0, locked_in=["NOPE"])


def test_adjacency_bonus_prefers_neighbouring_patches():
    # three 1 ha patches: A and B 150 m apart; C far away with a slightly higher sink
    geoms = [
        box(X0, Y0, X0 + 100, Y0 + 100),
        box(X0 + 250, Y0, X0 + 350, Y0 + 100),
        box(X0 + 5000, Y0, X0 + 5100, Y0 + 100),
    ]
    p = gpd.GeoDataFrame(
        {
            "patch_id": ["A", "B", "C"],
            "parcel_ids": ["a", "b", "c"],
            "area_ha": [1.0, 1.0, 1.0],
            "sink_t_co2_horizon": [100.0, 90.0, 95.0],
        },
        geometry=geoms,
        crs=CRS,
    )
    plain, _ = select_sites(p, budget_ha=2.0, gap=0.0)
    assert plain.loc[plain["selected"], "patch_id"].tolist() == ["A", "C"]
    compact, sel = select_sites(p, budget_ha=2.0, adjacency_bonus=10.0, gap=0.0)
    assert compact.loc[compact["selected"], "patch_id"].tolist() == ["A", "B"]
    assert sel.details["n_adjacent_pairs"] == 1


def test_pipeline_summary(parcels):
    res = site_afforestation(
        parcels,
        budget_ha=7.0,
        horizon_years=10,
        factors=removal_factors(ecozone="subtropical_humid"),
        selection={"gap": 0.0},
    )
    s = res.summary
    assert s["selected_area_ha"] == pytest.approx(7.0)
    assert s["sink_t_co2_horizon"] == pytest.approx(10 * s["sink_t_co2_yr"], rel=1e-3)
    assert s["solver"]["status"] == "optimal"
    assert s["rejections"] == {"not_strict": 2, "unclassified": 1, "small_patch": 1}
    assert res.parcels["selected"].sum() == 7


# --- command line ---------------------------------------------------------------------


@pytest.fixture
def files(tmp_path, parcels):
    p = tmp_path / "parcels.gpkg"
    parcels.drop(columns=["soil_class"]).assign(land_use="paddy").to_file(p)
    rows = [
        {
            "pH": 6.0,
            "Cd": 2.5 if i != 2 else 0.5,
            "Hg": 0.1,
            "As": 5,
            "Pb": 20,
            "Cr": 50,
            "geometry": _parcel(i, 0).centroid,
        }
        for i in range(6)
    ]
    rows += [
        {
            "pH": 6.0,
            "Cd": 2.5 if i != 2 else 0.5,
            "Hg": 0.1,
            "As": 5,
            "Pb": 20,
            "Cr": 50,
            "geometry": _parcel(i, 1).centroid,
        }
        for i in range(6)
    ]
    s = tmp_path / "samples.geojson"
    gpd.GeoDataFrame(rows, crs=CRS).to_crs("EPSG:4326").to_file(s)
    return p, s


def test_cli_afforest_writes_everything(tmp_path, files):
    p, s = files
    out = tmp_path / "aff"
    r = CliRunner().invoke(
        main,
        [
            "afforest",
            "--ecozone",
            "subtropical_humid",
            "--parcels",
            str(p),
            "--samples",
            str(s),
            "--budget-ha",
            "5",
            "--out",
            str(out),
            "--lang",
            "en",
        ],
    )
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["selected_area_ha"] == pytest.approx(5.0)
    assert summary["solver"]["gap"] is not None and summary["solver"]["runtime_s"] >= 0
    sel = json.loads((out / "selected.geojson").read_text(encoding="utf-8"))
    rej = json.loads((out / "rejected.geojson").read_text(encoding="utf-8"))
    assert sum(f["properties"]["area_ha"] for f in sel["features"]) == pytest.approx(5.0)
    reasons = {f["properties"]["reason"] for f in rej["features"]}
    assert "budget" in reasons and "not_strict" in reasons
    assert all(f["properties"]["reason_en"] for f in rej["features"])
    html = (out / "afforest.html").read_text(encoding="utf-8")
    assert "Selected patches" in html


def test_cli_afforest_infeasible_budget_exit_2(tmp_path, files):
    p, s = files
    out = tmp_path / "aff"
    r = CliRunner().invoke(
        main,
        [
            "afforest",
            "--ecozone",
            "subtropical_humid",
            "--parcels",
            str(p),
            "--samples",
            str(s),
            "--budget-ha",
            "2",
            "--lock-in",
            "F00",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 2
    assert "more than the budget" in r.output and "Traceback" not in r.output
    assert not out.exists()


def test_cli_afforest_needs_one_budget(tmp_path, files):
    p, s = files
    r = CliRunner().invoke(
        main,
        [
            "afforest",
            "--ecozone",
            "subtropical_humid",
            "--parcels",
            str(p),
            "--samples",
            str(s),
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert r.exit_code == 2 and "exactly one of --budget-ha and --budget-cost" in r.output


def test_cli_soil(tmp_path, files):
    p, s = files
    out = tmp_path / "soil.geojson"
    r = CliRunner().invoke(
        main, ["soil", "--samples", str(s), "--parcels", str(p), "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    fc = json.loads(out.read_text(encoding="utf-8"))
    by = {f["properties"]["parcel_id"]: f["properties"] for f in fc["features"]}
    assert by["F00"]["soil_class_key"] == "strict" and by["F20"]["soil_class_key"] == "safe"
    assert by["LONE"]["class_method"] == "idw" and by["LONE"]["idw_nearest_m"] > 1500
    assert fc["metadata"]["standard"].startswith("GB 15618-2018")


def test_cli_soil_bad_samples_exit_2(tmp_path, files):
    p, _ = files
    bad = tmp_path / "bad.geojson"
    gpd.GeoDataFrame({"pH": [6.0]}, geometry=[Point(X0, Y0)], crs=CRS).to_file(bad)
    r = CliRunner().invoke(
        main,
        ["soil", "--samples", str(bad), "--parcels", str(p), "--out", str(tmp_path / "o.geojson")],
    )
    assert r.exit_code == 2 and "lack the metal column" in r.output


@pytest.mark.browser
def test_afforest_map_renders_offline(tmp_path, files, browser):
    p, s = files
    out = tmp_path / "aff"
    r = CliRunner().invoke(
        main,
        [
            "afforest",
            "--ecozone",
            "subtropical_humid",
            "--parcels",
            str(p),
            "--samples",
            str(s),
            "--budget-ha",
            "5",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    page = browser.open(out / "afforest.html")
    assert page.console_errors == []
    assert page.locator(".leaflet-interactive").count() >= 3
    assert "入选图斑" in page.content()


def test_cobenefits_population_and_exposure_weigh_in(parcels):
    # 100 people in one cell next to the lone parcel only
    pop = _grid(
        lambda x, y: np.where((abs(x - X0 - 2135) < 5) & (abs(y - Y0 - 55) < 5), 100.0, 0.0)
    )
    c = find_candidates(parcels, population=pop, population_buffer_m=500)
    by = c.patches.set_index("n_parcels")
    assert by.loc[1, "population_nearby"] == pytest.approx(100.0)
    assert by.loc[4, "population_nearby"] == 0.0
    patches = estimate_sink(c.patches, factors=removal_factors(ecozone="subtropical_humid"))[0]
    plain, _ = select_sites(patches, budget_ha=4.0, gap=0.0)
    assert plain.loc[plain["selected"], "n_parcels"].tolist() == [4]
    weighted, _ = select_sites(
        patches, budget_ha=4.0, gap=0.0, weights={"population_nearby": 100.0}
    )
    assert weighted.loc[weighted["selected"], "n_parcels"].tolist() == [1]
    with pytest.raises(InputError, match="co-benefit column 'nope'"):
        select_sites(patches, budget_ha=4.0, weights={"nope": 1.0})


def test_cli_afforest_filters_from_files(tmp_path, files):
    p, s = files
    road = tmp_path / "road.geojson"
    gpd.GeoDataFrame(geometry=[Point(X0, Y0)], crs=CRS).to_file(road)
    red = tmp_path / "red.geojson"
    gpd.GeoDataFrame(geometry=[box(X0 + 300, Y0, X0 + 420, Y0 + 50)], crs=CRS).to_file(red)
    out = tmp_path / "aff"
    r = CliRunner().invoke(
        main,
        [
            "afforest",
            "--ecozone",
            "subtropical_humid",
            "--parcels",
            str(p),
            "--samples",
            str(s),
            "--budget-ha",
            "20",
            "--within",
            f"road={road}:1000",
            "--exclude",
            f"red={red}",
            "--min-area",
            "0.5",
            "--out",
            str(out),
            "--lang",
            "en",
        ],
    )
    assert r.exit_code == 0, r.output
    rej = json.loads((out / "rejected.geojson").read_text(encoding="utf-8"))
    by = {f["properties"]["parcel_id"]: f["properties"] for f in rej["features"]}
    assert "too_far" in by["LONE"]["reason"]
    assert "'red'" in by["F30"]["reason_en"]
    bad = CliRunner().invoke(
        main,
        [
            "afforest",
            "--ecozone",
            "subtropical_humid",
            "--parcels",
            str(p),
            "--budget-ha",
            "2",
            "--within",
            f"road={road}:far",
            "--out",
            str(out),
        ],
    )
    assert bad.exit_code == 2 and ":METRES" in bad.output


def test_areas_are_measured_on_the_ellipsoid_not_in_the_layers_projection():
    # the same 1 ha field drawn in UTM 50N 3 degrees east of its central meridian (scale
    # about 1.0008) and in EPSG:4549 at its central meridian: the same area to the m²
    field = gpd.GeoDataFrame(
        {"parcel_id": ["A"], "soil_class": [3]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100)],
        crs=CRS,
    )
    utm = field.to_crs("EPSG:32650")
    planar_ha = utm.area.iloc[0] / 1e4
    assert planar_ha > 1.001  # what the projection alone would say
    for frame in (field, utm):
        cand = find_candidates(frame, min_patch_area_ha=0.5)
        assert cand.parcels["area_ha"].iloc[0] == pytest.approx(1.0, abs=1e-4)
        assert cand.patches["area_ha"].iloc[0] == pytest.approx(1.0, abs=1e-4)
        assert cand.params["area_crs"] == "EPSG:6933"


def test_library_errors_name_parameters_and_the_cli_names_flags(tmp_path, files, parcels):
    with pytest.raises(InputError, match="parameter 'species'") as exc:
        removal_factors(ecozone="subtropical_dry")
    assert "--species" not in str(exc.value) and "`species`" in str(exc.value)
    with pytest.raises(InputError, match="parameter 'min_patch_area_ha'"):
        find_candidates(parcels, min_patch_area_ha=-1)
    with pytest.raises(InputError, match="parameter 'horizon_years'"):
        estimate_sink(find_candidates(parcels).patches, horizon_years=0, rate_t_co2_ha_yr=5)
    p, s = files
    base = ["afforest", "--parcels", str(p), "--samples", str(s), "--budget-ha", "5"]
    r = CliRunner().invoke(
        main, [*base, "--ecozone", "subtropical_dry", "--out", str(tmp_path / "a")]
    )
    assert r.exit_code == 2 and "option '--species'" in r.output and "pass --species" in r.output
    assert "`species`" not in r.output and not (tmp_path / "a").exists()
    r = CliRunner().invoke(
        main,
        [*base, "--ecozone", "subtropical_humid", "--min-area", "-1", "--out", str(tmp_path / "b")],
    )
    assert r.exit_code == 2 and "option '--min-area'" in r.output
    r = CliRunner().invoke(
        main,
        [*base, "--ecozone", "subtropical_humid", "--horizon", "0", "--out", str(tmp_path / "c")],
    )
    assert r.exit_code == 2 and "option '--horizon'" in r.output
    r = CliRunner().invoke(
        main,
        [
            "soil",
            "--samples",
            str(s),
            "--parcels",
            str(p),
            "--max-distance",
            "0",
            "--out",
            str(tmp_path / "s.geojson"),
        ],
    )
    assert r.exit_code == 2 and "option '--max-distance'" in r.output


def test_cli_weight_and_population_reach_the_selection(tmp_path, files):
    import rasterio

    p, s = files
    pop = tmp_path / "pop.tif"
    arr = np.full((40, 400), 10.0, dtype="float32")
    with rasterio.open(
        pop,
        "w",
        driver="GTiff",
        width=400,
        height=40,
        count=1,
        dtype="float32",
        crs=CRS,
        transform=Affine(10.0, 0, X0 - 100, 0, -10.0, Y0 + 300),
    ) as ds:
        ds.write(arr, 1)
    out = tmp_path / "aff"
    r = CliRunner().invoke(
        main,
        [
            "afforest",
            "--ecozone",
            "subtropical_humid",
            "--parcels",
            str(p),
            "--samples",
            str(s),
            "--budget-ha",
            "5",
            "--population",
            str(pop),
            "--population-buffer",
            "100",
            "--weight",
            "population_nearby=2",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    sel = json.loads((out / "selected.geojson").read_text(encoding="utf-8"))["features"]
    props = sel[0]["properties"]
    assert props["population_nearby"] > 0
    assert props["benefit"] == pytest.approx(
        props["sink_t_co2_horizon"] + 2 * props["population_nearby"], abs=0.01
    )
    r = CliRunner().invoke(
        main,
        [
            "afforest",
            "--ecozone",
            "subtropical_humid",
            "--parcels",
            str(p),
            "--samples",
            str(s),
            "--budget-ha",
            "5",
            "--weight",
            "nope",
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert r.exit_code == 2 and "--weight" in r.output and "COLUMN=W" in r.output


def test_runs_are_library_functions(tmp_path, files):
    from zoning.afforest import run_afforest, run_soil
    from zoning.cli import afforest as cli_afforest
    from zoning.cli import soil as cli_soil

    assert cli_afforest.run is run_afforest and cli_soil.run is run_soil
    p, s = files
    samples, parcels_ = gpd.read_file(s), gpd.read_file(p)
    written = run_soil(samples, parcels_, tmp_path / "soil.geojson")
    assert json.loads(written["parcels_soil"].read_text(encoding="utf-8"))["metadata"]["counts"]
    written = run_afforest(
        parcels_, tmp_path / "aff", samples=samples, budget_ha=5, ecozone="subtropical_humid"
    )
    assert sorted(written) == ["map", "rejected", "selected", "summary"]
    assert all(path.exists() for path in written.values())
    with pytest.raises(InputError, match="parameter 'ecozone_layer'"):
        run_afforest(
            parcels_,
            tmp_path / "x",
            samples=samples,
            budget_ha=5,
            ecozone="subtropical_humid",
            ecozone_layer=parcels_,
        )
    assert not (tmp_path / "x").exists()


def test_cli_afforest_map_has_the_units_and_opens_on_the_county(tmp_path, files):
    p, s = files
    parcels = gpd.read_file(p)
    x0, y0, x1, y1 = parcels.total_bounds
    units = gpd.GeoDataFrame(
        {
            "code": ["ZH33990110001", "ZH33990130002"],
            "name": ["甲单元", "乙单元"],
            "unit_class": [1, 3],
        },
        geometry=[
            box(x0 - 5000, y0 - 5000, x0 + 100, y1 + 5000),
            box(x0 + 100, y0 - 5000, x1 + 5000, y1 + 5000),
        ],
        crs=parcels.crs,
    )
    u = tmp_path / "units.geojson"
    units.to_file(u)
    out = tmp_path / "aff"
    args = ["afforest", "--ecozone", "subtropical_humid", "--parcels", str(p), "--samples", str(s)]
    r = CliRunner().invoke(main, [*args, "--budget-ha", "5", "--units", str(u), "--out", str(out)])
    assert r.exit_code == 0, r.output
    html = (out / "afforest.html").read_text(encoding="utf-8")
    assert "甲单元" in html and "县域边界" in html
    # opens on the county (the units' outline), which is far wider than the candidates
    import re

    fit = re.search(r"zFit\(map_\w+, \[\[([-\d.]+),([-\d.]+)\],\[([-\d.]+),([-\d.]+)\]\]", html)
    assert fit, "no initial fit"
    lat0, lon0, lat1, lon1 = map(float, fit.groups())
    ll = units.to_crs("EPSG:4326").total_bounds
    assert lon0 <= ll[0] + 1e-3 and lon1 >= ll[2] - 1e-3
    headline = html.split("zsummary'>", 1)[-1].split("<", 1)[0]
    assert "求解：" in headline and not re.search(
        r"[A-Za-z]{4,}", headline.replace("IPCC Tier", "")
    ), headline


def test_demo_afforestation_finds_its_candidates_once(tmp_path, monkeypatch):
    import zoning.afforest
    import zoning.siting.pipeline
    from zoning.demo import afforest_step

    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return find_candidates(*args, **kwargs)

    monkeypatch.setattr(zoning.afforest, "find_candidates", counted)
    monkeypatch.setattr(zoning.siting.pipeline, "find_candidates", counted)
    written = afforest_step(tmp_path, "en", lambda _: None)
    assert len(calls) == 1
    s = json.loads(written["summary"].read_text(encoding="utf-8"))
    assert s["n_selected_patches"] > 0 and s["budget"]["area_ha"] >= 1.0
