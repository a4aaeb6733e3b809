"""Offline, self-contained interactive maps (folium + Leaflet inlined from xstatic-leaflet).

A :class:`WebMap` is one HTML file that works with no network: Leaflet's JavaScript and
CSS (with its marker images as data URIs) come from the installed ``xstatic-leaflet``
package, never from a CDN, and folium's other CDN assets (jQuery, Bootstrap, Font
Awesome), which these maps do not use, are left out.

Layers are stored compactly: coordinates are rounded to ``display_decimals`` (5 ≈ 1 m),
delta-encoded as integers and decoded in the browser; long attribute text (access
lists) is stored once per layer and looked up; popups are built on click with every
value HTML-escaped.  Layers of more than ``CANVAS_THRESHOLD`` features draw on a canvas.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Literal

import folium
import geopandas as gpd
import numpy as np
import shapely

from zoning.errors import InputError
from zoning.export._atomic import atomic_file
from zoning.export._mapassets import (  # noqa: F401  (importable from here, as before)
    _CSS,
    _I18N,
    _JS,
    CANVAS_THRESHOLD,
    _DataLayer,
    _encode_geometries,
    _encode_geometry,
    _Fit,
    _jsval,
    _jsvals,
    _leaflet_assets,
    _safe_json,
    add_page_assets,
)
from zoning.export.unitlayer import ELEMENT_COLORS  # noqa: F401

#: Named basemaps: (URL template, attribution, subdomains, coordinate system of the tiles).
#: Tiles of Chinese web maps are in GCJ-02: layers are shifted onto them for display only.
BASEMAPS: dict[str, tuple[str, str, str, str]] = {
    "amap": (
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        "© 高德地图 AutoNavi (GCJ-02)",
        "1234",
        "gcj02",
    ),
    "amap-satellite": (
        "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",
        "© 高德地图 AutoNavi (GCJ-02)",
        "1234",
        "gcj02",
    ),
}
LONG_TEXT = 40  # characters; longer strings are stored once per layer
WGS84 = "EPSG:4326"


#: Colour ramps for grids (stops from low to high).
CMAPS: dict[str, list[str]] = {
    "YlOrRd": ["#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026"],
    "Greys": ["#f7f7f7", "#bdbdbd", "#737373", "#252525"],
    "Blues": ["#eff3ff", "#9ecae1", "#4292c6", "#08519c"],
    "Purples": ["#f2f0f7", "#bcbddc", "#807dba", "#54278f"],
    "viridis": ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"],
}


#: Grade words of protection zones, in a planner's order (一级, 二级, 三级, 准保护区).
_GRADES = (
    ("一级", "first", "primary", "grade 1"),
    ("二级", "second", "secondary", "grade 2"),
    ("三级", "third", "tertiary", "grade 3"),
    ("准保护区", "quasi"),
)


def natural_order(names) -> list:
    """``names`` (or the keys of a dict, returned as items) with the grades of one family
    of zones in a planner's order: 一级, 二级, 准保护区; other names keep their place."""
    items = list(names.items()) if isinstance(names, dict) else [(n, None) for n in names]
    families: dict[str, int] = {}
    keys = []
    for i, (name, _) in enumerate(items):
        low = str(name).lower()
        grade, family = None, low
        for g, words in enumerate(_GRADES):
            word = next((w for w in words if w in low), None)
            if word:
                grade, family = g, low.replace(word, "")
                break
        first = families.setdefault(family, i)
        keys.append((first, -1 if grade is None else grade, i))
    order = sorted(range(len(items)), key=keys.__getitem__)
    return [items[i] if isinstance(names, dict) else items[i][0] for i in order]


def _nice(v: float) -> str:
    """A number as a planner reads it: 5,710 / 57.1 / 6.66 / 0.0123 (never 5.71e+03)."""
    a = abs(v)
    if not np.isfinite(v):
        return str(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:,.{2 - int(np.floor(np.log10(a)))}f}"
    if a == 0:
        return "0"
    return np.format_float_positional(v, precision=3, fractional=False, trim="-")


class WebMap:
    """An interactive map saved as one self-contained HTML file that works offline.

    Parameters
    ----------
    title : str
        Shown at the top left of the map and as the page title.
    lang : {"zh", "en"}, optional (default: "zh")
        Language of labels, legends and popups.
    basemap : str, optional (default: "none")
        ``"none"`` (no tiles, works offline), ``"osm"`` (OpenStreetMap tiles, needs the
        network), ``"amap"`` / ``"amap-satellite"`` (AutoNavi tiles in GCJ-02: layers are
        shifted onto them), a tile URL template with ``{z}/{x}/{y}``, or a local folder
        of tiles laid out as ``{z}/{x}/{y}.png``.
    basemap_coords : {"wgs84", "gcj02"}, optional (default: "wgs84")
        The coordinate system of a custom basemap's tiles; ``"gcj02"`` shifts the layers
        for display (popups and exports keep WGS 84).
    crs_note : str, optional (default: None)
        The footer saying which CRS and units the map's figures use; by default that
        coordinates are WGS 84 and areas are computed in EPSG:6933.
    display_decimals : int, optional (default: 5)
        Decimals of longitude/latitude kept for display (5 ≈ 1.1 m).
    simplify_m : float or None, optional (default: None)
        Simplification tolerance in metres for polygon layers; by default chosen from the
        layer's size (none below 2,000 features).
    """

    def __init__(
        self,
        title: str,
        *,
        lang: Literal["zh", "en"] = "zh",
        basemap: str = "none",
        basemap_coords: Literal["wgs84", "gcj02"] = "wgs84",
        display_decimals: int = 5,
        simplify_m: float | None = None,
        crs_note: str | None = None,
    ) -> None:
        if lang not in _I18N:
            raise InputError(
                f"`lang` was '{lang}' but is expected to be in {sorted(_I18N)}", param="lang"
            )
        self.title = title
        self.lang = lang
        self.scale = 10.0**display_decimals
        self.simplify_m = simplify_m
        self.map = folium.Map(location=[30, 120], zoom_start=9, tiles=None, control_scale=True)
        self.map.default_js = []
        self.map.default_css = []
        self._bounds: list[np.ndarray] = []
        self._focus: np.ndarray | None = None
        self.crs_note = crs_note
        self._legends: list[str] = []
        self._extra_html: list[str] = []
        self._z = 400
        self.layer_counts: dict[str, int] = {}
        self._layer_vars: dict[str, str] = {}  # layer name → its JS variable (legend sync)
        if basemap_coords not in ("wgs84", "gcj02"):
            raise InputError(
                f"`basemap_coords` was '{basemap_coords}' but is expected to be 'wgs84' or 'gcj02'",
                param="basemap_coords",
            )
        self.display_coords = basemap_coords
        self._add_basemap(basemap)

    # --- basemaps -------------------------------------------------------------------
    def _add_basemap(self, basemap: str) -> None:
        if basemap in (None, "", "none"):
            return
        if basemap == "osm":
            folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True).add_to(self.map)
            return
        if basemap in BASEMAPS:
            url, attr, subdomains, coords = BASEMAPS[basemap]
            folium.TileLayer(tiles=url, attr=attr, name=basemap, subdomains=subdomains).add_to(
                self.map
            )
            self.display_coords = coords  # draw our WGS 84 data shifted onto these tiles
            return
        if "{z}" in basemap and "{x}" in basemap and "{y}" in basemap:
            folium.TileLayer(
                tiles=basemap,
                attr="tiles: " + basemap.split("/")[2] if "://" in basemap else "local tiles",
                name="basemap",
            ).add_to(self.map)
            return
        folder = Path(basemap)
        if folder.is_dir():
            url = folder.resolve().as_uri() + "/{z}/{x}/{y}.png"
            folium.TileLayer(tiles=url, attr="local tiles", name="basemap").add_to(self.map)
            return
        raise InputError(
            f"`basemap` was '{basemap}' but is expected to be 'none', 'osm', "
            f"{', '.join(repr(k) for k in BASEMAPS)}, a tile URL template "
            "with {z}/{x}/{y}, or a folder of tiles",
            param="basemap",
        )

    # --- layers ---------------------------------------------------------------------
    def _prepare(self, frame: gpd.GeoDataFrame, simplify: bool) -> gpd.GeoDataFrame:
        if frame.crs is None:
            raise InputError("the layer has no CRS; cannot draw it", fix="set a CRS first")
        frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
        tol = self.simplify_m
        if simplify and tol is None and len(frame) > 2000:
            # about a fifth of a screen pixel at the zoom that shows the whole layer
            tol = 20.0 if len(frame) < 10000 else 50.0
        if simplify and tol:
            projected = frame.to_crs("EPSG:3857")
            geoms = projected.geometry.values
            try:
                geoms = shapely.coverage_simplify(geoms, tol)
            except Exception:  # noqa: BLE001 - not a coverage: simplify each shape
                geoms = shapely.simplify(geoms, tol, preserve_topology=True)
            frame = projected.set_geometry(
                gpd.GeoSeries(geoms, index=projected.index, crs=projected.crs)
            )
        out = frame.to_crs(WGS84)
        if self.display_coords != "wgs84" and len(out):
            out = out.set_geometry(
                shapely.transform(out.geometry.values, self._shift_xy), crs=WGS84
            )
        if len(out):
            self._bounds.append(np.asarray(out.total_bounds))
        return out

    def _shift_xy(self, xy: np.ndarray) -> np.ndarray:
        """WGS 84 lon/lat → the basemap's system (GCJ-02 for Chinese web tiles)."""
        from zoning.io.coords import convert

        lon, lat = convert(xy[:, 0], xy[:, 1], "wgs84", self.display_coords)
        return np.column_stack([lon, lat])

    def _payload(
        self,
        frame,
        *,
        colors,
        color_idx,
        cols,
        title,
        tip,
        pane_z,
        weight,
        fill,
        radius,
        stroke=None,
        extra_idx=None,
    ) -> tuple[str, int]:
        texts: list[str] = []
        text_idx: dict[str, int] = {}
        col_specs = []
        col_values = []
        for col, label in cols:
            values = _jsvals(frame[col]) if col in frame.columns else [None] * len(frame)
            strings = [v for v in values if isinstance(v, str)]
            # long or repeated text is stored once per layer and looked up
            is_text = bool(strings) and (
                any(len(v) > LONG_TEXT for v in strings) or len(set(strings)) <= len(values) // 2
            )
            if is_text:
                enc = []
                for v in values:
                    if v is None:
                        enc.append(None)
                        continue
                    if v not in text_idx:
                        text_idx[v] = len(texts)
                        texts.append(v)
                    enc.append(text_idx[v])
                values = enc
            col_specs.append({"l": label, "t": is_text})
            col_values.append(values)
        kinds, geoms = _encode_geometries(frame.geometry.values, self.scale)
        kind = kinds[0] if kinds else None
        other = next((k for k in kinds if k != kind), None)
        if other is not None:
            raise InputError(
                f"a layer mixes {kind} and {other} geometries; draw them as separate layers"
            )
        rows = zip(*col_values, strict=True) if col_values else ((),) * len(geoms)
        idx = np.asarray(color_idx, dtype=np.int64).tolist()
        if extra_idx is None:
            feats = [[g, c, list(r)] for g, c, r in zip(geoms, idx, rows, strict=True)]
        else:
            extra = np.asarray(extra_idx, dtype=np.int64).tolist()
            feats = [[g, c, list(r), e] for g, c, r, e in zip(geoms, idx, rows, extra, strict=True)]
        self._z += 1
        payload = {
            "s": self.scale,
            "k": kind or "pg",
            "f": feats,
            "colors": colors,
            "cols": col_specs,
            "texts": texts,
            "title": title,
            "tip": tip,
            "pane": f"z{self._z}",
            "z": pane_z + self._z - 400,
            "weight": weight,
            "fill": fill,
            "radius": radius,
            "stroke": stroke,
        }
        return _safe_json(payload), len(feats)

    def add_layer(
        self,
        frame: gpd.GeoDataFrame,
        /,
        name: str,
        *,
        color: str = "#3388ff",
        color_by: str | None = None,
        colors: dict | None = None,
        popup: Sequence[tuple[str, str]] | None = None,
        tooltip: str | None = None,
        show: bool = True,
        radius: float = 5,
        weight: float = 1,
        fill_opacity: float = 0.5,
        legend: bool = False,
        labels: dict | None = None,
        stroke: str | None = None,
        pane_z: int | None = None,
    ) -> None:
        """Add polygons, lines or points (points as circle markers).

        ``color_by`` names a column whose values pick the colour from ``colors`` (value →
        hex; values not listed get ``color``).  ``popup`` lists (column, label) pairs
        shown on click; ``tooltip`` a column shown on hover.  ``legend=True`` adds the
        ``colors`` to the legend under ``name``, each value shown as ``labels[value]``
        when given.  ``stroke`` outlines every feature in one colour (points: a halo of
        ``weight`` pixels, so a red point stays visible on a red unit).  ``pane_z``: stacking
        base (polygons 400, lines 450, points 500); 400 puts lines or points under later polygons.
        """
        frame = self._prepare(frame, simplify=True)
        palette = [color]
        idx = np.zeros(len(frame), dtype=int)
        if color_by is not None and colors:
            keys = list(colors)
            palette = [color] + [colors[k] for k in keys]
            lookup = {k: i + 1 for i, k in enumerate(keys)}
            idx = np.array([lookup.get(v, 0) for v in frame[color_by].tolist()], dtype=int)
        cols = list(popup or [])
        tip_idx = None
        if tooltip is not None:
            names = [c for c, _ in cols]
            if tooltip not in names:
                cols.append((tooltip, tooltip))
                names.append(tooltip)
            tip_idx = names.index(tooltip)
        zbase = {"pg": 400, "ln": 450, "pt": 500}
        kind = frame.geometry.geom_type.iloc[0] if len(frame) else "Polygon"
        z = zbase["pt"] if "Point" in kind else zbase["ln"] if "Line" in kind else zbase["pg"]
        z = z if pane_z is None else pane_z
        payload, n = self._payload(
            frame,
            colors=palette,
            color_idx=idx,
            cols=cols,
            title=None,
            tip=tip_idx,
            pane_z=z,
            weight=weight,
            fill=fill_opacity,
            radius=radius,
            stroke=stroke,
        )
        layer = _DataLayer(name, payload, show=show)
        layer.add_to(self.map)
        self._layer_vars[name] = layer.get_name()
        self.layer_counts[name] = n
        if legend and colors:
            labels = labels or {}
            self.add_legend(name, [(colors[k], str(labels.get(k, k))) for k in colors])

    def add_units(
        self,
        units: gpd.GeoDataFrame,
        /,
        *,
        name: str | None = None,
        show: bool = True,
        elements: bool = True,
    ) -> None:
        """Add control units: one layer per class (coloured, with legend), and element zones.

        Popups show code, name, class, element, area and the four-dimension access list.
        """
        from zoning.export.unitlayer import add_units

        add_units(self, units, name=name, show=show, elements=elements)

    def add_grid(
        self,
        array: np.ndarray,
        transform,
        crs,
        /,
        name: str,
        *,
        cmap: str = "YlOrRd",
        opacity: float = 0.6,
        units_label: str = "",
        show: bool = False,
        nodata: float | None = None,
        vmin: float | None = None,
        vmax: float | None = None,
    ) -> None:
        """Add a grid as a semi-transparent image (warped to Web Mercator) and a colour bar."""
        from rasterio.warp import Resampling, calculate_default_transform, reproject

        from zoning.export._png import rgba_png

        data = np.asarray(array, dtype="float64")
        if nodata is not None:
            data = np.where(data == nodata, np.nan, data)
        height, width = data.shape
        left, top = transform @ (0, 0)
        right, bottom = transform @ (width, height)
        dst_t, dw, dh = calculate_default_transform(
            crs, "EPSG:3857", width, height, left=left, bottom=bottom, right=right, top=top
        )
        dst = np.full((dh, dw), np.nan)
        reproject(
            data,
            dst,
            src_transform=transform,
            src_crs=crs,
            dst_transform=dst_t,
            dst_crs="EPSG:3857",
            resampling=Resampling.nearest,
            src_nodata=np.nan,
            dst_nodata=np.nan,
        )
        finite = dst[np.isfinite(dst)]
        lo = (
            vmin
            if vmin is not None
            else (float(np.nanpercentile(finite, 2)) if finite.size else 0.0)
        )
        hi = (
            vmax
            if vmax is not None
            else (float(np.nanpercentile(finite, 98)) if finite.size else 1.0)
        )
        stops = CMAPS.get(cmap)
        if stops is None:
            raise InputError(f"cmap was '{cmap}' but is expected to be in {sorted(CMAPS)}")
        png = rgba_png(dst, stops, lo, hi)
        from pyproj import Transformer

        tr = Transformer.from_crs("EPSG:3857", WGS84, always_xy=True)
        x0, y1 = dst_t @ (0, 0)
        x1, y0 = dst_t @ (dw, dh)
        lon0, lat0 = tr.transform(x0, y0)
        lon1, lat1 = tr.transform(x1, y1)
        if self.display_coords != "wgs84":  # shift the corners (the offset varies slowly)
            (lon0, lat0), (lon1, lat1) = self._shift_xy(np.array([[lon0, lat0], [lon1, lat1]]))
        url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        overlay = folium.raster_layers.ImageOverlay(
            url,
            bounds=[[lat0, lon0], [lat1, lon1]],
            opacity=opacity,
            name=html.escape(name),
            show=show,
            interactive=False,
        )
        overlay.add_to(self.map)
        self._layer_vars[name] = overlay.get_name()
        self._bounds.append(np.array([lon0, lat0, lon1, lat1]))
        grad = ",".join(stops)
        t = _I18N[self.lang]
        fmin = float(finite.min()) if finite.size else lo
        fmax = float(finite.max()) if finite.size else hi
        # a ramp clipped at a percentile says so, with the real extremes
        lo_txt = ("≤ " if fmin < lo else "") + _nice(lo)
        hi_txt = ("≥ " if fmax > hi else "") + _nice(hi)
        note = ""
        if fmax > hi or fmin < lo:
            note = (
                f"<div class='zclip'>{html.escape(t['min'])} {_nice(fmin)} · "
                f"{html.escape(t['max'])} {_nice(fmax)}"
                + (f" ({html.escape(t['clipped'])})" if vmin is None and vmax is None else "")
                + "</div>"
            )
        self._legends.append(
            f"<div data-zl='{overlay.get_name()}'><h4>{html.escape(name)}</h4>"
            f"<div class='zbar' style='background:"
            f"linear-gradient(to right,{grad})'></div><div style='display:flex;"
            f"justify-content:space-between;width:162px'><span>{html.escape(lo_txt)}</span>"
            f"<span>{html.escape(units_label)}</span><span>{html.escape(hi_txt)}</span></div>"
            f"{note}</div>"
        )

    def focus(self, frame: gpd.GeoDataFrame, /, margin: float = 0.1) -> None:
        """Open the map on ``frame`` (plus a margin) instead of on every layer."""
        if frame.crs is None or len(frame) == 0:
            return
        x0, y0, x1, y1 = frame.to_crs(WGS84).total_bounds
        dx, dy = (x1 - x0) * margin + 1e-4, (y1 - y0) * margin + 1e-4
        self._focus = np.array([x0 - dx, y0 - dy, x1 + dx, y1 + dy])

    def add_legend(
        self, title: str, entries: Sequence[tuple[str, str] | tuple[str, str, str]]
    ) -> None:
        """Add a block to the legend: (hex colour, label) pairs under a title.

        The block shows only while a layer named ``title`` is on (when there is one); an
        entry (colour, label, layer name) shows only while that layer is on.
        """
        rows = []
        tied = []
        for entry in entries:
            c, lab = entry[0], entry[1]
            var = self._layer_vars.get(entry[2]) if len(entry) > 2 else None
            attr = f" data-zl='{var}'" if var else ""
            if var:
                tied.append(var)
            rows.append(
                f"<div{attr}><i style='background:{html.escape(c)}'></i>"
                f"{html.escape(str(lab))}</div>"
            )
        var = self._layer_vars.get(title)
        block = " ".join([var] if var else tied) if (var or len(tied) == len(rows)) else ""
        attr = f" data-zl='{block}'" if block else ""
        self._legends.append(f"<div{attr}><h4>{html.escape(title)}</h4>{''.join(rows)}</div>")

    def add_html(self, fragment: str, layer: str | None = None) -> None:
        """Add trusted HTML (e.g. a bivariate legend) to the legend box; escape its text.

        With ``layer`` (a layer's name) the fragment shows only while that layer is on.
        """
        var = self._layer_vars.get(layer) if layer is not None else None
        self._legends.append(f"<div data-zl='{var}'>{fragment}</div>" if var else fragment)

    # --- output ---------------------------------------------------------------------
    def render(self) -> str:
        """The page as one HTML string with every asset inlined."""
        t = _I18N[self.lang]
        m = self.map
        ctrl = folium.LayerControl(collapsed=False)
        ctrl.add_to(m)
        if self._focus is not None or self._bounds:
            b = self._focus[None, :] if self._focus is not None else np.vstack(self._bounds)
            bounds = [
                [float(b[:, 1].min()), float(b[:, 0].min())],
                [float(b[:, 3].max()), float(b[:, 2].max())],
            ]
            # fitted in the browser once the frame has a size (not before: NaN zoom)
            _Fit(bounds, ctrl.get_name()).add_to(m)
        root = m.get_root()
        root.title = html.escape(self.title)  # folium's template does not escape it
        add_page_assets(root)
        legend = "".join(self._legends)
        root.html.add_child(
            folium.Element(
                f"<div class='zbox ztitle' id='zoning-title'>{html.escape(self.title)}</div>"
                f"<div class='zbox zlegend' id='zoning-legend'><b>{t['legend']}</b>{legend}"
                f"<div class='zcrs'>{html.escape(self.crs_note or t['crs'])}</div></div>"
            ),
            name="zoning_boxes",
        )
        page = root.render()
        page = page.replace("<html>", f'<html lang="{"zh-CN" if self.lang == "zh" else "en"}">', 1)
        remote = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:[^"]+)"', page)
        if remote:
            raise RuntimeError(f"the map still refers to remote assets: {remote}")
        return page

    def save(self, path: str | PathLike) -> Path:
        """Write the map atomically as one self-contained HTML file."""
        page = self.render()
        with atomic_file(path) as tmp:
            tmp.write_text(page, encoding="utf-8")
        return Path(path)
