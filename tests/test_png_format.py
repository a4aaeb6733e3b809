"""`--png` beside every HTML map, `--format` of screening reports (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from zoning.cli import main
from zoning.datasets import demo_path

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _png_ok(path: Path):
    assert path.exists(), path
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] > 300
        assert len(set(im.convert("RGB").getdata())) > 5  # drawn, not blank


def test_map_png_beside_the_html(tmp_path):
    out = tmp_path / "m.html"
    res = CliRunner().invoke(
        main, ["map", str(demo_path("units.gpkg")), "--png", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    _png_ok(out.with_suffix(".png"))


def test_conflicts_and_hotspots_png(tmp_path):
    res = CliRunner().invoke(
        main,
        ["conflicts", "--facilities", str(demo_path("facilities.gpkg")), "--png",
         "--out", str(tmp_path / "c")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    _png_ok(tmp_path / "c" / "conflicts.png")
    res = CliRunner().invoke(
        main,
        ["hotspots", "--pollutant-grid", f"nox={demo_path('grids/nox.tif')}",
         "--carbon-grid", f"co2={demo_path('grids/co2.tif')}", "--png",
         "--out", str(tmp_path / "h")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    _png_ok(tmp_path / "h" / "hotspots.png")


def test_screen_formats(tmp_path):
    wkt = "POINT (119.87 30.04)"
    res = CliRunner().invoke(
        main, ["screen", "--wkt", wkt, "--format", "html,pdf", "--out", str(tmp_path / "a")]
    )
    assert res.exit_code == 0, res.output
    names = {p.name for p in (tmp_path / "a").iterdir()}
    assert {"report.html", "report.pdf"} <= names and "report.docx" not in names
    res = CliRunner().invoke(main, ["screen", "--wkt", wkt, "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    assert {"report.html", "report.pdf", "report.docx"} <= {
        p.name for p in (tmp_path / "b").iterdir()
    }
    res = CliRunner().invoke(
        main, ["screen", "--wkt", wkt, "--format", "html,xls", "--out", str(tmp_path / "c")]
    )
    assert res.exit_code == 2
    assert "option '--format'" in res.output and "'html,xls'" in res.output
    assert not (tmp_path / "c").exists()
