"""The choropleth of unit statistics: ``zoning stats --map``."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from test_stats import cli_inputs  # noqa: F401  (the fixture)

from zoning.cli import main


def _run(cli_inputs, tmp_path, *extra):  # noqa: F811
    upath, nox, pm = cli_inputs
    out, html = tmp_path / "s.csv", tmp_path / "s.html"
    args = ["stats", "-u", str(upath), "--grid", f"nox={nox}", "--grid", f"pm={pm}"]
    r = CliRunner().invoke(main, [*args, "-o", str(out), "--map", str(html), *extra])
    assert r.exit_code == 0, r.output
    return r, out, html


def test_stats_map_written_with_a_layer_per_statistic_and_units(cli_inputs, tmp_path):  # noqa: F811
    r, out, html = _run(cli_inputs, tmp_path, "--lang", "zh")
    assert out.is_file() and html.is_file() and f"map: {html}" in r.output
    page = html.read_text(encoding="utf-8")
    assert "nox_sum (t/年)" in page and "pm_mean (µg/m³)" in page
    assert "nox_count" not in page and "nox_coverage" not in page
    assert "无数据" in page  # the unit outside the grid: no data, not 0


@pytest.mark.browser
def test_stats_map_in_browser(cli_inputs, tmp_path, browser):  # noqa: F811
    _, _, html = _run(cli_inputs, tmp_path, "--lang", "en")
    page = browser.open(html, wait_ms=800)
    text = page.locator("body").inner_text()
    assert "nox_sum (t/yr)" in text
    assert page.locator("path.leaflet-interactive").count() >= 7  # every unit of one layer
    assert re.search(r"no data", text)
    assert page.console_errors == []


@pytest.mark.browser
def test_stats_legend_follows_the_layer_switched_on(cli_inputs, tmp_path, browser):  # noqa: F811
    _, _, html = _run(cli_inputs, tmp_path, "--lang", "en")
    page = browser.open(html, wait_ms=800)

    def legend_titles():
        heads = page.locator("#zoning-legend h4")
        return [
            heads.nth(i).inner_text().strip()
            for i in range(heads.count())
            if heads.nth(i).is_visible()
        ]

    first = legend_titles()
    assert first == ["nox_sum (t/yr)"], first
    # switch the first statistic off and another on in the layer control
    control = page.locator(".leaflet-control-layers-overlays label")
    names = control.all_inner_texts()
    other = next(i for i, n in enumerate(names) if "pm_mean" in n)
    control.nth(names.index(next(n for n in names if "nox_sum" in n))).locator("input").click()
    control.nth(other).locator("input").click()
    page.wait_for_timeout(200)
    now = legend_titles()
    assert now == ["pm_mean (µg/m³)"], now
    # popups: numbers with sensible decimals, never an exponent
    page.locator("path.leaflet-interactive").first.click(force=True)
    page.wait_for_selector(".zpop")
    text = page.locator(".zpop").inner_text()
    assert "pm_mean" in text and not re.search(r"\d[eE][+-]?\d|\.\d{5,}", text), text
