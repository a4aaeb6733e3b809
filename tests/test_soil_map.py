"""The soil class map written beside ``zoning soil``'s parcels (``<out>.html``)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from test_siting import files, parcels  # noqa: F401  (the fixtures)

from zoning.cli import main


def _soil(tmp_path, files, *extra):  # noqa: F811
    p, s = files
    out = tmp_path / "parcels_soil.geojson"
    args = ["soil", "--samples", str(s), "--parcels", str(p), "--out", str(out), *extra]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    return r, out, tmp_path / "parcels_soil.html"


def test_soil_map_beside_the_parcels_zh(tmp_path, files):  # noqa: F811
    r, out, html = _soil(tmp_path, files)
    assert out.is_file() and html.is_file() and str(html) in r.output
    page = html.read_text(encoding="utf-8")
    assert "严格管控类" in page and "安全利用类" in page and "GB 15618-2018" in page
    assert "Strict control" not in page


def test_soil_map_en_and_no_map(tmp_path, files):  # noqa: F811
    _, _, html = _soil(tmp_path / "en", files, "--lang", "en")
    page = html.read_text(encoding="utf-8")
    assert "Strict control" in page and "严格管控类" not in page
    _, _, html = _soil(tmp_path / "none", files, "--no-map")
    assert not html.exists()


@pytest.mark.browser
def test_soil_map_in_browser(tmp_path, files, browser):  # noqa: F811
    _, _, html = _soil(tmp_path, files)
    page = browser.open(html, wait_ms=800)
    assert page.locator("path.leaflet-interactive").count() >= 3
    assert "严格管控类" in page.locator("body").inner_text()
    assert page.console_errors == []
