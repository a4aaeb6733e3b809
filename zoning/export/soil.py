"""The soil-class outputs (``zoning soil``): classified parcels (and samples), each with
the standard, the class keys and how the parcels were classified as metadata."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from zoning.export.geojson import write_vector

if TYPE_CHECKING:
    from zoning.soil import SoilResult

log = logging.getLogger(__name__)


def write_soil(
    result: SoilResult, out: str | Path, /, *, samples_out: str | Path | None = None
) -> dict[str, Path]:
    """Write the classified parcels to ``out`` (``.geojson``, ``.gpkg``, ``.csv``,
    ``.parquet``) and the samples to ``samples_out`` when given; returns name → path."""
    meta = result.metadata()
    log.info("parcels: %s; by %s", meta["counts"], meta.get("methods"))
    written = {"parcels_soil": write_vector(result.parcels, out, metadata=meta)}
    if samples_out is not None:
        written["samples_soil"] = write_vector(result.samples, samples_out, metadata=meta)
    return written


def soil_map_path(out: str | Path) -> Path:
    """Where the soil class map goes: beside the parcels output (``parcels_soil.html``)."""
    out = Path(out)
    return out.with_name(out.stem + ".html")


def write_soil_map(result: SoilResult, path: str | Path, /, *, lang: str = "zh") -> Path:
    """The soil class map: parcels by GB 15618-2018 class (legend with the classes present)
    and the samples as points (off at first); returns the path written."""
    from zoning.export.webmap import WebMap
    from zoning.i18n import SOIL_CLASSES

    zh = lang == "zh"
    i = 1 if zh else 2
    w = (
        (
            "农用地土壤环境质量类别（GB 15618-2018）",
            "地块",
            "样点",
            "编号",
            "类别",
            "方法",
            "超筛选值",
        )
        if zh
        else (
            "Soil classes of farmland (GB 15618-2018)",
            "Parcels",
            "Samples",
            "id",
            "class",
            "method",
            "above screening value",
        )
    )
    wm = WebMap(w[0], lang="zh" if zh else "en")
    colors = {k: v[3] for k, v in SOIL_CLASSES.items()}
    labels = {k: v[i] for k, v in SOIL_CLASSES.items()}
    for frame, name, id_col, show in (
        (result.parcels, w[1], "parcel_id", True),
        (result.samples, w[2], "sample_id", False),
    ):
        if frame is None or not len(frame) or "soil_class" not in frame.columns:
            continue
        cls = frame["soil_class"].fillna(0).astype(int)
        present = sorted(set(cls) & set(colors), reverse=True)
        view = frame.assign(
            _cls=cls.to_numpy(),
            _label=[labels.get(c, str(c)) for c in cls],
            _id=frame[id_col].astype(str).to_numpy() if id_col in frame.columns else "",
        )
        popup = [("_id", w[3]), ("_label", w[4])]
        for col, label in (("class_method", w[5]), ("exceeds_screening", w[6])):
            if col in view.columns:
                popup.append((col, label))
        wm.add_layer(
            view[[c for c, _ in popup] + ["_cls", view.geometry.name]],
            name,
            color=SOIL_CLASSES[0][3],
            color_by="_cls",
            colors={c: colors[c] for c in present},
            labels=labels,
            popup=popup,
            tooltip="_label",
            show=show,
            weight=0.5,
            fill_opacity=0.75,
            radius=4,
            legend=True,
        )
    return wm.save(path)
