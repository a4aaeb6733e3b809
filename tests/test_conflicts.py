"""conflicts(): statuses, conservation, readers (CSV, GCJ-02, bad rows), the CLI and the demo."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import make_units
from shapely.geometry import Point, box

from zoning.cli import main
from zoning.conflicts import STATUSES, conflicts, summarize
from zoning.errors import RuleError
from zoning.io.coords import convert, convert_geometries
from zoning.io.facilities import read_facilities
from zoning.rules import parse_rules

X0, Y0 = 500000.0, 3300000.0

RULES = """\
version: 1
layers:
  red_line: {path: red_line.geojson}
rules:
  - id: SP-01
    dimension: spatial
    clause: {zh: 优先保护单元禁止新建工业项目, en: No new industry in priority units}
    message: {zh: 优先保护单元内拟建工业项目, en: Proposed industry in a priority unit}
    outcome: prohibited
    scope: {unit_class: 1}
    when: {all: [{stage: proposed}, {sector: [B, C]}]}
  - id: EM-01
    dimension: emission
    clause: {zh: 新增NOx倍量替代, en: New NOx needs a 2:1 offset}
    message: {zh: 须倍量替代, en: Needs an offset}
    outcome: restricted
    requirement: {zh: NOx 2倍削减替代, en: 2:1 NOx offset}
    scope: {unit_class: key}
    when: [{stage: proposed}, {emission: {pollutant: nox, gt: 0}}]
  - id: RL-01
    dimension: spatial
    clause: {zh: 红线内禁止工业, en: No industry in the red line}
    message: {zh: 位于生态保护红线内, en: Inside the red line}
    outcome: prohibited
    when: {all: [{sector: [C]}, {near: {layer: red_line, within_m: 0}}]}
"""


@pytest.fixture
def rules():
    return parse_rules(RULES, source="rules.yaml")


@pytest.fixture
def red_line():
    return gpd.GeoDataFrame(
        {"name": ["红线"]},
        geometry=[box(X0 + 2100, Y0 + 100, X0 + 2400, Y0 + 400)],
        crs="EPSG:4549",
    )


def lonlat(x, y):
    p = gpd.GeoSeries([Point(X0 + x, Y0 + y)], crs="EPSG:4549").to_crs("EPSG:4326")
    return p.x[0], p.y[0]


@pytest.fixture
def facilities():
    rows = [
        ("c1", (500, 500), "proposed", "2614", 1.0),  # priority unit, new industry: conflict
        ("r1", (1500, 500), "proposed", "2614", 3.0),  # key unit, new NOx: restricted
        ("o1", (1500, 600), "existing", "2614", 3.0),  # key unit, existing: ok
        ("o2", (500, 600), "proposed", "0313", 0.0),  # priority, livestock (A): ok
        ("u1", (-500, 500), "proposed", "2614", 1.0),  # outside every unit: unzoned
        ("rl", (2200, 200), "existing", "3011", 0.0),  # general unit, in the red line
        ("b1", (1000, 500), "proposed", "2614", 1.0),  # on the edge of class 1 and 2
    ]
    return gpd.GeoDataFrame(
        {
            "facility_id": [r[0] for r in rows],
            "stage": [r[2] for r in rows],
            "sector": [r[3] for r in rows],
            "nox_t": [r[4] for r in rows],
        },
        geometry=[Point(X0 + r[1][0], Y0 + r[1][1]) for r in rows],
        crs="EPSG:4549",
    )


def test_every_status(units, facilities, rules, red_line):
    out = conflicts(units, facilities, rules, layers={"red_line": red_line})
    got = dict(zip(out.facility_id, out.status, strict=True))
    assert got == {
        "c1": "conflict",
        "r1": "restricted",
        "o1": "ok",
        "o2": "ok",
        "u1": "unzoned",
        "rl": "conflict",
        "b1": "conflict",
    }
    assert list(out.columns[:6]) == [
        "facility_id",
        "unit_code",
        "unit_class",
        "status",
        "rule_ids",
        "messages",
    ]
    row = out.set_index("facility_id").loc["r1"]
    assert row.rule_ids == "EM-01" and row.unit_class == 2
    assert row.requirements == "[EM-01] NOx 2倍削减替代"
    assert out.set_index("facility_id").loc["b1", "unit_code"] == units.code[0]  # class 1 wins
    assert pd.isna(out.set_index("facility_id").loc["u1", "unit_code"])


def test_bad_rows_are_kept_as_invalid(units, facilities, rules, red_line):
    bad = pd.concat(
        [
            facilities,
            gpd.GeoDataFrame(
                {
                    "facility_id": ["nan", "none", "empty"],
                    "stage": ["proposed"] * 3,
                    "sector": ["2614"] * 3,
                    "nox_t": [1.0] * 3,
                },
                geometry=[Point(np.nan, np.nan), None, Point()],
                crs="EPSG:4549",
            ),
        ],
        ignore_index=True,
    )
    out = conflicts(units, bad, rules, layers={"red_line": red_line}, lang="en")
    assert len(out) == len(bad)  # conservation
    assert out.facility_id.tolist() == bad.facility_id.tolist()  # input order
    assert out.status.tolist()[-3:] == ["invalid"] * 3
    assert out.geometry[-3:].isna().all()
    summary = summarize(out, rules)
    assert sum(summary["by_status"].values()) == len(bad)
    assert summary["by_status"]["invalid"] == 3
    assert summary["by_rule"] == {"SP-01": 2, "EM-01": 1, "RL-01": 1}
    assert "Proposed industry" in out.set_index("facility_id").loc["c1", "messages"]


def test_undecided_rules_are_counted_and_named(units, facilities, red_line):
    # a rule on tags, and facilities without a tags column: never silently "ok"
    text = (
        RULES
        + """\
  - id: TG-01
    dimension: spatial
    clause: {zh: 禁止燃煤, en: No coal}
    message: {zh: 燃煤, en: Coal}
    outcome: prohibited
    when: {tags: coal}
"""
    )
    rules = parse_rules(text, source="rules.yaml")
    out = conflicts(units, facilities, rules, layers={"red_line": red_line})
    summary = summarize(out, rules)
    zoned = int((out.unit_code.notna()).sum())
    assert summary["undecided"]["by_rule"] == {"TG-01": zoned}
    assert summary["undecided"]["facilities"] == zoned
    assert summary["undecided"]["missing_columns"] == {"TG-01": ["tags"]}
    assert out.set_index("facility_id").loc["o1", "unknown_rule_ids"] == "TG-01"
    # with the column, nothing is left undecided
    tagged = facilities.assign(tags=["coal", "", "", "", "", "", ""])
    summary = summarize(conflicts(units, tagged, rules, layers={"red_line": red_line}), rules)
    assert summary["undecided"] == {"facilities": 0, "by_rule": {}, "missing_columns": {}}


def test_missing_ids_are_numbered(units, facilities, rules, red_line):
    f = facilities.drop(columns="facility_id")
    out = conflicts(units, f, rules, layers={"red_line": red_line})
    assert out.facility_id.tolist()[:2] == ["F1", "F2"]


def write_csv(path, frame: pd.DataFrame):
    frame.to_csv(path, index=False, encoding="utf-8")
    return path


def test_csv_with_lonlat_and_bad_rows(tmp_path):
    lon, lat = lonlat(500, 500)
    path = write_csv(
        tmp_path / "f.csv",
        pd.DataFrame(
            {
                "id": ["a", "b", "c", "d", "e"],
                "经度": [lon, "", "abc", 200.0, lat],
                "纬度": [lat, lat, lat, lat, lon],
                "nox_t": ["1.5", "2", "3", "4", "5"],
            }
        ),
    )
    f = read_facilities(path)
    assert len(f) == 5
    assert f.coord_problem.isna().tolist() == [True, False, False, False, False]
    assert f.coord_problem[1] == "missing coordinates"
    assert f.coord_problem[2] == "coordinates are not numbers"
    assert "swapped" in f.coord_problem[4]
    assert f.nox_t.dtype.kind == "f"


def test_csv_xy_needs_a_crs(tmp_path):
    path = write_csv(tmp_path / "f.csv", pd.DataFrame({"X": [X0 + 500], "Y": [Y0 + 500]}))
    with pytest.raises(Exception, match="x/y columns need a CRS"):
        read_facilities(path, x_col="X", y_col="Y")
    with pytest.raises(Exception, match="parameter 'crs'.*pass `crs`"):
        read_facilities(path, x_col="X", y_col="Y")  # the library names its parameter
    with pytest.raises(Exception, match="give both `x_col` and `y_col`"):
        read_facilities(path, x_col="X")
    f = read_facilities(path, x_col="X", y_col="Y", crs="EPSG:4549")
    assert f.crs.to_epsg() == 4549 and f.geometry.x[0] == X0 + 500
    # the command line names its flags instead
    out = str(tmp_path / "out")
    res = CliRunner().invoke(main, ["conflicts", "-f", str(path), "--x-col", "X", "--out", out])
    assert res.exit_code == 2 and "--x-col and --y-col" in res.output, res.output
    args = ["conflicts", "-f", str(path), "--x-col", "X", "--y-col", "Y", "--out", out]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "pass --facilities-crs" in res.output, res.output


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_web_coordinates_are_converted(tmp_path, units, system):
    lon, lat = lonlat(990, 500)  # 10 m west of the edge between units 0 and 1
    slon, slat = convert([lon], [lat], "wgs84", system)
    path = write_csv(
        tmp_path / "f.csv", pd.DataFrame({"lng": slon, "lat": slat, "stage": ["proposed"]})
    )
    raw = read_facilities(path)
    conv = read_facilities(path, coords=system)
    assert conv.geometry.x[0] == pytest.approx(lon, abs=1e-8)
    assert conv.geometry.y[0] == pytest.approx(lat, abs=1e-8)
    from zoning.overlay import assign_points

    assert assign_points(units, conv).tolist() == [0]
    assert assign_points(units, raw).tolist() != [0]  # unconverted, it lands elsewhere


def test_geojson_in_gcj02(tmp_path):
    lon, lat = lonlat(500, 500)
    glon, glat = convert([lon], [lat], "wgs84", "gcj02")
    g = gpd.GeoDataFrame(
        {"facility_id": ["a", "b"]}, geometry=[Point(glon[0], glat[0]), None], crs="EPSG:4326"
    )
    g.to_file(tmp_path / "f.geojson")
    f = read_facilities(tmp_path / "f.geojson", coords="gcj02")
    assert f.geometry.x[0] == pytest.approx(lon, abs=1e-8)
    assert f.coord_problem.tolist()[1] == "missing geometry"


# ------------------------------------------------------------------ command line


@pytest.fixture
def files(tmp_path, units, red_line, facilities):
    units.to_crs("EPSG:4490").to_file(tmp_path / "units.gpkg")
    red_line.to_crs("EPSG:4326").to_file(tmp_path / "red_line.geojson")
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    ll = facilities.to_crs("EPSG:4326")
    table = pd.DataFrame(ll.drop(columns="geometry"))
    table["lon"], table["lat"] = ll.geometry.x, ll.geometry.y
    table.loc[len(table)] = ["bad", "proposed", "2614", 1.0, None, None]
    table.to_csv(tmp_path / "f.csv", index=False)
    return tmp_path


def test_cli_writes_everything(files):
    out = files / "out"
    res = CliRunner().invoke(
        main,
        [
            "conflicts",
            "--units",
            str(files / "units.gpkg"),
            "--facilities",
            str(files / "f.csv"),
            "--rules",
            str(files / "rules.yaml"),
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == [
        "conflicts.csv",
        "conflicts.geojson",
        "conflicts.html",
        "summary.json",
    ]
    table = pd.read_csv(out / "conflicts.csv", encoding="utf-8-sig")
    assert len(table) == 8 and table.facility_id.tolist()[-1] == "bad"
    fc = json.loads((out / "conflicts.geojson").read_text(encoding="utf-8"))
    assert len(fc["features"]) == 8
    assert fc["features"][-1]["geometry"] is None
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["by_status"] == {
        "conflict": 3,
        "restricted": 1,
        "ok": 2,
        "unzoned": 1,
        "invalid": 1,
    }
    assert summary["undecided"]["facilities"] == 0 and "warning" not in res.output
    assert "SP-01" in res.stderr if hasattr(res, "stderr") else "SP-01" in res.output


def test_cli_bad_rules_exit_2_with_lines(files):
    bad = files / "bad.yaml"
    bad.write_text(
        RULES.replace("outcome: restricted", "outcome: maybe").replace(
            "pollutant: nox", "pollutant: h2s"
        ),
        encoding="utf-8",
    )
    res = CliRunner().invoke(
        main,
        [
            "conflicts",
            "--units",
            str(files / "units.gpkg"),
            "--facilities",
            str(files / "f.csv"),
            "--rules",
            str(bad),
            "--out",
            str(files / "o2"),
        ],
    )
    assert res.exit_code == 2
    assert "3 problems" in res.output
    assert "line 16" in res.output and "line 19" in res.output and "h2s" in res.output
    assert not (files / "o2").exists()  # nothing partial


def test_cli_missing_layer_file_exit_2(files):
    (files / "red_line.geojson").unlink()
    res = CliRunner().invoke(
        main,
        [
            "conflicts",
            "--units",
            str(files / "units.gpkg"),
            "--facilities",
            str(files / "f.csv"),
            "--rules",
            str(files / "rules.yaml"),
            "--out",
            str(files / "o3"),
        ],
    )
    assert res.exit_code == 2 and "red_line.geojson" in res.output


@pytest.mark.browser
def test_map_renders_offline_with_popups(files, browser):
    out = files / "out"
    res = CliRunner().invoke(
        main,
        [
            "conflicts",
            "--units",
            str(files / "units.gpkg"),
            "--facilities",
            str(files / "f.csv"),
            "--rules",
            str(files / "rules.yaml"),
            "--lang",
            "en",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    page = browser.open(out / "conflicts.html")
    assert page.console_errors == []
    assert all(u.startswith(("file:", "data:", "about:")) for u in page.requests)
    html = (out / "conflicts.html").read_text(encoding="utf-8")
    assert "Proposed industry in a priority unit" in html
    assert "conflict (prohibited)" in html
    assert page.locator(".leaflet-interactive").count() >= 7


# ------------------------------------------------------------------ demo


def test_demo_conserves_rows_and_finds_planted_conflicts(tmp_path):
    from zoning.cli.conflicts import demo_step
    from zoning.datasets import demo_path

    try:
        demo_path("grids/pm25_conc.tif")
    except Exception:  # noqa: BLE001
        pytest.skip("demo grids not generated")
    paths = demo_step(tmp_path, lang="en")
    table = pd.read_csv(paths["csv"], encoding="utf-8-sig", dtype={"sector": str})
    n_in = len(gpd.read_file(demo_path("facilities.gpkg")))
    assert len(table) == n_in and table.facility_id.is_unique
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert sum(summary["by_status"].values()) == n_in
    for rule in (
        "ECO-01",
        "ECO-02",
        "WAT-01",
        "WAT-02",
        "WAT-03",
        "AIR-01",
        "SOIL-01",
        "EMI-01",
        "EMI-02",
    ):
        assert summary["by_rule"][rule] > 0, rule
    assert set(table.status) <= set(STATUSES)
    assert (table.status == "ok").sum() > (table.status == "conflict").sum()  # clean cases


def test_more_units_than_one_page():
    units = make_units(30, 30, size=100.0)
    rng = np.random.default_rng(3)
    n = 20_000
    f = gpd.GeoDataFrame(
        {
            "stage": rng.choice(["existing", "proposed"], n),
            "sector": rng.choice(["2614", "0313"], n),
            "nox_t": rng.random(n),
        },
        geometry=gpd.points_from_xy(
            X0 - 100 + rng.random(n) * 3200, Y0 - 100 + rng.random(n) * 3200
        ),
        crs="EPSG:4549",
    )
    rs = parse_rules(
        RULES.split("  - id: RL-01")[0].replace(
            "layers:\n  red_line: {path: red_line.geojson}\n", ""
        )
    )
    out = conflicts(units, f, rs)
    assert len(out) == n
    inside = (
        (f.geometry.x >= X0)
        & (f.geometry.x <= X0 + 3000)
        & (f.geometry.y >= Y0)
        & (f.geometry.y <= Y0 + 3000)
    ).to_numpy()
    assert ((out.status == "unzoned").to_numpy() == ~inside).all()


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".parquet"])
def test_every_vector_format_reads_the_same(tmp_path, facilities, suffix):
    path = tmp_path / f"f{suffix}"
    ll = facilities.to_crs("EPSG:4326")
    if suffix == ".parquet":
        ll.to_parquet(path)
    elif suffix == ".shp":  # the format cuts names to 10 characters: facility_i
        ll.rename(columns={"facility_id": "facility_i"}).to_file(path)
    else:
        ll.to_file(path)
    f = read_facilities(path)
    assert f.facility_id.tolist() == facilities.facility_id.tolist()
    assert f.coord_problem.isna().all()
    np.testing.assert_allclose(f.geometry.x, ll.geometry.x)


def test_cli_facts_from_other_columns_and_constants(files):
    # a plant list as published: Fuel and "Capacity (MW)" columns, no tags, no units
    ll = gpd.GeoSeries([Point(X0 + 1500, Y0 + 500)] * 3, crs="EPSG:4549").to_crs("EPSG:4326")
    table = pd.DataFrame(
        {
            "Name": ["A", "B", "C"],
            "Fuel": ["Coal", "Gas", "Coal"],
            "Capacity (MW)": [600, 600, 100],
            "Longitude": ll.x,
            "Latitude": ll.y,
        }
    )
    table.to_csv(files / "plants.csv", index=False)
    (files / "coal.yaml").write_text(
        """\
version: 1
rules:
  - id: CO-01
    dimension: emission
    clause: {zh: 300MW以上燃煤须倍量替代, en: Coal of 300 MW or more needs offsets}
    message: {zh: 须倍量替代, en: Needs offsets}
    outcome: restricted
    requirement: {zh: 倍量替代, en: 2:1 offset}
    when: {all: [{tags: coal}, {capacity: {ge: 300, unit: MW}}]}
""",
        encoding="utf-8",
    )
    args = ["conflicts", "-u", str(files / "units.gpkg"), "-f", str(files / "plants.csv")]
    args += ["-r", str(files / "coal.yaml"), "--lang", "en"]
    res = CliRunner().invoke(main, [*args, "--out", str(files / "a")])
    assert res.exit_code == 0, res.output
    assert "CO-01 could not be decided for 3 facilities" in res.output  # no tags, no capacity
    assert "(map one with --facilities-field " in res.output  # the command's own flag
    mapped = [
        "--facility-field",
        "tags=Fuel",
        "--facility-field",
        "capacity=Capacity (MW)",
        "--facility-fact",
        "capacity_unit=MW",
    ]
    res = CliRunner().invoke(main, [*args, *mapped, "--out", str(files / "b")])
    assert res.exit_code == 0, res.output
    out = pd.read_csv(files / "b" / "conflicts.csv", encoding="utf-8-sig")
    assert out.status.tolist() == ["restricted", "ok", "ok"]
    assert "could not be decided" not in res.output
    res = CliRunner().invoke(
        main, [*args, "--facility-fact", "colour=red", "--out", str(files / "c")]
    )
    assert res.exit_code == 2 and "not a facility fact" in res.output
    assert "--facility-fact" in res.output  # the flag, not the parameter, is named


def test_distances_of_lonlat_facilities_are_local_and_independent_of_the_table():
    # a national table in lon/lat: a 500 m rule near 95E must give the same answer
    # whether facilities near 125E are evaluated with it or not (one UTM zone for the
    # whole table used to stretch distances by 2-3 % 15 degrees from its meridian)
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    sites = {"W": (95.0, 30.0), "E": (125.0, 30.0)}
    red = gpd.GeoDataFrame(geometry=[Point(*xy) for xy in sites.values()], crs="EPSG:4326")
    units = gpd.GeoDataFrame(
        {"code": ["ZH33990110001", "ZH33990110002"], "unit_class": [1, 1]},
        geometry=[box(x - 0.5, y - 0.5, x + 0.5, y + 0.5) for x, y in sites.values()],
        crs="EPSG:4326",
    )
    rows = []
    for name, (x, y) in sites.items():
        for d in (490.0, 510.0):
            lon, lat, _ = geod.fwd(x, y, 90.0, d)
            rows.append(
                {"facility_id": f"{name}{int(d)}", "sector": "3011", "lon": lon, "lat": lat}
            )
    fac = gpd.GeoDataFrame(
        rows, geometry=[Point(r["lon"], r["lat"]) for r in rows], crs="EPSG:4326"
    )
    rules = parse_rules(
        """\
version: 1
layers:
  red_line: {path: red.gpkg}
rules:
  - id: RL-500
    dimension: spatial
    clause: {zh: 红线500米内禁止工业, en: No industry within 500 m of the red line}
    message: {zh: 距红线不足500米, en: Within 500 m of the red line}
    outcome: prohibited
    when: {all: [{sector: [C]}, {near: {layer: red_line, within_m: 500}}]}
""",
        source="rules.yaml",
    )
    together = conflicts(units, fac, rules, layers={"red_line": red})
    west = conflicts(units, fac.iloc[:2], rules, layers={"red_line": red})
    want = ["conflict", "ok", "conflict", "ok"]  # 490 m inside, 510 m outside, both places
    assert together.status.tolist() == want
    assert west.status.tolist() == want[:2]


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
@pytest.mark.parametrize("declared", ["", ", coords: gcj02"])
def test_a_layer_drawn_in_gcj02_is_converted_when_the_rule_file_says_so(tmp_path, declared):
    units = make_units()
    units.to_file(tmp_path / "units.gpkg")
    lon, lat = lonlat(2500, 500)  # inside the red line, in WGS 84
    pd.DataFrame([{"facility_id": "f", "sector": "3011", "lon": lon, "lat": lat}]).to_csv(
        tmp_path / "f.csv", index=False
    )
    red = gpd.GeoSeries([box(X0 + 2400, Y0 + 400, X0 + 2600, Y0 + 600)], crs="EPSG:4549")
    red = red.to_crs("EPSG:4326").segmentize(0.0001)
    gcj = gpd.GeoDataFrame(geometry=convert_geometries(red.values, "wgs84", "gcj02"))
    gcj.to_file(tmp_path / "red_gcj.geojson")  # as DataV publishes: GCJ-02, no CRS
    (tmp_path / "rules.yaml").write_text(
        RULES.replace(
            "red_line: {path: red_line.geojson}", f"red_line: {{path: red_gcj.geojson{declared}}}"
        ),
        encoding="utf-8",
    )
    args = ["conflicts", "-u", str(tmp_path / "units.gpkg"), "-f", str(tmp_path / "f.csv")]
    res = CliRunner().invoke(
        main, [*args, "-r", str(tmp_path / "rules.yaml"), "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "o" / "conflicts.csv", encoding="utf-8-sig", dtype=str)
    # undeclared, the ~500 m GCJ-02 offset puts the red line beside the facility
    assert out.rule_ids.fillna("").tolist() == (["RL-01"] if declared else [""])


def test_an_unknown_layer_coords_is_a_rule_file_error():
    text = RULES.replace(
        "red_line: {path: red_line.geojson}", "red_line: {path: r.geojson, coords: gps}"
    )
    with pytest.raises(RuleError, match="unknown coordinate system 'gps'"):
        parse_rules(text, source="rules.yaml")


def test_distances_are_true_whatever_the_facilities_crs_and_target_size():
    # 900 m due east at 40N: within 1,000 m in lon/lat, Web Mercator (scale 1.3 there)
    # and equal-area EPSG:6933 alike; a continent-sized target still contains its sites
    from pyproj import Geod

    lon, lat, _ = Geod(ellps="WGS84").fwd(116.0, 40.0, 90.0, 900.0)
    target = gpd.GeoDataFrame(geometry=[Point(lon, lat)], crs="EPSG:4326")
    huge = gpd.GeoDataFrame(geometry=[box(20, -10, 179, 80).segmentize(1.0)], crs="EPSG:4326")
    units = gpd.GeoDataFrame(
        {"code": ["ZH33990110001"], "unit_class": [1]}, geometry=[box(115, 39, 117, 41)], crs=4326
    )
    fac = gpd.GeoDataFrame(
        {"facility_id": ["a"], "sector": ["3011"]}, geometry=[Point(116.0, 40.0)], crs=4326
    )
    text = (
        RULES.replace("within_m: 0", "within_m: 1000")
        + """\
  - id: BIG-01
    dimension: spatial
    clause: {zh: 大区内, en: Inside the big area}
    message: {zh: 大区内, en: Inside the big area}
    outcome: restricted
    requirement: {zh: 报告, en: Report}
    when: {near: {layer: big, within_m: 0}}
"""
    )
    text = text.replace("layers:\n", "layers:\n  big: {path: big.gpkg}\n")
    rules = parse_rules(text, source="rules.yaml")
    for crs in ("EPSG:4326", "EPSG:3857", "EPSG:6933"):
        out = conflicts(
            units.to_crs(crs), fac.to_crs(crs), rules, layers={"red_line": target, "big": huge}
        )
        assert out.rule_ids.tolist() == ["RL-01;BIG-01"], crs


def test_library_errors_name_parameters_and_the_command_line_its_flags(units, facilities, rules):
    from zoning.cli import _flags_of
    from zoning.errors import InputError

    flags = _flags_of(main.commands["conflicts"])
    with pytest.raises(InputError) as err:
        conflicts(units, facilities.set_crs(None, allow_override=True), rules)
    text = str(err.value)
    assert "parameter 'facilities'" in text and "`crs`" in text and "--" not in text
    text = str(err.value.with_flags(flags))
    assert "option '--facilities'" in text and "--facilities-crs" in text
    with pytest.raises(InputError) as err:
        conflicts(units, facilities, rules)  # the rules' red_line layer not given
    text = str(err.value)
    assert "parameter 'layers'" in text and "`layers`" in text and "--" not in text
    text = str(err.value.with_flags(flags))
    assert "option '--named-layer'" in text and "'red_line' in --named-layer" in text


def test_summary_text_names_the_mapping_option_only_when_given():
    from zoning.export.conflicts import summary_text

    summary = {
        "facilities": 3,
        "by_status": {"ok": 3},
        "by_unit_class": {"1": {"ok": 3}},
        "by_rule": {},
        "undecided": {"by_rule": {"EMI-02": 3}, "missing_columns": {"EMI-02": ["nox_t"]}},
    }
    for lang, missing in (("en", "no 'nox_t' column"), ("zh", "缺少字段 nox_t")):
        plain = summary_text(summary, lang)
        assert missing in plain and "--" not in plain  # the library names no flag
        hinted = summary_text(summary, lang, field_option="--facilities-field")
        assert "--facilities-field nox_t=" in hinted
