"""Static maps (matplotlib): scale bar to scale, legend swatches, determinism, CJK font."""

from __future__ import annotations

import io
import logging

import geopandas as gpd
import numpy as np
import pytest
from conftest import make_units
from PIL import Image
from shapely.geometry import Point, box

from zoning.export import _fonts, mapfigures, staticmap
from zoning.export.mapfigures import conflicts_png, hotspots_png, site_map, units_png
from zoning.export.staticmap import Layer, nice_length, static_map

X0, Y0 = 500000.0, 3300000.0
GREEN = (0x2E, 0x8B, 0x57)


def _rgb(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def _meta(png: bytes) -> dict:
    return dict(Image.open(io.BytesIO(png)).info)


def _longest_run(mask: np.ndarray) -> int:
    best = 0
    for row in mask:
        padded = np.concatenate([[0], row.astype(int), [0]])
        d = np.diff(padded)
        starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
        if len(starts):
            best = max(best, int((ends - starts).max()))
    return best


@pytest.fixture
def square():
    """A 1000 m square in CGCS2000 / GK CM 120E, filled in a colour used nowhere else."""
    return gpd.GeoDataFrame(
        {"name": ["a"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:4549"
    )


@pytest.mark.parametrize("width_m", [3000, 7000, 42000])
def test_scale_bar_length_measured_in_the_image(width_m):
    side = width_m / 3  # a square of known metres, large enough to measure to 1 %
    square = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + side, Y0 + side)], crs="EPSG:4549")
    layer = Layer(square, "square", color="#2e8b57", edgecolor="#2e8b57", linewidth=0)
    ext = (X0 - width_m / 2, Y0, X0 + width_m / 2, Y0 + side)
    png = static_map([layer], extent=ext, crs="EPSG:4549", lang="en", legend=False, dpi=100)
    meta = _meta(png)
    bar_m = float(meta["Scale bar"].removesuffix(" m"))
    assert bar_m == nice_length(bar_m)  # a round length (1, 2 or 5 x 10^k m)
    img = _rgb(png)
    green = np.all(img == GREEN, axis=-1)
    px_per_m = _longest_run(green) / side  # the square's width in pixels, per metre
    black = np.all(img == 0, axis=-1)
    h, w = black.shape
    bar_px = _longest_run(black[h // 2 :, : w // 2])  # the bar sits bottom left
    assert bar_px == pytest.approx(bar_m * px_per_m, abs=3)
    assert meta["CRS"] == "EPSG:4549"


def test_nice_length():
    assert [nice_length(v) for v in (0.7, 1, 3.2, 740, 1999, 2000, 61_000)] == [
        0.5, 1, 2, 500, 1000, 2000, 50_000,
    ]  # fmt: skip


def test_geographic_crs_refused(square):
    from zoning.errors import CRSError

    with pytest.raises(CRSError, match="metres"):
        static_map([Layer(square, "x")], crs="EPSG:4326")


def test_legend_swatches_are_real(square):
    units = make_units()
    png = units_png(units, lang="en", dpi=100)
    img = _rgb(png)
    h, w = img.shape[:2]
    legend = img[:, int(w * 0.72) :]
    from zoning.model import UNIT_CLASSES

    for c in UNIT_CLASSES.values():
        rgb = [int(c.color[i : i + 2], 16) for i in (1, 3, 5)]
        # the swatch is the fill as drawn on the map (alpha 0.75 over white)
        want = np.round(np.array(rgb) * 0.75 + 255 * 0.25)
        near = np.abs(legend - want).sum(axis=-1) <= 6
        assert near.sum() > 100, c.en
        assert (np.abs(img[:, : int(w * 0.7)] - want).sum(axis=-1) <= 6).sum() > 1000


def test_same_inputs_same_bytes(square):
    units = make_units()
    a = units_png(units, {"red_line": square}, lang="zh", dpi=80)
    b = units_png(units.copy(), {"red_line": square.copy()}, lang="zh", dpi=80)
    assert a == b
    assert b"Software" not in a and b"matplotlib" not in a


def test_svg_deterministic(square):
    a = static_map([Layer(square, "x")], lang="en", format="svg")
    b = static_map([Layer(square, "x")], lang="en", format="svg")
    assert a == b and a.startswith(b"<?xml")


def _screening():
    from test_report import RULES

    from zoning.rules.schema import parse_rules
    from zoning.screen import screen

    units = make_units()
    red = gpd.GeoDataFrame(
        {"name": ["红线"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:4549"
    )
    projects = gpd.GeoDataFrame(
        {"project_id": ["P1", "P2"], "name": ["化工", "仓储"], "sector": ["2614", "5920"]},
        geometry=[box(X0 + 1300, Y0 + 200, X0 + 1450, Y0 + 350), Point(X0 + 1500, Y0 + 1500)],
        crs="EPSG:4549",
    )
    res = screen(projects, units, parse_rules(RULES), layers={"red_line": red})
    return res, units, red


def test_site_map_of_a_known_site(tmp_path):
    res, units, red = _screening()
    png = site_map(res, units, {"red_line": red}, "en", project_id="P1", path=tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes() == png
    meta = _meta(png)
    assert meta["Title"] == "P1 site map"
    assert meta["CRS"] == "EPSG:4549"  # the local Gauss-Krüger zone (CM 120E)
    assert meta["Scale bar"] == "500 m"  # the view is about 2.3 km wide
    img = _rgb(png)
    # the site is outlined in the verdict's static colour, which is no unit fill
    verdict = res.projects.set_index("project_id").loc["P1", "verdict"]
    col = staticmap.OUTCOME_COLORS[verdict]
    rgb = [int(col[i : i + 2], 16) for i in (1, 3, 5)]
    assert (np.abs(img - rgb).sum(axis=-1) <= 6).sum() > 100
    from zoning.model import UNIT_CLASSES

    assert col not in {c.color for c in UNIT_CLASSES.values()}
    # the same project from plain frames (what report writers hold)
    plain = {
        "project": res.projects[res.projects["project_id"] == "P1"],
        "overlaps": res.overlaps,
        "distances": res.distances,
    }
    assert site_map(plain, units, {"red_line": red}, "en") == png


def test_site_map_needs_a_project_id():
    from zoning.errors import InputError

    res, units, red = _screening()
    with pytest.raises(InputError, match="project_id"):
        site_map(res, units, None, "en")
    with pytest.raises(InputError, match="'nope'"):
        site_map(res, units, None, "en", project_id="nope")


def test_chinese_labels_with_a_cjk_font():
    font = _fonts.cjk_font()
    if font is None:
        pytest.skip("no CJK font on this system (apt-get install fonts-wqy-microhei)")
    res, units, red = _screening()
    png = site_map(res, units, {"red_line": red}, "zh", project_id="P2")
    meta = _meta(png)
    assert meta["Language"] == "zh" and meta["Title"] == "P2 选址示意图"
    assert meta["Font"] == font.describe()
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(font.path).get_charmap()
    assert all(ord(ch) in charmap for ch in "选址示意图优先保护单元生态红线北")


def test_no_cjk_font_falls_back_to_english(monkeypatch, caplog):
    monkeypatch.setattr(staticmap, "map_language", lambda lang: _fonts_none(lang))
    res, units, red = _screening()
    with caplog.at_level(logging.WARNING):
        png = site_map(res, units, {"red_line": red}, "zh", project_id="P2")
    meta = _meta(png)
    assert meta["Language"] == "en" and meta["Title"] == "P2 site map"
    assert "no CJK font" in meta["Font"]
    assert "drawn in English" in caplog.text


def _fonts_none(lang):
    monkey = _fonts.cjk_font
    try:
        _fonts.cjk_font = lambda: None
        return _fonts.map_language(lang)
    finally:
        _fonts.cjk_font = monkey


def test_fonts_not_found(monkeypatch, caplog):
    from matplotlib import font_manager

    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    monkeypatch.setattr(_fonts, "_fc_list", lambda: [])
    monkeypatch.setattr(_fonts, "KNOWN_PATHS", ())
    _fonts.cjk_font.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            assert _fonts.cjk_font() is None
        assert "fonts-wqy-microhei" in caplog.text
    finally:
        _fonts.cjk_font.cache_clear()


def test_conflicts_and_hotspots_png():
    units = make_units()
    fac = gpd.GeoDataFrame(
        {"status": ["conflict", "ok", "restricted"]},
        geometry=[Point(X0 + 1500, Y0 + 500), Point(X0 + 500, Y0 + 500), None],
        crs="EPSG:4549",
    )
    png = conflicts_png(fac, units, lang="en", dpi=80)
    img = _rgb(png)
    # the conflict (black X on a white halo) shows on the red key-control unit
    assert (np.all(img == 0, axis=-1)).sum() > 50
    hot = units.assign(co_class=["both", "pollution", "carbon", "neither", "no_data", "both"])
    png = hotspots_png(hot, lang="en", dpi=80)
    assert (np.abs(_rgb(png) - [0xB2, 0x18, 0x2B]).sum(axis=-1) <= 6).sum() > 500


def test_north_arrow_turned_by_meridian_convergence():
    from pyproj import CRS, Transformer

    from zoning.export.staticmap import _convergence_deg

    # 123E 30N lies 3 degrees east of the zone's central meridian (120E): true north is
    # about 3 * sin(30) = 1.5 degrees counter-clockwise of grid north
    x, y = Transformer.from_crs(4326, 4549, always_xy=True).transform(123, 30)
    assert _convergence_deg(CRS.from_epsg(4549), x, y) == pytest.approx(1.5, abs=0.01)
    x, y = Transformer.from_crs(4326, 4549, always_xy=True).transform(120, 30)
    assert _convergence_deg(CRS.from_epsg(4549), x, y) == pytest.approx(0, abs=1e-6)


def test_afforest_png_shows_the_selection_in_the_county():
    from types import SimpleNamespace

    units = make_units()
    patches = gpd.GeoDataFrame(
        {"selected": [True, False]},
        geometry=[
            box(X0 + 100, Y0 + 100, X0 + 400, Y0 + 400),
            box(X0 + 1200, Y0 + 200, X0 + 1400, Y0 + 300),
        ],
        crs="EPSG:4549",
    )
    parcels = patches.assign(candidate=True)
    county = gpd.GeoDataFrame(geometry=[box(X0, Y0, X0 + 3000, Y0 + 2000)], crs="EPSG:4549")
    png = mapfigures.afforest_png(
        SimpleNamespace(patches=patches, parcels=parcels), units, county, lang="en", dpi=80
    )
    img = _rgb(png)
    # selected patches are filled dark green (#00441b), nothing else is
    assert (np.abs(img - [0x00, 0x44, 0x1B]).sum(axis=-1) <= 6).sum() > 200
    assert _meta(png)["Title"] == "Afforestation on polluted farmland"
    # parcels without a candidate column (the rejected ones) are drawn too
    rejected = parcels.drop(columns=["candidate", "selected"])
    mapfigures.afforest_png(SimpleNamespace(patches=patches, parcels=rejected), lang="en", dpi=60)
