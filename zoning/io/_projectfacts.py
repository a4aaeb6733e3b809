"""The facts of projects (sector, stage, capacity, emissions, energy, tags): canonical
column names, typed values, and the facts given for every project filled in.  Used by
:mod:`zoning.io.projects` and :mod:`zoning.io._vertices`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning.errors import SchemaError

NUMERIC_FACTS = (
    "capacity",
    "so2_t",
    "nox_t",
    "pm_t",
    "vocs_t",
    "co2_t",
    "energy_tce",
)
TEXT_FACTS = ("sector", "stage", "capacity_unit", "tags", "two_high", "name", "name_en")
_ALIASES = {
    "Name": "name",
    "NAME": "name",
    "Description": "description",
    "id": "project_id",
    "ID": "project_id",
    "facility_id": "project_id",
    "项目编号": "project_id",
    "项目名称": "name",
    "行业代码": "sector",
}


def _with_facts(frame: gpd.GeoDataFrame, facts, source) -> gpd.GeoDataFrame:
    """Canonical columns, typed facts; ``facts`` fill or override every row."""
    frame = frame.rename(columns={k: v for k, v in _ALIASES.items() if k in frame.columns})
    frame = frame.loc[:, ~frame.columns.duplicated()]
    for key, value in (facts or {}).items():
        if value is None:
            continue
        frame[key] = [value] * len(frame)
    if "project_id" not in frame.columns:
        frame.insert(0, "project_id", [f"P{i + 1}" for i in range(len(frame))])
    else:
        ids = frame["project_id"].astype("string")
        ids = ids.where(ids.notna() & (ids != ""), [f"P{i + 1}" for i in range(len(frame))])
        frame["project_id"] = ids.to_numpy(dtype=object)
    for col in NUMERIC_FACTS:
        if col in frame.columns:
            raw = frame[col]
            num = pd.to_numeric(raw, errors="coerce")
            bad = num.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise SchemaError(
                    f"'{raw.iloc[i]}' is not a number",
                    source=source,
                    row=str(frame["project_id"].iloc[i]),
                    field=col,
                    fix=f"give {col} as a number (t/yr, tce/yr) or leave it empty",
                )
            frame[col] = num.astype("float64")
    if "sector" in frame.columns:
        s = frame["sector"].astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
        frame["sector"] = s.where(s != "", None)
    if "geometry_note" not in frame.columns:
        frame["geometry_note"] = ""
    return frame
