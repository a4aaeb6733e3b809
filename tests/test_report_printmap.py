"""The HTML report prints well: a static site map replaces the interactive one in print."""

from __future__ import annotations

import geopandas as gpd
import pytest
from conftest import make_units
from shapely.geometry import box
from test_report import RULES, X0, Y0, _projects

from zoning.export.report import write_screening
from zoning.rules.schema import parse_rules
from zoning.screen import screen


@pytest.fixture
def one(tmp_path):
    units = make_units()
    red = gpd.GeoDataFrame(
        {"name": ["红线"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:4549"
    )
    res = screen(_projects().iloc[1:2], units, parse_rules(RULES), layers={"red_line": red})
    return res, units, {"red_line": red}, tmp_path


def test_png_written_beside_report_and_embedded(one):
    res, units, layers, tmp = one
    # (the time of one report is measured by benchmarks/report_print.py, not here)
    paths = write_screening(res, tmp / "r", units=units, layers=layers, lang="zh")
    png = paths["site_map"].read_bytes()
    assert paths["site_map"] == tmp / "r" / "site_map.png" and png[:8] == b"\x89PNG\r\n\x1a\n"
    page = paths["report"].read_text(encoding="utf-8")
    assert page.count('id="print-map"') == 1 and "data:image/png;base64," in page


def test_batch_writes_a_png_per_project_and_none_without_maps(one):
    res, units, layers, tmp = one
    res = screen(_projects(), units, res.rule_set, layers=layers)
    paths = write_screening(res, tmp / "b", units=units, layers=layers, lang="en")
    assert {k for k in paths if k.startswith("site_map:")} == {
        "site_map:A1", "site_map:B2", "site_map:C3",
    }  # fmt: skip
    assert (tmp / "b" / "C3" / "site_map.png").is_file()
    paths = write_screening(res, tmp / "n", units=units, layers=layers, maps=False)
    assert not any(k.startswith("site_map") for k in paths)
    assert 'id="print-map"' not in paths["report:A1"].read_text(encoding="utf-8")


@pytest.mark.browser
def test_print_shows_static_map_and_hides_interactive(one, browser):
    res, units, layers, tmp = one
    paths = write_screening(res, tmp / "p", units=units, layers=layers, lang="zh")
    page = browser.open(paths["report"], wait_ms=800)
    assert page.locator("iframe#site-map").is_visible()
    assert not page.locator("#print-map").is_visible()
    page.emulate_media(media="print")
    assert page.locator("#print-map").is_visible()
    assert not page.locator("iframe#site-map").is_visible()
    size = page.evaluate("() => document.getElementById('print-map').naturalWidth")
    assert size > 500  # the PNG decoded
    assert page.console_errors == []
