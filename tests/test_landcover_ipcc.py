"""Land-cover legends as data, IPCC Tier 1 factors by ecological zone, soil samples as CSV."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner
from shapely.geometry import box

from zoning.cli import main
from zoning.errors import InputError, SchemaError
from zoning.io.afforest import (
    bundled_legends,
    legend_from_frame,
    read_landcover,
    read_legend,
    read_samples,
)
from zoning.siting import (
    ECOZONES,
    assign_ecozones,
    find_candidates,
    removal_factors,
    site_afforestation,
)

CRS = "EPSG:4549"
X0, Y0 = 500000.0, 3300000.0
CELL = 10.0


def _field(i):
    """1 ha parcel i of a row of parcels 4 m apart."""
    x = X0 + i * 104.0
    return box(x, Y0, x + 100, Y0 + 100)


@pytest.fixture
def strict_parcels():
    """Five strict-control 1 ha parcels in a row: P0 .. P4."""
    return gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(5)], "soil_class": [3] * 5},
        geometry=[_field(i) for i in range(5)],
        crs=CRS,
    )


def _lc100_grid():
    """LC100 codes: cropland (40) everywhere; closed evergreen broadleaf forest (112) under
    P1; open forest (126) under P2; under P3 forest split over two codes (30 % 111, 30 %
    126) beside 40 % cropland (the majority *code* is cropland, the majority *class*
    forest); water (80) under P4's east 60 %."""
    nx, ny = 60, 14
    transform = Affine(CELL, 0, X0 - 20, 0, -CELL, Y0 + 120)
    xs = X0 - 20 + (np.arange(nx) + 0.5) * CELL
    gx = np.broadcast_to(xs, (ny, nx))
    arr = np.full((ny, nx), 40.0)
    arr[(gx > X0 + 104) & (gx < X0 + 204)] = 112
    arr[(gx > X0 + 208) & (gx < X0 + 308)] = 126
    p3 = (gx > X0 + 312) & (gx < X0 + 412)
    arr[p3 & (gx < X0 + 342)] = 111
    arr[p3 & (gx > X0 + 342) & (gx < X0 + 372)] = 126
    p4 = (gx > X0 + 416) & (gx < X0 + 516)
    arr[p4 & (gx > X0 + 456)] = 80
    return arr, transform, CRS


def _write_tif(path, arr, transform, tags=None, nodata=255):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=arr.shape[1],
        height=arr.shape[0],
        count=1,
        dtype="uint8",
        crs=CRS,
        transform=transform,
        nodata=nodata,
    ) as ds:
        ds.write(arr.astype("uint8"), 1)
        if tags:
            ds.update_tags(**tags)
    return path


# --- legends ------------------------------------------------------------------------------


def test_bundled_legends_and_their_classes():
    assert bundled_legends() == ["clcd", "esa_cci", "gbt21010", "glc_fcs30", "lc100", "worldcover"]
    wc, cci, lc100 = read_legend("worldcover"), read_legend("c3s"), read_legend("lc100")
    # the same code means different things: never guess the legend
    assert wc.classes[wc.index_of(np.array([50]))[0]] == "built_up"
    assert cci.classes[cci.index_of(np.array([50]))[0]] == "forest"
    assert cci.name == "esa_cci"
    assert set(
        lc100.classes[lc100.index_of(np.arange(111, 127))[lc100.index_of(np.arange(111, 127)) >= 0]]
    ) == {"forest"}
    for name in bundled_legends():
        leg = read_legend(name)
        never = np.isin(leg.classes, ["forest", "water", "built_up"])
        assert not leg.plantable[never].any(), name
        assert leg.verified, name


def test_lc100_forest_under_strict_parcels_is_never_picked(strict_parcels):
    lc = _lc100_grid()
    c = find_candidates(
        strict_parcels, landcover=lc, landcover_legend=read_legend("lc100"), min_patch_area_ha=0.5
    )
    by = c.parcels.set_index("parcel_id")
    assert by.loc["P0", "candidate"] and by.loc["P0", "landcover"] == "cropland"
    for pid in ("P1", "P2", "P3"):
        assert by.loc[pid, "reason"] == "landcover", pid
        assert by.loc[pid, "landcover"] == "forest"
        assert by.loc[pid, "reason_zh"] == "主要地类为林地，不宜造林"
    # P3: 40 % cropland is the most frequent code, but forest (two codes) is the class
    assert by.loc["P3", "landcover_share"] == pytest.approx(0.6, abs=0.11)
    # P4: 60 % water, the rest cropland: majority water
    assert by.loc["P4", "landcover"] == "water" and not by.loc["P4", "candidate"]
    picked = set(c.patches["parcel_ids"].str.split(",").explode())
    assert picked == {"P0"}
    assert c.params["landcover_legend"]["name"] == "lc100"


def test_never_plantable_share_over_half_is_refused(strict_parcels):
    # 40 % cropland, 30 % forest, 30 % built-up: the majority class is plantable, but most
    # of the parcel is existing forest or built-up land
    arr, tr, crs = _lc100_grid()
    arr = np.full_like(arr, 40.0)
    xs = X0 - 20 + (np.arange(arr.shape[1]) + 0.5) * CELL
    gx = np.broadcast_to(xs, arr.shape)
    arr[(gx > X0) & (gx < X0 + 30)] = 112
    arr[(gx > X0 + 30) & (gx < X0 + 60)] = 50
    c = find_candidates(
        strict_parcels.iloc[:1],
        landcover=(arr, tr, crs),
        landcover_legend=read_legend("lc100"),
        min_patch_area_ha=0.5,
    )
    row = c.parcels.iloc[0]
    assert row["landcover"] == "cropland" and row["reason"] == "landcover_never"
    assert "60%" in row["reason_en"]


def test_codes_outside_the_legend_are_refused(strict_parcels):
    lc = _lc100_grid()  # 111, 112, 126 are not WorldCover codes
    with pytest.raises(InputError, match=r"does not list: 111 \(\d+ cells\), 112"):
        find_candidates(strict_parcels, landcover=lc, landcover_legend=read_legend("worldcover"))
    with pytest.raises(InputError, match="without its legend"):
        find_candidates(strict_parcels, landcover=lc)


def test_user_legend_csv(tmp_path, strict_parcels):
    path = tmp_path / "my_legend.csv"
    pd.DataFrame(
        {
            "code": [40, 80, 111, 112, 126],
            "class": ["cropland", "water", "forest", "forest", "forest"],
            "plantable": ["yes", "no", "no", "no", "no"],
            "name_zh": ["耕地", "水", "林", "林", "林"],
        }
    ).to_csv(path, index=False)
    leg = read_legend(path)
    assert leg.name == "my_legend" and list(leg.codes) == [40, 80, 111, 112, 126]
    c = find_candidates(
        strict_parcels, landcover=_lc100_grid(), landcover_legend=leg, min_patch_area_ha=0.5
    )
    assert c.parcels["candidate"].tolist() == [True, False, False, False, False]
    bad = pd.DataFrame({"code": [10, 20], "class": ["forest", "meadow"], "plantable": ["yes", "x"]})
    with pytest.raises(SchemaError, match="row 1: class forest is never plantable") as exc:
        legend_from_frame(bad, name="bad")
    assert "row 2: class 'meadow'" in str(exc.value) and "plantable 'x'" in str(exc.value)
    mixed = pd.DataFrame({"code": [1, 2], "class": ["cropland"] * 2, "plantable": ["yes", "no"]})
    with pytest.raises(SchemaError, match=r"class cropland is plantable for codes \[1\] but not"):
        legend_from_frame(mixed, name="mixed")


def _cli(args):
    return CliRunner().invoke(main, ["afforest", *map(str, args)])


@pytest.fixture
def cli_files(tmp_path, strict_parcels):
    parcels = tmp_path / "parcels.gpkg"
    strict_parcels.to_file(parcels)
    arr, tr, _ = _lc100_grid()
    plain = _write_tif(tmp_path / "lc_plain.tif", arr, tr)
    tagged = _write_tif(tmp_path / "lc_tagged.tif", arr, tr, {"LANDCOVER_LEGEND": "lc100"})
    return parcels, plain, tagged


def test_cli_landcover_without_legend_is_refused(tmp_path, cli_files):
    parcels, plain, _ = cli_files
    out = tmp_path / "out"
    base = ["--parcels", parcels, "--budget-ha", 5, "--ecozone", "subtropical_humid"]
    r = _cli([*base, "--landcover", plain, "--out", out])
    assert r.exit_code == 2, r.output
    assert "--landcover-legend" in r.output and "LANDCOVER_LEGEND" in r.output
    assert "Traceback" not in r.output and not out.exists()
    r = _cli([*base, "--landcover", plain, "--landcover-legend", "worldcover", "--out", out])
    assert r.exit_code == 2 and "does not list: 111" in r.output and not out.exists()
    r = _cli(
        [
            *base,
            "--landcover",
            plain,
            "--landcover-legend",
            "lc100",
            "--min-area",
            0.5,
            "--out",
            out,
        ]
    )
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["filters"]["landcover_legend"]["name"] == "lc100"
    assert s["filters"]["landcover_legend"]["from"] == "--landcover-legend"
    assert s["selected_area_ha"] == pytest.approx(1.0)  # P0 only


def test_cli_legend_from_the_raster_tag(tmp_path, cli_files):
    parcels, _, tagged = cli_files
    out = tmp_path / "out"
    base = ["--parcels", parcels, "--budget-ha", 5, "--ecozone", "subtropical_humid"]
    r = _cli([*base, "--landcover", tagged, "--min-area", 0.5, "--out", out])
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["filters"]["landcover_legend"]["from"] == "raster tag LANDCOVER_LEGEND=lc100"
    r = _cli([*base, "--landcover", tagged, "--landcover-legend", "clcd", "--out", tmp_path / "o2"])
    assert r.exit_code == 2 and "contradicts" in r.output


def test_unknown_tag_is_refused(tmp_path):
    arr, tr, _ = _lc100_grid()
    path = _write_tif(tmp_path / "odd.tif", arr, tr, {"LANDCOVER_LEGEND": "modis"})
    with pytest.raises(InputError, match="names 'modis', which is no bundled legend"):
        read_landcover(path)
    assert read_landcover(path, legend="lc100")[1].name == "lc100"


def test_demo_landcover_declares_its_legend():
    from zoning.datasets import demo_path

    grid, legend, how = read_landcover(demo_path("landcover.tif"))
    assert legend.name == "worldcover" and how.startswith("raster tag")


# --- IPCC Tier 1 ----------------------------------------------------------------------------

#: ecozone -> (species, growth, root:shoot, carbon fraction, verified)
EXPECTED = {
    "tropical_rainforest": ("other", 5.0, 0.325, 0.47, "yes"),
    "tropical_moist": (None, 8.0, 0.323, 0.47, "yes"),
    "tropical_dry": ("eucalyptus", 15.0, 0.44, 0.47, "yes"),
    "tropical_shrubland": (None, 6.0, 0.4, 0.47, "single"),
    "tropical_mountain": ("other", 5.0, 0.322, 0.47, "yes"),
    "subtropical_humid": (None, 8.0, 0.23, 0.47, "yes"),
    "subtropical_dry": ("other", 7.0, 0.44, 0.47, "yes"),
    "subtropical_steppe": (None, 6.0, 2.158, 0.47, "yes"),
    "temperate_continental": ("conifer", 4.0, 0.224, 0.51, "single"),
    "temperate_mountain": ("broadleaf", 3.0, 0.307, 0.48, "single"),
    "boreal_coniferous": (None, 1.0, 0.39, 0.47, "yes"),
    "boreal_tundra_woodland": (None, 0.4, 0.39, 0.47, "yes"),
    "boreal_mountain": ("conifer", 1.0, 0.39, 0.51, "single"),
}


@pytest.mark.parametrize("zone", sorted(EXPECTED))
def test_a_site_in_each_zone_gets_its_factor(zone, strict_parcels):
    species, g, r, cf, verified = EXPECTED[zone]
    f = removal_factors(ecozone=zone, species=species)
    assert (f["agb_growth_t_dm_ha_yr"], f["root_shoot"], f["carbon_fraction"]) == (g, r, cf)
    assert f["removal_t_co2_ha_yr"] == pytest.approx(g * (1 + r) * cf * 44 / 12)
    assert f["verified"] == verified
    for part in f["factors"].values():
        assert part["verified"] in ("yes", "single") and part["table"].startswith("IPCC")
    res = site_afforestation(
        strict_parcels, budget_ha=5.0, factors=f, candidates={"min_patch_area_ha": 0.5}
    )
    assert res.summary["factors_verified"] == verified
    assert res.summary["sink_t_co2_yr"] == pytest.approx(5.0 * f["removal_t_co2_ha_yr"], rel=1e-3)


def test_zones_the_tables_do_not_cover_are_refused():
    with pytest.raises(InputError, match="no ecological zone"):
        removal_factors()
    with pytest.raises(InputError, match="splits the plantation growth"):
        removal_factors(ecozone="subtropical_dry")  # Eucalyptus or other: say which
    with pytest.raises(InputError, match="conifers and for other broadleaf"):
        removal_factors(ecozone="temperate_continental")
    with pytest.raises(InputError, match="no root:shoot ratio"):
        removal_factors(ecozone="subtropical_mountain", species="other")
    f = removal_factors(ecozone="subtropical_mountain", species="other", root_shoot=0.25)
    assert f["factors"]["root_shoot"]["verified"] == "user"
    with pytest.raises(InputError, match="no plantation growth"):
        removal_factors(ecozone="temperate_desert")
    assert set(EXPECTED) | {"subtropical_mountain", "temperate_steppe", "temperate_desert"} == set(
        ECOZONES
    )


def test_natural_forest_fallback_and_temperate_source_are_noted():
    f = removal_factors(ecozone="subtropical_humid")
    assert f["root_shoot"] == 0.23
    assert any("no planted-forest row" in n and "natural-forest row" in n for n in f["notes"])
    assert f["factors"]["root_shoot"]["forest_type"] == "natural"
    assert f["factors"]["growth"]["table"] == "IPCC 2019 Vol. 4 Ch. 4 Table 4.10"
    t = removal_factors(ecozone="temperate_continental", species="conifer")
    assert t["factors"]["growth"]["table"] == "IPCC 2019 Vol. 4 Ch. 4 Table 4.12"
    assert any("Table 4.12 only" in n for n in t["notes"])
    planted = removal_factors(ecozone="tropical_rainforest", species="other")
    assert not any("natural-forest row" in n for n in planted["notes"])


def test_zone_layer_gives_each_patch_its_zone(strict_parcels):
    # P0 in the subtropical humid zone, P3-P4 in the tropical moist zone
    zones = gpd.GeoDataFrame(
        {"ecozone": ["subtropical_humid", "tropical_moist"]},
        geometry=[
            box(X0 - 50, Y0 - 50, X0 + 150, Y0 + 150),
            box(X0 + 300, Y0 - 50, X0 + 600, Y0 + 150),
        ],
        crs=CRS,
    )
    sub = strict_parcels.iloc[[0, 3, 4]]
    res = site_afforestation(
        sub,
        budget_ha=5.0,
        ecozone_layer=zones,
        candidates={"min_patch_area_ha": 0.5, "merge_gap_m": 1.0},
    )
    p = res.patches.set_index("parcel_ids")
    assert p.loc["P0", "ecozone"] == "subtropical_humid"
    assert p.loc["P3", "ecozone"] == "tropical_moist"
    assert p.loc["P0", "removal_t_co2_ha_yr"] == pytest.approx(8 * 1.23 * 0.47 * 44 / 12, abs=1e-3)
    assert p.loc["P3", "removal_t_co2_ha_yr"] == pytest.approx(8 * 1.323 * 0.47 * 44 / 12, abs=1e-3)
    assert set(res.summary["factors"]["by_ecozone"]) == {"subtropical_humid", "tropical_moist"}
    with pytest.raises(InputError, match="outside every zone"):
        site_afforestation(
            strict_parcels.iloc[[0]],
            budget_ha=5.0,
            ecozone_layer=zones.iloc[1:],
            candidates={"min_patch_area_ha": 0.5},
        )
    with pytest.raises(SchemaError, match="no zone keys"):
        assign_ecozones(res.patches, zones.assign(ecozone=["jungle", "tropical_moist"]))


def test_cli_needs_an_ecozone(tmp_path, cli_files):
    parcels, _, _ = cli_files
    r = _cli(["--parcels", parcels, "--budget-ha", 5, "--out", tmp_path / "o"])
    assert r.exit_code == 2 and "--ecozone" in r.output and not (tmp_path / "o").exists()
    r = _cli(
        [
            "--parcels",
            parcels,
            "--budget-ha",
            5,
            "--rate",
            10,
            "--min-area",
            0.5,
            "--out",
            tmp_path / "o",
        ]
    )
    assert r.exit_code == 0, r.output
    s = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert s["factors_verified"] == "user" and s["factors"]["formula"] == "user rate"


def test_cli_summary_carries_the_verification(tmp_path, cli_files):
    parcels, _, _ = cli_files
    out = tmp_path / "o"
    r = _cli(
        [
            "--parcels",
            parcels,
            "--budget-ha",
            5,
            "--ecozone",
            "subtropical_humid",
            "--min-area",
            0.5,
            "--out",
            out,
        ]
    )
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["factors_verified"] == "yes"
    assert s["factors"]["factors"]["root_shoot"]["forest_type"] == "natural"
    assert s["factors"]["removal_t_co2_ha_yr"] == pytest.approx(16.9576, abs=1e-4)


# --- soil samples as CSV ----------------------------------------------------------------------


@pytest.fixture
def samples_csv(tmp_path, strict_parcels):
    pts = strict_parcels.geometry.centroid.to_crs("EPSG:4326")
    df = pd.DataFrame(
        {
            "sample_id": [f"S{i}" for i in range(5)],
            "经度": pts.x.round(7),
            "纬度": pts.y.round(7),
            "pH": [6.0] * 5,
            "Cd": [2.5, 2.5, 0.5, 2.5, 0.1],
            "Hg": 0.1,
            "As": 5,
            "Pb": 20,
            "Cr": 50,
            "land_use": "水田",
        }
    )
    path = tmp_path / "samples.csv"
    df.to_csv(path, index=False, encoding="utf-8")
    return path


def test_soil_samples_csv(tmp_path, samples_csv, strict_parcels):
    s = read_samples(samples_csv)
    assert s.crs.to_epsg() == 4326 and len(s) == 5
    parcels = tmp_path / "p.gpkg"
    strict_parcels.drop(columns="soil_class").to_file(parcels)
    out = tmp_path / "soil.geojson"
    r = CliRunner().invoke(
        main, ["soil", "--samples", str(samples_csv), "--parcels", str(parcels), "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    by = {
        f["properties"]["parcel_id"]: f["properties"]
        for f in json.loads(out.read_text())["features"]
    }
    assert by["P0"]["soil_class_key"] == "strict" and by["P2"]["soil_class_key"] == "safe"
    assert by["P4"]["soil_class_key"] == "priority" and by["P0"]["class_method"] == "samples"
    # afforest reads the same CSV
    r = _cli(
        [
            "--parcels",
            parcels,
            "--samples",
            samples_csv,
            "--ecozone",
            "subtropical_humid",
            "--budget-ha",
            5,
            "--min-area",
            0.5,
            "--out",
            tmp_path / "aff",
        ]
    )
    assert r.exit_code == 0, r.output


def test_soil_samples_csv_with_bad_coordinates_refused(tmp_path, samples_csv):
    df = pd.read_csv(samples_csv)
    df.loc[2, "经度"] = None
    df.to_csv(samples_csv, index=False)
    with pytest.raises(SchemaError, match="rows 3; the first: missing coordinates"):
        read_samples(samples_csv)
    renamed = tmp_path / "xy.csv"
    pd.read_csv(samples_csv).dropna().rename(columns={"经度": "X", "纬度": "Y"}).to_csv(
        renamed, index=False
    )
    with pytest.raises(SchemaError, match="no lon column"):
        read_samples(renamed)
    assert len(read_samples(renamed, lon_col="X", lat_col="Y")) == 4


def test_cli_zone_layer_and_the_old_option_name(tmp_path, cli_files):
    parcels, _, _ = cli_files
    zones = tmp_path / "zones.geojson"
    gpd.GeoDataFrame(
        {"zone": ["boreal_coniferous"]},
        geometry=[box(X0 - 50, Y0 - 50, X0 + 600, Y0 + 150)],
        crs=CRS,
    ).to_file(zones)
    out = tmp_path / "o"
    base = ["--parcels", parcels, "--budget-ha", 5, "--min-area", 0.5]
    r = _cli([*base, "--ecozone-layer", zones, "--ecozone-field", "zone", "--out", out])
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert list(s["factors"]["by_ecozone"]) == ["boreal_coniferous"]
    assert s["sink_t_co2_yr"] == pytest.approx(5 * 1.0 * 1.39 * 0.47 * 44 / 12, rel=1e-3)
    sel = json.loads((out / "selected.geojson").read_text(encoding="utf-8"))
    assert sel["metadata"]["summary"]["factors_verified"] == "yes"
    r = _cli([*base, "--ecozone-layer", zones, "--out", tmp_path / "o2"])
    assert r.exit_code == 2 and "no column 'ecozone'" in r.output
    r = _cli([*base, "--climate-zone", "subtropical_humid", "--out", tmp_path / "o3"])
    assert r.exit_code == 0, r.output


def test_demo_afforestation_uses_the_checked_factors(tmp_path):
    from zoning.cli.afforest import demo_step

    written = demo_step(tmp_path, lang="en")
    s = json.loads(written["summary"].read_text(encoding="utf-8"))
    assert s["factors"]["ecozone"] == "subtropical_humid"
    assert s["factors"]["agb_growth_t_dm_ha_yr"] == 8.0 and s["factors"]["root_shoot"] == 0.23
    assert s["factors_verified"] == "yes"
    assert s["filters"]["landcover_legend"]["name"] == "worldcover"
    assert s["sink_t_co2_yr"] == pytest.approx(s["selected_area_ha"] * 16.9576, rel=1e-3)
