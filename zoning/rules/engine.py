"""Vectorised evaluation of a rule set over many subjects at once.

A *subject row* is one facility or project paired with one control unit: conflicts pair
each facility with the unit it sits in; screening pairs a project with every unit its
footprint touches (``share`` = fraction of the footprint inside that unit).  The engine
evaluates every rule on every row with numpy masks: no Python loop runs per subject (loops
run per rule, per distinct value of a text column, and per condition node).

Conditions use three-valued (Kleene) logic: every condition yields a pair of masks
(*true*, *false*); a row where neither holds is *unknown* because a fact the condition
needs is missing (an empty cell, a missing column, a site outside a grid).  A rule
*fires* where the row's unit is in the rule's scope and the condition is true; it is
*unknown* where the scope holds and the condition is unknown — the basis of a
``needs-information`` verdict.  Unknowns never make a conflict.

Rows without a unit (``unit_index == -1``) are in no rule's scope.  Fired ``allowed`` rules
cancel the rules they list in ``overrides`` on the same row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS

from zoning.errors import InputError
from zoning.grid import Grid
from zoning.model import normalise_element
from zoning.overlay import class_digits
from zoning.rules._base import (  # noqa: F401 - importable from here as before
    _CMP,
    _FALSE,
    _STAGE_ALIASES,
    _TRUE,
    _absent_input,
    _affine,
    _by_codes,
    _Context,
    _missing,
    _tests,
    _unknown,
    row_groups,
    split_tags,
)
from zoning.rules._leaves import (  # noqa: F401 - importable from here as before
    _leaf_compare,
    _leaf_inside,
    _leaf_near,
    _leaf_sector,
    _leaf_share,
    _leaf_stage,
    _leaf_tags,
    _near_by_zone,
    _one_tag,
    _parse_tags,
    _query_near,
    _sector_text,
    _truthy,
)
from zoning.rules.schema import (
    All,
    AnyOf,
    Compare,
    Condition,
    GridValue,
    InsideUnit,
    Near,
    Not,
    Rule,
    RuleSet,
    Sector,
    Share,
    Stage,
    Tags,
)
from zoning.sampling import as_grid, sample_points
from zoning.sites import Sites

log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    """The result of :func:`evaluate`: masks of shape (rows, rules), column-major (one
    rule's column is contiguous).

    ``unit_scope`` (units + 1, rules) says which rules apply in each unit (the last row:
    no unit, in no rule's scope); ``in_scope`` is it per row, computed when asked."""

    rules: tuple[Rule, ...]
    unit_scope: np.ndarray
    unit_index: np.ndarray
    fired: np.ndarray
    unknown: np.ndarray
    fact_known: dict[str, np.ndarray] = field(default_factory=dict)

    #: Labels of :meth:`status_codes`.
    STATUS_LABELS = ("ok", "restricted", "conflict")

    @property
    def in_scope(self) -> np.ndarray:
        """Per row and rule, whether the row's unit is in the rule's scope."""
        return self.unit_scope[self.unit_index]

    def status_codes(self) -> np.ndarray:
        """Per row, an index into :attr:`STATUS_LABELS` (int8): a prohibition wins."""
        out = np.zeros(self.fired.shape[0], dtype=np.int8)
        for code, outcome in ((1, "restricted"), (2, "prohibited")):
            hit = np.zeros(self.fired.shape[0], dtype=bool)
            for j, r in enumerate(self.rules):
                if r.outcome == outcome:
                    hit |= self.fired[:, j]
            out[hit] = code
        return out

    def status(self) -> np.ndarray:
        """Per row: ``conflict`` (a prohibition fired), ``restricted`` or ``ok``."""
        return np.array(self.STATUS_LABELS, dtype=object)[self.status_codes()]

    def hits(self, which: str = "fired") -> tuple[np.ndarray, np.ndarray]:
        """(row, rule index) pairs of fired (or ``"unknown"``) rules, by row then rule."""
        rows, cols = np.nonzero(getattr(self, which))
        return rows, cols

    def missing_facts(self, row: int, rule_index: int) -> list[str]:
        """Facts of rule ``rule_index`` that are missing on ``row`` (for needs-information)."""
        rule = self.rules[rule_index]
        return sorted(
            f for f in rule.facts() if f in self.fact_known and not self.fact_known[f][row]
        )


def _unit_labels(ctx: _Context, shape, transform, crs) -> np.ndarray:
    """Per grid cell, 1 + the position of the unit covering the cell centre (0: none).

    Candidates come from each unit's bounding box; a centre on a shared boundary goes to
    the strictest class, then the lowest code (as facilities do), so every cell counts
    for at most one unit.
    """
    from zoning.overlay import unit_rank
    from zoning.sampling import cell_labels

    key = ("labels", tuple(shape), tuple(transform)[:6], str(crs))
    if key in ctx.cache:
        return ctx.cache[key]
    polys = _units_in(ctx, crs)
    loc = ctx.locator
    same = loc is not None and loc.crs is not None and crs is not None and loc.crs.equals(crs)
    rank = loc.rank if same else unit_rank(ctx.units)
    labels = cell_labels(polys, shape, transform, rank, locate=loc.locate if same else None)
    ctx.cache[key] = labels
    return labels


def _units_in(ctx: _Context, crs) -> np.ndarray:
    """The unit geometries in ``crs``, reprojected once per evaluation."""
    key = ("units_in", str(crs))
    if key not in ctx.cache:
        same = CRS.from_user_input(ctx.units.crs).equals(CRS.from_user_input(crs))
        u = ctx.units if same else ctx.units.to_crs(crs)
        ctx.cache[key] = np.asarray(u.geometry.values)
    return ctx.cache[key]


def _grid_array(ctx: _Context, name: str) -> np.ndarray:
    """The whole grid (float64, NaN = no data), read once per evaluation."""
    key = ("gridarr", name)
    if key not in ctx.cache:
        ctx.cache[key] = ctx.grids[name].read()
    return ctx.cache[key]


def _leaf_grid(c: GridValue, ctx: _Context, need: np.ndarray):
    if c.grid not in ctx.grids:
        fix = f"add '{c.grid}' to `grids` (a Grid, e.g. from zoning.io.raster.open_grid)"
        return _absent_input(ctx, "grid", c.grid, ctx.grids, "grids", fix)
    grid = ctx.grids[c.grid]
    transform, crs = grid.transform, grid.crs
    if c.at == "site":
        key = ("gridsite", c.grid)
        if key not in ctx.cache:
            ctx.cache[key] = (np.full(ctx.n, np.nan), np.zeros(ctx.n, dtype=bool))
        vals, done = ctx.cache[key]
        rows = np.flatnonzero(need & ~done)
        if len(rows):
            x, y = ctx.site_xy(crs, rows)
            vals[rows] = sample_points(grid, x, y)
            done[rows] = True
    else:
        key = ("gridunit", c.grid, c.at)
        arr = _grid_array(ctx, c.grid)
        if key not in ctx.cache:
            labels = _unit_labels(ctx, arr.shape, transform, crs)
            nu = len(ctx.units)
            finite = np.isfinite(arr).ravel()
            flat = labels.ravel()
            # no-data cells weigh 0 (adding 0.0 leaves every sum as it was): no copies of
            # the finite cells of a national grid
            sums = np.bincount(flat, weights=np.where(finite, arr.ravel(), 0.0), minlength=nu + 1)
            counts = np.bincount(flat, weights=finite, minlength=nu + 1).astype(np.int64)
            cells = np.bincount(flat, minlength=nu + 1)
            with np.errstate(invalid="ignore", divide="ignore"):
                per_unit = sums if c.at == "unit_sum" else sums / counts
            per_unit = np.where(counts > 0, per_unit, np.nan)[1:]
            per_unit = np.append(per_unit, np.nan)  # index -1: no unit
            # partly covered: a no-data cell in the unit, or a part beyond the grid's extent
            partial = (counts < cells)[1:] | (_extent_share(ctx, arr.shape, transform, crs) < 1)
            partial = np.append(partial & (counts[1:] > 0), False)
            ctx.cache[key] = (per_unit[ctx.ui], partial[ctx.ui])
        vals, partial = ctx.cache[key]
    t, fl = _tests(vals, c.tests)
    if c.at != "site" and partial.any():
        t, fl = t.copy(), fl.copy()
        nkey = ("gridnonneg", c.grid)
        if nkey not in ctx.cache:
            arr = _grid_array(ctx, c.grid)
            neg = arr < 0  # NaN compares False; -inf is not a value
            ctx.cache[nkey] = not (neg.any() and bool((neg & np.isfinite(arr)).any()))
        if c.at == "unit_sum" and ctx.cache[nkey]:
            # the sum over the part with data is a lower bound of the unit's sum
            pt, pf = _tests_lower_bound(vals[partial], c.tests)
        else:  # a mean of part of a unit says nothing certain about the whole
            pt = pf = np.zeros(int(partial.sum()), dtype=bool)
        t[partial], fl[partial] = pt, pf
    ctx.known(f"grid:{c.grid}", t | fl, evaluated=done | need if c.at == "site" else None)
    return t, fl


def _tests_lower_bound(low: np.ndarray, tests) -> tuple[np.ndarray, np.ndarray]:
    """Three-valued tests of a value known only to be at least ``low``: true when every
    value from ``low`` up passes, false when none does, otherwise unknown."""
    true = np.ones(low.shape, dtype=bool)
    false = np.zeros(low.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        for op, v in tests:
            if op in ("gt", "ge"):  # never certainly false: the rest may add to it
                true &= _CMP[op](low, v)
            elif op in ("lt", "le"):  # never certainly true
                false |= ~_CMP[op](low, v)
                true[:] = False
            elif op == "eq":
                false |= low > v
                true[:] = False
            else:  # ne
                true &= low > v
    known = np.isfinite(low)
    return true & known & ~false, false & known


def _extent_share(ctx: _Context, shape, transform, crs) -> np.ndarray:
    """Per unit, the share of its area inside the grid's extent (in the grid's CRS)."""
    key = ("extent", tuple(shape), tuple(transform)[:6], str(crs))
    if key not in ctx.cache:
        polys = _units_in(ctx, crs)
        tr = Affine(*tuple(transform)[:6])
        x0, y0 = tr.c, tr.f
        x1, y1 = tr.c + tr.a * shape[1], tr.f + tr.e * shape[0]
        lo_x, lo_y, hi_x, hi_y = min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
        b = shapely.bounds(polys)
        # a unit whose box lies within the extent lies within it wholly: no clipping (a
        # unit without area, or with a NaN vertex the bounds skip, has share 0 as before)
        within = (b[:, 0] >= lo_x) & (b[:, 1] >= lo_y) & (b[:, 2] <= hi_x) & (b[:, 3] <= hi_y)
        within &= shapely.area(polys) > 0
        share = np.where(within, 1.0, 0.0)
        cut = np.flatnonzero(~within & ~shapely.is_missing(polys))
        if len(cut):
            area = shapely.area(polys[cut])
            inside = shapely.area(shapely.clip_by_rect(polys[cut], lo_x, lo_y, hi_x, hi_y))
            with np.errstate(invalid="ignore", divide="ignore"):
                part = np.nan_to_num(np.where(area > 0, inside / area, 0.0))
            share[cut] = np.where(part > 1 - 1e-9, 1.0, part)
        ctx.cache[key] = share
    return ctx.cache[key]


_LEAVES = {
    Sector: _leaf_sector,
    Tags: _leaf_tags,
    Stage: _leaf_stage,
    Compare: _leaf_compare,
    InsideUnit: _leaf_inside,
    Share: _leaf_share,
}
#: Leaves that work on the rows still needed only (geometry queries, grid sampling).
_SPATIAL_LEAVES = {Near: _leaf_near, GridValue: _leaf_grid}


def _cost(cond: Condition) -> int:
    if isinstance(cond, Near):
        return 2
    if isinstance(cond, GridValue):
        return 1
    kids = cond.children()
    return max((_cost(k) for k in kids), default=0)


def _eval(cond: Condition, ctx: _Context, need: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(true, false) masks of ``cond``; exact on the ``need`` rows, undecided elsewhere.

    ``all`` evaluates cheap items first and asks the costly ones (distances, grids) only
    about rows not already false; ``any`` only about rows not already true.
    """
    if isinstance(cond, (All, AnyOf)):
        conj = isinstance(cond, All)
        t_acc = np.ones(ctx.n, dtype=bool) if conj else np.zeros(ctx.n, dtype=bool)
        f_acc = np.zeros(ctx.n, dtype=bool) if conj else np.ones(ctx.n, dtype=bool)
        for item in sorted(cond.items, key=_cost):
            sub = need & ~(f_acc if conj else t_acc)
            t, fl = _eval(item, ctx, sub)
            if conj:
                t_acc &= t
                f_acc |= fl & need
            else:
                t_acc |= t & need
                f_acc &= fl
        return t_acc & need, f_acc & need
    if isinstance(cond, Not):
        t, fl = _eval(cond.item, ctx, need)
        return fl, t
    spatial = _SPATIAL_LEAVES.get(type(cond))
    if spatial is not None:
        return spatial(cond, ctx, need)
    key = ("leaf", cond)
    if key not in ctx.cache:
        ctx.cache[key] = _LEAVES[type(cond)](cond, ctx)
    return ctx.cache[key]


# --- scope -----------------------------------------------------------------------------------


def _unit_attrs(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Units with normalised helper columns (class digit, element, admin code)."""
    u = units.copy(deep=False)
    u["_class_digit"] = class_digits(u["unit_class"], missing=-1)
    code = u["code"].astype("string").fillna("")
    u["_code"] = code.to_numpy(dtype=object)
    if "admin_code" in u.columns:
        admin = u["admin_code"].astype("string").fillna("")
        admin = admin.where(admin != "", code.str.slice(2, 8))
    else:
        admin = code.str.slice(2, 8)
    u["_admin"] = admin.fillna("").to_numpy(dtype=object)
    if "element" in u.columns:
        codes, uniq = pd.factorize(pd.Series(u["element"], dtype=object), use_na_sentinel=True)
        table = np.array([normalise_element(v) for v in uniq] + [None], dtype=object)
        u["_element"] = table[codes]
    else:
        u["_element"] = None
    u["_subtype"] = (
        u["subtype"].astype("string").fillna("").to_numpy(dtype=object)
        if "subtype" in u.columns
        else ""
    )
    return u


def _scope_mask(rule: Rule, u: gpd.GeoDataFrame) -> np.ndarray:
    s = rule.scope
    m = np.ones(len(u), dtype=bool)
    if s.unit_class:
        m &= np.isin(u["_class_digit"].to_numpy(), s.unit_class)
    if s.element:
        m &= np.isin(u["_element"].to_numpy(dtype=object), s.element)
    if s.subtype:
        m &= np.isin(u["_subtype"].to_numpy(dtype=object), s.subtype)
    if s.unit_code:
        m &= np.isin(u["_code"].to_numpy(dtype=object), s.unit_code)
    if s.unit_code_prefix:
        m &= pd.Series(u["_code"]).str.startswith(s.unit_code_prefix).to_numpy(dtype=bool)
    if s.admin_prefix:
        m &= pd.Series(u["_admin"]).str.startswith(s.admin_prefix).to_numpy(dtype=bool)
    return np.append(m, False)  # index -1: no unit, never in scope


def evaluate(
    subjects: gpd.GeoDataFrame,
    /,
    rules: RuleSet,
    *,
    units: gpd.GeoDataFrame,
    unit_index: np.ndarray,
    share: np.ndarray | None = None,
    layers: dict[str, gpd.GeoDataFrame] | None = None,
    grids: dict[str, Grid] | None = None,
    missing: Literal["error", "unknown"] = "error",
    sites: Sites | None = None,
    locator=None,
) -> Evaluation:
    """Evaluate every rule on every subject row, vectorised.

    Parameters
    ----------
    subjects : GeoDataFrame
        One row per (subject, unit) pair, with the facts as columns (see
        :data:`zoning.model.FACILITY_COLUMNS`: ``sector``, ``stage``, ``tags``,
        ``two_high``, ``capacity``, ``capacity_unit``, ``<pollutant>_t``, ``energy_tce``).
        A missing column or empty cell makes the facts it carries unknown.
    rules : RuleSet
        A validated rule set (:func:`zoning.rules.parse_rules`).
    units : GeoDataFrame
        The control units, with ``code`` and ``unit_class`` (``element``, ``subtype``,
        ``admin_code`` optional).
    unit_index : int ndarray
        Per row, the position in ``units`` of the row's unit, or -1 for none.
    share : float ndarray, optional (default: 1.0 where a unit is given)
        Per row, the fraction of the subject's footprint inside the unit.
    layers : dict name → GeoDataFrame, optional (default: None)
        The named layers the rules refer to (``near: {layer: ...}``).
    grids : dict name → Grid, optional (default: None)
        The named grids the rules refer to (:class:`zoning.grid.Grid`; an
        ``(array, Affine, crs)`` tuple is taken too, NaN cells as no data).
    missing : {"error", "unknown"}, optional (default: "error")
        What a layer or grid the rules need but that was not given does: raise an
        :class:`~zoning.errors.InputError`, or leave the conditions on it undecided.
    sites : Sites, optional (default: read from ``subjects``)
        The sites of the subjects' geometry array (:class:`zoning.sites.Sites`), when the
        caller has read them already (``conflicts`` shares one with the overlay).
    locator : UnitLocator, optional (default: None)
        The overlay's :class:`zoning.overlay.UnitLocator` of ``units``: grid cells are then
        labelled with their unit through its cell index (the same answer, faster).

    Returns
    -------
    Evaluation
    """
    ui = np.asarray(unit_index, dtype=np.int64)
    if ui.shape != (len(subjects),):
        raise InputError(f"unit_index has shape {ui.shape} but there are {len(subjects)} rows")
    if share is None:
        share = np.where(ui >= 0, 1.0, 0.0)
    share = np.asarray(share, dtype="float64")
    u = _unit_attrs(units)
    if missing not in ("error", "unknown"):
        raise InputError(f"`missing` was '{missing}' but is expected to be 'error' or 'unknown'")
    grids = {k: as_grid(v, str(k)) for k, v in (grids or {}).items()}
    ctx = _Context(subjects, u, ui, share, layers or {}, grids, rules.layers, sites)
    ctx.lenient = missing == "unknown"
    if locator is not None and not locator.belongs_to(units):
        raise InputError(
            "`locator` was built from other units than `units`",
            param="locator",
            fix="pass UnitLocator(units) of the same frame, or no locator",
        )
    ctx.locator = locator
    n, r = len(subjects), len(rules.rules)
    unit_scope = np.zeros((len(u) + 1, r), dtype=bool, order="F")
    fired = np.zeros((n, r), dtype=bool, order="F")  # a rule's column is contiguous
    unknown = np.zeros((n, r), dtype=bool, order="F")
    for j, rule in enumerate(rules.rules):
        unit_scope[:, j] = _scope_mask(rule, u)
        scope = unit_scope[ui, j]
        if not scope.any():
            continue
        if rule.when is None:
            fired[:, j] = scope
            continue
        t, fl = _eval(rule.when, ctx, scope)
        np.logical_and(scope, t, out=fired[:, j])
        np.logical_and(scope, ~(t | fl), out=unknown[:, j])
    ids = {rule.id: j for j, rule in enumerate(rules.rules)}
    for j, rule in enumerate(rules.rules):
        for other in rule.overrides:
            k = ids[other]
            fired[:, k] &= ~fired[:, j]
            unknown[:, k] &= ~fired[:, j]
    log.debug("evaluated %d rules on %d rows", r, n)
    fact_known = {f: ~m for f, m in ctx.missing.items()}
    return Evaluation(rules.rules, unit_scope, ui, fired, unknown, fact_known)
