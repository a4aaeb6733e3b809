"""Zoning maps opened in a real headless Chromium with the network disabled."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from click.testing import CliRunner
from conftest import make_units
from rasterio.io import MemoryFile
from shapely.geometry import Point

from zoning.cli import main
from zoning.export.zoningmap import zoning_map

pytestmark = pytest.mark.browser

UNIT_PATHS = (
    "document.querySelectorAll('.leaflet-z401-pane path, .leaflet-z402-pane path, "
    ".leaflet-z403-pane path').length"
)


def png_stats(png: bytes) -> tuple[float, int]:
    """(standard deviation of the pixels, number of distinct colours) of a screenshot."""
    with warnings.catch_warnings(), MemoryFile(png) as mem, mem.open() as src:
        warnings.simplefilter("ignore")
        rgb = src.read()[:3].reshape(3, -1).T
    return float(rgb.std()), len(np.unique(rgb, axis=0))


def test_map_offline_units_drawn_and_escaped(tmp_path, browser):
    units = make_units(4, 3)
    units.loc[0, "name"] = "<script>window.pwned=1</script>"
    units.loc[1, "access_spatial"] = '<img src=x onerror="window.pwned=2">'
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": ["F1", "F2"],
            "name": ["<b>厂</b>", "B"],
            "stage": ["existing", "proposed"],
        },
        geometry=[Point(500500, 3300500), Point(501500, 3301500)],
        crs="EPSG:4549",
    )
    grid = (
        np.arange(100, dtype=float).reshape(10, 10),
        Affine(400, 0, 500000, 0, -400, 3303000),
        "EPSG:4549",
        "t",
    )
    wm = zoning_map(units, {"facilities": facilities}, grids={"NOx": grid}, lang="zh")
    path = wm.save(tmp_path / "map.html")
    html = path.read_text(encoding="utf-8")
    # the user's markup cannot close our <script> element
    assert "window.pwned=1</script>" not in html and "window.pwned=1<\\/script>" in html

    page = browser.open(path)
    assert page.console_errors == []
    assert all(u.startswith(("file:", "data:", "about:")) for u in page.requests)
    assert page.evaluate("typeof L !== 'undefined' && L.version") == "1.9.3"
    assert page.evaluate(UNIT_PATHS) == len(units)
    assert (
        page.evaluate("document.querySelectorAll('.leaflet-control-layers-overlays label').length")
        >= 6
    )  # 3 classes, elements, facilities, grid
    # the element-zone layer (hidden at start) draws every unit again when switched on
    page.evaluate("""() => { const labels = [...document.querySelectorAll(
        '.leaflet-control-layers-overlays label')];
        labels.find(l => l.innerText.includes('要素分区')).querySelector('input').click(); }""")
    assert page.evaluate("document.querySelectorAll('.leaflet-z404-pane path').length") == len(
        units
    )
    legend = page.inner_text("#zoning-legend")
    assert "优先保护单元" in legend and "重点管控单元" in legend and "一般管控单元" in legend
    # open the popup of the unit named <script>: shown as text, not run
    texts = page.evaluate("""() => { const out = [];
        for (const k in window) { const v = window[k];
          if (v && v instanceof L.FeatureGroup) { v.eachLayer(l => {
            if (l.getPopup && l.getPopup()) { l.openPopup();
              const c = l.getPopup()._contentNode;
              if (c) out.push(c.innerText); } }); } }
        return out; }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.pwned === undefined")
    assert any("<script>window.pwned=1</script>" in t for t in texts)
    assert any('<img src=x onerror="window.pwned=2">' in t for t in texts)
    assert any("<b>厂</b>" in t for t in texts)
    std, colours = png_stats(page.screenshot())
    assert std > 10 and colours > 20  # not blank
    page.context.close()


@pytest.mark.parametrize("lang,label", [("zh", "优先保护单元"), ("en", "Priority protection")])
def test_cli_map_languages(tmp_path, browser, lang, label):
    src = tmp_path / "u.gpkg"
    make_units().to_file(src)
    out = tmp_path / f"m_{lang}.html"
    res = CliRunner().invoke(main, ["map", str(src), "--out", str(out), "--lang", lang])
    assert res.exit_code == 0, res.output
    page = browser.open(out)
    assert label in page.inner_text("#zoning-legend")
    assert page.console_errors == []
    page.context.close()


def test_demo_zoning_map(tmp_path, browser):
    from zoning.datasets import demo_path
    from zoning.demo import zoning_step
    from zoning.io.vector import read_units

    outputs = zoning_step(tmp_path, lang="zh")
    n_units = len(read_units(demo_path("units.gpkg")))
    page = browser.open(outputs["zoning map (zh)"], wait_ms=1000)
    assert page.console_errors == []
    assert all(u.startswith(("file:", "data:", "about:")) for u in page.requests)
    assert page.evaluate("typeof L !== 'undefined'")
    assert page.evaluate(UNIT_PATHS) == n_units
    std, colours = png_stats(page.screenshot())
    assert std > 10 and colours > 50
    page.context.close()


def test_bad_basemap_is_a_clear_error(tmp_path):
    src = tmp_path / "u.gpkg"
    make_units().to_file(src)
    res = CliRunner().invoke(
        main, ["map", str(src), "--out", str(tmp_path / "m.html"), "--basemap", "nonsense"]
    )
    assert res.exit_code == 2
    assert "basemap" in res.output and not (tmp_path / "m.html").exists()


def _first_latlng(page) -> tuple[float, float]:
    return tuple(
        page.evaluate("""() => { for (const k in window) { const v = window[k];
        if (v && v instanceof L.FeatureGroup && v.getLayers().length) {
          const ll = v.getLayers()[0].getLatLngs()[0][0][0]; return [ll.lng, ll.lat]; } } }""")
    )


@pytest.mark.parametrize(
    "basemap,expected",
    [
        ("osm", "tile.openstreetmap.org"),
        ("amap", "is.autonavi.com"),
        ("https://tiles.example.org/{z}/{x}/{y}.png", "tiles.example.org"),
    ],
)
def test_online_basemaps_are_named_in_the_page(tmp_path, basemap, expected):
    path = zoning_map(make_units(), basemap=basemap).save(tmp_path / "m.html")
    assert expected in path.read_text(encoding="utf-8")


def test_local_tiles_are_requested_from_disk(tmp_path, browser):
    tiles = tmp_path / "tiles"
    tiles.mkdir()
    path = zoning_map(make_units(), basemap=str(tiles)).save(tmp_path / "m.html")
    page = browser.open(path)
    wanted = [u for u in page.requests if u.startswith(tiles.resolve().as_uri())]
    assert wanted and all(u.endswith(".png") for u in wanted)
    page.context.close()


def test_gcj02_basemap_shifts_the_drawing_not_the_data(tmp_path, browser):
    from zoning.io.coords import convert

    units = make_units(crs="EPSG:4326", x0=120.0, y0=30.0, size=0.01)
    plain = browser.open(zoning_map(units).save(tmp_path / "wgs.html"))
    shifted = browser.open(zoning_map(units, basemap="amap").save(tmp_path / "gcj.html"))
    lon, lat = _first_latlng(plain)
    glon, glat = _first_latlng(shifted)
    exp_lon, exp_lat = convert([lon], [lat], "wgs84", "gcj02")
    assert abs(glon - exp_lon[0]) < 2e-5 and abs(glat - exp_lat[0]) < 2e-5  # display rounding
    assert abs(glon - lon) > 1e-3  # GCJ-02 moves points by hundreds of metres here
    plain.context.close()
    shifted.context.close()


def test_title_layer_names_escaped_and_class_labels_understood(tmp_path, browser):
    units = make_units(4, 3)
    units["unit_class"] = units["unit_class"].map({1: "优先保护单元", 2: "重点管控", 3: "3"})
    pts = gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(500500, 3300500)], crs="EPSG:4549")
    wm = zoning_map(units, {"<img src=x onerror=window.pwned=3>": pts}, title="<b>T</b>")
    page = browser.open(wm.save(tmp_path / "m.html"))
    assert page.evaluate("window.pwned === undefined")
    assert page.title() == "<b>T</b>"
    assert "<img src=x onerror=window.pwned=3>" in page.inner_text(".leaflet-control-layers")
    assert page.evaluate(UNIT_PATHS) == len(units)  # published labels land in class layers
    page.context.close()


def test_report_folders_never_clash():
    from zoning.export.report import _folders

    names = _folders(["A/B", "A_B", "a_b", "P1"])
    assert len(set(v.lower() for v in names.values())) == 4
    assert names["P1"] == "P1" and names["A/B"] == "A_B"


def test_a_class_with_no_unit_on_the_map_gets_no_empty_layer(tmp_path):
    from conftest import make_units

    from zoning.export.webmap import WebMap

    units = make_units()
    one = units[units["unit_class"].astype(str) == str(units["unit_class"].iloc[0])]
    wm = WebMap("t", lang="zh")
    wm.add_units(one, elements=False)
    layers = [k for k in wm.layer_counts if k.startswith("units:")]
    assert layers == [f"units:{one['unit_class'].iloc[0]}"], layers
    assert wm.layer_counts[layers[0]] == len(one)
    wm.render()
