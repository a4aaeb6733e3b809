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
from pyproj import CRS, Transformer

from zoning.errors import InputError
from zoning.grid import Grid
from zoning.model import normalise_element
from zoning.model.facts import STAGE_ALIASES as _STAGE_ALIASES
from zoning.model.facts import split_tags as split_tags  # re-exported
from zoning.model.facts import truthy as _truthy
from zoning.overlay import class_digits
from zoning.rules.schema import (
    STAGES,
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

log = logging.getLogger(__name__)


_CMP = {
    "gt": np.greater,
    "ge": np.greater_equal,
    "lt": np.less,
    "le": np.less_equal,
    "eq": np.equal,
    "ne": np.not_equal,
}


@dataclass
class Evaluation:
    """The result of :func:`evaluate`: masks of shape (rows, rules)."""

    rules: tuple[Rule, ...]
    in_scope: np.ndarray
    fired: np.ndarray
    unknown: np.ndarray
    fact_known: dict[str, np.ndarray] = field(default_factory=dict)

    #: Labels of :meth:`status_codes`.
    STATUS_LABELS = ("ok", "restricted", "conflict")

    def status_codes(self) -> np.ndarray:
        """Per row, an index into :attr:`STATUS_LABELS` (int8): a prohibition wins."""
        out = np.zeros(self.fired.shape[0], dtype=np.int8)
        for code, outcome in ((1, "restricted"), (2, "prohibited")):
            cols = [j for j, r in enumerate(self.rules) if r.outcome == outcome]
            if cols:
                out[self.fired[:, cols].any(axis=1)] = code
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


class _Context:
    """Caches of one evaluation: factorised columns, metric geometry, leaf results."""

    def __init__(self, subjects, units, unit_index, share, layers, grids, refs=None):
        self.refs = refs or {}
        self.lenient = False
        self.s = subjects
        self.n = len(subjects)
        self.units = units
        self.ui = unit_index
        self.share = share
        self.layers = layers
        self.grids = grids
        self.cache: dict = {}
        self.missing: dict[str, np.ndarray] = {}
        self._metric_crs = None

    # --- facts -----------------------------------------------------------------------
    def known(self, fact: str, mask: np.ndarray, evaluated: np.ndarray | None = None) -> None:
        """Record ``fact`` as missing on the ``evaluated`` rows (default all) not in ``mask``.

        Costly conditions are evaluated on the rows still undecided only; a row never
        evaluated is not reported missing.
        """
        miss = ~mask if evaluated is None else (evaluated & ~mask)
        prev = self.missing.get(fact)
        self.missing[fact] = miss if prev is None else (prev | miss)

    def factorised(self, column: str, normalise=None):
        key = ("factor", column)
        if key not in self.cache:
            if column not in self.s.columns:
                self.cache[key] = None
            else:
                codes, uniques = pd.factorize(self.s[column], use_na_sentinel=True)
                vals = [normalise(u) if normalise else u for u in uniques]
                self.cache[key] = (codes, vals)
        return self.cache[key]

    def numeric(self, column: str) -> np.ndarray | None:
        key = ("num", column)
        if key not in self.cache:
            self.cache[key] = (
                None
                if column not in self.s.columns
                else pd.to_numeric(self.s[column], errors="coerce").to_numpy(
                    dtype="float64", na_value=np.nan
                )
            )
        return self.cache[key]

    # --- geometry --------------------------------------------------------------------
    def metric_crs(self) -> CRS:
        if self._metric_crs is None:
            crs = CRS.from_user_input(self.s.crs) if self.s.crs is not None else None
            if crs is None:
                raise InputError("the subjects have no CRS", fix="set a CRS")
            self._metric_crs = crs if crs.is_projected else self.s.estimate_utm_crs()
        return self._metric_crs

    def projected(self) -> bool:
        """True when the subjects' CRS is a Transverse Mercator projection (a
        Gauss-Krüger or UTM zone: distances in it are true to a fraction of a per mille
        near its meridian), so they are measured in it as they are.  Any other CRS (lon/lat,
        Web Mercator, an equal-area CRS) goes through each site's local zone."""
        if "projected" not in self.cache:
            crs = CRS.from_user_input(self.s.crs) if self.s.crs is not None else None
            op = crs.coordinate_operation if crs is not None and crs.is_projected else None
            self.cache["projected"] = op is not None and "Transverse Mercator" in op.method_name
        return self.cache["projected"]

    @property
    def ll_crs(self) -> CRS:
        """The longitude/latitude CRS of the local-zone path: the subjects' own when it is
        geographic, else WGS 84."""
        crs = CRS.from_user_input(self.s.crs)
        return crs if crs.is_geographic else CRS.from_epsg(4326)

    def ll_geoms(self) -> np.ndarray:
        """Every subject geometry in :attr:`ll_crs` (converted once)."""
        if "ll_geoms" not in self.cache:
            geoms = np.asarray(self.s.geometry.values)
            if not CRS.from_user_input(self.s.crs).is_geographic:
                geoms = np.asarray(gpd.GeoSeries(geoms, crs=self.s.crs).to_crs(self.ll_crs).values)
            self.cache["ll_geoms"] = geoms
        return self.cache["ll_geoms"]

    def metric_geoms(self, rows: np.ndarray) -> np.ndarray:
        """Geometries of ``rows`` (indices) in the metric CRS."""
        crs = self.metric_crs()
        geoms = np.asarray(self.s.geometry.values)[rows]
        if CRS.from_user_input(self.s.crs).equals(crs):
            return geoms
        return np.asarray(gpd.GeoSeries(geoms, crs=self.s.crs).to_crs(crs).values)

    def site_xy(self, crs, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x, y of the sites of ``rows`` (a point on the surface of non-points) in ``crs``."""
        pts = np.asarray(self.s.geometry.values)[rows]
        types = shapely.get_type_id(pts)
        other = (types > 0) & ~shapely.is_missing(pts)
        if other.any():
            pts = pts.copy()
            pts[other] = shapely.point_on_surface(pts[other])
        x = shapely.get_x(pts)
        y = shapely.get_y(pts)
        src = CRS.from_user_input(self.s.crs)
        dst = CRS.from_user_input(crs)
        if not src.equals(dst):
            x, y = Transformer.from_crs(src, dst, always_xy=True).transform(x, y)
        return np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")

    def zones(self) -> np.ndarray:
        """Per row, the EPSG code of the local metric CRS of its site (-1: no geometry)."""
        if "zones" not in self.cache:
            from zoning.geo import local_crs_codes

            zones = np.full(self.n, -1, dtype=np.int64)
            ok = np.flatnonzero(self.geom_ok())
            if len(ok):
                x, y = self.site_xy(self.ll_crs, ok)
                zones[ok] = local_crs_codes(x, y)
            self.cache["zones"] = zones
        return self.cache["zones"]

    def to_zone(self, zone: int) -> Transformer:
        """The transformer from the subjects' lon/lat to ``zone`` (built once per call)."""
        key = ("to_zone", int(zone))
        if key not in self.cache:
            from zoning.geo import lonlat_to_local

            self.cache[key] = lonlat_to_local(int(zone), self.ll_crs)
        return self.cache[key]

    def zone_geoms(self, zone: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, geometries in the zone's CRS) of every row whose site is in ``zone``,
        projected once for all the conditions that measure distances."""
        key = ("zone_geoms", int(zone))
        if key not in self.cache:
            rows = np.flatnonzero(self.zones() == zone)
            to = self.to_zone(zone)
            geoms = self.ll_geoms()[rows]
            self.cache[key] = (rows, shapely.transform(geoms, to.transform, interleaved=False))
        return self.cache[key]

    def geom_ok(self) -> np.ndarray:
        if "geom_ok" not in self.cache:
            g = np.asarray(self.s.geometry.values)
            self.cache["geom_ok"] = ~(shapely.is_missing(g) | shapely.is_empty(g))
        return self.cache["geom_ok"]


def _affine(tr, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Apply an affine transform to coordinate arrays."""
    a, b, c, d, e, f = tuple(tr)[:6]
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    return a * x + b * y + c, d * x + e * y + f


def _tests(vals: np.ndarray, tests) -> tuple[np.ndarray, np.ndarray]:
    known = ~np.isnan(vals)
    ok = known.copy()
    with np.errstate(invalid="ignore"):
        for op, v in tests:
            ok &= _CMP[op](vals, v)
    return ok, known & ~ok


def _by_codes(codes: np.ndarray, match: np.ndarray, known_u: np.ndarray | None = None):
    """Row masks from a per-unique match table; code -1 (missing) is unknown."""
    present = codes >= 0
    safe = np.where(present, codes, 0)
    if len(match) == 0:
        z = np.zeros(len(codes), dtype=bool)
        return z, z.copy()
    m = match[safe]
    k = present if known_u is None else present & known_u[safe]
    return k & m, k & ~m


def _unknown(n: int):
    z = np.zeros(n, dtype=bool)
    return z, z.copy()


def _missing(ctx: _Context, *facts: str):
    """A fact whose column is absent: unknown on every row, and recorded as missing."""
    for fact in facts:
        ctx.known(fact, np.zeros(ctx.n, dtype=bool))
    return _unknown(ctx.n)


# --- leaves ----------------------------------------------------------------------------------


def _sector_text(v) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        v = int(v)
    return str(v).strip()


def _leaf_sector(c: Sector, ctx: _Context):
    f = ctx.factorised("sector", _sector_text)
    if f is None:
        return _missing(ctx, "sector")
    codes, uniq = f
    match = np.array([u.startswith(c.prefixes) for u in uniq], dtype=bool)
    known = np.array([u != "" for u in uniq], dtype=bool)
    t, fl = _by_codes(codes, match, known)
    ctx.known("sector", t | fl)
    return t, fl


def _parse_tags(v) -> frozenset:
    return frozenset(split_tags(v))


def _one_tag(tag: str, ctx: _Context):
    """(has, known) for one tag; ``two_high`` also reads the two_high column."""
    has = np.zeros(ctx.n, dtype=bool)
    known = np.zeros(ctx.n, dtype=bool)
    f = ctx.factorised("tags", _parse_tags)
    if f is not None:
        codes, uniq = f
        t, fl = _by_codes(codes, np.array([tag in u for u in uniq], dtype=bool))
        has |= t
        known |= t | fl
    if tag == "two_high":
        f2 = ctx.factorised("two_high", _truthy)
        if f2 is not None:
            codes, uniq = f2
            val = np.array([u is True for u in uniq], dtype=bool)
            kn = np.array([u is not None for u in uniq], dtype=bool)
            t, fl = _by_codes(codes, val, kn)
            has |= t
            known |= t | fl
    return has, known | has


def _leaf_tags(c: Tags, ctx: _Context):
    pairs = [_one_tag(t, ctx) for t in c.tags]
    if c.mode == "any":
        t = np.logical_or.reduce([h for h, _ in pairs])
        fl = np.logical_and.reduce([k & ~h for h, k in pairs])
    else:
        t = np.logical_and.reduce([h for h, _ in pairs])
        fl = np.logical_or.reduce([k & ~h for h, k in pairs])
    ctx.known("tags", t | fl)
    return t, fl


def _leaf_stage(c: Stage, ctx: _Context):
    f = ctx.factorised("stage", lambda v: _STAGE_ALIASES.get(str(v).strip().lower()))
    if f is None:
        return _missing(ctx, "stage")
    codes, uniq = f
    bad = sorted({str(u) for u in uniq if u not in STAGES})
    if bad:
        log.warning("stage values other than %s are read as unknown", STAGES)
    t, fl = _by_codes(
        codes,
        np.array([u in c.values for u in uniq], dtype=bool),
        np.array([u in STAGES for u in uniq], dtype=bool),
    )
    ctx.known("stage", t | fl)
    return t, fl


def _leaf_compare(c: Compare, ctx: _Context):
    vals = ctx.numeric(c.column)
    if vals is None:
        return _missing(ctx, c.column)
    t, fl = _tests(vals, c.tests)
    if c.unit:
        f = ctx.factorised("capacity_unit", lambda v: str(v).strip().lower())
        if f is None:
            return _missing(ctx, "capacity_unit")
        codes, uniq = f
        same = np.array([u == c.unit.strip().lower() for u in uniq], dtype=bool)
        st, _ = _by_codes(codes, same)
        t, fl = t & st, fl & st  # another unit (or none): not comparable, unknown
        ctx.known("capacity_unit", st)
    ctx.known(c.column, t | fl)
    return t, fl


def _leaf_inside(c: InsideUnit, ctx: _Context):
    inside = (ctx.ui >= 0) & (ctx.share > 0)
    return (inside, ~inside) if c.expected else (~inside, inside)


def _leaf_share(c: Share, ctx: _Context):
    t, fl = _tests(np.where(ctx.ui >= 0, ctx.share, np.nan), c.tests)
    ctx.known("share", t | fl)
    return t, fl


def _leaf_near(c: Near, ctx: _Context, need: np.ndarray):
    if c.layer is not None:
        if c.layer not in ctx.layers and ctx.lenient:
            log.warning("layer '%s' not given: rules that need it are undecided", c.layer)
            ctx.known(f"layer:{c.layer}", np.zeros(ctx.n, dtype=bool))
            return _unknown(ctx.n)
        if c.layer not in ctx.layers:
            raise InputError(
                f"the rules need the layer '{c.layer}' but it was not given; "
                f"given: {sorted(ctx.layers) or 'none'}",
                field=c.layer,
                fix=f"pass layers={{'{c.layer}': GeoDataFrame}} or --named-layer {c.layer}=PATH",
            )
        target = ctx.layers[c.layer]
        ref = ctx.refs.get(c.layer)
        for column, values in ref.where if ref is not None else ():
            if column not in target.columns:
                raise InputError(
                    f"the layer '{c.layer}' has no column '{column}' to filter on; "
                    f"it has {list(target.columns)}",
                    field=column,
                    fix="fix the where: filter of the layer in the rule file",
                )
            target = target[target[column].astype("string").isin(values).to_numpy(dtype=bool)]
        fact = f"layer:{c.layer}"
    else:
        classes = ctx.units["_class_digit"].to_numpy()
        target = ctx.units.loc[np.isin(classes, c.unit_class)]
        fact = "units"
    key = ("near", fact, c.unit_class, c.within_m)
    if ctx.projected():
        # the subjects' own Gauss-Krüger / UTM zone (the user's choice of metric CRS)
        crs = ctx.metric_crs()
        if key not in ctx.cache:
            geoms = np.asarray(target.to_crs(crs).geometry.values) if len(target) else np.array([])
            if len(geoms):
                geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
            tree = shapely.STRtree(geoms) if len(geoms) else None
            ctx.cache[key] = (tree, np.zeros(ctx.n, dtype=bool), np.zeros(ctx.n, dtype=bool))
        tree, hit, done = ctx.cache[key]
        rows = np.flatnonzero(need & ~done & ctx.geom_ok())
        if len(rows) and tree is not None:
            subj = ctx.metric_geoms(rows)
            idx = _query_near(tree, subj, c.within_m)
            hit[rows[idx[0]]] = True
    else:
        if key not in ctx.cache:
            geoms = np.asarray(target.to_crs(ctx.ll_crs).geometry.values) if len(target) else None
            if geoms is not None:
                geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
            tree = shapely.STRtree(geoms) if geoms is not None and len(geoms) else None
            ctx.cache[key] = (
                (tree, geoms),
                np.zeros(ctx.n, dtype=bool),
                np.zeros(ctx.n, dtype=bool),
            )
        (tree, geoms), hit, done = ctx.cache[key]
        rows = np.flatnonzero(need & ~done & ctx.geom_ok())
        if len(rows) and tree is not None:
            _near_by_zone(ctx, rows, tree, geoms, c.within_m, hit)
    done[rows] = True
    t, fl = hit & done, ~hit & done
    ctx.known(fact, t | fl, evaluated=done | need)
    return t, fl


def _query_near(tree, geoms, within_m: float):
    """(geometry, tree item) index pairs within ``within_m`` metres (0: touching)."""
    if within_m == 0:
        return tree.query(geoms, predicate="intersects")
    return tree.query(geoms, predicate="dwithin", distance=within_m)


def _near_by_zone(ctx: _Context, rows, tree, targets, within_m: float, hit) -> None:
    """``near`` for subjects in longitude/latitude: each subject is measured in the local
    conformal CRS of its own site (CGCS2000 3-degree Gauss-Krüger zone in China, UTM
    elsewhere; :func:`zoning.geo.local_crs_codes`), with the targets near it projected
    into the same zone (cut to a window around the subjects).  The outcome of a row
    depends on its own site only, whatever else is evaluated with it, and distances within
    about 100 km of a site keep a scale error under 0.03 %."""
    zones = ctx.zones()
    wanted = np.zeros(ctx.n, dtype=bool)
    wanted[rows] = True
    for zone in np.unique(zones[rows]):
        if zone < 0:
            continue
        zrows, zgeoms = ctx.zone_geoms(zone)
        pick = wanted[zrows]
        sub, g = zrows[pick], zgeoms[pick]
        x0, y0, x1, y1 = shapely.total_bounds(ctx.ll_geoms()[sub])
        coslat = max(np.cos(np.radians(min(max(abs(y0), abs(y1)) + 1.0, 89.0))), 0.01)
        pad = within_m / (111_000.0 * coslat) + 0.01  # degrees, generous
        if x0 - pad < -180 or x1 + pad > 180:  # across the antimeridian: no prefilter
            near = targets
        else:
            cand = tree.query(shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad))
            if len(cand) == 0:
                continue
            # targets reaching far beyond the window are cut to it: a continent-sized
            # polygon folds when projected far from the zone's meridian
            near = targets[cand].copy()
            b = shapely.bounds(near)
            lo, hi = (x0 - pad, y0 - pad), (x1 + pad, y1 + pad)
            big = (b[:, 0] < lo[0]) | (b[:, 1] < lo[1]) | (b[:, 2] > hi[0]) | (b[:, 3] > hi[1])
            if big.any():  # rectangle clipping: fast; predicates need no strict validity
                near[big] = shapely.clip_by_rect(near[big], lo[0], lo[1], hi[0], hi[1])
        to = ctx.to_zone(zone)
        near_tree = shapely.STRtree(shapely.transform(near, to.transform, interleaved=False))
        idx = _query_near(near_tree, g, within_m)
        hit[sub[idx[0]]] = True


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
    same = CRS.from_user_input(ctx.units.crs).equals(CRS.from_user_input(crs))
    u = ctx.units if same else ctx.units.to_crs(crs)
    labels = cell_labels(np.asarray(u.geometry.values), shape, transform, unit_rank(u))
    ctx.cache[key] = labels
    return labels


def _grid_array(ctx: _Context, name: str) -> np.ndarray:
    """The whole grid (float64, NaN = no data), read once per evaluation."""
    key = ("gridarr", name)
    if key not in ctx.cache:
        ctx.cache[key] = ctx.grids[name].read()
    return ctx.cache[key]


def _leaf_grid(c: GridValue, ctx: _Context, need: np.ndarray):
    if c.grid not in ctx.grids and ctx.lenient:
        log.warning("grid '%s' not given: rules that need it are undecided", c.grid)
        ctx.known(f"grid:{c.grid}", np.zeros(ctx.n, dtype=bool))
        return _unknown(ctx.n)
    if c.grid not in ctx.grids:
        raise InputError(
            f"the rules need the grid '{c.grid}' but it was not given; given: "
            f"{sorted(ctx.grids) or 'none'}",
            field=c.grid,
            param="grids",
            fix=f"add '{c.grid}' to `grids` (a Grid, e.g. from zoning.io.raster.open_grid)",
        )
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
            finite = np.isfinite(arr)
            sums = np.bincount(labels[finite], weights=arr[finite], minlength=nu + 1)
            counts = np.bincount(labels[finite], minlength=nu + 1)
            cells = np.bincount(labels.ravel(), minlength=nu + 1)
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
            ctx.cache[nkey] = not bool((arr[np.isfinite(arr)] < 0).any())
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
        same = CRS.from_user_input(ctx.units.crs).equals(CRS.from_user_input(crs))
        polys = np.asarray((ctx.units if same else ctx.units.to_crs(crs)).geometry.values)
        tr = Affine(*tuple(transform)[:6])
        x0, y0 = tr.c, tr.f
        x1, y1 = tr.c + tr.a * shape[1], tr.f + tr.e * shape[0]
        area = shapely.area(polys)
        inside = shapely.area(
            shapely.clip_by_rect(polys, min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(area > 0, inside / area, 0.0)
        share = np.nan_to_num(share)
        ctx.cache[key] = np.where(share > 1 - 1e-9, 1.0, share)
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
    ctx = _Context(subjects, u, ui, share, layers or {}, grids, rules.layers)
    ctx.lenient = missing == "unknown"
    n, r = len(subjects), len(rules.rules)
    in_scope = np.zeros((n, r), dtype=bool)
    fired = np.zeros((n, r), dtype=bool)
    unknown = np.zeros((n, r), dtype=bool)
    for j, rule in enumerate(rules.rules):
        scope = _scope_mask(rule, u)[ui]
        in_scope[:, j] = scope
        if not scope.any():
            continue
        if rule.when is None:
            fired[:, j] = scope
            continue
        t, fl = _eval(rule.when, ctx, scope)
        fired[:, j] = scope & t
        unknown[:, j] = scope & ~t & ~fl
    ids = {rule.id: j for j, rule in enumerate(rules.rules)}
    for j, rule in enumerate(rules.rules):
        for other in rule.overrides:
            k = ids[other]
            fired[:, k] &= ~fired[:, j]
            unknown[:, k] &= ~fired[:, j]
    log.debug("evaluated %d rules on %d rows", r, n)
    fact_known = {f: ~m for f, m in ctx.missing.items()}
    return Evaluation(rules.rules, in_scope, fired, unknown, fact_known)
