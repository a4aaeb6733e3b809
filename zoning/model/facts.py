"""Facts of facilities and projects: canonical columns, pollutants, stages, tags, yes/no words.

No I/O here.  Readers normalise these columns with the helpers below and the rule engine
reads them the same way, so a tag or a stage means one thing from file to verdict.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Pollutants carried by facilities and projects, as ``<key>_t`` columns in t/yr.
POLLUTANTS: dict[str, tuple[str, str]] = {
    "so2": ("二氧化硫", "SO2"),
    "nox": ("氮氧化物", "NOx"),
    "pm": ("颗粒物", "PM"),
    "vocs": ("挥发性有机物", "VOCs"),
    "co2": ("二氧化碳", "CO2"),
}

#: Canonical columns of a facility or project layer (all optional but the id).
FACILITY_COLUMNS: dict[str, str] = {
    "facility_id": "identifier (string)",
    "name": "name (Chinese)",
    "name_en": "name (English)",
    "sector": "GB/T 4754-2017 industry code, 2-4 digits, as text",
    "stage": "'existing' or 'proposed'",
    "capacity": "production capacity (number; unit in capacity_unit)",
    "capacity_unit": "unit of capacity, e.g. 't/yr', 'MW'",
    **{f"{p}_t": f"annual {en} emission, t/yr" for p, (_, en) in POLLUTANTS.items()},
    "energy_tce": "annual energy use, tonnes of standard coal equivalent",
    "two_high": "high-energy-use, high-emission project (bool)",
    "tags": "comma-separated tags, e.g. 'two_high,hazardous_chemicals'",
}


#: Facility columns read by the numeric conditions of rules.
NUMERIC_FACTS: dict[str, str] = {
    "capacity": "capacity",
    "co2": "co2_t",
    "energy": "energy_tce",
    **{f"emission.{p}": f"{p}_t" for p in POLLUTANTS},
}

# --- stages -------------------------------------------------------------------------------

#: Stages of a facility or project.
STAGES: tuple[str, ...] = ("existing", "proposed")
#: Spellings of the stages seen in data (lower-cased), mapped to :data:`STAGES`.
STAGE_ALIASES: dict[str, str] = {
    "existing": "existing",
    "proposed": "proposed",
    "现有": "existing",
    "已建": "existing",
    "在产": "existing",
    "在建": "existing",
    "拟建": "proposed",
    "新建": "proposed",
    "planned": "proposed",
    "new": "proposed",
}


def normalise_stage(value) -> str | None:
    """``existing`` / ``proposed`` from a spelling in :data:`STAGE_ALIASES`; None if unknown."""
    return STAGE_ALIASES.get(str(value).strip().lower())


# --- yes / no -----------------------------------------------------------------------------

#: Words read as true and as false (lower-cased; an empty cell is false).
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "t", "是"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "f", "否", ""})


def truthy(v) -> bool | None:
    """True, False, or None when the value is neither a yes nor a no word (or NaN)."""
    # numbers first: a GeoPackage integer column with a null reads back as 1.0 / 0.0
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.number)) and v in (0, 1):
        return bool(v)
    s = str(v).strip().lower()
    if s in TRUE_WORDS:
        return True
    if s in FALSE_WORDS:
        return False
    return None


# --- tags ---------------------------------------------------------------------------------

_TAG_SPLIT = re.compile(r"[,;，；、|]+")
_TAG_SPACE = re.compile(r"\s+")


def split_tags(text) -> list[str]:
    """Tags of a cell: split on , ; ， ； 、 |, lower-cased, inner white space as ``_``
    (``"Coal"`` → ``coal``, ``"Coal Mine Methane"`` → ``coal_mine_methane``, never
    ``coal``), repeated tags once, in order."""
    tags = (_TAG_SPACE.sub("_", t.strip().lower()) for t in _TAG_SPLIT.split(str(text)))
    return list(dict.fromkeys(t for t in tags if t))


def normalise_tags(values: pd.Series) -> pd.Series:
    """Tags as the rules read them (:func:`split_tags`), joined by
    ``,`` (``"Coal"`` → ``coal``, ``"Natural Gas"`` → ``natural_gas``, ``"two_high; VOCs"``
    → ``two_high,vocs``).  Empty cells stay empty."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # lists (a GeoParquet list column) are not hashable
        values = values.map(
            lambda v: ",".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v
        )
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) == 0:
        return values
    norm = [",".join(split_tags(u)) for u in uniques]
    out = np.array(norm, dtype=object)[np.where(codes < 0, 0, codes)]
    out[codes < 0] = None
    return pd.Series(out, index=values.index, name=values.name, dtype=object)
