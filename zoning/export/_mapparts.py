"""The pieces of a static map: labels (language, CJK, wrapping), features drawn as
matplotlib collections, legend swatches, the scale bar and the north arrow.

Features are drawn straight onto the axes (``PatchCollection`` of polygon paths,
``LineCollection``, ``scatter``), never through ``GeoSeries.plot``, which imports
``matplotlib.pyplot``: a report draws its map without the GUI machinery.
"""

from __future__ import annotations

import logging
import math
import re

import numpy as np
import shapely

from zoning.export._mapgeo import _convergence_deg, _length_label, nice_length

log = logging.getLogger(__name__)

Text = str | tuple[str, str]


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


def _polygon_paths(geoms) -> list:
    """One matplotlib Path per polygon part (exterior and holes as one compound path)."""
    from matplotlib.path import Path

    parts = shapely.get_parts(np.asarray(geoms))
    paths = []
    for poly in parts:
        if shapely.get_type_id(poly) != 3 or poly.is_empty:  # Polygon
            continue
        rings = [poly.exterior, *poly.interiors]
        paths.append(Path.make_compound_path(*[Path(np.asarray(r.coords)[:, :2]) for r in rings]))
    return paths


def _line_coords(geoms) -> list:
    parts = shapely.get_parts(np.asarray(geoms))
    return [np.asarray(p.coords)[:, :2] for p in parts if not p.is_empty]


def _draw_part(ax, geoms, layer, color: str, kind: str, z: float):
    """Features of one kind (fill, line, point) of a layer, in one colour, at zorder ``z``."""
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import PathPatch

    if kind != "fill" and color == "none":  # an outline look: lines and points in its colour
        color = layer.edgecolor or "#636363"
    if kind == "fill":
        patches = [PathPatch(p) for p in _polygon_paths(geoms)]
        ax.add_collection(
            PatchCollection(
                patches,
                facecolor=color,
                edgecolor=layer.edgecolor or "#ffffff",
                linewidth=layer.linewidth,
                hatch=layer.hatch,
                alpha=layer.alpha,
                linestyle=layer.linestyle,
                zorder=z,
            ),
            autolim=False,
        )
    elif kind == "line":
        segs = _line_coords(geoms)
        if layer.halo:
            ax.add_collection(
                LineCollection(segs, colors="#ffffff", linewidths=layer.linewidth + 3, zorder=z),
                autolim=False,
            )
        ax.add_collection(
            LineCollection(
                segs, colors=color, linewidths=layer.linewidth, linestyles=layer.linestyle,
                alpha=layer.alpha, zorder=z + 0.01,
            ),
            autolim=False,
        )  # fmt: skip
    else:
        xy = shapely.get_coordinates(np.asarray(geoms))
        edge = layer.edgecolor or ("#000000" if color in ("#ffffff", "none") else "#ffffff")
        if layer.halo:
            ax.scatter(
                xy[:, 0], xy[:, 1], s=layer.markersize * 2.2, marker=layer.marker,
                facecolors="#ffffff", edgecolors="#ffffff", zorder=z,
            )  # fmt: skip
        ax.scatter(
            xy[:, 0], xy[:, 1], s=layer.markersize, marker=layer.marker, facecolors=color,
            edgecolors=edge, linewidths=0.8, alpha=layer.alpha, zorder=z + 0.01,
        )  # fmt: skip


def _handle(layer, color: str, kinds: set[str]):
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


def _scale_bar(ax, x0, y0, x1, y1) -> int:
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


def _north_arrow(ax, crs, x0, y0, x1, y1, label: str):
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
        cx + dx * 1.55, cy + dy * 1.55, label, transform=ax.transAxes,
        ha="center", va="center", fontsize=11, zorder=11,
        bbox={"boxstyle": "round,pad=0.15", "fc": "#ffffff", "ec": "none", "alpha": 0.8},
    )  # fmt: skip
    return angle


def _figure_class():
    """matplotlib's ``Figure``, its first import made without the property tables of the
    ``set()`` docstrings.

    Defining each ``Artist`` subclass makes matplotlib build a table of every settable
    property for the docstring of its ``set()`` (``matplotlib.artist.kwdoc``): about 40 %
    of importing ``matplotlib.figure`` (0.2-0.4 s), for help text only.  During that one
    import ``kwdoc`` returns a short pointer to the documentation instead; the drawing is
    the same.  Already imported, or with a matplotlib without ``kwdoc``: a plain import.
    """
    import sys

    if "matplotlib.figure" not in sys.modules:
        import matplotlib.artist as artist

        kwdoc = getattr(artist, "kwdoc", None)
        if callable(kwdoc):
            artist.kwdoc = lambda _artist: "Properties: see the matplotlib documentation."
        try:
            import matplotlib.figure  # noqa: F401
        finally:
            if callable(kwdoc):
                artist.kwdoc = kwdoc
    from matplotlib.figure import Figure

    return Figure
