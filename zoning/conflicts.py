"""Facilities against the access lists of the units they sit in.

``conflicts(units, facilities, rules)`` assigns every facility to a unit
(:func:`zoning.overlay.assign_points`; a facility drawn as a polygon or line counts at a
point on its surface), evaluates the rules with :func:`zoning.rules.engine.evaluate`
and returns every facility exactly once with a status:

- ``invalid``: missing, empty or impossible coordinates (nothing else is evaluated);
- ``unzoned``: outside every unit;
- ``conflict``: a ``prohibited`` rule fired;
- ``restricted``: a ``restricted`` rule fired (the requirement says what to meet);
- ``ok``: nothing fired.

Beside the status (never instead of it), ``review_count`` and ``review`` say how many
clauses of the unit's access list no rule checks ("N clauses not machine-checked: review
by hand"), and ``review_clauses`` lists them, prohibitions first
(:func:`zoning.rules.coverage.unchecked_clauses`); both are empty for a unit without
access-list text in the layer, whose ``review`` says so.

Rules whose condition could not be decided for lack of a fact are listed in
``unknown_rule_ids``; they never make a conflict.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterator
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from zoning.errors import InputError, SchemaError
from zoning.i18n import STATUSES as STATUSES  # re-exported
from zoning.overlay import UnitLocator, assign_points, class_digits
from zoning.progress import step
from zoning.rules.coverage import clause_label, review_text, unchecked_by_group
from zoning.rules.engine import Grid, evaluate, row_groups, split_tags
from zoning.rules.schema import RuleSet, Tags
from zoning.sites import Sites

log = logging.getLogger(__name__)

#: Columns that lead the result, in this order.
LEAD_COLUMNS: tuple[str, ...] = (
    "facility_id",
    "unit_code",
    "unit_class",
    "status",
    "rule_ids",
    "messages",
)


def check_inputs(units, facilities, rules) -> None:
    """Refuse inputs :func:`conflicts` cannot use (not frames, no unit codes, no CRS)."""
    if not isinstance(units, gpd.GeoDataFrame) or not isinstance(facilities, gpd.GeoDataFrame):
        raise InputError(
            "units and facilities must be GeoDataFrames",
            fix="read them with zoning.io.vector.read_units / zoning.io.facilities.read_facilities",
        )
    missing = [c for c in ("code", "unit_class") if c not in units.columns]
    if missing:
        raise SchemaError(
            f"the unit layer lacks {missing}",
            field=missing[0],
            fix="read it with zoning.io.vector.read_units (field mapping)",
        )
    if not isinstance(rules, RuleSet):
        raise InputError(
            f"rules must be a RuleSet, got {type(rules).__name__}",
            fix="parse the rule file with zoning.rules.parse_rules or "
            "zoning.io.rulefile.read_rules",
        )
    if facilities.crs is None:
        raise InputError(
            "the facilities have no CRS",
            param="facilities",
            fix="read them with `crs` (e.g. EPSG:4490), or set one with GeoDataFrame.set_crs",
        )


_check = check_inputs  # the older name


def _invalid_mask(facilities: gpd.GeoDataFrame, sites: Sites | None = None) -> np.ndarray:
    g = np.asarray(facilities.geometry.values)
    if sites is None or not sites.belongs_to(g):
        sites = Sites.of(g)
    # every coordinate must be finite (a line or polygon with a non-finite one has no
    # site: GEOS bounds would skip a NaN vertex), and lon/lat within range
    bad = ~sites.finite()
    lonlat = CRS.from_user_input(facilities.crs).is_geographic
    if lonlat:
        with np.errstate(invalid="ignore"):
            bad |= (np.abs(sites.x) > 180) | (np.abs(sites.y) > 90)
    other = np.flatnonzero(~bad & (sites.types != 0))
    if len(other):  # the extremes of a line or polygon, not only its site
        b = shapely.bounds(g[other])
        fin = np.isfinite(b).all(axis=1)
        if lonlat:
            fin &= (b[:, 0] >= -180) & (b[:, 2] <= 180) & (b[:, 1] >= -90) & (b[:, 3] <= 90)
        bad[other] = ~fin
    if "coord_problem" in facilities.columns:
        bad |= (
            facilities["coord_problem"].notna().to_numpy()
            & (facilities["coord_problem"].astype("string").fillna("") != "").to_numpy()
        )
    return bad


_combos = row_groups  # rows grouped by their combination of true columns


def _texts(combos: np.ndarray, inverse: np.ndarray, labels: np.ndarray, sep: str) -> np.ndarray:
    """Per row, the non-empty labels of its combination joined by ``sep``."""
    joined = [sep.join(t for t in labels[c] if t) for c in combos] or [""]
    return np.array(joined, dtype=object)[inverse]


def with_facility_ids(facilities: gpd.GeoDataFrame, first_row: int = 1) -> gpd.GeoDataFrame:
    """A shallow copy (copy-on-write: the caller's frame is never changed) indexed 0..n-1
    whose rows without a ``facility_id`` get ``F<row>`` (row numbers from ``first_row``,
    1-based: a chunk of a larger table numbers its rows as the table does)."""
    n = len(facilities)
    fac = facilities.copy(deep=False)
    fac.index = pd.RangeIndex(n)
    if "facility_id" not in fac.columns:
        rows = np.arange(first_row, first_row + n).astype(str)
        fac["facility_id"] = np.char.add("F", rows).astype(object)
    elif fac["facility_id"].isna().any():
        fid = fac["facility_id"].astype(object).to_numpy().copy()
        na = pd.isna(fid)
        fid[na] = np.char.add("F", (np.flatnonzero(na) + first_row).astype(str))
        fac["facility_id"] = fid
    return fac


def gen_conflicts(
    units: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    /,
    rules: RuleSet,
    grids: dict[str, Grid] | None = None,
    *,
    layers: dict[str, gpd.GeoDataFrame] | None = None,
    lang: Literal["zh", "en"] = "zh",
    missing: Literal["error", "unknown"] = "error",
    chunk_size: int = 250_000,
    first_row: int = 1,
) -> Iterator[gpd.GeoDataFrame]:
    """:func:`conflicts` chunk by chunk: one result frame per ``chunk_size`` facilities,
    in input order (each indexed from 0).

    A facility's outcome depends only on its own row and the units, rules, layers and
    grids, so the chunks are independent and their concatenation equals
    :func:`conflicts` row for row.  ``first_row`` is the 1-based row number of the first
    facility (``F<row>`` ids of a slice of a larger table).  The inputs are checked
    before the first chunk is computed; progress is reported per chunk.
    """
    check_inputs(units, facilities, rules)
    if chunk_size < 1:
        raise InputError(f"`chunk_size` was {chunk_size}", param="chunk_size", fix="give 1 or more")
    n = len(facilities)
    units = units.reset_index(drop=True)
    locator = UnitLocator(units, expected=min(n, chunk_size))  # one cell index for all chunks
    with step("evaluate conflicts", total=n) as s:
        for start in range(0, max(n, 1), chunk_size):
            part = facilities.iloc[start : start + chunk_size]
            yield _evaluate(
                units, part, rules, grids, layers, lang, missing, first_row + start, locator
            )
            s.advance(len(part))


def conflicts(
    units: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    /,
    rules: RuleSet,
    grids: dict[str, Grid] | None = None,
    *,
    layers: dict[str, gpd.GeoDataFrame] | None = None,
    lang: Literal["zh", "en"] = "zh",
    missing: Literal["error", "unknown"] = "error",
) -> gpd.GeoDataFrame:
    """Every facility with its unit and the access-list clauses it breaks.

    Parameters
    ----------
    units : GeoDataFrame
        Control units with the canonical columns (``code``, ``unit_class`` …).
    facilities : GeoDataFrame
        Facilities with the canonical facility columns (``facility_id``, ``sector``,
        ``stage``, ``tags``, ``<pollutant>_t`` …); rows without an id get ``F<row>``
        (1-based).  A ``coord_problem`` column (from the reader) marks invalid rows.
    rules : RuleSet
        A validated rule set.
    grids : dict name → (array, Affine, crs), optional (default: None)
        Grids the rules refer to (NaN = no data).
    layers : dict name → GeoDataFrame, optional (default: None)
        Named layers the rules refer to (red line, water source protection zones …).
    lang : {"zh", "en"}, optional (default: "zh")
        Language of ``messages``, ``clauses`` and ``requirements``.
    missing : {"error", "unknown"}, optional (default: "error")
        A layer or grid the rules need but not given: an error, or undecided rules
        (listed in ``unknown_rule_ids``).

    Returns
    -------
    GeoDataFrame in the facilities' CRS, one row per facility in input order, with
    ``facility_id``, ``unit_code``, ``unit_class`` (1-3), ``status`` (one of
    :data:`STATUSES`), ``rule_ids`` (``;``-separated), ``messages``, then ``unit_name``,
    ``dimensions``, ``clauses``, ``requirements``, ``unknown_rule_ids`` and the input
    columns.  Invalid rows keep their row but get no geometry.
    """
    parts = list(
        gen_conflicts(
            units, facilities, rules, grids, layers=layers, lang=lang, missing=missing,
            chunk_size=max(len(facilities), 1),
        )
    )  # fmt: skip
    return parts[0]


def _evaluate(units, facilities, rules, grids, layers, lang, missing, first_row, locator=None):
    """The result of one chunk of facilities (see :func:`conflicts`)."""
    n = len(facilities)
    fac = with_facility_ids(facilities, first_row)
    sites = Sites.of(fac.geometry.values)  # read once, shared by every step below
    invalid = _invalid_mask(fac, sites)
    if invalid.any():
        geoms = np.asarray(fac.geometry.values).copy()
        geoms[invalid] = None
        fac = fac.set_geometry(gpd.GeoSeries(geoms, index=fac.index, crs=fac.crs))
        sites = sites.without(invalid, np.asarray(fac.geometry.values))
    ui = assign_points(units, fac, sites=sites, locator=locator)
    ui[invalid] = -1
    _warn_unseen_tags(fac, rules)
    ev = evaluate(
        fac, rules, units=units, unit_index=ui, layers=layers, grids=grids, missing=missing,
        sites=sites, locator=locator,
    )  # fmt: skip
    # status as small integer codes (index into STATUSES), strings only at the end
    to_ours = np.array([STATUSES.index(label) for label in ev.STATUS_LABELS], dtype=np.int8)
    code = to_ours[ev.status_codes()]
    code[ui < 0] = STATUSES.index("unzoned")
    code[invalid] = STATUSES.index("invalid")
    status = np.array(STATUSES, dtype=object)[code]

    rl = rules.rules
    ids = np.array([r.id for r in rl], dtype=object)
    msg = np.array([f"[{r.id}] {r.message.get(lang)}" for r in rl], dtype=object)
    cla = np.array([f"[{r.id}] {r.clause.get(lang)}" for r in rl], dtype=object)
    req = np.array(
        [f"[{r.id}] {r.requirement.get(lang)}" if r.requirement else "" for r in rl], dtype=object
    )
    dims = np.array([r.dimension for r in rl], dtype=object)
    # allowed rules are listed in rule_ids but carry no message of a breach
    shown = np.array([r.outcome != "allowed" for r in rl], dtype=bool)
    fired_i, fired_c = _combos(ev.fired)
    # the breaches of a row follow from its combination of fired rules
    sub_i, breach_c = _combos(fired_c & shown)
    breach_i = sub_i[fired_i]
    unknown_i, unknown_c = _combos(ev.unknown)

    codes = units["code"].astype("string").to_numpy(dtype=object)
    digits = class_digits(units["unit_class"])
    names = (
        units["name" if lang == "zh" or "name_en" not in units.columns else "name_en"]
        .astype("string")
        .to_numpy(dtype=object)
        if "name" in units.columns
        else np.full(len(units), None, dtype=object)
    )
    has_unit = ui >= 0
    idx = pd.RangeIndex(n)

    def per_row(values, none):  # the unit's value per row; index -1 (no unit) -> none
        return np.append(np.asarray(values, dtype=object if none is None else None), none)[ui]

    def obj(values) -> pd.Series:  # object columns: no costly conversion to Arrow strings
        return pd.Series(values, index=idx, dtype=object, copy=False)

    unit_class = pd.array(per_row(digits, 0), dtype="Int64")
    unit_class[~has_unit] = pd.NA
    lead = {
        "facility_id": _as_text_or_object(fac["facility_id"], idx),
        "unit_code": obj(per_row(codes, None)),
        "unit_class": pd.Series(unit_class, index=idx),
        "status": obj(status),
        "rule_ids": obj(_texts(fired_c, fired_i, ids, ";")),
        "messages": obj(_texts(breach_c, breach_i, msg, " | ")),
        "unit_name": obj(per_row(names, None)),
        "dimensions": obj(_texts(breach_c, breach_i, dims, ";")),
        "clauses": obj(_texts(breach_c, breach_i, cla, " | ")),
        "requirements": obj(_texts(breach_c, breach_i, req, " | ")),
        "unknown_rule_ids": obj(_texts(unknown_c, unknown_i, ids, ";")),
        **_review(units, rules, ui, lang, ev.unit_scope),
    }
    # the input columns (and geometry) are shared, not copied (pandas copy-on-write); new
    # columns are inserted one by one, so pandas does not stack them into one 2-D block
    out = fac.drop(columns=[c for c in lead if c in fac.columns])
    for pos, (name, values) in enumerate(lead.items()):
        out.insert(pos, name, values)
    counts = np.bincount(code, minlength=len(STATUSES))
    log.info("conflicts: %s", dict(zip(STATUSES, counts.tolist(), strict=True)))
    return out


def _as_text_or_object(column: pd.Series, idx: pd.RangeIndex) -> pd.Series:
    """The ids as they are when they are text (no conversion of a million Arrow strings to
    Python objects), else as Python objects (numbers stay numbers)."""
    if pd.api.types.is_string_dtype(column.dtype):
        return pd.Series(column.array, index=idx, copy=False)
    return pd.Series(column.to_numpy(dtype=object), index=idx, dtype=object, copy=False)


def _rule_tags(rules: RuleSet) -> dict[str, list[str]]:
    """Tag → ids of the rules whose conditions name it."""
    out: dict[str, list[str]] = {}
    for r in rules.rules:
        stack = [r.when] if r.when is not None else []
        while stack:
            c = stack.pop()
            if isinstance(c, Tags):
                for t in c.tags:
                    out.setdefault(t, [])
                    if r.id not in out[t]:
                        out[t].append(r.id)
            stack.extend(c.children())
    return out


def _warn_unseen_tags(fac: pd.DataFrame, rules: RuleSet) -> list[str]:
    """Warn about each rule tag that no facility carries (``gas`` against data that say
    ``natural_gas``): such a rule can never fire.  Returns the unseen tags."""
    wanted = _rule_tags(rules)
    if not wanted or "tags" not in fac.columns:
        return []  # no tags column: the rules are undecided and summarize() says so
    seen: dict[str, int] = {}
    for value, k in fac["tags"].dropna().astype(str).value_counts(sort=False).items():
        for t in split_tags(value):
            seen[t] = seen.get(t, 0) + int(k)
    if "two_high" in fac.columns:
        seen.setdefault("two_high", 0)  # read from the two_high column too
    unseen = sorted(t for t in wanted if t not in seen)
    shown = sorted(seen, key=lambda t: (-seen[t], t))
    listed = ", ".join(shown[:30]) + (f" … ({len(shown)} in all)" if len(shown) > 30 else "")
    for t in unseen:
        close = difflib.get_close_matches(t, list(seen), n=3, cutoff=0.7)
        close += [v for v in shown if t in v and v not in close][:3]
        hint = f"did you mean {', '.join(close)}? " if close else ""
        log.warning(
            "rule tag '%s' (%s) matches no facility's tag, so the rule never fires on it; "
            "tag values seen: %s. Fix: %suse the data's tag in the rule file, or map the "
            "column to the tags with read_facilities(fields={'tags': COLUMN})",
            t,
            ", ".join(wanted[t]),
            listed or "none",
            hint,
        )
    return unseen


def _review(
    units: gpd.GeoDataFrame, rules: RuleSet, ui: np.ndarray, lang: str, unit_scope=None
) -> dict:
    """``review_count``, ``review``, ``review_clauses`` per facility, from its unit (each
    unit with facilities split once; ``unit_scope``: the engine's rules in scope per
    unit)."""
    n = len(ui)
    seen = np.zeros(len(units) + 1, dtype=bool)
    seen[ui] = True  # index -1 (no unit) marks the last slot
    used = np.flatnonzero(seen[:-1])
    if len(used):
        scope = None if unit_scope is None else unit_scope[used]
        group, left = unchecked_by_group(units.iloc[used], rules, english=lang == "en", scope=scope)
    else:
        group, left = np.zeros(0, np.int64), []
    count = np.full(len(left) + 1, -1, dtype=np.int64)  # last: no unit
    note = np.full(len(left) + 1, "", dtype=object)
    listed = np.full(len(left) + 1, "", dtype=object)
    for k, cs in enumerate(left):
        if cs is None:
            note[k] = review_text(None, lang)
            continue
        count[k] = len(cs)
        note[k] = review_text(len(cs), lang)
        listed[k] = " | ".join(clause_label(c, lang) for c in cs)
    lut = np.full(len(units) + 1, len(left), dtype=np.int64)  # unit -> group; -1 -> none
    lut[used] = group
    pos = lut[ui]
    c = pd.array(count[pos], dtype="Int64")
    c[count[pos] < 0] = pd.NA
    idx = pd.RangeIndex(n)
    return {
        "review_count": pd.Series(c, index=idx),
        "review": pd.Series(note[pos], index=idx, dtype=object),
        "review_clauses": pd.Series(listed[pos], index=idx, dtype=object),
    }


def summarize(result: pd.DataFrame, /, rules: RuleSet | None = None) -> dict:
    """Counts by status, by unit class (and status) and by rule of a :func:`conflicts` result.

    Returns a JSON-ready dict: ``facilities``, ``by_status``, ``by_unit_class``
    (class digit → status → count; ``none`` for rows without a unit), ``by_rule``
    (rule id → count of facilities where it fired; every rule of ``rules`` listed) and
    ``undecided``: facilities with a rule that could not be decided for lack of a fact
    (their status says only what the decided rules gave), counted by rule, with the
    facts each such rule needs that the input has no column for; ``review``: facilities
    whose unit has clauses no rule checks (all, and those with status ``ok``), and
    facilities whose unit has no access-list text.
    """
    status = result["status"].astype(str)
    by_status = {s: int((status == s).sum()) for s in STATUSES}
    cls = result["unit_class"].astype("string").fillna("none")
    table = pd.crosstab(cls, status)
    by_class = {
        str(k): {s: int(table.loc[k, s]) for s in table.columns if table.loc[k, s]}
        for k in table.index
    }
    ids = result["rule_ids"].astype(str)
    ids = ids[ids != ""]
    counts = ids.str.split(";").explode().value_counts() if len(ids) else pd.Series(dtype=int)
    by_rule = {r.id: 0 for r in rules.rules} if rules is not None else {}
    by_rule.update({str(k): int(v) for k, v in counts.items()})
    unknown = result["unknown_rule_ids"].astype(str) if "unknown_rule_ids" in result else None
    undecided: dict = {"facilities": 0, "by_rule": {}, "missing_columns": {}}
    if unknown is not None and (unknown != "").any():
        unknown = unknown[unknown != ""]
        undecided["facilities"] = len(unknown)
        per_rule = unknown.str.split(";").explode().value_counts()
        undecided["by_rule"] = {str(k): int(v) for k, v in per_rule.items()}
        columns = set(result.columns)
        for r in rules.rules if rules is not None else ():
            if r.id in undecided["by_rule"]:
                absent = sorted(f for f in r.facts() if ":" not in f and f not in columns)
                absent = [f for f in absent if f not in ("unit", "units")]
                if absent:
                    undecided["missing_columns"][r.id] = absent
    review: dict = {}
    if "review_count" in result:
        rc = pd.to_numeric(result["review_count"], errors="coerce")
        zoned = result["unit_code"].notna().to_numpy()
        review = {
            "facilities": int((rc > 0).sum()),
            "ok_with_clauses_to_review": int(((rc > 0) & (status == "ok")).sum()),
            "without_access_list": int((rc.isna().to_numpy() & zoned).sum()),
        }
    return {
        "facilities": len(result),
        "by_status": by_status,
        "by_unit_class": by_class,
        "by_rule": by_rule,
        "undecided": undecided,
        "review": review,
    }
