"""The browser side of the offline maps: the compact layer decoder (JavaScript), the
page's CSS, Leaflet's assets inlined from xstatic-leaflet, and the payload encoding
(delta-encoded integer rings, JSON safe inside a <script> element)."""

from __future__ import annotations

import base64
import html
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.map import Layer
from jinja2 import Template

from zoning.errors import InputError

CANVAS_THRESHOLD = 3000

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
   color:d.stroke||'#333',weight:d.stroke?d.weight:0.6,opacity:1,fillOpacity:0.9}));}
  else if(d.k==='ln'){lyr=L.polyline(f.g.map(function(r){return zRing(r,d.s);}),
   Object.assign(st,{weight:Math.max(d.weight,2)}));}
  else{lyr=L.polygon(f.g.map(function(pg){return pg.map(function(r){return zRing(r,d.s);});}),st);}
  (function(f){lyr.bindPopup(function(){return zPopup(d,f);},{maxWidth:420});
   if(d.tip!==null){lyr.bindTooltip(function(){return zEsc(zVal(d,d.tip,f.p[d.tip]));},{sticky:true});}})(f);
  g.addLayer(lyr);}
 return g;}
function zSync(map){var els=document.querySelectorAll('[data-zl]');
 for(var i=0;i<els.length;i++){var el=els[i],on=el.getAttribute('data-zl').split(' ').some(
  function(n){return window[n]&&map.hasLayer(window[n]);});el.style.display=on?'':'none';}}
function zFit(map,b,ctrl){var tries=0;
 function pad(){var lg=document.getElementById('zoning-legend'),c=ctrl&&ctrl.getContainer();
  var s=map.getSize(),l=lg?lg.offsetWidth+20:20,r=c?c.offsetWidth+20:20;
  if(s.x-l-r<120&&ctrl&&!ctrl._zc){ctrl.options.collapsed=true;ctrl._zc=1;
   ctrl.collapse();L.DomEvent.on(c,'mouseenter',function(){ctrl.expand();});
   L.DomEvent.on(c,'mouseleave',function(){ctrl.collapse();});r=c.offsetWidth+20;}
  if(s.x-l-r<120){l=20;r=20;}return [l,r];}
 function go(){var s;map.invalidateSize(false);s=map.getSize();
  if(!(s.x>60&&s.y>60)){if(tries++<200){setTimeout(go,50);}return;}
  var p=pad(),v=Math.max(20,Math.min(60,s.y/6));
  map.fitBounds(b,{paddingTopLeft:[p[0],v],paddingBottomRight:[p[1],v],animate:false});
  map._zfit=1;}
 map.on('resize',function(){if(!map._zfit){go();}});
 window.addEventListener('load',function(){map._zfit=0;go();});
 map.on('overlayadd overlayremove',function(){zSync(map);});zSync(map);go();}
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
.zclip{color:#444;font-size:11px;max-width:210px}
.zcrs{color:#666;font-size:10px;max-width:260px}
"""


class _Fit(MacroElement):
    """Fit the map to ``bounds`` once its frame has a size (see ``zFit`` in ``_JS``)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "zFit({{ this._parent.get_name() }}, {{ this.bounds }}, {{ this.ctrl }});"
        "{% endmacro %}"
    )

    def __init__(self, bounds, ctrl: str):
        super().__init__()
        self._name = "ZoningFit"
        self.bounds = _safe_json(bounds)
        self.ctrl = ctrl


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

    def render(self, **kwargs):
        """As folium renders a layer, but the script with the data goes into the page as it
        is (:func:`static_element`): folium compiles it as a Jinja template, seconds for
        the megabytes of a large layer."""
        payload, self.payload = self.payload, "null"
        try:
            super().render(**kwargs)  # the script (with a stand-in), the add-to-map code
        finally:
            self.payload = payload
        script = self._template.module.__dict__["script"](self, kwargs)
        self.get_root().script.add_child(static_element(script), name=self.get_name())


class _Static(Element):
    """Text put into the page as it is: what ``folium.Element(text)`` renders for text
    without Jinja syntax, without compiling the text as a template first (over a second
    for Leaflet's 150 kB)."""

    _template = Template("{{ this.text }}")

    def __init__(self, text: str):
        super().__init__()
        self._name = "ZoningStatic"
        self.text = text


def static_element(text: str) -> Element:
    """An element rendering as ``folium.Element(text)`` does (a Jinja template drops one
    final newline); text with Jinja syntax or carriage returns is compiled as before."""
    if any(mark in text for mark in ("{{", "{%", "{#", "\r")):
        return Element(text)
    return _Static(text[:-1] if text.endswith("\n") else text)


def add_page_assets(root) -> None:
    """Leaflet and the layer decoder (JS, CSS) inlined in the page's header."""
    js, css = _leaflet_assets()
    root.header.add_child(
        static_element(f"<style>{css}</style><style>{_CSS}</style>"), name="zoning_css"
    )
    root.header.add_child(
        static_element(f"<script>{js}</script><script>{_JS}</script>"), name="zoning_js"
    )


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
        return number_text(float(v))
    return str(v)


def number_text(v: float) -> str:
    """A measured number as a popup shows it: thousands separators and sensible decimals
    (5,710 not 5.71e+03; 12.35; 0.0123), never an exponent."""
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 1:
        text = f"{v:.1f}" if a >= 100 else f"{v:.2f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if a == 0:
        return "0"
    return np.format_float_positional(v, precision=3, fractional=False, trim="-")


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


#: shapely type ids drawn without a per-geometry step: Point, LineString, Polygon,
#: MultiPoint, MultiLineString, MultiPolygon (LinearRing and collections go one by one)
_KIND_OF_TYPE = {0: "pt", 1: "ln", 3: "pg", 4: "pt", 5: "ln", 6: "pg"}


def _encode_geometries(geoms, scale: float) -> tuple[list, list]:
    """:func:`_encode_geometry` of each geometry (kinds, encodings), in whole arrays."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    kinds: list = [None] * n
    encoded: list = [None] * n
    types = shapely.get_type_id(geoms)
    points = np.flatnonzero((types == 0) | (types == 4))
    if len(points):
        first = shapely.get_geometry(geoms[points], 0)  # a multipoint is drawn at its first
        q = np.round(shapely.get_coordinates(first) * scale).astype(np.int64).tolist()
        if len(q) == len(points):  # no empty point among them
            for i, xy in zip(points.tolist(), q, strict=True):
                kinds[i], encoded[i] = "pt", xy
    shaped = np.flatnonzero(np.isin(types, (1, 3, 5, 6)))
    if len(shaped):
        parts, owner = shapely.get_parts(geoms[shaped], return_index=True)
        is_poly = shapely.get_type_id(parts) == 3
        rings, ring_part = shapely.get_rings(parts[is_poly], return_index=True)
        ring_part = np.flatnonzero(is_poly)[ring_part]
        # each polygon's rings (exterior first) or each line, in the order of the parts
        seqs = np.concatenate([rings, parts[~is_poly]])
        seq_part = np.concatenate([ring_part, np.flatnonzero(~is_poly)])
        order = np.argsort(seq_part, kind="stable")
        seqs, seq_part = seqs[order], seq_part[order]
        coords, cidx = shapely.get_coordinates(seqs, return_index=True)
        q = np.round(coords * scale).astype(np.int64)
        d = q.copy()
        d[1:] -= q[:-1]
        counts = np.bincount(cidx, minlength=len(seqs))
        ends = np.cumsum(counts)
        starts = ends - counts
        nonempty = counts > 0
        d[starts[nonempty]] = q[starts[nonempty]]
        flat = d.ravel().tolist()
        seq_lists = [
            flat[2 * a : 2 * b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
        # a part without rings (an empty polygon) goes through the one-by-one path
        has_seq = np.zeros(len(parts), dtype=bool)
        has_seq[seq_part] = True
        odd = np.zeros(len(shaped), dtype=bool)
        odd[owner[~has_seq]] = True
        per_part: list[list] = [[] for _ in range(len(parts))]
        for p, lst in zip(seq_part.tolist(), seq_lists, strict=True):
            per_part[p].append(lst)
        rows, poly_part, odd = shaped.tolist(), is_poly.tolist(), odd.tolist()
        for p, o in enumerate(owner.tolist()):
            if odd[o]:
                continue
            i = rows[o]
            if encoded[i] is None:
                kinds[i], encoded[i] = _KIND_OF_TYPE[int(types[i])], []
            encoded[i].append(per_part[p] if poly_part[p] else per_part[p][0])
    for i in range(n):
        if kinds[i] is None:
            kinds[i], encoded[i] = _encode_geometry(geoms[i], scale)
    return kinds, encoded


def _jsvals(values) -> list:
    """:func:`_jsval` of each value of a column (array or Series), typed columns at once."""
    dtype = getattr(values, "dtype", None)
    kind = getattr(dtype, "kind", None)
    if kind == "f" and isinstance(dtype, np.dtype):
        return [number_text(v) if math.isfinite(v) else None for v in values.tolist()]
    if kind == "b" and isinstance(dtype, np.dtype):
        return values.tolist()
    if kind in ("i", "u") and isinstance(dtype, np.dtype):  # as _jsval has them: text
        return [str(v) for v in values.tolist()]
    if isinstance(dtype, pd.StringDtype) or (
        kind == "O" and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
    ):
        return [v if isinstance(v, str) else None for v in values.tolist()]
    return [_jsval(v) for v in (values.tolist() if hasattr(values, "tolist") else values)]


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


#: Popup and legend words of the maps (zh, en).
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
        "max": "最大值",
        "min": "最小值",
        "clipped": "色带按 2%–98% 分位数截断",
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
        "max": "maximum",
        "min": "minimum",
        "clipped": "colours clipped at the 2nd–98th percentiles",
    },
}
