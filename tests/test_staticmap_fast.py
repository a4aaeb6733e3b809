"""The cheap paths of static maps and single-project screening (issue 11) give the same
answers as the plain ones: rows near the view, PNG as RGB, class digits per value."""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import make_units
from PIL import Image

from zoning.export import staticmap
from zoning.export._mapgeo import to_map_crs
from zoning.export.mapfigures import site_map, units_png
from zoning.export.staticmap import Layer, static_map
from zoning.model import normalise_class
from zoning.screening_geometry import _class_digits


def _lonlat_units(n_side: int = 30) -> gpd.GeoDataFrame:
    """n_side² square units of 0.01° near 120°E 30°N (lon/lat), classes cycling."""
    units = make_units(n_side, n_side, size=0.01, crs="EPSG:4326", x0=119.85, y0=29.85)
    return units


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_near_view_holds_every_row_in_view():
    units = _lonlat_units()
    crs = "EPSG:4549"  # CGCS2000 / 3-degree GK CM 120E, metres
    drawn = to_map_crs(units, crs)
    c = drawn.geometry.iloc[len(units) // 2].centroid
    for half in (500.0, 3000.0, 20000.0):
        view = shapely.box(c.x - half, c.y - half * 0.7, c.x + half, c.y + half * 0.7)
        near = staticmap._near_view(units, crs, view)
        exact = set(np.flatnonzero(shapely.intersects(np.asarray(drawn.geometry.values), view)))
        got = set(units.index.get_indexer(near.index))
        assert exact <= got  # a superset ...
        assert len(got) < len(units) or half == 20000.0  # ... that leaves the rest out
        assert near.index.is_monotonic_increasing  # in the frame's order


def test_site_map_same_bytes_as_drawing_every_unit(monkeypatch):
    units = _lonlat_units()
    project = gpd.GeoDataFrame(
        {"project_id": ["P1"], "verdict": ["restricted"]},
        geometry=[shapely.box(120.0, 30.0, 120.004, 30.004)],
        crs="EPSG:4326",
    )
    overlaps = pd.DataFrame({"project_id": ["P1"], "unit_code": [units["code"].iloc[465]]})
    result = {"project": project, "overlaps": overlaps, "distances": None}
    fast = site_map(result, units, lang="en")
    monkeypatch.setattr(staticmap, "_near_view", lambda frame, *a, **k: frame)
    import zoning.export.mapfigures as mapfigures

    monkeypatch.setattr(mapfigures, "_near_view", lambda frame, *a, **k: frame)
    assert site_map(result, units, lang="en") == fast


def test_draw_order_follows_the_index_as_before():
    units = make_units(6, 4)
    shuffled = units.sample(frac=1.0, random_state=3)  # index no longer in order
    a = units_png(units, lang="en")
    b = units_png(shuffled, lang="en")
    assert np.array_equal(_pixels(a), _pixels(b))


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_png_pixels_and_chunks_as_matplotlib_writes_them(monkeypatch, alpha):
    units = make_units(4, 3)
    layer = Layer(units, "units", color="#2e8b57", alpha=alpha)
    ours = static_map([layer], lang="en", title="t")
    assert static_map([layer], lang="en", title="t") == ours  # deterministic

    def savefig_png(fig, dpi, meta):  # what static_map wrote before: matplotlib's PNG
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None, **meta},
                    facecolor="#ffffff")  # fmt: skip
        return buf.getvalue()

    monkeypatch.setattr(staticmap, "_png", savefig_png)
    theirs = static_map([layer], lang="en", title="t")
    a, b = Image.open(io.BytesIO(ours)), Image.open(io.BytesIO(theirs))
    assert a.mode == "RGB" and b.mode == "RGBA"  # the map is opaque: no alpha stored
    assert np.array_equal(_pixels(ours), _pixels(theirs))
    assert a.info == b.info  # Title, Language, Font, CRS, Scale bar, North, dpi


def test_transparent_figures_keep_their_alpha(monkeypatch):
    from PIL import Image as PILImage

    img = PILImage.new("RGBA", (4, 3), (255, 255, 255, 0))
    raw = img.tobytes()

    class Fig:
        bbox = type("B", (), {"width": 4.0, "height": 3.0})()

        def savefig(self, buf, **kw):
            buf.write(raw)

    png = staticmap._png(Fig(), 100, {"Title": "x"})
    assert PILImage.open(io.BytesIO(png)).mode == "RGBA"


CLASS_COLUMNS = [
    pd.Series([1, 2, 3, 5, 1]),
    pd.Series([1.0, np.nan, 2.0, 2.5, 3.0]),
    pd.Series(["优先保护", None, "2", "x", "重点管控单元"], dtype="string"),
    pd.Series([1, "1", 1.0, True, None, np.nan, "一般管控", " Priority protection "], dtype=object),
    pd.Series([], dtype="int64"),
    pd.Series(["1", "2", None], dtype="string[pyarrow]"),
    pd.Series([np.int64(2), 3], dtype=object),
]


@pytest.mark.parametrize("values", CLASS_COLUMNS)
def test_class_digits_as_normalise_class(values):
    expected = np.array([normalise_class(v) or 0 for v in values], dtype=np.int64)
    got = _class_digits(values)
    assert got.dtype == np.int64 and got.tolist() == expected.tolist()


@pytest.mark.parametrize("length", [4.0, 2.0, 0.5])
def test_a_long_lonlat_segment_drawn_as_a_chord_in_view_is_kept(length):
    """A segment of a few degrees is drawn as the chord between its projected vertices,
    far from where it runs in lon/lat: the rows near the view still include it."""
    from zoning.export._mapgeo import to_map_crs
    from zoning.export.staticmap import _near_view

    line = shapely.LineString([(112 - length / 2, 30), (112 + length / 2, 30)])
    fill = [shapely.Point(80 + i * 0.01, 45).buffer(0.001) for i in range(300)]
    frame = gpd.GeoDataFrame({"k": range(301)}, geometry=[line, *fill], crs="EPSG:4490")
    drawn = to_map_crs(frame, "EPSG:4546").geometry.iloc[0]
    mx, my = np.asarray(shapely.get_coordinates(drawn)).mean(axis=0)
    view = shapely.box(mx - 500, my - 350, mx + 500, my + 350)
    assert drawn.intersects(view)
    kept = set(_near_view(frame, "EPSG:4546", view)["k"])
    assert 0 in kept and 150 not in kept
