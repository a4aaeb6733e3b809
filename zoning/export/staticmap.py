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
drawn in English and a warning says so, never with empty boxes.  Where the map is drawn
(CRS, bounds, reprojection) is in :mod:`zoning.export._mapgeo`; the pieces (features as
matplotlib collections, swatches, scale bar, north arrow, labels) in
:mod:`zoning.export._mapparts`.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zoning.errors import CRSError, InputError
from zoning.export._atomic import atomic_file
from zoning.export._fonts import map_language
from zoning.export._mapgeo import (  # noqa: F401  (public names kept importable here)
    _bounds,
    _convergence_deg,
    _map_crs,
    _transformer_for,
    nice_length,
    to_map_crs,
)
from zoning.export._mapparts import (  # noqa: F401
    Text,
    _draw_part,
    _drawable,
    _figure_class,
    _handle,
    _has_cjk,
    _kind,
    _north_arrow,
    _pick,
    _scale_bar,
    _wrap,
)

log = logging.getLogger(__name__)


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


def _near_view(frame: gpd.GeoDataFrame, crs, view, /, *, least: int = 256) -> gpd.GeoDataFrame:
    """The rows of ``frame`` that may meet ``view`` (a box in the map CRS ``crs``), found
    in the frame's own CRS through its spatial index: every row that meets the view and
    a few that do not (the view's outline, sampled and taken back to the frame's CRS,
    is boxed with a margin), in the frame's order.  Reprojecting only these rows is what
    keeps a site map in a national layer cheap; the exact test stays with the caller.
    Frames under ``least`` rows or without a CRS are returned whole."""
    if frame is None or frame.crs is None or len(frame) < least:
        return frame
    tr, _ = _transformer_for(frame.crs, crs)
    if tr is None:
        back = view
    else:
        x0, y0, x1, y1 = view.bounds
        t = np.linspace(0.0, 1.0, 33)
        xs = np.concatenate(
            [x0 + (x1 - x0) * t, np.full(33, x1), x1 - (x1 - x0) * t, np.full(33, x0)]
        )
        ys = np.concatenate(
            [np.full(33, y0), y0 + (y1 - y0) * t, np.full(33, y1), y1 - (y1 - y0) * t]
        )
        bx, by = tr.transform(xs, ys, direction="INVERSE")
        bx, by = np.asarray(bx), np.asarray(by)
        if not (np.isfinite(bx).all() and np.isfinite(by).all()):
            return frame
        mx, my = 0.05 * (bx.max() - bx.min()), 0.05 * (by.max() - by.min())
        back = shapely.box(bx.min() - mx, by.min() - my, bx.max() + mx, by.max() + my)
    rows = frame.sindex.query(back, predicate="intersects")
    if tr is not None:
        rows = np.union1d(rows, _long_rows_in_view(frame, tr, view))
    return frame.iloc[np.sort(rows)]


def _long_rows_in_view(frame: gpd.GeoDataFrame, tr, view, span: float = 0.05) -> np.ndarray:
    """The rows of ``frame`` whose box spans more than ``span`` (in the frame's units)
    and whose drawing may meet ``view``: a long segment is drawn as the chord between its
    projected vertices, which can lie far from where the segment runs in the frame's CRS
    (and so outside the box taken back from the view).  The drawing lies inside the
    box's image, bounded here through 9 points per edge with a 1 % margin."""
    b = shapely.bounds(np.asarray(frame.geometry.values))
    big = np.flatnonzero(
        np.isfinite(b).all(axis=1) & (((b[:, 2] - b[:, 0]) > span) | ((b[:, 3] - b[:, 1]) > span))
    )
    if not len(big):
        return big
    t = np.linspace(0.0, 1.0, 9)
    x0, y0, x1, y1 = (b[big, i][:, None] for i in range(4))
    xs = np.hstack(
        [
            x0 + (x1 - x0) * t,
            np.broadcast_to(x1, (len(big), 9)),
            x0 + (x1 - x0) * t,
            np.broadcast_to(x0, (len(big), 9)),
        ]
    )
    ys = np.hstack(
        [
            np.broadcast_to(y0, (len(big), 9)),
            y0 + (y1 - y0) * t,
            np.broadcast_to(y1, (len(big), 9)),
            y0 + (y1 - y0) * t,
        ]
    )
    px, py = (np.asarray(v).reshape(xs.shape) for v in tr.transform(xs.ravel(), ys.ravel()))
    with np.errstate(invalid="ignore"):
        lo_x, hi_x = np.nanmin(px, axis=1), np.nanmax(px, axis=1)
        lo_y, hi_y = np.nanmin(py, axis=1), np.nanmax(py, axis=1)
    mx, my = 0.01 * (hi_x - lo_x), 0.01 * (hi_y - lo_y)
    vx0, vy0, vx1, vy1 = view.bounds
    unknown = ~(np.isfinite(px).all(axis=1) & np.isfinite(py).all(axis=1))  # keep: undecided
    meets = (lo_x - mx <= vx1) & (hi_x + mx >= vx0) & (lo_y - my <= vy1) & (hi_y + my >= vy0)
    return big[meets | unknown]


def _draw_layer(ax, layer: Layer, crs, view, lang: str, font, z: float) -> list:
    frame = layer.frame
    if frame is None or not len(frame):
        return []
    if frame.crs is None:
        raise CRSError(f"layer {_pick(layer.label, 'en')!r} has no CRS", fix="set one")
    frame = _near_view(frame, crs, view)
    if not len(frame):
        return []
    # on the geometry arrays (the rows in view, in the frame's index order), not frames
    geoms = np.asarray(frame.geometry.values)
    pos = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    drawn = np.asarray(to_map_crs(gpd.GeoSeries(geoms[pos], crs=frame.crs), crs).values)
    hit = np.flatnonzero(shapely.intersects(drawn, view))
    pos, drawn = pos[hit], drawn[hit]
    if not len(pos):
        return []
    if not (frame.index.is_monotonic_increasing and frame.index.is_unique):
        order = pd.Series(np.arange(len(pos)), index=frame.index[pos]).sort_index().to_numpy()
        pos, drawn = pos[order], drawn[order]
    handles = []
    groups: list[tuple[str, Text, np.ndarray]] = []
    if layer.column and layer.column in frame.columns and layer.classes:
        values = frame[layer.column].iloc[pos]
        for value, (color, label) in layer.classes.items():
            groups.append((color, label, drawn[(values == value).to_numpy()]))

        rest = drawn[~values.isin(list(layer.classes)).to_numpy()]
        groups.append((layer.color, layer.label, rest))
    else:
        groups.append((layer.color, layer.label, drawn))
    for color, label, part in groups:
        if not len(part):
            continue
        look = layer
        if layer.color == "none" and color != "none":  # outlined/hatched: colour the stroke
            look = dataclasses.replace(layer, edgecolor=color)
            color = "none"
        kind_of = _KIND_OF_TYPE[shapely.get_type_id(part)]
        kinds = set(kind_of.tolist())
        for kind in ("fill", "line", "point"):
            if kind in kinds:
                _draw_part(ax, part[kind_of == kind], look, color, kind, z)
        if layer.legend:
            text = _drawable(_pick(label, lang), font)
            handles.append((_handle(look, color, kinds), text))
    return handles


#: What :func:`_kind` says of each shapely type id (Point … GeometryCollection).
_KIND_OF_TYPE = np.array(
    [_kind(t) for t in ("Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                        "MultiLineString", "MultiPolygon", "GeometryCollection")]
)  # fmt: skip


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
        if format == "png":
            image = _png(fig, dpi, meta)
        else:
            buf = io.BytesIO()
            metadata = {"Date": None, "Creator": None, "Title": meta["Title"]}
            fig.savefig(buf, format=format, dpi=dpi, metadata=metadata, facecolor="#ffffff")
            image = buf.getvalue()
    log.info(
        "static map %r: %s, scale bar %s, font %s",
        meta["Title"], meta["CRS"], meta["Scale bar"], meta["Font"],
    )  # fmt: skip
    return image


def _png(fig, dpi: int, meta: dict) -> bytes:
    """The figure as PNG: drawn as ``savefig`` draws it (Agg, white ground), written with
    our text chunks only.  The map is opaque, so it is stored as RGB (no alpha channel)
    with zlib's run-length strategy: the same pixels as an RGBA PNG at level 6 in about
    half the time and a few per cent fewer bytes (a report embeds it)."""
    from PIL import Image, PngImagePlugin

    raw = io.BytesIO()
    fig.savefig(raw, format="raw", dpi=dpi, facecolor="#ffffff")
    w, h = int(fig.bbox.width), int(fig.bbox.height)
    data = raw.getbuffer()
    if len(data) != w * h * 4:  # pragma: no cover - Agg sizes its canvas as the bbox
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None, **meta},
                    facecolor="#ffffff")  # fmt: skip
        return buf.getvalue()
    image = Image.frombuffer("RGBA", (w, h), data, "raw", "RGBA", 0, 1)
    if image.getextrema()[3] == (255, 255):  # opaque: no alpha channel needed
        image = image.convert("RGB")
    info = PngImagePlugin.PngInfo()
    for key, value in meta.items():
        info.add_text(key, value)
    out = io.BytesIO()
    image.save(out, format="png", pnginfo=info, dpi=(dpi, dpi), compress_level=6,
               compress_type=3)  # fmt: skip
    return out.getvalue()


def _figure(
    layers, crs, extent, frames, title, subtitle, lang, font, legend, legend_title, notes,
    annotations, pad, size, dpi,
):  # fmt: skip
    Figure = _figure_class()
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
    ax.set_aspect("equal")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
        spine.set_edgecolor("#333333")
    length = _scale_bar(ax, x0, y0, x1, y1)
    north = _north_arrow(ax, crs, x0, y0, x1, y1, _T[lang]["north"])
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
        lines = [_wrap(_drawable(_pick(n, lang), font), 36) for n in notes]  # the column's width
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
