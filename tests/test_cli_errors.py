"""Every command that reads units refuses broken ones: one line, exit 2, nothing written."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import make_units
from shapely.geometry import Polygon

from zoning.cli import main
from zoning.datasets import demo_path


@pytest.fixture
def broken_units(tmp_path):
    units = make_units(crs="EPSG:4326", x0=119.8, y0=30.0, size=0.01)
    x, y = 119.81, 30.0
    units.loc[4, "geometry"] = Polygon([(x, y), (x + 0.01, y + 0.01), (x + 0.01, y), (x, y + 0.01)])
    path = tmp_path / "broken.gpkg"
    units.to_file(path)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["map", "{u}", "--out", "{o}/m.html"],
        ["export", "{u}", "--out", "{o}/u.geojson"],
        ["conflicts", "--units", "{u}", "-r", "{r}", "--facilities", "{f}", "--out", "{o}/c"],
        [
            "screen",
            "--units",
            "{u}",
            "-r",
            "{r}",
            "--wkt",
            "POINT (119.805 30.005)",
            "--out",
            "{o}/s",
        ],
        ["stats", "--units", "{u}", "--grid", "nox={g}", "--out", "{o}/s.csv"],
        [
            "hotspots",
            "--units",
            "{u}",
            "--pollutant-grid",
            "{g}",
            "--carbon-grid",
            "{g}",
            "--out",
            "{o}/h",
        ],
    ],
    ids=lambda a: a[0],
)
def test_broken_unit_geometry_is_refused(tmp_path, broken_units, args):
    out = tmp_path / "out"
    fill = {
        "u": str(broken_units),
        "o": str(out),
        "f": str(demo_path("facilities.gpkg")),
        "g": str(demo_path("grids/nox.tif")),
        "r": str(demo_path("rules.yaml")),
    }
    res = CliRunner().invoke(main, [a.format(**fill) for a in args])
    assert res.exit_code == 2, res.output
    assert "broken.gpkg" in res.output and "row 5" in res.output
    assert "Self-intersection" in res.output and "Fix:" in res.output
    assert "Traceback" not in res.output
    assert not out.exists() or not any(out.rglob("*"))


@pytest.mark.parametrize(
    "args",
    [
        ["conflicts", "--units", "{u}", "--facilities", "{f}", "--out", "{o}"],
        ["screen", "--units", "{u}", "--wkt", "POINT (119.805 30.005)", "--out", "{o}"],
    ],
    ids=lambda a: a[0],
)
def test_own_units_need_own_rules(tmp_path, args):
    # the bundled rules judge against the demo county's layers: never silently on other units
    units = make_units()
    units.to_file(tmp_path / "mine.gpkg")
    fill = {"u": str(tmp_path / "mine.gpkg"), "f": str(demo_path("facilities.gpkg"))}
    fill["o"] = str(tmp_path / "out")
    res = CliRunner().invoke(main, [a.format(**fill) for a in args])
    assert res.exit_code == 2, res.output
    assert "--rules" in res.output and "demo county" in res.output and "Fix:" in res.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["conflicts", "screen", "rescreen"])
def test_every_command_with_rule_layers_names_the_layers_parameter_by_its_flag(command):
    """The rule engine's messages name its parameter `layers`; each command that passes rule
    layers maps it to --named-layer, so a planner is told the flag."""
    from zoning.cli import _flags_of, main
    from zoning.errors import InputError

    flags = _flags_of(main.commands[command])
    assert flags["layers"] == "--named-layer"
    err = InputError(
        "the rules need the layer 'red_line'", param="layers", fix="give it in `layers`"
    )
    assert "--named-layer" in str(err.with_flags(flags))
