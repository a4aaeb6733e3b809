"""Bad input at every door (issue 10): every command x every kind of broken input.

Each case: exit code 2, one short ``zoning: error:`` line on stderr naming the file or the
option, no traceback, no raw library warning, and the existing output left as it was.
``validate`` on a readable layer with problems exits 1 with its table naming the unit and
the reason code.  The files are small and synthetic, written once per module.
"""

from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from conftest import make_units

from zoning.cli import main
from zoning.datasets import demo_path

pytestmark = pytest.mark.filterwarnings("ignore:.*(truncated|laundered).*")

X0, Y0, SIZE = 119.80, 30.00, 0.01  # lon/lat of the synthetic units (inside China)


def _units() -> gpd.GeoDataFrame:
    return make_units(crs="EPSG:4326", x0=X0, y0=Y0, size=SIZE)


def _moved(frame: gpd.GeoDataFrame, fn, rows=None) -> gpd.GeoDataFrame:
    g = np.asarray(frame.geometry.values, dtype=object).copy()
    idx = np.arange(len(g)) if rows is None else np.asarray(rows)
    g[idx] = shapely.transform(g[idx], fn)
    return frame.set_geometry(gpd.GeoSeries(g, crs=frame.crs))


def _swap(xy):
    return xy[:, ::-1]


def _nan_middle(xy):
    xy = xy.copy()
    xy[len(xy) // 2, 0] = np.inf  # a ring keeps its closing vertex; one corner is infinite
    return xy


def _write_variants(d, frame: gpd.GeoDataFrame, stem: str) -> dict[str, object]:
    """The broken files of one layer kind (units, parcels, points) under ``d``."""
    out: dict[str, object] = {}
    out["missing"] = d / f"{stem}_missing.gpkg"
    folder = d / f"{stem}_folder.gpkg"
    folder.mkdir()
    out["folder"] = folder
    zero = d / f"{stem}_zero.gpkg"
    zero.write_bytes(b"")
    out["zero_bytes"] = zero
    good = d / f"{stem}_good.geojson"
    frame.to_file(good)
    raw = good.read_bytes()
    (d / f"{stem}_truncated.geojson").write_bytes(raw[: len(raw) // 2])
    out["truncated"] = d / f"{stem}_truncated.geojson"
    frame.iloc[:0].to_file(d / f"{stem}_empty.gpkg")
    out["empty_layer"] = d / f"{stem}_empty.gpkg"
    shp = d / f"{stem}_nocrs.shp"
    frame.to_file(shp, encoding="utf-8")
    shp.with_suffix(".prj").unlink()
    out["no_crs"] = shp
    frame.pipe(_moved, lambda xy: xy + [0, 270], rows=[1]).to_file(d / f"{stem}_lat300.gpkg")
    out["impossible_coords"] = d / f"{stem}_lat300.gpkg"
    frame.pipe(_moved, _swap).to_file(d / f"{stem}_swapped.gpkg")
    out["swapped_axes"] = d / f"{stem}_swapped.gpkg"
    frame.set_crs("EPSG:4549", allow_override=True).to_file(d / f"{stem}_degm.gpkg")
    out["degrees_as_metres"] = d / f"{stem}_degm.gpkg"
    frame.pipe(_moved, _nan_middle, rows=[0]).to_file(d / f"{stem}_nan.gpkg")
    out["nan_inf"] = d / f"{stem}_nan.gpkg"
    gbk = d / f"{stem}_gbk.shp"
    frame.to_file(gbk, encoding="gbk")
    gbk.with_suffix(".cpg").write_text("UTF-8")  # says UTF-8, holds GBK
    out["undecodable"] = gbk
    two = d / f"{stem}_two.gpkg"
    frame.to_file(two, layer="a_2020")
    frame.to_file(two, layer="a_2024")
    out["two_layers"] = two
    nodbf = d / f"{stem}_nodbf.shp"
    frame.to_file(nodbf)
    nodbf.with_suffix(".dbf").unlink()
    out["no_dbf"] = nodbf
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    units = _units()
    units.to_file(d / "units.gpkg")
    pts = gpd.GeoDataFrame(
        {"facility_id": [f"S{i}" for i in range(6)], "name": [f"厂{i}" for i in range(6)]},
        geometry=shapely.centroid(units.geometry.values),
        crs=units.crs,
    )
    f: dict[str, dict] = {
        "units": _write_variants(d, units, "units"),
        "points": _write_variants(d, pts, "points"),
    }
    f["units"]["wrong_geometry"] = d / "points_as_units.gpkg"
    units.set_geometry(pts.geometry.values).to_file(f["units"]["wrong_geometry"])
    f["points"]["wrong_geometry"] = d / "polygons_as_points.gpkg"
    units.to_file(f["points"]["wrong_geometry"])
    # CSV facilities
    lon = shapely.get_x(pts.geometry.values).round(6)
    lat = shapely.get_y(pts.geometry.values).round(6)
    base = pd.DataFrame({"facility_id": [f"F{i}" for i in range(6)], "lon": lon, "lat": lat})
    c = {}
    c["missing"] = d / "fac_missing.csv"
    (d / "fac_folder.csv").mkdir()
    c["folder"] = d / "fac_folder.csv"
    (d / "fac_zero.csv").write_bytes(b"")
    c["zero_bytes"] = d / "fac_zero.csv"
    base.to_csv(d / "fac_good.csv", index=False)
    (d / "fac_header.csv").write_text("facility_id,lon,lat\n")
    c["empty_layer"] = d / "fac_header.csv"
    base.assign(lon=["西湖"] * 6).to_csv(d / "fac_text.csv", index=False)
    c["text_coords"] = d / "fac_text.csv"
    base.assign(lon=lat, lat=lon).to_csv(d / "fac_swapped.csv", index=False)
    c["swapped_axes"] = d / "fac_swapped.csv"
    base.assign(lat=base["lat"] + 270).to_csv(d / "fac_lat300.csv", index=False)
    c["impossible_coords"] = d / "fac_lat300.csv"
    base.assign(lon=["nan", "inf"] * 3).to_csv(d / "fac_nan.csv", index=False)
    c["nan_inf"] = d / "fac_nan.csv"
    base.assign(facility_id=["F1", "F2", "F1", "F3", "F2", "F4"]).to_csv(
        d / "fac_dup.csv", index=False
    )
    c["duplicate_ids"] = d / "fac_dup.csv"
    (d / "fac_bytes.csv").write_bytes(b"facility_id,lon,lat\n\xff\xfe\xff,119.8,30.0\n")
    c["undecodable"] = d / "fac_bytes.csv"
    base.rename(columns={"lon": "X", "lat": "Y"}).to_csv(d / "fac_xy.csv", index=False)
    c["degrees_as_metres"] = d / "fac_xy.csv"
    base.to_csv(d / "fac_semicolon.csv", index=False, sep=";")
    base.to_csv(d / "fac_tab.csv", index=False, sep="\t")
    base.to_csv(d / "fac_pipe_comma.csv", index=False, sep="|")
    f["csv"] = c
    f["dir"] = d
    return f


RULES = str(demo_path("rules.yaml"))
GRID = str(demo_path("grids/nox.tif"))

#: Each command with the slot a broken file goes into ({bad}), the good files in the
#: other slots ({units}, {points}), and its --out ({out}, a file or a folder).
COMMANDS = {
    "validate": (["validate", "{bad}", "--out", "{out}"], "file"),
    "map": (["map", "{bad}", "--out", "{out}"], "file"),
    "export": (["export", "{bad}", "--out", "{out}"], "file"),
    "conflicts-units": (
        ["conflicts", "--units", "{bad}", "-r", RULES, "--facilities", "{points}"],
        "dir",
    ),
    "conflicts-facilities": (
        ["conflicts", "--units", "{units}", "-r", RULES, "--facilities", "{bad}"],
        "dir",
    ),
    "screen-units": (
        ["screen", "--units", "{bad}", "-r", RULES, "--wkt", f"POINT ({X0 + 0.005} {Y0 + 0.005})"],
        "dir",
    ),
    "screen-project": (["screen", "{bad}", "--units", "{units}", "-r", RULES], "dir"),
    "stats": (["stats", "--units", "{bad}", "--grid", f"nox={GRID}"], "file"),
    "hotspots": (
        ["hotspots", "--units", "{bad}", "--pollutant-grid", GRID, "--carbon-grid", GRID],
        "dir",
    ),
    "soil-samples": (["soil", "--samples", "{bad}", "--parcels", "{units}"], "file"),
    "soil-parcels": (["soil", "--samples", "{points}", "--parcels", "{bad}"], "file"),
    "afforest": (
        ["afforest", "--parcels", "{bad}", "--budget-ha", "20", "--ecozone", "subtropical_humid"],
        "dir",
    ),
}
#: Which kind of layer each slot needs.
SLOT = {
    "conflicts-facilities": "points",
    "soil-samples": "points",
    "screen-project": "points",  # a project may be a point: wrong geometry does not apply
}
CASES = [
    "missing",
    "folder",
    "zero_bytes",
    "truncated",
    "empty_layer",
    "wrong_geometry",
    "no_crs",
    "impossible_coords",
    "swapped_axes",
    "degrees_as_metres",
    "nan_inf",
    "undecodable",
    "two_layers",
    "no_dbf",
]
#: Cases that do not apply to a command (with the reason).
SKIP = {
    ("screen-project", "wrong_geometry"): "a project may be a point, a line or a polygon",
    ("conflicts-facilities", "wrong_geometry"): "facilities may be footprints",
}
#: A facility layer with one impossible row of six is run: that row is ``invalid``.
FLAGGED = {("conflicts-facilities", "impossible_coords"), ("conflicts-facilities", "nan_inf")}
#: validate reads what it can and names each unit with its reason code (exit 1).
VALIDATE_EXIT_1 = {
    "wrong_geometry": "not_polygon",
    "no_crs": "missing_crs",
    "impossible_coords": "impossible_coordinates",
    "swapped_axes": "impossible_coordinates",
    "degrees_as_metres": "impossible_coordinates",
    "nan_inf": "impossible_coordinates",
    "empty_layer": "empty_layer",
}


def _prepare_out(tmp_path, kind: str):
    """An existing output that a refused run must leave as it was."""
    if kind == "file":
        out = tmp_path / "existing.geojson"
        out.write_text("keep me")
    else:
        out = tmp_path / "existing_dir"
        out.mkdir()
        (out / "keep.txt").write_text("keep me")
    return out


def _untouched(out, kind: str) -> bool:
    if kind == "file":
        return out.read_text() == "keep me"
    return [p.name for p in out.iterdir()] == ["keep.txt"] and (
        out / "keep.txt"
    ).read_text() == "keep me"


def _out_arg(args, out, cmd, kind):
    if "--out" in args:
        return [str(out) if a == "{out}" else a for a in args]
    name = str(out)
    if cmd in ("stats",):
        name = str(out.with_suffix(".csv"))
    return [*args, "--out", name]


def _run(args):
    return CliRunner().invoke(main, args)


def _assert_refused(res, names: list[str]):
    assert res.exit_code == 2, (res.exit_code, res.output)
    err = res.stderr.strip().splitlines()
    assert "Traceback" not in res.output
    errors = [ln for ln in err if ln.startswith(("zoning: error:", "Error:"))]
    assert len(errors) == 1, err
    line = errors[0]
    assert len(line) <= 420, f"{len(line)} chars: {line}"
    assert any(n in line for n in names), (names, line)
    # no raw library warning reaches the user
    assert not any("Warning:" in ln or "warnings.warn" in ln for ln in err), err


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("cmd", list(COMMANDS))
def test_every_command_refuses_broken_files(files, tmp_path, cmd, case):
    if (cmd, case) in SKIP:
        pytest.skip(SKIP[(cmd, case)])
    args, kind = COMMANDS[cmd]
    slot = SLOT.get(cmd, "units")
    bad = files[slot][case]
    if cmd == "soil-samples" and case == "wrong_geometry":
        bad = files["points"]["wrong_geometry"]
    if cmd in ("soil-parcels", "afforest") and case == "wrong_geometry":
        bad = files["units"]["wrong_geometry"]
    if cmd == "stats":
        kind = "file"
    out = _prepare_out(tmp_path, kind)
    if cmd == "stats":
        out = out.rename(out.with_suffix(".csv"))
    fill = {
        "bad": str(bad),
        "units": str(files["dir"] / "units.gpkg"),
        "points": str(files["dir"] / "points_good.geojson"),
    }
    argv = _out_arg(
        [a.format(**fill) if "{" in a and a != "{out}" else a for a in args], out, cmd, kind
    )
    res = _run(argv)
    if (cmd, case) in FLAGGED:
        assert res.exit_code == 0, res.output
        table = pd.read_csv(out / "conflicts.csv")
        assert len(table) == 6 and (table["status"] == "invalid").sum() == 1
        return
    if cmd == "validate" and case in VALIDATE_EXIT_1:
        assert res.exit_code == 1, res.output
        assert VALIDATE_EXIT_1[case] in res.stderr
        assert "Traceback" not in res.output
        if case not in ("no_crs", "empty_layer"):
            assert "ZH339901" in res.stderr  # the unit is named
        return
    _assert_refused(res, [bad.name, "--layer", "--encoding"])
    assert _untouched(out, kind), list(out.parent.iterdir())


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "folder",
        "zero_bytes",
        "empty_layer",
        "text_coords",
        "swapped_axes",
        "impossible_coords",
        "nan_inf",
        "duplicate_ids",
        "undecodable",
        "degrees_as_metres",
    ],
)
def test_conflicts_refuses_broken_csv(files, tmp_path, case):
    bad = files["csv"][case]
    out = _prepare_out(tmp_path, "dir")
    extra = ["--x-col", "X", "--y-col", "Y", "--crs", "EPSG:4549"] if "metres" in case else []
    res = _run(
        [
            "conflicts",
            "--units",
            str(files["dir"] / "units.gpkg"),
            "-r",
            RULES,
            "--facilities",
            str(bad),
            *extra,
            "--out",
            str(out),
        ]
    )
    _assert_refused(res, [bad.name])
    assert _untouched(out, "dir")


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["export", "{units}", "--precision", "99", "--out", "{out}"], ["--precision"]),
        (["map", "{units}", "--lang", "xx", "--out", "{out}"], ["--lang"]),
        (["export", "{units}", "--layer", "nope", "--out", "{out}"], ["units.gpkg", "--layer"]),
        (["export", "{units}", "--encoding", "nonsense", "--out", "{out}"], ["--units-encoding"]),
        (["export", "{nocrs}", "--crs", "EPSG:999999", "--out", "{out}"], ["EPSG:999999"]),
        (["export", "{two}", "--out", "{out}"], ["--units-layer"]),
        (
            [
                "soil",
                "--samples",
                "{points}",
                "--parcels",
                "{units}",
                "--default-land-use",
                "moon",
                "--out",
                "{out}",
            ],
            ["--default-land-use"],
        ),
        (
            [
                "conflicts",
                "--units",
                "{units}",
                "-r",
                RULES,
                "--facilities",
                "{points}",
                "--coords",
                "mars",
                "--out",
                "{out}",
            ],
            ["--coords"],
        ),
        (
            [
                "screen",
                "--units",
                "{units}",
                "-r",
                RULES,
                "--wkt",
                "POLYGON ((1 2, 3",
                "--out",
                "{out}",
            ],
            ["--wkt"],
        ),
        (["stats", "--units", "{units}", "--grid", "nox", "--out", "{out}"], ["--grid", "nox"]),
    ],
    ids=lambda v: v[0] if isinstance(v, list) and v and v[0] in COMMANDS else None,
)
def test_bad_option_values(files, tmp_path, argv, names):
    out = _prepare_out(tmp_path, "file")
    fill = {
        "units": str(files["dir"] / "units.gpkg"),
        "points": str(files["dir"] / "points_good.geojson"),
        "nocrs": str(files["units"]["no_crs"]),
        "two": str(files["units"]["two_layers"]),
        "out": str(out),
    }
    res = _run([a.format(**fill) for a in argv])
    _assert_refused(res, names)
    assert _untouched(out, "file")


# ----------------------------------------------------------------------------------------
# one test per kind of issue 10, on the message a user sees


def _stderr_line(res) -> str:
    return [ln for ln in res.stderr.splitlines() if ln.startswith("zoning: error:")][0]


@pytest.mark.parametrize(
    ("case", "expect"),
    [
        ("impossible_coords", ["no place on Earth", "rows 2", "(119.81, 300)"]),
        ("swapped_axes", ["longitude and latitude look swapped", "x = longitude"]),
        ("degrees_as_metres", ["degrees declared as metres", "EPSG:4549", "EPSG:4490"]),
    ],
)
def test_kind1_export_names_the_likely_cause(files, tmp_path, case, expect):
    res = _run(["export", str(files["units"][case]), "--out", str(tmp_path / "u.geojson")])
    line = _stderr_line(res)
    assert res.exit_code == 2 and all(e in line for e in expect), line
    assert not (tmp_path / "u.geojson").exists()


def test_kind1_geojson_writer_never_writes_latitude_300(tmp_path):
    from zoning.errors import CRSError
    from zoning.export.geojson import write_geojson

    bad = _units().pipe(_moved, lambda xy: xy + [0, 270], rows=[1])
    with pytest.raises(CRSError, match="no place on Earth"):
        write_geojson(bad, tmp_path / "x.geojson")
    assert not (tmp_path / "x.geojson").exists()


def test_kind1_validate_names_the_unit_at_latitude_300(files, tmp_path):
    res = _run(["validate", str(files["units"]["impossible_coords"])])
    assert res.exit_code == 1
    row = [ln for ln in res.stderr.splitlines() if "impossible_coordinates" in ln]
    assert len(row) == 2 and "ZH33990120002" in row[1] and "300" in row[1]
    assert "nan" not in res.stderr.lower().replace("nan or", "")
    assert "-inf" not in res.output and "Infinity" not in res.output  # the problem places


@pytest.mark.parametrize(
    ("epsg", "x0", "expect"),
    [
        (4530, 500000, ["lack the zone prefix", "EPSG:4551"]),  # zone 42 with prefix
        (4549, 40500000, ["zone prefix 40", "EPSG:4528"]),
    ],
)
def test_kind1_zone_prefix(tmp_path, epsg, x0, expect):
    units = make_units(crs=f"EPSG:{epsg}", x0=x0, y0=3300000.0)
    units.to_file(tmp_path / "gk.gpkg")
    res = _run(["export", str(tmp_path / "gk.gpkg"), "--out", str(tmp_path / "u.geojson")])
    line = _stderr_line(res)
    assert res.exit_code == 2 and all(e in line for e in expect), line


def test_kind1_facilities_xy_degrees_with_a_gauss_kruger_crs(files, tmp_path):
    res = _run(
        ["conflicts", "--units", str(files["dir"] / "units.gpkg"), "-r", RULES,
         "--facilities", str(files["csv"]["degrees_as_metres"]), "--x-col", "X", "--y-col",
         "Y", "--crs", "EPSG:4549", "--out", str(tmp_path / "c")]
    )  # fmt: skip
    line = _stderr_line(res)
    assert "degrees declared as metres" in line and "6 of 6" in line, line


def test_kind1_wkt_degrees_with_a_gauss_kruger_crs(files, tmp_path):
    wkt = f"POINT ({X0 + 0.005} {Y0 + 0.005})"
    res = _run(
        ["screen", "--units", str(files["dir"] / "units.gpkg"), "-r", RULES, "--wkt", wkt,
         "--crs", "EPSG:4549", "--out", str(tmp_path / "s")]
    )  # fmt: skip
    line = _stderr_line(res)
    assert res.exit_code == 2 and "--wkt" in line and "degrees declared as metres" in line


def test_kind1_facilities_far_from_every_unit_are_refused(files, tmp_path):
    far = tmp_path / "far.csv"
    far.write_text("facility_id,lon,lat\nA,116.40,39.90\nB,116.41,39.91\n")  # Beijing
    res = _run(
        ["conflicts", "--units", str(files["dir"] / "units.gpkg"), "-r", RULES,
         "--facilities", str(far), "--out", str(tmp_path / "c")]
    )  # fmt: skip
    line = _stderr_line(res)
    assert "far.csv" in line and "none of the 2 facilities lies within 50 km" in line


def test_kind2_swapped_wkt_does_not_suggest_a_projected_crs(files, tmp_path):
    wkt = f"POLYGON (({Y0} {X0}, {Y0} {X0 + 0.01}, {Y0 + 0.01} {X0 + 0.01}, {Y0} {X0}))"
    res = _run(
        ["screen", "--units", str(files["dir"] / "units.gpkg"), "-r", RULES, "--wkt", wkt,
         "--out", str(tmp_path / "s")]
    )  # fmt: skip
    line = _stderr_line(res)
    assert "latitude, longitude" in line and "longitude first" in line
    assert "EPSG:45" not in line and "--crs" not in line


@pytest.mark.parametrize("missing", [".dbf", ".shx"])
def test_kind2_shapefile_without_its_companion(tmp_path, missing):
    _units().to_file(tmp_path / "u.shp", encoding="utf-8")
    (tmp_path / "u.shp").with_suffix(missing).unlink()
    res = _run(["export", str(tmp_path / "u.shp"), "--out", str(tmp_path / "u.geojson")])
    line = _stderr_line(res)
    assert f"no {missing} file" in line and f"u{missing}" in line


@pytest.mark.parametrize("name", ["fac_semicolon.csv", "fac_tab.csv", "fac_pipe_comma.csv"])
def test_kind2_delimited_csv_is_read_when_unambiguous(files, name):
    from zoning.io.facilities import read_facilities

    got = read_facilities(files["dir"] / name)
    ref = read_facilities(files["dir"] / "fac_good.csv")
    assert list(got["facility_id"]) == list(ref["facility_id"])
    assert got.geometry.equals(ref.geometry)


def test_kind2_a_csv_of_one_column_says_so(files, tmp_path):
    bad = tmp_path / "one.csv"
    bad.write_text("id lon lat\nA 119.8 30.0\n")  # space-separated: not a delimiter read
    res = _run(["conflicts", "--units", str(files["dir"] / "units.gpkg"), "-r", RULES,
                "--facilities", str(bad), "--out", str(tmp_path / "c")])  # fmt: skip
    line = _stderr_line(res)
    assert "one.csv" in line and "a single column 'id lon lat'" in line and "commas" in line


@pytest.mark.parametrize(
    ("cmd", "what"),
    [
        (["export", "{bad}", "--out", "{o}/u.geojson"], "control units must be polygons"),
        (
            ["soil", "--samples", "{pts}", "--parcels", "{bad}", "--out", "{o}/p.geojson"],
            "farmland parcels must be polygons",
        ),
    ],
)
def test_kind3_points_where_polygons_are_needed(files, tmp_path, cmd, what):
    fill = {
        "bad": str(files["units"]["wrong_geometry"]),
        "pts": str(files["dir"] / "points_good.geojson"),
        "o": str(tmp_path),
    }
    res = _run([a.format(**fill) for a in cmd])
    line = _stderr_line(res)
    assert what in line and "6 Point" in line, line


def _utf8_shp_with_cut_characters(path):
    frame = _units()
    frame["name"] = [f"青溪县生态单元{i}" for i in range(len(frame))]
    frame.to_file(path, encoding="utf-8")
    path.with_suffix(".cpg").unlink()
    raw = bytearray(path.with_suffix(".dbf").read_bytes())
    at = raw.index("生态单元0".encode())
    raw[at + 2 : at + 3] = b" "  # the record's text cut mid-character (like at a field width)
    path.with_suffix(".dbf").write_bytes(bytes(raw))


def test_kind4_utf8_with_a_cut_character_stays_utf8(tmp_path, caplog):
    from zoning.io.vector import read_units

    _utf8_shp_with_cut_characters(tmp_path / "u.shp")
    with caplog.at_level("WARNING"):
        got = read_units(tmp_path / "u.shp")
    assert list(got["name"][1:]) == [f"青溪县生态单元{i}" for i in range(1, 6)]
    assert got["name"][0].startswith("青溪县") and "\ufffd" in got["name"][0]
    assert "rows 1; field 'name'" in caplog.text and "not valid utf-8" in caplog.text


def test_kind4_gbk_without_cpg_is_read_as_gbk(tmp_path):
    from zoning.io.vector import read_units

    _units().to_file(tmp_path / "g.shp", encoding="gbk")
    (tmp_path / "g.cpg").unlink()
    assert list(read_units(tmp_path / "g.shp")["name"]) == [f"单元{i}" for i in range(1, 7)]


def test_kind4_a_cpg_that_lies_is_refused_with_the_encoding_that_fits(files, tmp_path):
    res = _run(["validate", str(files["units"]["undecodable"])])
    line = _stderr_line(res)
    assert res.exit_code == 2 and "not valid utf-8" in line and "--units-encoding gbk" in line
    assert "no problems found" not in res.stderr


def test_kind5_two_layers_are_listed(files, tmp_path):
    res = _run(["export", str(files["units"]["two_layers"]), "--out", str(tmp_path / "u.geojson")])
    line = _stderr_line(res)
    assert "a_2020, a_2024" in line and "name one with --units-layer" in line
    res = _run(["export", str(files["units"]["two_layers"]), "--layer", "a_2024",
                "--out", str(tmp_path / "u.geojson")])  # fmt: skip
    assert res.exit_code == 0 and "More than one layer" not in res.stderr


def test_kind5_duplicate_ids_and_text_coordinates(files):
    from zoning.errors import SchemaError
    from zoning.io.facilities import read_facilities

    with pytest.raises(SchemaError, match=r"'F1' in rows 1, 3; 'F2' in rows 2, 5"):
        read_facilities(files["csv"]["duplicate_ids"])
    with pytest.raises(SchemaError, match=r"'lon' holds no numbers in any row \(e.g. '西湖'\)"):
        read_facilities(files["csv"]["text_coords"])


def test_kind6_no_raw_library_warning_reaches_the_user(files):
    res = _run(["validate", str(files["units"]["nan_inf"])])
    assert res.exit_code == 1 and "impossible_coordinates" in res.stderr
    assert "invalid value encountered" not in res.stderr and "RuntimeWarning" not in res.stderr


def test_awkward_but_valid_input_keeps_every_row(tmp_path):
    """A zip with a folder inside, a 3D shapefile without .cpg, a BOM + CRLF CSV with
    经度/纬度 headers and ';' between the fields: read, every row kept."""
    import zipfile

    from zoning.io.facilities import read_facilities
    from zoning.io.vector import read_units

    units = _units()
    units = units.set_geometry(shapely.force_3d(units.geometry.values, z=12.5))
    (tmp_path / "in").mkdir()
    units.to_file(tmp_path / "in" / "u.shp", encoding="gbk")
    (tmp_path / "in" / "u.cpg").unlink()
    with zipfile.ZipFile(tmp_path / "u.zip", "w") as zf:
        for f in (tmp_path / "in").iterdir():
            zf.write(f, f"县级单元/{f.name}")
    got = read_units(tmp_path / "u.zip")
    assert len(got) == 6 and list(got["name"]) == [f"单元{i}" for i in range(1, 7)]
    csv_path = tmp_path / "f.csv"
    csv_path.write_bytes("\ufeffid;经度;纬度\r\nA;119.805;30.005\r\nB;119.815;30.005\r\n".encode())
    fac = read_facilities(csv_path)
    assert len(fac) == 2 and fac["coord_problem"].isna().all()


@pytest.mark.parametrize(
    ("argv", "fix"),
    [
        (
            ["conflicts", "--units", "{u}", "-r", RULES, "--facilities", "{two}"],
            "--facilities-layer",
        ),
        (["soil", "--samples", "{two}", "--parcels", "{u}"], "ogr2ogr"),
    ],
    ids=["conflicts", "soil"],
)
def test_kind5_two_layers_fix_names_the_commands_own_option(files, tmp_path, argv, fix):
    fill = {"u": str(files["dir"] / "units.gpkg"), "two": str(files["points"]["two_layers"])}
    res = _run([a.format(**fill) for a in argv] + ["--out", str(tmp_path / "o")])
    line = _stderr_line(res)
    assert "a_2020, a_2024" in line and fix in line, line


def test_screen_refuses_duplicate_project_ids_and_bad_vertex_lists(files, tmp_path):
    pts = gpd.read_file(files["dir"] / "points_good.geojson").rename(
        columns={"facility_id": "project_id"}
    )
    pts["project_id"] = ["P1", "P2", "P1", "P3", "P4", "P5"]
    pts.to_file(tmp_path / "dup.geojson")
    (tmp_path / "v.txt").write_text("119.80 30.00\n119.81 30.00\n119.81 30.01\n")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\xff 30.0\n")
    base = ["screen", "--units", str(files["dir"] / "units.gpkg"), "-r", RULES]
    for extra, expect in (
        ([str(tmp_path / "dup.geojson")], ["dup.geojson", "'P1' in rows 1, 3"]),
        (["--vertices", str(tmp_path / "v.txt"), "--crs", "EPSG:4549"],
         ["v.txt", "degrees declared as metres"]),
        (["--vertices", str(tmp_path / "b.txt")], ["b.txt", "--encoding"]),
    ):  # fmt: skip
        out = _prepare_out(tmp_path, "dir")
        res = _run([*base, *extra, "--out", str(out)])
        line = _stderr_line(res)
        assert res.exit_code == 2 and all(e in line for e in expect), line
        assert _untouched(out, "dir")
        shutil.rmtree(out)


def test_semicolon_facilities_give_the_same_conflicts_as_commas(files, tmp_path):
    outs = {}
    for name in ("fac_good.csv", "fac_semicolon.csv"):
        out = tmp_path / name
        res = _run(["conflicts", "--units", str(files["dir"] / "units.gpkg"), "-r", RULES,
                    "--facilities", str(files["dir"] / name), "--out", str(out)])  # fmt: skip
        assert res.exit_code == 0, res.output
        outs[name] = (out / "conflicts.csv").read_text()
    assert outs["fac_good.csv"] == outs["fac_semicolon.csv"]


def test_a_cut_dbf_is_called_damaged_not_a_layer_name(tmp_path):
    _units().to_file(tmp_path / "u.shp", encoding="utf-8")
    dbf = tmp_path / "u.dbf"
    dbf.write_bytes(dbf.read_bytes()[: dbf.stat().st_size // 2])
    res = _run(["export", str(tmp_path / "u.shp"), "--out", str(tmp_path / "u.geojson")])
    line = _stderr_line(res)
    assert "u.shp" in line and "cut short" in line and "--layer" not in line, line
    res = _run(
        [
            "export",
            str(demo_path("units.gpkg")),
            "--layer",
            "nope",
            "--out",
            str(tmp_path / "x.geojson"),
        ]
    )
    assert "has no layer 'nope'; its layers are units" in _stderr_line(res)
