"""Library errors name parameters; the command line names its flags."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from zoning.cli import _speak_flags, main
from zoning.cli.options import param_flags
from zoning.errors import InputError


def test_library_error_names_the_parameter():
    exc = InputError("no such column", param="x_col", fix="name it with `x_col`")
    assert "parameter 'x_col'" in str(exc)
    assert "`x_col`" in str(exc)


def test_command_line_names_the_flag_of_the_parameter():
    @click.command()
    @click.option("--x-col", "x_col", default=None)
    @click.option("--facilities-crs", "facilities_crs", default=None)
    @param_flags(crs="--facilities-crs")
    def cmd(x_col, facilities_crs):
        if x_col:
            raise InputError("no such column", param="x_col", fix="name it with `x_col`")
        raise InputError("no CRS", param="crs", fix="pass `crs`; `unknown` stays")

    _speak_flags(cmd)
    group = click.Group(commands={"cmd": cmd})
    with pytest.raises(InputError) as err:
        group.main(["cmd", "--x-col", "a"], standalone_mode=False)
    text = str(err.value)
    assert "option '--x-col'" in text and "name it with --x-col" in text
    assert "x_col" not in text
    with pytest.raises(InputError) as err:
        group.main(["cmd"], standalone_mode=False)
    text = str(err.value)
    assert "option '--facilities-crs'" in text and "pass --facilities-crs" in text
    assert "`unknown` stays" in text


def test_every_registered_command_is_wrapped():
    def walk(cmd):
        if isinstance(cmd, click.Group):
            for sub in cmd.commands.values():
                yield from walk(sub)
        else:
            yield cmd

    for cmd in walk(main):
        assert getattr(cmd.callback, "__zoning_wrapped__", False), cmd.name
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0


def test_a_source_given_as_text_names_the_flag_too():
    exc = InputError("the WKT geometry is empty", source="`wkt`").with_flags({"wkt": "--wkt"})
    assert str(exc).startswith("--wkt: the WKT geometry is empty")


# -- each family of reader and writer messages: the library names the parameter, the
# -- command line the flag (issue 11, item 1)


@pytest.fixture
def unit_file(tmp_path):
    from conftest import make_units

    path = tmp_path / "units.gpkg"
    make_units().to_file(path)
    return path


def _cli(args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code == 2, res.output
    return res.output


def test_output_messages(tmp_path, unit_file):
    from conftest import make_units

    from zoning.export._atomic import atomic_dir
    from zoning.export.geojson import write_vector

    units = make_units()
    (tmp_path / "f.txt").write_text("x", encoding="utf-8")
    for call in (
        lambda: write_vector(units, tmp_path),
        lambda: write_vector(units, tmp_path / "u.xyz"),
        lambda: atomic_dir(tmp_path / "f.txt").__enter__(),
    ):
        with pytest.raises(InputError, match="parameter 'out'") as err:
            call()
        assert "--out" not in str(err.value)
    out = _cli(["export", unit_file, "--out", tmp_path])
    assert "option '--out'" in out and "extension '' is not supported" in out
    (tmp_path / "d.gpkg").mkdir()
    out = _cli(["export", unit_file, "--out", tmp_path / "d.gpkg"])
    assert "option '--out'" in out and "is a folder" in out
    out = _cli(["conflicts", "--facilities", unit_file, "--out", tmp_path / "f.txt"])
    assert "option '--out'" in out and "must be a folder" in out


def test_filing_crs_messages(tmp_path, unit_file):
    from conftest import make_units

    from zoning.export.national import export_dispatch, filing_crs

    with pytest.raises(InputError, match="parameter 'to_crs'.*`to_crs` was") as err:
        filing_crs("EPSG:3857")
    assert "--" not in str(err.value)
    with pytest.raises(InputError, match="parameter 'to_crs'") as err:
        export_dispatch(make_units(), tmp_path / "u.geojson", schema="canonical",
                        encoding="gbk", to_crs="EPSG:4549")  # fmt: skip
    assert "--" not in str(err.value) and "`schema` national" in str(err.value)
    out = _cli(["export", unit_file, "--to-crs", "EPSG:3857", "--out", tmp_path / "a.gpkg"])
    assert "option '--to-crs'" in out and "--to-crs was" in out
    out = _cli(["export", unit_file, "--to-crs", "EPSG:4549", "--out", tmp_path / "a.geojson"])
    assert "option '--to-crs'" in out and "--schema national, with --to-crs" in out


def test_text_encoding_messages(tmp_path, unit_file):
    from zoning.io.facilities import read_facilities
    from zoning.io.vector import read_vector

    csv = tmp_path / "f.csv"
    csv.write_bytes("id,lon,lat,名称\n1,119.8,30.0,甲厂\n".encode("gbk"))
    with pytest.raises(InputError, match="parameter 'encoding'") as err:
        read_vector(unit_file, encoding="nonsense")
    assert "--" not in str(err.value)
    with pytest.raises(InputError, match="pass the file's `encoding`") as err:
        read_facilities(csv, encoding="utf-8")
    assert "--" not in str(err.value)
    out = _cli(["validate", unit_file, "--encoding", "nonsense"])
    assert "option '--units-encoding'" in out
    # conflicts reads two inputs: the facilities' own flag is named
    out = _cli(["conflicts", "--facilities", csv, "--facilities-encoding", "utf-8",
                "--out", tmp_path / "o"])  # fmt: skip
    assert "pass the file's --facilities-encoding" in out and "`encoding`" not in out


def test_facility_coordinate_messages(tmp_path):
    from zoning.io.facilities import read_facilities

    csv = tmp_path / "xy.csv"
    csv.write_text("id,x,y\n1,500100,3300100\n", encoding="utf-8")
    kw = dict(x_col="x", y_col="y", crs="EPSG:4549", coords="gcj02")
    with pytest.raises(InputError, match="parameter 'coords'.*`coords` gcj02") as err:
        read_facilities(csv, **kw)
    assert "--" not in str(err.value)
    out = _cli(["conflicts", "--facilities", csv, "--x-col", "x", "--y-col", "y",
                "--facilities-crs", "EPSG:4549", "--coords", "gcj02", "--out", tmp_path / "o"])  # fmt: skip
    assert "option '--facilities-coords'" in out and "drop --facilities-coords" in out
    dup = tmp_path / "dup.csv"
    dup.write_text("facility_id,lon,lat\nA,119.8,30.0\nA,119.9,30.1\n", encoding="utf-8")
    with pytest.raises(InputError, match="with `fields` facility_id=COLUMN"):
        read_facilities(dup)
    out = _cli(["conflicts", "--facilities", dup, "--out", tmp_path / "o"])
    assert "with --facilities-field facility_id=COLUMN" in out


def test_project_site_messages(tmp_path):
    from zoning.io.projects import parse_vertices, parse_wkt, read_projects

    bow = "POLYGON ((500000 3300000, 500100 3300100, 500100 3300000, 500000 3300100))"
    with pytest.raises(
        InputError, match=r"^`wkt`, row P1, field 'geometry': the polygon is not valid"
    ) as err:
        parse_wkt(bow, crs="EPSG:4549")
    assert "pass `repair`" in str(err.value) and "--" not in str(err.value)
    with pytest.raises(InputError, match="parameter 'crs'"):
        parse_wkt("POINT (1 2)", crs="EPSG:nonsense")
    with pytest.raises(InputError, match=r"name their CRS, e\.g\. `crs` EPSG:4549"):
        parse_vertices("500100 3300100\n", crs="EPSG:4326")
    latin = tmp_path / "site.txt"
    latin.write_bytes(b"\xff\xfe\xfa 119.8, 30.0\n")
    with pytest.raises(InputError, match="parameter 'encoding'.*with `encoding`"):
        read_projects(latin)
    out = _cli(["screen", "--wkt", bow, "--crs", "EPSG:4549", "--out", tmp_path / "o"])
    assert out.startswith("zoning: error: --wkt, row P1,") and "pass --repair" in out
    out = _cli(
        ["screen", "--wkt", "POINT (1 2)", "--crs", "EPSG:nonsense", "--out", tmp_path / "o"]
    )
    assert "option '--project-crs'" in out
    out = _cli(["screen", "--vertices", latin, "--out", tmp_path / "o"])
    assert "option '--encoding'" in out and "with --encoding" in out


def test_coordinate_systems_name_the_parameter():
    from zoning.io.coords import convert

    with pytest.raises(InputError, match="parameter 'target'.*`target` was 'utm'"):
        convert([119.8], [30.0], "wgs84", "utm")


def test_layer_messages_name_the_flag_of_the_input(tmp_path, unit_file):
    """Two inputs of a command share the parameter ``layer``: the flag named is that of
    the input whose file the error is about."""
    import geopandas as gpd
    from shapely.geometry import Point

    from zoning.io.facilities import read_facilities
    from zoning.io.vector import read_units

    two = tmp_path / "two.gpkg"
    pts = gpd.GeoDataFrame({"id": [1]}, geometry=[Point(119.8, 30.0)], crs="EPSG:4326")
    pts.to_file(two, layer="a")
    pts.to_file(two, layer="b")
    for read in (read_units, read_facilities):
        with pytest.raises(InputError, match="parameter 'layer'.*name one with `layer`") as err:
            read(two)
        assert "--" not in str(err.value)
    rules = tmp_path / "r.yaml"
    rules.write_text("version: 1\nname: {zh: r, en: r}\nrules: []\n", encoding="utf-8")
    out = _cli(["conflicts", "--units", unit_file, "--rules", rules, "--facilities", two,
                "--out", tmp_path / "o"])  # fmt: skip
    assert "option '--facilities-layer'" in out and "name one with --facilities-layer" in out
    out = _cli(["conflicts", "--units", two, "--rules", rules, "--facilities", unit_file,
                "--out", tmp_path / "o"])  # fmt: skip
    assert "option '--units-layer'" in out and "name one with --units-layer" in out
