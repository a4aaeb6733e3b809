"""The per-input option scheme (--X-layer/-field/-encoding/-crs/-coords), its aliases, and
the older shared --crs/--encoding; --outline read in the units' coordinate system."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner
from conftest import make_units
from shapely.geometry import box

from zoning.cli import main
from zoning.cli.options import input_options, shared_option
from zoning.io.coords import convert_geometries

#: (command, older or new arguments, keyword the command receives, value); every older name
#: must still parse onto the same keyword as its new name.
CASES = (
    [
        (cmd, [flag, "V"], dest, "V")
        for cmd in ("validate", "export", "stats", "hotspots", "map", "conflicts", "screen")
        for flag, dest in (
            ("--layer", "layer"),
            ("--units-layer", "layer"),
            ("--units-encoding", "encoding"),
            ("--units-crs", "assume_crs"),
        )
    ]
    + [
        (cmd, [flag, "code=DYBM"], "fields", ("code=DYBM",))
        for cmd in ("validate", "export", "stats", "hotspots", "map", "conflicts", "screen")
        for flag in ("--field", "--units-field")
    ]
    + [
        (cmd, ["--encoding", "gbk"], "encoding", "gbk")
        for cmd in ("validate", "export", "stats", "hotspots", "map")
    ]
    + [
        (cmd, ["--crs", "EPSG:4549"], "assume_crs", "EPSG:4549")
        for cmd in ("validate", "export", "stats", "hotspots")
    ]
    + [
        ("conflicts", ["--coords", "gcj02"], "coords", "gcj02"),
        ("conflicts", ["--facilities-coords", "bd09"], "coords", "bd09"),
        ("conflicts", ["--facilities-layer", "pts"], "facilities_layer", "pts"),
        ("conflicts", ["--facility-field", "tags=Fuel"], "facility_fields", ("tags=Fuel",)),
        ("conflicts", ["--facilities-field", "tags=Fuel"], "facility_fields", ("tags=Fuel",)),
        ("conflicts", ["--facilities-crs", "EPSG:4549"], "facilities_crs", "EPSG:4549"),
        ("conflicts", ["--facilities-encoding", "gbk"], "facilities_encoding", "gbk"),
        ("conflicts", ["--layers-crs", "EPSG:4549"], "layers_crs", "EPSG:4549"),
        ("conflicts", ["--crs", "EPSG:4549"], "shared_crs", "EPSG:4549"),
        ("conflicts", ["--encoding", "gbk"], "shared_encoding", "gbk"),
        ("screen", ["--project-crs", "EPSG:4549"], "project_crs", "EPSG:4549"),
        ("screen", ["--project-encoding", "gbk"], "project_encoding", "gbk"),
        ("screen", ["--project-layer", "sites"], "project_layer", "sites"),
        ("screen", ["--layers-crs", "EPSG:4549"], "layers_crs", "EPSG:4549"),
        ("screen", ["--crs", "EPSG:4549"], "shared_crs", "EPSG:4549"),
        ("screen", ["--encoding", "gbk"], "shared_encoding", "gbk"),
        ("map", ["--layers-crs", "EPSG:4549"], "layers_crs", "EPSG:4549"),
        ("map", ["--layers-coords", "gcj02"], "layers_coords", "gcj02"),
        ("map", ["--crs", "EPSG:4549"], "shared_crs", "EPSG:4549"),
        ("validate", ["--outline-coords", "gcj02"], "outline_coords", "gcj02"),
        ("validate", ["--outline-crs", "EPSG:4549"], "outline_crs", "EPSG:4549"),
        ("validate", ["--outline-layer", "o"], "outline_layer", "o"),
        ("soil", ["--samples-crs", "EPSG:4549"], "samples_crs", "EPSG:4549"),
        ("soil", ["--parcels-layer", "p"], "parcels_layer", "p"),
        ("soil", ["--samples-coords", "gcj02"], "samples_coords", "gcj02"),
        ("soil", ["--crs", "EPSG:4549"], "shared_crs", "EPSG:4549"),
        ("soil", ["--encoding", "gbk"], "shared_encoding", "gbk"),
        ("afforest", ["--parcels-crs", "EPSG:4549"], "parcels_crs", "EPSG:4549"),
        ("afforest", ["--units-field", "unit_class=FL"], "units_field", ("unit_class=FL",)),
        ("afforest", ["--layers-encoding", "gbk"], "layers_encoding", "gbk"),
        ("afforest", ["--crs", "EPSG:4549"], "shared_crs", "EPSG:4549"),
        ("afforest", ["--encoding", "gbk"], "shared_encoding", "gbk"),
    ]
)
_REQUIRED = {
    "conflicts": ["--facilities", "f.csv", "--out", "o"],
    "screen": ["--out", "o"],
    "stats": ["--out", "o.csv"],
    "hotspots": ["--out", "o"],
    "map": ["--out", "o.html"],
    "export": ["--out", "o.geojson"],
    "soil": ["--samples", "s", "--parcels", "p", "--out", "o"],
    "afforest": ["--parcels", "p", "--out", "o"],
}


@pytest.mark.parametrize(("cmd", "args", "dest", "value"), CASES, ids=lambda v: str(v))
def test_old_and_new_option_names_parse_onto_the_same_keyword(cmd, args, dest, value):
    command = main.commands[cmd]
    ctx = command.make_context(cmd, args + _REQUIRED.get(cmd, []))
    assert ctx.params[dest] == value


@pytest.mark.parametrize("cmd", sorted(set(_REQUIRED) | {"validate"}))
def test_every_per_input_option_follows_the_scheme(cmd):
    aspects = ("layer", "field", "encoding", "crs", "coords")
    # `out`: the same scheme for the output (export --out-encoding)
    nouns = ("units", "facilities", "project", "samples", "parcels", "outline", "layers", "out")
    # NAME=PATH; the tiles' system; the ecozone layer itself and its zone column
    not_inputs = {
        "--named-layer",
        "--basemap-coords",
        "--ecozone-layer",
        "--ecozone-field",
        "--to-crs",
    }
    found = set()
    for param in main.commands[cmd].params:
        for opt in set(param.opts[:1]) - not_inputs:  # the name; aliases may be older
            if opt.count("-") > 2 and opt.endswith(tuple(f"-{a}" for a in aspects)):
                noun, _, aspect = opt[2:].partition("-")
                assert noun in nouns and aspect in aspects, opt
                found.add(noun)
    assert found


def test_shared_option_fills_only_what_was_not_given():
    seen = {}

    @click.command()
    @input_options("units", ("crs",))
    @input_options("facilities", ("crs",))
    @shared_option("crs", {"units_crs": "--units-crs", "facilities_crs": "--facilities-crs"})
    def cmd(units_crs, facilities_crs):
        seen.update(units=units_crs, facilities=facilities_crs)

    runner = CliRunner()
    assert runner.invoke(cmd, ["--crs", "A"]).exit_code == 0
    assert seen == {"units": "A", "facilities": "A"}
    assert runner.invoke(cmd, ["--crs", "A", "--facilities-crs", "B"]).exit_code == 0
    assert seen == {"units": "A", "facilities": "B"}
    assert runner.invoke(cmd, ["--units-crs", "C"]).exit_code == 0
    assert seen == {"units": "C", "facilities": None}


RULES = """\
version: 1
rules:
  - id: SP-01
    dimension: spatial
    clause: {zh: 优先保护单元禁止新建工业项目, en: No new industry in priority units}
    message: {zh: 优先保护单元内拟建工业项目, en: Proposed industry in a priority unit}
    outcome: prohibited
    scope: {unit_class: 1}
    when: {all: [{stage: proposed}, {sector: [C]}]}
"""


@pytest.fixture
def no_crs_inputs(tmp_path):
    """Units (a shapefile without .prj) and facilities (CSV x/y), both CGCS2000 GK 120E."""
    make_units()[["code", "unit_class", "geometry"]].to_file(tmp_path / "u.shp")
    (tmp_path / "u.prj").unlink()
    (tmp_path / "f.csv").write_text(
        "id,x,y,stage,sector\nA,500500,3300500,proposed,2614\nB,501500,3300500,proposed,2614\n",
        "utf-8",
    )
    (tmp_path / "r.yaml").write_text(RULES, "utf-8")
    base = ["conflicts", "-u", str(tmp_path / "u.shp"), "-f", str(tmp_path / "f.csv")]
    return base + ["-r", str(tmp_path / "r.yaml"), "--x-col", "x", "--y-col", "y"]


@pytest.mark.parametrize(
    "crs_args",
    [["--crs", "EPSG:4549"], ["--units-crs", "EPSG:4549", "--facilities-crs", "EPSG:4549"]],
    ids=["shared --crs", "one each"],
)
def test_conflicts_crs_shared_or_one_per_input(tmp_path, no_crs_inputs, crs_args):
    out = tmp_path / "out"
    res = CliRunner().invoke(main, no_crs_inputs + crs_args + ["--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["by_status"]["conflict"] == 1


def test_conflicts_units_crs_does_not_apply_to_facilities(tmp_path, no_crs_inputs):
    out = tmp_path / "out"
    res = CliRunner().invoke(main, no_crs_inputs + ["--units-crs", "EPSG:4549", "--out", str(out)])
    assert res.exit_code == 2
    assert "f.csv" in res.output and "CRS" in res.output
    assert not out.exists()


def _gcj_layers(tmp_path):
    """Six 0.01° units in lon/lat with one taken out, and the outline of all six, in GCJ-02."""
    units = make_units(crs="EPSG:4326", x0=119.8, y0=30.0, size=0.01)
    true_gap = units.to_crs("EPSG:6933").area.iloc[4]
    units = units.drop(index=4)
    units["geometry"] = convert_geometries(units.geometry.values, "wgs84", "gcj02")
    units.to_file(tmp_path / "u.geojson")
    outline = units.iloc[:1].copy()
    outline["geometry"] = convert_geometries([box(119.8, 30.0, 119.83, 30.02)], "wgs84", "gcj02")
    outline[["geometry"]].to_file(tmp_path / "outline.geojson")
    return true_gap


def _gap_m2(res) -> float:
    data = json.loads(res.stdout)
    return sum(
        f["properties"]["area_m2"] for f in data["features"] if f["properties"]["reason"] == "gap"
    )


@pytest.mark.parametrize(
    "extra", [[], ["--outline-coords", "gcj02"]], ids=["as units", "own option"]
)
def test_outline_is_converted_with_the_units(tmp_path, extra):
    true_gap = _gcj_layers(tmp_path)
    args = ["validate", str(tmp_path / "u.geojson"), "--units-coords", "gcj02"]
    args += ["--outline", str(tmp_path / "outline.geojson")]
    res = CliRunner().invoke(main, args + extra)
    assert res.exit_code == 1, res.output
    assert _gap_m2(res) == pytest.approx(true_gap, rel=0.01)
    assert "converted from gcj02" in res.stderr


def test_outline_left_unconverted_shows_the_false_gaps(tmp_path):
    true_gap = _gcj_layers(tmp_path)
    args = ["validate", str(tmp_path / "u.geojson"), "--units-coords", "gcj02"]
    args += ["--outline", str(tmp_path / "outline.geojson"), "--outline-coords", "wgs84"]
    res = CliRunner().invoke(main, args)
    assert _gap_m2(res) > 1.2 * true_gap  # the ~500 m GCJ-02 shift adds strips of false gap


@pytest.mark.parametrize(
    ("crs_args", "code"),
    [
        (["--project-crs", "EPSG:4549"], 0),
        (["--crs", "EPSG:4549"], 0),  # the older option: project and units
        (["--units-crs", "EPSG:4549"], 2),  # the units' CRS is not the site's
    ],
    ids=["--project-crs", "--crs", "--units-crs"],
)
def test_screen_project_crs_apart_from_the_units(tmp_path, crs_args, code):
    make_units().to_file(tmp_path / "u.gpkg")
    (tmp_path / "r.yaml").write_text(RULES, "utf-8")
    args = ["screen", "--wkt", "POINT (500500 3300500)", "-u", str(tmp_path / "u.gpkg")]
    args += ["-r", str(tmp_path / "r.yaml"), "--sector", "2614", "--stage", "proposed"]
    res = CliRunner().invoke(main, args + crs_args + ["--out", str(tmp_path / "s")])
    assert res.exit_code == code, res.output
    if code == 0:
        data = json.loads((tmp_path / "s" / "result.json").read_text("utf-8"))
        assert data["project"]["verdict"] == "prohibited"
        assert data["project"]["geometry_decided_by"] == "WKT"
    else:
        assert "--project-crs" in res.output and not (tmp_path / "s").exists()


def test_one_name_value_parser():
    """parse_pairs is the one NAME=VALUE parser: dict or list, the flag and the expected
    form named; parse_limits adds :METRES; the older helpers delegate to it."""
    from zoning.cli._afforest_options import _pairs as afforest_pairs
    from zoning.cli.options import parse_limits, parse_pairs
    from zoning.cli.stats import _pairs as stats_pairs

    assert parse_pairs([" a = x.gpkg", "b=y"], "--grid") == {"a": "x.gpkg", "b": "y"}
    assert parse_pairs(["a=1", "a=2"], "--x", as_list=True) == [("a", "1"), ("a", "2")]
    for bad in ("a", "=x", "a= ", " =x"):
        with pytest.raises(click.BadParameter, match="is not NAME=PATH") as exc:
            parse_pairs([bad], "--grid")
        assert exc.value.param_hint == "--grid"
    with pytest.raises(click.BadParameter, match="is not NAME=VALUE"):
        stats_pairs(["t"], "--quantity")
    with pytest.raises(click.BadParameter, match=r"e\.g\. red_line=red_line\.gpkg"):
        afforest_pairs(["red_line"], "--exclude")
    assert parse_limits(["road=r.gpkg:500"], "--within") == [("road", "r.gpkg", 500.0)]
    assert afforest_pairs(["road=C:/r.gpkg:5"], "--beyond", with_distance=True) == [
        ("road", "C:/r.gpkg", 5.0)
    ]
    for bad in ("road=r.gpkg", "road=r.gpkg:-1", "road=r.gpkg:x"):
        with pytest.raises(click.BadParameter, match=r"does not end in :METRES"):
            parse_limits([bad], "--within")
    with pytest.raises(click.BadParameter, match=r"NAME=PATH:METRES, e\.g\. road=roads"):
        parse_limits(["road"], "--within")
