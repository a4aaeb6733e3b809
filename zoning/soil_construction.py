"""GB 36600-2018 classes of construction-land soil samples (Table 1, 45 basic items).

A sample is compared item by item with the screening value (风险筛选值) and the
intervention value (风险管制值) of its land class: first-class land (第一类用地: residential,
schools, hospitals, welfare, community and children's parks) or second-class land
(第二类用地: industry, logistics, commerce, roads, utilities, the rest of public land and
green space).  An unclear planned use takes the first-class values (s.5.3.1).

Classes per sample (the standard's s.5.3.2-5.3.5, paraphrased in the shipped facts):

- 1 ``below_screening``: every item at or below its screening value (risk generally
  negligible);
- 2 ``above_screening``: some item above its screening value, none above its intervention
  value (detailed investigation and risk assessment needed);
- 3 ``above_intervention``: some item above its intervention value (usually unacceptable
  risk: risk control or remediation);
- 0 ``unknown``: no item of the table measured.

The land categories of classes 1 and 2 and the rules above are single-source facts
(see zoning/data/SOURCES.md); every output carries that note.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from zoning.errors import InputError

log = logging.getLogger(__name__)

#: code -> (key, zh, en)
CLASSES: dict[int, tuple[str, str, str]] = {
    0: ("unknown", "无数据", "no data"),
    1: ("below_screening", "不超过筛选值", "at or below the screening value"),
    2: ("above_screening", "超过筛选值", "above the screening value"),
    3: ("above_intervention", "超过管制值", "above the intervention value"),
}

#: land class accepted values -> 1 or 2
LAND_CLASSES = {"1": 1, "2": 2, "first": 1, "second": 2, "class1": 1, "class2": 2}

SINGLE_SOURCE_NOTE = (
    "GB 36600-2018 land categories (s.3.4/3.5) and the screening/intervention rules "
    "(s.5.3) are single-source (one paraphrase); Table 1 values are verified (3-4 copies)"
)


@dataclass
class ConstructionSoilResult:
    """Samples with their class and the facts used."""

    samples: pd.DataFrame
    meta: dict


def read_gb36600(source=None, /) -> pd.DataFrame:
    """Table 1 of GB 36600-2018 (bundled copy unless ``source`` is given)."""
    from zoning.io.afforest import _read_csv  # the shared CSV reader of bundled tables

    path = Path(source) if source else Path(__file__).parent / "data" / "gb36600_2018.csv"
    return _read_csv(path, "GB 36600-2018 table")


def _item_columns(frame: pd.DataFrame, table: pd.DataFrame) -> dict[int, str]:
    """Sample columns naming a Table 1 item (CAS number, English or Chinese name)."""
    names: dict[str, int] = {}
    for _, r in table.iterrows():
        for key in (r["cas"], r["item_en"], r["item_zh"]):
            if isinstance(key, str) and key:
                names[key.strip().lower()] = int(r["item_no"])
    found: dict[int, str] = {}
    for col in frame.columns:
        k = str(col).strip().lower()
        if k in names:
            found.setdefault(names[k], col)
    return found


def classify_construction_samples(
    samples: pd.DataFrame,
    /,
    *,
    land_class: int | str | None = None,
    land_class_field: str | None = None,
    table: pd.DataFrame | None = None,
    source: str | None = None,
) -> ConstructionSoilResult:
    """Classify construction-land samples against GB 36600-2018 Table 1.

    Parameters
    ----------
    samples : DataFrame or GeoDataFrame
        One row per sample; item contents (mg/kg) in columns named by the item's English
        name (e.g. ``Arsenic``), Chinese name (``砷``) or CAS number.
    land_class : {1, 2}, optional (default: None, i.e. class 1 as s.5.3.1 asks when the
        planned use is unclear)
        Planned land class for every sample.
    land_class_field : str, optional (default: None)
        Column with the class per sample (1/2); empty cells take class 1.
    table : DataFrame, optional (default: the bundled table)
    source : str, optional
        Name of the input, for messages.
    """
    table = read_gb36600() if table is None else table
    cols = _item_columns(samples, table)
    if not cols:
        raise InputError(
            "no column names a GB 36600-2018 Table 1 item",
            source=source,
            param="samples",
            fix="name content columns by the item (e.g. Arsenic, 砷 or 7440-38-2), in mg/kg",
        )
    n = len(samples)
    if land_class_field is not None:
        if land_class_field not in samples.columns:
            raise InputError(
                f"no column '{land_class_field}'",
                source=source,
                field=land_class_field,
                param="land_class_field",
            )
        raw = samples[land_class_field]
        lc = np.ones(n, dtype="int64")
        for i, v in enumerate(raw):
            if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
                continue
            k = str(v).strip().lower().removesuffix(".0")
            if k not in LAND_CLASSES:
                raise InputError(
                    f"land class '{v}' is not one of 1, 2",
                    source=source,
                    row=i + 1,
                    field=land_class_field,
                    fix="write 1 (first-class land) or 2 (second-class land)",
                )
            lc[i] = LAND_CLASSES[k]
        how = f"field {land_class_field} (empty -> class 1, s.5.3.1)"
    else:
        k = "1" if land_class is None else str(land_class).strip().lower()
        if k not in LAND_CLASSES:
            raise InputError(
                f"`land_class` was '{land_class}' but is expected in [1, 2]", param="land_class"
            )
        lc = np.full(n, LAND_CLASSES[k], dtype="int64")
        how = "given" if land_class is not None else "unclear planned use -> class 1 (s.5.3.1)"
    by_no = table.set_index(table["item_no"].astype(int))
    cls = np.zeros(n, dtype="int64")
    over_s: list[list[str]] = [[] for _ in range(n)]
    over_i: list[list[str]] = [[] for _ in range(n)]
    measured = np.zeros(n, dtype=bool)
    for no, col in cols.items():
        r = by_no.loc[no]
        vals = pd.to_numeric(samples[col], errors="coerce").to_numpy(dtype="float64")
        bad = ~np.isnan(vals) & (vals < 0)
        if bad.any():
            raise InputError(
                f"negative content {vals[bad][0]} mg/kg",
                source=source,
                row=int(np.flatnonzero(bad)[0]) + 1,
                field=str(col),
                fix="contents are mg/kg, >= 0",
            )
        scr = np.where(lc == 1, float(r["screening_class1"]), float(r["screening_class2"]))
        itv = np.where(lc == 1, float(r["intervention_class1"]), float(r["intervention_class2"]))
        ok = ~np.isnan(vals)
        measured |= ok
        c = np.where(~ok, 0, np.where(vals > itv, 3, np.where(vals > scr, 2, 1)))
        cls = np.maximum(cls, c)
        for i in np.flatnonzero(c >= 2):
            over_s[i].append(str(r["item_en"]))
        for i in np.flatnonzero(c == 3):
            over_i[i].append(str(r["item_en"]))
    out = samples.copy()
    out["gb36600_land_class"] = lc
    out["gb36600_class"] = cls
    out["gb36600_class_key"] = [CLASSES[int(c)][0] for c in cls]
    out["gb36600_over_screening"] = [";".join(v) for v in over_s]
    out["gb36600_over_intervention"] = [";".join(v) for v in over_i]
    out["gb36600_note"] = SINGLE_SOURCE_NOTE
    meta = {
        "standard": "GB 36600-2018 Table 1 (45 basic items), mg/kg",
        "items_found": {str(no): str(c) for no, c in cols.items()},
        "land_class": how,
        "classes": {str(c): {"key": k, "zh": zh, "en": en} for c, (k, zh, en) in CLASSES.items()},
        "single_source": SINGLE_SOURCE_NOTE,
        "counts": out["gb36600_class_key"].value_counts().to_dict(),
    }
    log.info("GB 36600 classes: %s", meta["counts"])
    return ConstructionSoilResult(out, meta)


def attach_worst_class(plots, samples, /):
    """The worst GB 36600 class of the samples inside each plot (``gb36600_class``,
    ``gb36600_class_key``; 0 / unknown where no sample lies inside)."""
    import geopandas as gpd

    s = samples.to_crs(plots.crs)
    j = gpd.sjoin(s[["gb36600_class", "geometry"]], plots[["geometry"]], predicate="within")
    worst = j.groupby("index_right")["gb36600_class"].max()
    out = plots.copy()
    cls = np.zeros(len(out), dtype="int64")
    pos = {k: i for i, k in enumerate(out.index)}
    for k, v in worst.items():
        cls[pos[k]] = int(v)
    out["gb36600_class"] = cls
    out["gb36600_class_key"] = [CLASSES[int(c)][0] for c in cls]
    return out
