"""Static maps drawn in Python (matplotlib, Agg): no browser, no network, deterministic.

:func:`static_map` draws layers of GeoDataFrames in a local metric CRS (a CGCS2000
Gauss-Krüger zone in China, UTM elsewhere; never degrees) with a legend of real swatches,
a scale bar of a round length in metres drawn to scale, a north arrow turned by the
meridian convergence (grid north is not true north off the central meridian), and labels
in the run's language.  The same inputs give byte-identical PNG: fixed size and dpi, no
timestamps, no software version in the file.

Ready-made maps for the writers are in :mod:`zoning.export.mapfigures`: ``site_map``
(one screened project), ``units_png`` (``zoning map``), ``conflicts_png``,
``hotspots_png`` and ``afforest_png``.

Chinese labels need a CJK font (:mod:`zoning.export._fonts`); without one the map is
drawn in English and a warning says so, never with empty boxes.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely

from zoning.errors import CRSError, InputError
from zoning.export._atomic import atomic_file
from zoning.export._fonts import map_language

log = logging.getLogger(__name__)

Text = str | tuple[str, str]

#: Outcome colours of static maps: none of them is a unit-class fill (green, red, yellow)
#: nor a water blue; sites and facilities are also drawn over a white halo.
OUTCOME_COLORS: dict[str, str] = {
    "prohibited": "#000000",
    "conflict": "#000000",
    "restricted": "#7b3294",
    "needs-information": "#e7298a",
    "unknown": "#e7298a",
    "allowed": "#2166ac",
    "ok": "#ffffff",
    "unzoned": "#969696",
    "invalid": "#969696",
}
#: Marker shapes of facility outcomes (shape tells them apart in grey print too).
OUTCOME_MARKERS: dict[str, str] = {
    "conflict": "X",
    "restricted": "D",
    "unknown": "P",
    "ok": "o",
    "unzoned": "s",
    "invalid": "s",
}

_T = {
    "zh": {
        "north": "北",
        "site_map": "选址示意图",
        "project": "项目",
        "touched": "项目涉及的单元（黑色虚线框）",
        "nearest": "最近的优先保护单元",
        "units_map": "生态环境分区管控图",
        "conflicts_map": "准入冲突核查图",
        "hotspots_map": "减污降碳协同热点图",
        "afforest_map": "污染耕地造林选址图",
        "crs": "坐标系",
        "verdict": "研判结论",
        "county": "县域边界",
        "selected": "入选地块",
        "candidate": "候选地块（未入选）",
        "parcel": "其他耕地地块",
    },
    "en": {
        "north": "N",
        "site_map": "site map",
        "project": "Project",
        "touched": "Units touched (dashed black outline)",
        "nearest": "Nearest priority-protection unit",
        "units_map": "Ecological-environment zoning",
        "conflicts_map": "Access-management conflicts",
        "hotspots_map": "Pollution and carbon co-hot-spots",
        "afforest_map": "Afforestation on polluted farmland",
        "crs": "CRS",
        "verdict": "Verdict",
        "county": "County boundary",
        "selected": "Selected patches",
        "candidate": "Candidate patches (not selected)",
        "parcel": "Other farmland parcels",
    },
}

#: How the layers a planner names are drawn on static maps (hatched or outlined, so the
#: unit fills under them stay readable).
LAYER_LOOKS: dict[str, dict] = {
    "red_line": {
        "label": ("生态保护红线", "Ecological red line"),
        "color": "none",
        "edgecolor": "#00441b",
        "hatch": "////",
        "linewidth": 1.2,
    },
    "water_protection": {
        "label": ("饮用水水源保护区", "Drinking-water source protection"),
        "color": "none",
        "edgecolor": "#08519c",
        "hatch": "\\\\\\\\",
        "linewidth": 1.2,
        "column": "grade",
        "classes": {
            "first": ("#08306b", ("一级保护区", "First-grade zone")),
            "second": ("#2171b5", ("二级保护区", "Second-grade zone")),
            "quasi": ("#6baed6", ("准保护区", "Quasi-protection zone")),
        },
    },
    "river": {"label": ("河流", "River"), "color": "#3182bd", "linewidth": 1.5},
    "facilities": {
        "label": ("企业/设施", "Facilities"),
        "color": "#525252",
        "edgecolor": "#ffffff",
        "marker": "o",
        "markersize": 14,
        "column": "stage",
        "classes": {
            "existing": ("#525252", ("现有", "existing")),
            "proposed": ("#7b3294", ("拟建", "proposed")),
        },
    },
    "projects": {
        "label": ("拟建项目", "Proposed projects"),
        "color": "none",
        "edgecolor": "#000000",
        "linewidth": 1.5,
        "marker": "*",
        "markersize": 60,
    },
}


#: Layers of other names (a rule file's ``water_first`` …): outlined and patterned, each
#: in the next of these (stroke, hatch), none a unit fill.
OTHER_LOOKS: tuple[tuple[str, str], ...] = (
    ("#6a3d9a", ".."),
    ("#8c510a", "xx"),
    ("#01665e", "++"),
    ("#c51b7d", "oo"),
    ("#4d4d4d", "--"),
)


@dataclass
class Layer:
    """One layer of a static map.

    Parameters
    ----------
    frame : GeoDataFrame
        Any CRS; drawn in the map's metric CRS.  Polygons are filled, lines stroked,
        points marked; a frame may mix them.
    label : str or (zh, en)
        Its legend entry (a pair is read in the map's language).
    color : str, optional (default: "#636363")
        Fill of polygons and points, stroke of lines; ``"none"`` for outlines only.
    edgecolor, linewidth, hatch, alpha, marker, markersize
        matplotlib styles (polygon outline, point edge).
    column, classes : optional
        Colour by ``column``: ``classes`` maps a value to ``(colour, label)``; values not
        listed are drawn with ``color`` under the layer's own label.
    halo : bool, optional (default: False)
        Draw a white halo under lines and points, so they stand out on any fill.
    legend : bool, optional (default: True)
    """

    frame: gpd.GeoDataFrame
    label: Text
    color: str = "#636363"
    edgecolor: str | None = None
    linewidth: float = 0.6
    hatch: str | None = None
    alpha: float = 1.0
    marker: str = "o"
    markersize: float = 16.0
    column: str | None = None
    classes: Mapping[object, tuple[str, Text]] = field(default_factory=dict)
    halo: bool = False
    linestyle: str = "-"
    legend: bool = True
    zorder: float = 2.0

    @classmethod
    def named(cls, name: str, frame: gpd.GeoDataFrame, other: int = 0, **kw) -> Layer:
        """A layer in the look of :data:`LAYER_LOOKS`; the ``other``-th of other names gets
        the ``other``-th of :data:`OTHER_LOOKS`."""
        edge, hatch = OTHER_LOOKS[other % len(OTHER_LOOKS)]
        plain = {"label": name, "color": "none", "edgecolor": edge, "hatch": hatch}
        look = dict(LAYER_LOOKS.get(name, plain | {"linewidth": 1.4}))
        look.update(kw)
        return cls(frame, **look)


# --------------------------------------------------------------------------------------
# geometry helpers


def _map_crs(crs, frames: Sequence[gpd.GeoDataFrame], extent):
    from pyproj import CRS

    from zoning.geo import local_crs

    if crs is not None:
        crs = CRS.from_user_input(crs)
        if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
            raise CRSError(
                f"`crs` was {crs.to_string()} but a static map is drawn in metres",
                fix="give a projected CRS in metres (or none: the local Gauss-Krüger/UTM zone)",
            )
        return crs
    ref = _extent_geoseries(extent) if extent is not None else None
    if ref is None:
        ref = next((f.geometry for f in frames if f.crs is not None and len(f)), None)
    if ref is None:
        raise InputError("a static map needs a layer with features and a CRS, or an extent")
    c = shapely.envelope(shapely.union_all(np.asarray(ref.to_crs("EPSG:4326").values)))
    c = c.centroid
    return local_crs(c.x, c.y)


def _extent_geoseries(extent):
    if isinstance(extent, gpd.GeoDataFrame | gpd.GeoSeries):
        if extent.crs is None:
            raise CRSError("the extent has no CRS", fix="set one")
        return extent.geometry if isinstance(extent, gpd.GeoDataFrame) else extent
    return None


def _bounds(extent, crs, frames) -> tuple[float, float, float, float]:
    ser = _extent_geoseries(extent)
    if ser is not None:
        return tuple(float(v) for v in ser.to_crs(crs).total_bounds)
    if extent is not None:
        x0, y0, x1, y1 = (float(v) for v in extent)
        if not (x1 > x0 and y1 > y0):
            raise InputError(
                f"`extent` was {extent!r} but must be (xmin, ymin, xmax, ymax) with xmax > xmin "
                "and ymax > ymin, in the map CRS (metres)"
            )
        return x0, y0, x1, y1
    boxes = [f.to_crs(crs).total_bounds for f in frames if len(f) and f.crs is not None]
    if not boxes:
        raise InputError("a static map needs a layer with features or an extent")
    b = np.array(boxes)
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())


def nice_length(max_m: float) -> int:
    """The largest round length (1, 2 or 5 × 10^k metres) not above ``max_m``."""
    if not max_m > 0:
        raise ValueError(f"`max_m` was {max_m} but must be positive")
    k = math.floor(math.log10(max_m))
    for m in (5, 2, 1):
        if m * 10**k <= max_m:
            return int(m * 10**k) if k >= 0 else m * 10**k
    return int(10**k)  # pragma: no cover


def _length_label(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m"


def _convergence_deg(crs, x: float, y: float) -> float:
    """Angle (degrees, counter-clockwise) from grid north to true north at (x, y)."""
    from pyproj import Transformer

    from zoning.geo import lonlat_to_local

    code = crs.to_epsg()
    if code is not None and (4534 <= code <= 4554 or 32601 <= code <= 32760):
        tr = lonlat_to_local(code)  # the projection's own pipeline: no database look-up
    else:
        tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    lon, lat = tr.transform(x, y, direction="INVERSE")
    x2, y2 = tr.transform(lon, min(lat + 0.01, 89.99))
    return math.degrees(math.atan2(-(x2 - x), y2 - y))


# --------------------------------------------------------------------------------------
# drawing


def _pick(text: Text | None, lang: str) -> str:
    if text is None:
        return ""
    if isinstance(text, tuple):
        return text[0] if lang == "zh" else text[1]
    return str(text)


def _has_cjk(s: str) -> bool:
    return any(
        "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef"
        for ch in s
    )


def _drawable(s: str, font) -> str:
    """``s`` as drawn: CJK characters need a font; without one they are left out."""
    if font is not None or not _has_cjk(s):
        return s
    kept = "".join(ch for ch in s if not _has_cjk(ch)).strip(" ：:()（）")
    log.warning("no CJK font: %r drawn as %r", s, kept)
    return kept


_TOKENS = re.compile(
    r"\s+|[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+"
)


def _wrap(s: str, width: int = 26) -> str:
    """``s`` broken into lines of about ``width`` columns (a CJK character is two)."""
    lines, line, cols = [], "", 0
    for tok in _TOKENS.findall(s):
        w = 2 if _has_cjk(tok) else len(tok)
        if line and cols + w > width and not tok.isspace() and tok not in "）)、，。：；":
            lines.append(line.rstrip())
            line, cols = "", 0
        if tok.isspace() and not line:
            continue
        line += tok
        cols += w
    lines.append(line.rstrip())
    return "\n".join(lines)


def _kind(geom_type: str) -> str:
    return {"Polygon": "fill", "LineString": "line", "Point": "point"}.get(
        geom_type.replace("Multi", ""), "fill"
    )


def _draw_part(ax, geoms: gpd.GeoSeries, layer: Layer, color: str, kind: str, z: float):
    if kind != "fill" and color == "none":  # an outline look: lines and points in its colour
        color = layer.edgecolor or "#636363"
    if kind == "fill":
        geoms.plot(
            ax=ax,
            facecolor=color,
            edgecolor=layer.edgecolor or "#ffffff",
            linewidth=layer.linewidth,
            hatch=layer.hatch,
            alpha=layer.alpha,
            linestyle=layer.linestyle,
            zorder=z,
        )
    elif kind == "line":
        if layer.halo:
            geoms.plot(ax=ax, color="#ffffff", linewidth=layer.linewidth + 3, zorder=z)
        geoms.plot(
            ax=ax,
            color=color,
            linewidth=layer.linewidth,
            linestyle=layer.linestyle,
            alpha=layer.alpha,
            zorder=z + 0.01,
        )
    else:
        edge = layer.edgecolor or ("#000000" if color in ("#ffffff", "none") else "#ffffff")
        if layer.halo:
            geoms.plot(
                ax=ax, marker=layer.marker, markersize=layer.markersize * 2.2, color="#ffffff",
                zorder=z,
            )  # fmt: skip
        geoms.plot(
            ax=ax,
            marker=layer.marker,
            markersize=layer.markersize,
            color=color,
            edgecolor=edge,
            linewidth=0.8,
            alpha=layer.alpha,
            zorder=z + 0.01,
        )


def _handle(layer: Layer, color: str, kinds: set[str]):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if "fill" in kinds:
        return Patch(
            facecolor=color,
            edgecolor=layer.edgecolor or ("#000000" if color == "none" else color),
            hatch=layer.hatch,
            alpha=layer.alpha,
            linewidth=max(layer.linewidth, 0.8),
            linestyle=layer.linestyle,
        )
    if color == "none":
        color = layer.edgecolor or "#636363"
    if "line" in kinds:
        return Line2D(
            [0], [0], color=color, linewidth=max(layer.linewidth, 1.5), ls=layer.linestyle
        )
    edge = layer.edgecolor or ("#000000" if color in ("#ffffff", "none") else "#ffffff")
    return Line2D(
        [0],
        [0],
        marker=layer.marker,
        linestyle="None",
        markerfacecolor=color,
        markeredgecolor="#000000" if edge == "#ffffff" else edge,
        markersize=8,
    )


def _draw_layer(ax, layer: Layer, crs, view, lang: str, font, z: float) -> list:
    frame = layer.frame
    if frame is None or not len(frame):
        return []
    if frame.crs is None:
        raise CRSError(f"layer {_pick(layer.label, 'en')!r} has no CRS", fix="set one")
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    frame = frame.to_crs(crs)
    frame = frame.iloc[frame.sindex.query(view, predicate="intersects")].sort_index()
    if not len(frame):
        return []
    handles = []
    groups: list[tuple[str, Text, gpd.GeoDataFrame]] = []
    if layer.column and layer.column in frame.columns and layer.classes:
        values = frame[layer.column]
        for value, (color, label) in layer.classes.items():
            groups.append((color, label, frame[(values == value).to_numpy()]))

        rest = frame[~values.isin(list(layer.classes)).to_numpy()]
        groups.append((layer.color, layer.label, rest))
    else:
        groups.append((layer.color, layer.label, frame))
    for color, label, part in groups:
        if not len(part):
            continue
        look = layer
        if layer.color == "none" and color != "none":  # outlined/hatched: colour the stroke
            look = dataclasses.replace(layer, edgecolor=color)
            color = "none"
        kinds = {_kind(t) for t in part.geom_type}
        for kind in ("fill", "line", "point"):
            if kind in kinds:
                sub = part[[_kind(t) == kind for t in part.geom_type]]
                _draw_part(ax, sub.geometry, look, color, kind, z)
        if layer.legend:
            text = _drawable(_pick(label, lang), font)
            handles.append((_handle(look, color, kinds), text))
    return handles


def _scale_bar(ax, x0, y0, x1, y1, lang) -> int:
    from matplotlib.patches import Rectangle

    w, h = x1 - x0, y1 - y0
    length = nice_length(w / 4)
    bx, by, bh = x0 + 0.04 * w, y0 + 0.05 * h, 0.012 * h
    ax.add_patch(
        Rectangle(
            (bx - 0.035 * w, by - 0.03 * h),
            length + 0.08 * w,
            bh + 0.085 * h,
            facecolor="#ffffff",
            edgecolor="none",
            alpha=0.8,
            zorder=9,
        )
    )
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (bx + i * length / 4, by),
                length / 4,
                bh,
                facecolor="#000000" if i % 2 == 0 else "#ffffff",
                edgecolor="#000000",
                linewidth=1.0,
                antialiased=False,
                zorder=10,
            )
        )
    kw = {"fontsize": 8, "va": "bottom", "zorder": 11}
    ax.text(bx, by + bh * 1.6, "0", ha="center", **kw)
    ax.text(bx + length, by + bh * 1.6, _length_label(length), ha="center", **kw)
    return length


def _north_arrow(ax, crs, x0, y0, x1, y1, lang):
    angle = _convergence_deg(crs, (x0 + x1) / 2, (y0 + y1) / 2)
    a = math.radians(angle)
    cx, cy, r = 0.93, 0.86, 0.06
    dx, dy = -math.sin(a) * r, math.cos(a) * r
    ax.annotate(
        "",
        xy=(cx + dx, cy + dy),
        xytext=(cx - dx, cy - dy),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=1", "color": "#000000", "lw": 2},
        zorder=11,
    )
    ax.text(
        cx + dx * 1.55, cy + dy * 1.55, _T[lang]["north"], transform=ax.transAxes,
        ha="center", va="center", fontsize=11, zorder=11,
        bbox={"boxstyle": "round,pad=0.15", "fc": "#ffffff", "ec": "none", "alpha": 0.8},
    )  # fmt: skip
    return angle


def static_map(
    layers: Sequence[Layer],
    /,
    *,
    extent=None,
    crs=None,
    title: Text | None = None,
    subtitle: Text | None = None,
    lang: Literal["zh", "en"] = "zh",
    legend: bool = True,
    legend_title: Text | None = None,
    notes: Sequence[Text] = (),
    annotations: Sequence[tuple[float, float, Text]] = (),
    pad: float = 0.06,
    size: tuple[float, float] = (8.0, 5.6),
    dpi: int = 150,
    format: Literal["png", "svg"] = "png",
) -> bytes:
    """Draw ``layers`` (bottom first) and return the image (PNG or SVG bytes).

    Parameters
    ----------
    layers : sequence of Layer
        Drawn in order, each in the map CRS.
    extent : (xmin, ymin, xmax, ymax) in the map CRS, or a GeoSeries/GeoDataFrame, optional
        What must be in view (default: every layer).  Padded by ``pad`` and widened to the
        map frame's shape, so one metre is the same number of pixels across and up.
    crs : CRS, optional (default: the local Gauss-Krüger/UTM zone of the extent's centre)
        A projected CRS in metres; a geographic one is refused.
    title, subtitle : str or (zh, en), optional
    lang : {"zh", "en"}, optional (default: "zh")
        Chinese needs a CJK font; without one the map is drawn in English (warned).
    legend : bool, optional (default: True)
        Real swatches of what is in view, in a column right of the map.
    notes : sequence of str or (zh, en), optional
        Lines under the legend (sources, the verdict …).
    annotations : sequence of (x, y, text) or (x, y, text, ha, va), optional
        Labels at map coordinates (metres, map CRS), aligned as matplotlib's ``ha``/``va``.
    size : (width, height) inches, optional (default: (8.0, 5.6)); dpi : int (default: 150)
    format : {"png", "svg"}, optional (default: "png")

    Returns
    -------
    bytes
        The image.  PNG metadata: ``Title``, ``Language``, ``Font``, ``CRS``, ``Scale bar``
        (its length in metres), ``North`` (meridian convergence, degrees).
    """
    import matplotlib

    if format not in ("png", "svg"):
        raise InputError(f'`format` was "{format}" but is expected to be in ("png", "svg")')
    if lang not in ("zh", "en"):
        raise InputError(f'`lang` was "{lang}" but is expected to be in ("zh", "en")')
    lang, font = map_language(lang)
    frames = [lay.frame for lay in layers if lay.frame is not None]
    crs = _map_crs(crs, frames, extent)
    families = ([font.family] if font is not None else []) + ["DejaVu Sans"]
    rc = {
        "font.family": "sans-serif",
        "font.sans-serif": families,
        "svg.hashsalt": "zoning",
        "hatch.linewidth": 0.8,
        "path.simplify": True,
    }
    with matplotlib.rc_context(rc):
        fig, meta = _figure(
            layers, crs, extent, frames, title, subtitle, lang, font, legend, legend_title,
            notes, annotations, pad, size, dpi,
        )  # fmt: skip
        buf = io.BytesIO()
        if format == "png":
            metadata = {"Software": None, **meta}
        else:
            metadata = {"Date": None, "Creator": None, "Title": meta["Title"]}
        fig.savefig(buf, format=format, dpi=dpi, metadata=metadata, facecolor="#ffffff")
    log.info(
        "static map %r: %s, scale bar %s, font %s",
        meta["Title"], meta["CRS"], meta["Scale bar"], meta["Font"],
    )  # fmt: skip
    return buf.getvalue()


def _figure(
    layers, crs, extent, frames, title, subtitle, lang, font, legend, legend_title, notes,
    annotations, pad, size, dpi,
):  # fmt: skip
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=dpi, facecolor="#ffffff")
    map_w = 0.68 if legend else 0.96
    ax = fig.add_axes((0.02, 0.04, map_w, 0.84))
    x0, y0, x1, y1 = _bounds(extent, crs, frames)
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    x0, x1 = x0 - pad * w, x1 + pad * w
    y0, y1 = y0 - pad * h, y1 + pad * h
    # widen to the frame's shape: the same metres per pixel across and up
    aw, ah = size[0] * map_w * dpi, size[1] * 0.84 * dpi
    per_px = max((x1 - x0) / aw, (y1 - y0) / ah)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    x0, x1 = cx - per_px * aw / 2, cx + per_px * aw / 2
    y0, y1 = cy - per_px * ah / 2, cy + per_px * ah / 2
    view = shapely.box(x0, y0, x1, y1)
    handles: list = []
    for i, layer in enumerate(layers):
        handles += _draw_layer(ax, layer, crs, view, lang, font, layer.zorder + i * 0.1)
    for x, y, text, *align in annotations:
        ha, va = align if align else ("center", "center")
        ax.text(
            x, y, _drawable(_pick(text, lang), font), fontsize=7, ha=ha, va=va,
            zorder=7.5, bbox={"boxstyle": "round,pad=0.2", "fc": "#ffffff", "ec": "none", "alpha": 0.8},
        )  # fmt: skip
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
        spine.set_edgecolor("#333333")
    length = _scale_bar(ax, x0, y0, x1, y1, lang)
    north = _north_arrow(ax, crs, x0, y0, x1, y1, lang)
    t = _drawable(_pick(title, lang), font)
    fig.text(0.02, 0.955, t, fontsize=14, va="center")
    if subtitle:
        fig.text(0.02, 0.905, _drawable(_pick(subtitle, lang), font), fontsize=9, va="center")
    crs_name = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else crs.name
    if legend:
        lax = fig.add_axes((0.72, 0.04, 0.27, 0.84))
        lax.set_axis_off()
        if handles:
            lax.legend(
                [hd for hd, _ in handles],
                [_wrap(tx) for _, tx in handles],
                loc="upper left",
                frameon=False,
                fontsize=8,
                title=_drawable(_pick(legend_title, lang), font) or None,
                title_fontsize=9,
                handlelength=2.4,
                handleheight=1.4,
                borderaxespad=0,
            )
        lines = [_wrap(_drawable(_pick(n, lang), font), 44) for n in notes]
        lines.append(f"{_T[lang]['crs']}: {crs_name} ({_drawable(crs.name, font)})")
        lax.text(0, 0, "\n".join(lines), fontsize=7, va="bottom", ha="left", wrap=True)
    meta = {
        "Title": t,
        "Language": lang,
        "Font": font.describe() if font is not None else "DejaVu Sans (no CJK font found)",
        "CRS": crs_name,
        "Scale bar": f"{length:g} m",
        "North": f"{north:.3f} deg",
    }
    return fig, meta


def write_png(png: bytes, path: str | os.PathLike, /) -> None:
    """Write image bytes to ``path`` atomically (nothing partial on failure)."""
    with atomic_file(path) as tmp:
        tmp.write_bytes(png)


def _lang(lang: str) -> str:
    if lang not in _T:
        raise InputError(f'`lang` was "{lang}" but is expected to be in ("zh", "en")')
    return map_language(lang)[0]


def _out(png: bytes, path) -> bytes:
    if path is not None:
        write_png(png, path)
    return png


__all__ = [
    "LAYER_LOOKS",
    "OTHER_LOOKS",
    "OUTCOME_COLORS",
    "OUTCOME_MARKERS",
    "Layer",
    "nice_length",
    "static_map",
    "write_png",
]
