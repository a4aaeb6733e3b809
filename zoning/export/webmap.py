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
import json
import re
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.map import Layer
from jinja2 import Template

from zoning.errors import InputError
from zoning.export._atomic import atomic_file
from zoning.geo import EQUAL_AREA
from zoning.model import DIMENSIONS, ELEMENTS, UNIT_CLASSES

CANVAS_THRESHOLD = 3000

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

_I18N = {
    "zh": {
        "code": "单元编码",
        "name": "单元名称",
        "class": "管控类别",
        "element": "环境要素",
        "subtype": "要素细类",
        "area": "面积 (km²)",
        "legend": "图例",
        "crs": "坐标：WGS 84 经纬度 (EPSG:4326)；面积按等积投影 EPSG:6933 计算",
        "units": "环境管控单元",
        "elements": "要素分区",
        "access": "生态环境准入清单",
    },
    "en": {
        "code": "Unit code",
        "name": "Unit name",
        "class": "Class",
        "element": "Element",
        "subtype": "Sub-type",
        "area": "Area (km²)",
        "legend": "Legend",
        "crs": "Coordinates: WGS 84 lon/lat (EPSG:4326); areas in equal-area EPSG:6933",
        "units": "Control units",
        "elements": "Element zones",
        "access": "Access list",
    },
}

ELEMENT_COLORS = {
    "ecological": "#1b9e77",
    "water": "#2c7fb8",
    "air": "#a6761d",
    "soil": "#7570b3",
    "sea": "#41b6c4",
    "resource": "#e7298a",
    "comprehensive": "#999999",
}

#: Colour ramps for grids (stops from low to high).
CMAPS: dict[str, list[str]] = {
    "YlOrRd": ["#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026"],
    "Greys": ["#f7f7f7", "#bdbdbd", "#737373", "#252525"],
    "Blues": ["#eff3ff", "#9ecae1", "#4292c6", "#08519c"],
    "Purples": ["#f2f0f7", "#bcbddc", "#807dba", "#54278f"],
    "viridis": ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"],
}

_JS = (
    r"""
function zEsc(s){return String(s===null||s===undefined?'':s).replace(/[&<>"']/g,function(c){
 return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c];});}
function zRing(r,s){var o=[],x=0,y=0;for(var i=0;i<r.length;i+=2){x+=r[i];y+=r[i+1];
 o.push([y/s,x/s]);}return o;}
function zVal(d,j,v){return (d.cols[j].t&&v!==null)?d.texts[v]:v;}
function zPopup(d,f){var h='<div class="zpop">';if(d.title!==null){h+='<b>'+zEsc(zVal(d,d.title,f.p[d.title]))+'</b>';}
 h+='<table>';for(var j=0;j<d.cols.length;j++){if(j===d.title)continue;var v=zVal(d,j,f.p[j]);
 if(v===null||v==='')continue;h+='<tr><th>'+zEsc(d.cols[j].l)+'</th><td>'+zEsc(v)+'</td></tr>';}
 return h+'</table></div>';}
function zMerge(list,extra){var d=Object.assign({},list[0],extra,{f:[]});
 d.cols=list[0].cols.map(function(c){return {l:c.l,t:false};});
 list.forEach(function(x){x.f.forEach(function(a){d.f.push([a[0],a[3],
  a[2].map(function(v,j){return zVal(x,j,v);})]);});});return d;}
function zLayer(map,d){var F=d.f.map(function(a){return {g:a[0],c:a[1],p:a[2]};});
 if(!map.getPane(d.pane)){var p=map.createPane(d.pane);p.style.zIndex=d.z;}
 var opts={pane:d.pane};if(F.length>"""
    + str(CANVAS_THRESHOLD)
    + r"""){opts.renderer=L.canvas({pane:d.pane,padding:0.5});}
 var g=L.featureGroup();
 for(var i=0;i<F.length;i++){var f=F[i],c=d.colors[f.c],lyr;
  var st=Object.assign({},opts,{color:d.stroke||c,fillColor:c,weight:d.weight,opacity:0.9,
   fillOpacity:d.fill});
  if(d.k==='pt'){lyr=L.circleMarker([f.g[1]/d.s,f.g[0]/d.s],Object.assign(st,{radius:d.radius,
   color:'#333',weight:0.6,fillOpacity:0.85}));}
  else if(d.k==='ln'){lyr=L.polyline(f.g.map(function(r){return zRing(r,d.s);}),
   Object.assign(st,{weight:Math.max(d.weight,2)}));}
  else{lyr=L.polygon(f.g.map(function(pg){return pg.map(function(r){return zRing(r,d.s);});}),st);}
  (function(f){lyr.bindPopup(function(){return zPopup(d,f);},{maxWidth:420});
   if(d.tip!==null){lyr.bindTooltip(function(){return zEsc(zVal(d,d.tip,f.p[d.tip]));},{sticky:true});}})(f);
  g.addLayer(lyr);}
 return g;}
"""
)

_CSS = """
.leaflet-container{background:#f3f3ee;font-family:"Noto Sans CJK SC","Microsoft YaHei",
 "PingFang SC",sans-serif}
.zpop table{border-collapse:collapse;font-size:12px;max-width:400px}
.zpop th{text-align:left;vertical-align:top;padding:2px 6px 2px 0;color:#555;white-space:nowrap}
.zpop td{padding:2px 0;white-space:pre-wrap}
.zbox{position:absolute;z-index:1000;background:rgba(255,255,255,.92);padding:8px 10px;
 border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font-size:12px;line-height:1.5}
.ztitle{top:10px;left:55px;font-size:15px;font-weight:bold}
.leaflet-left .leaflet-control-zoom{margin-top:10px}
.zlegend{top:64px;left:10px;max-height:calc(100% - 140px);overflow:auto;max-width:230px}
.leaflet-top.leaflet-left{top:0}
.zlegend i{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:middle;
 border:1px solid #555}
.zlegend .zbar{height:10px;width:160px;border:1px solid #555}
.zlegend h4{margin:6px 0 2px 0;font-size:12px}
.zcrs{color:#666;font-size:10px;max-width:260px}
"""


class _DataLayer(Layer):
    """A folium layer drawn by the compact decoder in ``_JS``."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }}_data = {{ this.payload }};"
        "var {{ this.get_name() }} = zLayer({{ this._parent.get_name() }}, "
        "{{ this.get_name() }}_data);"
        "{% endmacro %}"
    )

    def __init__(self, name: str, payload: str, show: bool = True):
        # Leaflet's layer switcher inserts names as HTML
        super().__init__(name=html.escape(name), overlay=True, control=True, show=show)
        self._name = "ZoningLayer"
        self.payload = payload  # JSON, or a JS expression deriving data from other layers


def _safe_json(obj) -> str:
    """JSON that can sit inside a <script> element."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _jsval(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return None
        return round(float(v), 4)
    return str(v)


def _encode_geometry(geom, scale: float):
    """Delta-encoded integer rings; kind is 'pg', 'ln' or 'pt'."""

    def ring(coords):
        q = np.round(np.asarray(coords)[:, :2] * scale).astype(np.int64)
        d = np.vstack([q[:1], np.diff(q, axis=0)])
        return d.ravel().tolist()

    t = geom.geom_type
    if t == "Polygon":
        return "pg", [[ring(geom.exterior.coords)] + [ring(r.coords) for r in geom.interiors]]
    if t == "MultiPolygon":
        return "pg", [
            [ring(p.exterior.coords)] + [ring(r.coords) for r in p.interiors] for p in geom.geoms
        ]
    if t == "LineString":
        return "ln", [ring(geom.coords)]
    if t == "MultiLineString":
        return "ln", [ring(g.coords) for g in geom.geoms]
    if t == "Point":
        return "pt", [int(round(geom.x * scale)), int(round(geom.y * scale))]
    if t == "MultiPoint":
        p = geom.geoms[0]
        return "pt", [int(round(p.x * scale)), int(round(p.y * scale))]
    if t == "GeometryCollection":
        polys = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        if polys:
            return _encode_geometry(shapely.union_all(polys), scale)
    raise InputError(f"cannot draw a {t} geometry")


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
            values = frame[col].tolist() if col in frame.columns else [None] * len(frame)
            values = [_jsval(v) for v in values]
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
        kind = None
        feats = []
        for i, geom in enumerate(frame.geometry.values):
            k, g = _encode_geometry(geom, self.scale)
            if kind is None:
                kind = k
            elif k != kind:
                raise InputError(
                    f"a layer mixes {kind} and {k} geometries; draw them as separate layers"
                )
            feat = [g, int(color_idx[i]), [vals[i] for vals in col_values]]
            if extra_idx is not None:
                feat.append(int(extra_idx[i]))
            feats.append(feat)
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
    ) -> None:
        """Add polygons, lines or points (points as circle markers).

        ``color_by`` names a column whose values pick the colour from ``colors`` (value →
        hex; values not listed get ``color``).  ``popup`` lists (column, label) pairs
        shown on click; ``tooltip`` a column shown on hover.  ``legend=True`` adds the
        ``colors`` to the legend under ``name``, each value shown as ``labels[value]``
        when given.
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
        )
        _DataLayer(name, payload, show=show).add_to(self.map)
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
        from zoning.validate import normalise_units

        t = _I18N[self.lang]
        frame = normalise_units(units)  # class labels such as 优先保护单元 → 1
        area = frame.to_crs(EQUAL_AREA).area / 1e6 if len(frame) else pd.Series(dtype=float)
        frame["_area_km2"] = np.round(np.asarray(area, dtype=float), 3)
        en = self.lang == "en"
        frame["_name"] = frame.get("name_en" if en else "name", frame.get("name"))
        if en and "name_en" in frame and "name" in frame:
            frame["_name"] = frame["name_en"].fillna(frame["name"])
        frame["_class"] = [
            UNIT_CLASSES[c].label(self.lang) if c in UNIT_CLASSES else str(c)
            for c in frame["unit_class"].tolist()
        ]
        el = (
            frame["element"]
            if "element" in frame
            else pd.Series([None] * len(frame), index=frame.index)
        )
        frame["_element"] = [
            ELEMENTS[e][1 if en else 0] if e in ELEMENTS else e for e in el.tolist()
        ]
        cols = [
            ("code", t["code"]),
            ("_name", t["name"]),
            ("_class", t["class"]),
            ("_element", t["element"]),
            ("subtype", t["subtype"]),
            ("_area_km2", t["area"]),
        ]
        for d in DIMENSIONS:
            col = d.column + "_en" if en and d.column + "_en" in frame else d.column
            cols.append((col, f"{d.label(self.lang)}"))
        prepared = self._prepare(frame, simplify=True)
        keys = [k for k in ELEMENTS if k in set(prepared.get("element", pd.Series()).dropna())]
        lookup = {k: i for i, k in enumerate(keys)}
        elem_idx = np.array(
            [lookup.get(e, 0) for e in prepared.get("element", [None] * len(prepared))],
            dtype=int,
        )
        groups = [
            (
                f"units:{d}",
                uc.label(self.lang),
                uc.color,
                (prepared["unit_class"] == d).to_numpy(dtype=bool),
            )
            for d, uc in UNIT_CLASSES.items()
        ]
        known = np.any([g[3] for g in groups], axis=0) if len(prepared) else np.zeros(0, bool)
        if (~known).any():
            groups.append(("units:other", "?", "#bbbbbb", ~known))
        layers = []
        for key, label, color, mask in groups:
            part = prepared[mask]
            payload, n = self._payload(
                part,
                colors=[color],
                color_idx=np.zeros(len(part), dtype=int),
                cols=cols,
                title=1,
                tip=0,
                pane_z=400,
                weight=0.8 if len(prepared) <= CANVAS_THRESHOLD else 0.2,
                fill=0.45,
                radius=5,
                stroke="#444",
                extra_idx=elem_idx[mask],
            )
            layer = _DataLayer(f"{label} ({n})", payload, show=show)
            layer.add_to(self.map)
            layers.append(layer)
            self.layer_counts[key] = n
        self.add_legend(
            name or t["units"], [(uc.color, uc.label(self.lang)) for uc in UNIT_CLASSES.values()]
        )
        if elements and keys:
            # the element zones reuse the geometry of the class layers: stored once
            self._z += 1
            extra = {
                "colors": [ELEMENT_COLORS.get(k, "#999999") for k in keys],
                "pane": f"z{self._z}",
                "z": 405 + self._z - 400,
                "weight": 0.5,
                "fill": 0.4,
                "stroke": "#333",
                "texts": [],
            }
            refs = ",".join(f"{lyr.get_name()}_data" for lyr in layers)
            derive = f"zMerge([{refs}], {_safe_json(extra)})"
            _DataLayer(t["elements"], derive, show=False).add_to(self.map)
            self.layer_counts["elements"] = len(prepared)
            self.add_legend(
                t["elements"],
                [(ELEMENT_COLORS.get(k, "#999999"), ELEMENTS[k][1 if en else 0]) for k in keys],
            )

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
        folium.raster_layers.ImageOverlay(
            url,
            bounds=[[lat0, lon0], [lat1, lon1]],
            opacity=opacity,
            name=html.escape(name),
            show=show,
            interactive=False,
        ).add_to(self.map)
        self._bounds.append(np.array([lon0, lat0, lon1, lat1]))
        grad = ",".join(stops)
        self._legends.append(
            f"<h4>{html.escape(name)}</h4><div class='zbar' style='background:"
            f"linear-gradient(to right,{grad})'></div><div style='display:flex;"
            f"justify-content:space-between;width:162px'><span>{lo:.3g}</span>"
            f"<span>{html.escape(units_label)}</span><span>{hi:.3g}</span></div>"
        )

    def focus(self, frame: gpd.GeoDataFrame, /, margin: float = 0.1) -> None:
        """Open the map on ``frame`` (plus a margin) instead of on every layer."""
        if frame.crs is None or len(frame) == 0:
            return
        x0, y0, x1, y1 = frame.to_crs(WGS84).total_bounds
        dx, dy = (x1 - x0) * margin + 1e-4, (y1 - y0) * margin + 1e-4
        self._focus = np.array([x0 - dx, y0 - dy, x1 + dx, y1 + dy])

    def add_legend(self, title: str, entries: Sequence[tuple[str, str]]) -> None:
        """Add a block to the legend: (hex colour, label) pairs under a title."""
        rows = "".join(
            f"<div><i style='background:{html.escape(c)}'></i>{html.escape(str(lab))}</div>"
            for c, lab in entries
        )
        self._legends.append(f"<h4>{html.escape(title)}</h4>{rows}")

    def add_html(self, fragment: str) -> None:
        """Add trusted HTML (e.g. a bivariate legend) to the legend box; escape its text."""
        self._legends.append(fragment)

    # --- output ---------------------------------------------------------------------
    def render(self) -> str:
        """The page as one HTML string with every asset inlined."""
        t = _I18N[self.lang]
        m = self.map
        if self._focus is not None or self._bounds:
            b = self._focus[None, :] if self._focus is not None else np.vstack(self._bounds)
            m.fit_bounds(
                [
                    [float(b[:, 1].min()), float(b[:, 0].min())],
                    [float(b[:, 3].max()), float(b[:, 2].max())],
                ],
                padding_top_left=(250, 20),
                padding_bottom_right=(20, 20),
            )
        folium.LayerControl(collapsed=False).add_to(m)
        root = m.get_root()
        root.title = html.escape(self.title)  # folium's template does not escape it
        js, css = _leaflet_assets()
        root.header.add_child(
            folium.Element(f"<style>{css}</style><style>{_CSS}</style>"), name="zoning_css"
        )
        root.header.add_child(
            folium.Element(f"<script>{js}</script><script>{_JS}</script>"), name="zoning_js"
        )
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


def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS from xstatic-leaflet, marker images inlined as data URIs."""
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - a dependency
        raise RuntimeError("xstatic-leaflet is not installed: pip install xstatic-leaflet") from exc
    base = Path(xleaflet.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        img = base / match.group(1)
        if not img.exists():
            return "url(data:,)"
        data = base64.b64encode(img.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[^)]+\.png)\)", inline, css)
    js = js.replace("</script", "<\\/script")
    return js, css
