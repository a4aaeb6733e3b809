"""Cartography of the interactive maps: legends follow the layers, clipped ramps say so,
the map fits once its frame has a size (no NaN zoom), the layer control never hides it."""

from __future__ import annotations

import html

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from rasterio.transform import from_origin
from shapely.geometry import Point, box

from zoning.export.webmap import WebMap, _nice


def _two_layers(tmp_path):
    wm = WebMap("图例", lang="zh")
    a = gpd.GeoDataFrame({"k": ["x"]}, geometry=[box(120, 30, 120.1, 30.1)], crs="EPSG:4326")
    b = gpd.GeoDataFrame({"k": ["y"]}, geometry=[Point(120.05, 30.05)], crs="EPSG:4326")
    wm.add_layer(a, "甲层", color="#ff0000", colors={"x": "#ff0000"}, color_by="k", legend=True)
    wm.add_layer(
        b, "乙层", color="#0000ff", colors={"y": "#0000ff"}, color_by="k", legend=True, show=False
    )
    return wm.save(tmp_path / "m.html")


def test_nice_numbers():
    assert _nice(5710.4) == "5,710"
    assert _nice(6.6612) == "6.66"
    assert _nice(57.123) == "57.1"
    assert _nice(0.012345) == "0.0123"
    assert _nice(0) == "0"
    assert "e" not in _nice(1.2e-5)


def test_clipped_ramp_says_so_with_the_real_maximum(tmp_path):
    data = np.arange(100, dtype=float).reshape(10, 10) / 15
    data[0, 0] = 5710.0  # one outlier far above the 98th percentile
    wm = WebMap("grid", lang="en")
    wm.add_grid(data, from_origin(120, 30.1, 0.01, 0.01), "EPSG:4326", "NOx", units_label="t/km²")
    page = wm.render()
    assert "≥ 6.5" in html.unescape(page) or "≥ 6.6" in html.unescape(page)
    assert "maximum 5,710" in page
    assert "percentile" in page
    assert "e+0" not in page.split("zoning-legend", 1)[1].split("</div></div>", 1)[0]


def test_unclipped_ramp_has_no_sign(tmp_path):
    data = np.linspace(0, 1, 100).reshape(10, 10)
    wm = WebMap("grid", lang="en")
    wm.add_grid(data, from_origin(120, 30.1, 0.01, 0.01), "EPSG:4326", "g", vmin=0, vmax=1)
    legend = wm.render().split("id='zoning-legend'", 1)[1]
    assert "≥" not in legend and "maximum" not in legend


@pytest.mark.browser
def test_legend_lists_only_the_layers_that_are_on(tmp_path, browser):
    page = browser.open(_two_layers(tmp_path), wait_ms=400)
    legend = page.locator("#zoning-legend")
    assert "甲层" in legend.inner_text()
    assert "乙层" not in legend.inner_text()
    page.locator(".leaflet-control-layers-overlays label", has_text="乙层").locator("input").check()
    page.wait_for_timeout(100)
    assert "乙层" in legend.inner_text()
    page.locator(".leaflet-control-layers-overlays label", has_text="甲层").locator(
        "input"
    ).uncheck()
    page.wait_for_timeout(100)
    assert "甲层" not in legend.inner_text()
    assert page.console_errors == []


@pytest.mark.browser
def test_fit_waits_for_the_frame_to_have_a_size(tmp_path, browser):
    """A map in a frame laid out at 0 × 0 fits its bounds once the frame is sized."""
    m = _two_layers(tmp_path)
    host = tmp_path / "host.html"
    src = html.escape(m.read_text(encoding="utf-8"), quote=True)
    host.write_text(
        f'<html><body><iframe id="f" style="width:0;height:0;border:0" srcdoc="{src}"></iframe>'
        "<script>setTimeout(function(){var f=document.getElementById('f');"
        "f.style.width='700px';f.style.height='420px';},400);</script></body></html>",
        encoding="utf-8",
    )
    page = browser.open(host, wait_ms=1200)
    frame = page.frame_locator("#f")
    assert page.console_errors == []
    center = frame.locator("body").evaluate(
        "b=>{for(var k in window){if(k.indexOf('map_')===0&&window[k]instanceof L.Map)"
        "{var c=window[k].getCenter();return [c.lat,c.lng,window[k].getZoom()];}}return null;}"
    )
    assert center is not None and all(np.isfinite(center))
    assert abs(center[0] - 30.05) < 0.05 and abs(center[1] - 120.05) < 0.1
    assert center[2] >= 9  # zoomed onto the 10 km square, not the world


@pytest.mark.browser
def test_layer_control_never_covers_the_layers(tmp_path, browser):
    page = browser.open(_two_layers(tmp_path), width=1000, height=600, wait_ms=400)
    ctrl = page.locator(".leaflet-control-layers").bounding_box()
    shape = page.locator("path.leaflet-interactive").first.bounding_box()
    legend = page.locator("#zoning-legend").bounding_box()
    assert shape["x"] + shape["width"] <= ctrl["x"] or shape["y"] >= ctrl["y"] + ctrl["height"]
    assert shape["x"] >= legend["x"] + legend["width"]


@pytest.mark.browser
def test_conflict_points_keep_a_halo_and_the_unzoned_have_their_own_layer(tmp_path, units, browser):
    from zoning.export.conflicts import write_conflicts_map
    from zoning.model.units import UNIT_CLASSES

    x0, y0 = 500000.0, 3300000.0
    pts = [(1500, 500, "conflict"), (2500, 500, "restricted")] + [
        (-500 - 100 * i, 500, "unzoned") for i in range(3)
    ]
    res = gpd.GeoDataFrame(
        {"facility_id": [f"f{i}" for i in range(len(pts))], "status": [p[2] for p in pts]},
        geometry=[Point(x0 + p[0], y0 + p[1]) for p in pts],
        crs=units.crs,
    )
    path = tmp_path / "c.html"
    write_conflicts_map(res, units, {}, None, "en", path, "conflicts")
    page = browser.open(path, wait_ms=400)
    assert page.console_errors == []
    marks = page.locator("path.leaflet-interactive[stroke='#ffffff']")
    fills = {marks.nth(i).get_attribute("fill") for i in range(marks.count())}
    assert marks.count() == 2  # the unzoned layer is off: they outnumber those inside
    assert not fills & {uc.color for uc in UNIT_CLASSES.values()}
    labels = page.locator(".leaflet-control-layers-overlays label")
    names = [labels.nth(i).inner_text().strip() for i in range(labels.count())]
    assert "Facilities outside every unit" in names
    box_ = page.locator(".leaflet-control-layers-overlays label", has_text="outside every unit")
    assert not box_.locator("input").is_checked()
    legend = page.locator("#zoning-legend")
    assert "outside every unit" not in legend.inner_text()  # its layer is off
    box_.locator("input").check()
    page.wait_for_timeout(100)
    assert "outside every unit" in legend.inner_text()
    assert "ok" not in legend.inner_text().split("outcome", 1)[1]  # no ok facility here


@pytest.mark.browser
def test_afforest_map_shows_county_units_and_solver_in_words(tmp_path, units, browser):
    from zoning.export.afforest import _map

    crs = units.crs
    x0, y0 = 500000.0, 3300000.0
    sel = gpd.GeoDataFrame(
        {"patch_id": ["p1"], "area_ha": [4.0]},
        geometry=[box(x0 + 100, y0 + 100, x0 + 300, y0 + 300)],
        crs=crs,
    ).to_crs("EPSG:4326")
    empty = sel.iloc[:0].assign(reason=pd.Series([], dtype=object))
    summary = {
        "n_selected_patches": 1,
        "selected_area_ha": 4.0,
        "sink_t_co2_yr": 30.0,
        "sink_t_co2_horizon": 600.0,
        "horizon_years": 20,
        "factors_verified": True,
        "solver": {"status": "gap_reached"},
        "filters": {},
    }
    wm = _map(sel, sel.iloc[:0], empty, summary, "en", units, None)
    path = wm.save(tmp_path / "a.html")
    page = browser.open(path, wait_ms=400)
    assert page.console_errors == []
    text = page.locator("body").inner_text()
    assert "County boundary" in text and "Priority protection" in text
    assert "near-optimal" in text and "gap_reached" not in text
    # it opens on the selection (a 200 m patch), not on the whole county
    zoom = page.evaluate(
        "()=>{for(var k in window){if(k.indexOf('map_')===0&&window[k]instanceof L.Map)"
        "return window[k].getZoom();}}"
    )
    assert zoom >= 14


def test_natural_order_of_zone_grades():
    from zoning.export.webmap import natural_order

    got = natural_order(
        ["红线", "饮用水水源一级保护区", "饮用水水源准保护区", "饮用水水源二级保护区"]
    )
    assert got == ["红线", "饮用水水源一级保护区", "饮用水水源二级保护区", "饮用水水源准保护区"]
    keys = [k for k, _ in natural_order({"water_quasi": 1, "red": 2, "water_first": 3})]
    assert keys == ["water_first", "water_quasi", "red"]


def test_classes_without_units_are_not_in_the_legend(units):
    wm = WebMap("u", lang="en")
    wm.add_units(units[units["unit_class"] != 2], elements=False)
    legend = wm.render().split("id='zoning-legend'", 1)[1].split("class='zcrs'", 1)[0]
    assert "Priority protection" in legend and "Key control" not in legend
