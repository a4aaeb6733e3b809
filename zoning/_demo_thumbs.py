"""Thumbnails of the demo's maps for its front page, drawn in Python (matplotlib) from each
step's own output at small size: ``x.html`` gets ``x.png`` beside it (statistics, soil
classes, allocation, the two editions, the rule coverage of the clauses).
"""

from __future__ import annotations

from pathlib import Path


def _thumb(frame, column: str, classes: dict, png: Path, lang: str, title, units=None) -> None:
    from zoning.export.mapfigures import THUMBNAIL, classes_png

    classes_png(frame, column, classes, png, units=units, lang=lang, title=title, **THUMBNAIL)


def _stats_thumb(out_dir: Path, lang: str, units) -> None:
    """The statistics choropleth's first layer, in the same quantile classes."""
    import numpy as np

    from zoning.export.stats_map import PALETTE, _classes
    from zoning.i18n import format_value
    from zoning.io.vector import read_vector

    src = out_dir / "stats" / "unit_stats.geojson"
    if not src.is_file():
        return
    frame = read_vector(src)
    col = next(c for c in frame.columns if str(c).endswith("_sum"))
    values = frame[col].to_numpy(dtype=float)
    edges = _classes(values)
    n = max(len(edges) - 1, 1)
    idx = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, n - 1)
    frame["_class"] = np.where(np.isfinite(values), idx, -1)
    classes = {
        j: (
            PALETTE[round(j * (len(PALETTE) - 1) / max(n - 1, 1))],
            f"{format_value(edges[j], lang)} – {format_value(edges[min(j + 1, len(edges) - 1)], lang)}",
        )
        for j in range(n)
    }
    title = (f"分单元统计：{col}", f"Unit statistics: {col}")
    _thumb(frame, "_class", classes, src.with_suffix(".png"), lang, title)


def _soil_thumb(out_dir: Path, lang: str, units) -> None:
    from zoning.i18n import SOIL_CLASSES
    from zoning.io.vector import read_vector

    src = out_dir / "soil" / "parcels_soil.geojson"
    if not src.is_file():
        return
    frame = read_vector(src)
    classes = {k: (c[3], (c[1], c[2])) for k, c in SOIL_CLASSES.items()}
    title = ("农用地土壤环境质量类别", "Soil classes of farmland")
    _thumb(frame, "soil_class", classes, src.with_suffix(".png"), lang, title, units)


def _allocate_thumb(out_dir: Path, lang: str, units) -> None:
    import pandas as pd

    from zoning.export.allocate import USE_COLORS
    from zoning.io.vector import read_vector

    folder = out_dir / "allocate"
    parts = [read_vector(folder / n) for n in ("selected.geojson", "rejected.geojson")]
    parts = [p for p in parts if len(p)]
    if not parts or not (folder / "map.html").is_file():
        return
    frame = pd.concat(parts, ignore_index=True)
    from zoning.export.allocate import _LABELS

    keys = ("trees", "pv", "forest_pv", "risk_control_only")
    classes = {k: (USE_COLORS[k], (_LABELS["zh"][k], _LABELS["en"][k])) for k in keys}
    title = ("污染地块：造林或光伏", "Polluted plots: trees or solar")
    _thumb(frame, "use", classes, folder / "map.png", lang, title, units)


def _diff_thumb(out_dir: Path, lang: str, units) -> None:
    from zoning.i18n import KIND_COLORS, KIND_LABELS
    from zoning.io.vector import read_vector

    folder = out_dir / "editions" / "diff"
    if not (folder / "changes.geojson").is_file():
        return
    frame = read_vector(folder / "changes.geojson")
    classes = {k: (KIND_COLORS[k], KIND_LABELS[k]) for k in KIND_LABELS if k in KIND_COLORS}
    title = ("管控单元两版对比", "Two editions of the units compared")
    _thumb(frame, "kind", classes, folder / "diff_map.png", lang, title, units)


def _coverage_thumb(out_dir: Path, lang: str, units) -> None:
    """Units by the share of their clauses that a rule checks (rules_coverage.csv)."""
    import pandas as pd

    src = out_dir / "rules_coverage.csv"
    if not src.is_file():
        return
    table = pd.read_csv(src, dtype={"unit_code": str})
    share = table.groupby("unit_code")["covered"].mean()
    frame = units.copy()
    s = frame["code"].astype(str).map(share)
    bands = [(0.25, "#d7191c"), (0.5, "#fdae61"), (0.75, "#a6d96a"), (1.01, "#1a9641")]
    frame["_band"] = [
        next((i for i, (hi, _) in enumerate(bands) if v < hi), -1) if pd.notna(v) else -1 for v in s
    ]
    names = ["< 25 %", "25–50 %", "50–75 %", "≥ 75 %"]
    classes = {
        i: (c, (f"规则核查条款 {names[i]}", f"clauses checked {names[i]}"))
        for i, (_, c) in enumerate(bands)
    }
    title = ("准入条款的规则覆盖", "Access-list clauses checked by rules")
    _thumb(frame, "_band", classes, src.with_suffix(".png"), lang, title)


#: Each draws one thumbnail (nothing when its step's output is missing).
THUMBS = (_stats_thumb, _soil_thumb, _allocate_thumb, _diff_thumb, _coverage_thumb)
