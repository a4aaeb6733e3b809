"""Leaves of the rule engine: sector, tags, stage, comparisons, unit scope, distances."""

from __future__ import annotations

import logging

import numpy as np
import shapely

from zoning.errors import InputError
from zoning.model.facts import truthy
from zoning.rules._base import (  # noqa: F401
    _CMP,
    _FALSE,
    _STAGE_ALIASES,
    _TRUE,
    _absent_input,
    _by_codes,
    _Context,
    _missing,
    _tests,
    _unknown,
    split_tags,
)
from zoning.rules.schema import (
    STAGES,
    Compare,
    InsideUnit,
    Near,
    Sector,
    Share,
    Stage,
    Tags,
)

log = logging.getLogger("zoning.rules.engine")


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


_truthy = truthy  # the ground floor's yes/no words (zoning.model.facts)


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
        if c.layer not in ctx.layers:
            fix = f"give the layer '{c.layer}' in `layers`, or its path in the rule file"
            return _absent_input(ctx, "layer", c.layer, ctx.layers, "layers", fix)
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
            ask = _may_be_near(ctx, key, tree, c.within_m, rows)
            subj = ctx.metric_geoms(ask)
            idx = _query_near(tree, subj, c.within_m)
            hit[ask[idx[0]]] = True
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
    elsewhere; :func:`zoning.geo.local_crs_codes`), with the targets near the zone's
    subjects projected into the same zone once per evaluation (cut to a window around all
    the zone's subjects, whichever rows a rule asks about).  Candidates come from the
    lon/lat tree within a generous pad; only they are measured in the zone.  Distances
    within about 100 km of a site keep a scale error under 0.03 %."""
    zones = ctx.zones()
    pairs = _ll_pairs(ctx, targets, within_m, rows)
    if pairs is not None:  # point subjects: candidates from bins of the sites
        t_all, r_all = pairs
        z_all = zones[r_all]
    for zone in np.unique(zones[rows]):
        if zone < 0:
            continue
        zt = _zone_targets(ctx, zone, tree, targets, within_m)
        if zt is None:
            continue
        projected, pad = zt
        if _across_antimeridian(ctx, zone, pad):  # lon/lat boxes do not wrap: ask in the zone
            sub = rows[zones[rows] == zone]
            have = np.flatnonzero(~shapely.is_missing(projected))
            s_i, _ = _query_near(
                shapely.STRtree(projected[have]), ctx.zone_geoms(zone, sub), within_m
            )
            hit[sub[s_i]] = True
            continue
        if pairs is None:
            sub = rows[zones[rows] == zone]
            s_i, t_i = tree.query(
                ctx.ll_geoms()[sub], predicate="dwithin", distance=pad * np.sqrt(2.0)
            )
        else:
            m = z_all == zone
            t_i = t_all[m]
            sub, s_i = np.unique(r_all[m], return_inverse=True)
        keep = ~shapely.is_missing(projected[t_i])  # beyond the window: none near
        s_i, t_i = s_i[keep], t_i[keep]
        if len(s_i) == 0:
            continue
        cand, inv = np.unique(s_i, return_inverse=True)
        g = ctx.zone_geoms(zone, sub[cand])
        if within_m == 0 and (shapely.get_type_id(g) == 0).all():
            x, y = shapely.get_x(g), shapely.get_y(g)
            ok = shapely.intersects_xy(projected[t_i], x[inv], y[inv])
        elif within_m == 0:
            ok = shapely.intersects(g[inv], projected[t_i])
        else:
            ok = shapely.dwithin(g[inv], projected[t_i], within_m)
        hit[sub[s_i[ok]]] = True


def _across_antimeridian(ctx: _Context, zone: int, pad: float) -> bool:
    """Whether the window of ``zone``'s subjects, widened by ``pad`` degrees, crosses
    ±180° (where candidates from lon/lat boxes would miss targets on the other side)."""
    x0, _, x1, _ = ctx.zone_bounds(zone)
    return bool(x0 - pad < -180 or x1 + pad > 180)


def _pad(within_m: float, max_abs_lat: float) -> float:
    """The window pad (degrees) of ``within_m`` metres at latitudes up to ``max_abs_lat``:
    generous (1° of latitude, the cosine of one degree further, and 0.01° more)."""
    coslat = max(np.cos(np.radians(min(max_abs_lat + 1.0, 89.0))), 0.01)
    return within_m / (111_000.0 * coslat) + 0.01


def _bins(x: np.ndarray, y: np.ndarray, rows: np.ndarray):
    """The sites (x, y) of ``rows`` binned on a grid of about one site per bin: origin,
    bin size, columns, rows of bins, sorted keys and the rows in that order."""
    x, y = x[rows], y[rows]
    x0, y0, x1, y1 = x.min(), y.min(), x.max(), y.max()
    span = max(x1 - x0, y1 - y0, 1e-9)
    size = max(np.sqrt(max(x1 - x0, span * 1e-3) * max(y1 - y0, span * 1e-3) / len(rows)), 1e-9)
    width = int((x1 - x0) // size) + 1
    key = ((y - y0) // size).astype(np.int64) * width + ((x - x0) // size).astype(np.int64)
    order = np.argsort(key)
    return (x0, y0, size, width, int((y1 - y0) // size) + 1, key[order], rows[order])


def _pairs_in_bins(x, y, bins, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(box, row) pairs of the binned sites inside each box ``b`` (n, 4), edges included."""
    from zoning.cellindex import _window_pairs

    x0, y0, size, width, height, keys, rows = bins
    c0 = np.clip((b[:, 0] - x0) // size, 0, width).astype(np.int64)
    c1 = np.clip((b[:, 2] - x0) // size + 1, 0, width).astype(np.int64)
    r0 = np.clip((b[:, 1] - y0) // size, 0, height).astype(np.int64)
    r1 = np.clip((b[:, 3] - y0) // size + 1, 0, height).astype(np.int64)
    t_i, pos = _window_pairs(keys, width, r0, r1, c0, c1)
    r_i = rows[pos]
    px, py = x[r_i], y[r_i]
    inside = (px >= b[t_i, 0]) & (px <= b[t_i, 2]) & (py >= b[t_i, 1]) & (py <= b[t_i, 3])
    return t_i[inside], r_i[inside]


def _padded_bounds(targets, pad: float) -> np.ndarray:
    b = shapely.bounds(targets)
    b[:, :2] -= pad
    b[:, 2:] += pad
    return b


def _ll_pairs(ctx: _Context, targets, within_m: float, rows: np.ndarray):
    """(target, row) pairs of ``rows`` whose site lies within the pad of the target's box
    (lon/lat); None for non-point subjects.  Most rows asked: the pairs of every row,
    found once per target set and distance, and those of ``rows`` picked."""
    if not len(rows) or not (ctx.types()[rows] == 0).all():
        return None
    x, y = ctx.ll_xy()
    finite = np.isfinite(x) & np.isfinite(y)  # a site without coordinates is near nothing
    ok = np.flatnonzero(ctx.geom_ok() & finite)
    rows = rows[finite[rows]]
    if not len(rows):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pad = _pad(within_m, float(np.nanmax(np.abs(y[ok]))))  # the most generous of every zone
    if len(rows) < len(ok) // 4:  # few rows: bins of those rows only
        return _pairs_in_bins(x, y, _bins(x, y, rows), _padded_bounds(targets, pad))
    key = ("ll_pairs", id(targets), float(within_m))
    if key not in ctx.cache:
        if "ll_bins" not in ctx.cache:
            ctx.cache["ll_bins"] = _bins(x, y, ok)
        found = _pairs_in_bins(x, y, ctx.cache["ll_bins"], _padded_bounds(targets, pad))
        ctx.cache[key] = (targets, found)
    t_i, r_i = ctx.cache[key][1]
    wanted = np.zeros(ctx.n, dtype=bool)
    wanted[rows] = True
    sel = wanted[r_i]
    return t_i[sel], r_i[sel]


#: From this many projected point rows on, ``near`` asks the tree only about the rows
#: inside some target's widened box.
BIN_MIN_ROWS = 20_000


def _may_be_near(ctx: _Context, key, tree, within_m: float, rows: np.ndarray) -> np.ndarray:
    """The ``rows`` (projected point sites) in a cell of a coarse raster that the box of
    some target widened by ``within_m`` reaches: the others have no target in reach, so
    the tree need not be asked about them (a raster of about one site per cell, laid once
    per evaluation; its cells reached are found per condition by summed-area counts)."""
    if len(rows) < BIN_MIN_ROWS or not (ctx.types()[rows] == 0).all():
        return rows
    mkey = ("may_be_near", key)
    if mkey not in ctx.cache:
        raster = _site_raster(ctx)
        maybe = None
        if raster is not None:
            x0, y0, size, width, height, cell = raster
            pad = within_m * (1 + 1e-9) + 1e-6  # metres; edges included
            b = _padded_bounds(tree.geometries, pad)
            reach = ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])).sum()
            if reach < 0.25 * (width * height * size * size):  # targets cover little
                reached = _cells_reached(b, x0, y0, size, width, height)
                maybe = np.ones(ctx.n, dtype=bool)  # no coordinates here: let the tree say
                have = cell >= 0
                maybe[have] = reached[cell[have]]
        ctx.cache[mkey] = maybe
    if ctx.cache[mkey] is None:
        return rows
    return rows[ctx.cache[mkey][rows]]


def _site_raster(ctx: _Context):
    """Origin, cell size, columns, rows of a raster of about one site per cell over the
    finite point sites, and per row the flat index of its cell (-1: no finite point)."""
    if "site_raster" not in ctx.cache:
        cell = np.full(ctx.n, -1, dtype=np.int64)
        sites = ctx.sites()
        ok = np.flatnonzero(sites.finite() & (sites.types == 0))
        x, y = sites.x[ok], sites.y[ok]
        out = None
        if len(ok):
            x0, y0, x1, y1 = x.min(), y.min(), x.max(), y.max()
            span = max(x1 - x0, y1 - y0, 1e-9)
            size = max(
                np.sqrt(max(x1 - x0, span * 1e-3) * max(y1 - y0, span * 1e-3) / len(ok)), 1e-9
            )
            # the same floor((v - origin) / size) as _cells_reached: monotone, so a site
            # inside a box is in a cell the box reaches
            width = int(np.floor((x1 - x0) / size)) + 1
            height = int(np.floor((y1 - y0) / size)) + 1
            col = np.minimum(np.floor((x - x0) / size).astype(np.int64), width - 1)
            row = np.minimum(np.floor((y - y0) / size).astype(np.int64), height - 1)
            cell[ok] = row * width + col
            out = (x0, y0, size, width, height, cell)
        ctx.cache["site_raster"] = out
    return ctx.cache["site_raster"]


def _cells_reached(b: np.ndarray, x0, y0, size, width: int, height: int) -> np.ndarray:
    """Per cell (flat) of the site raster, whether some box ``b`` (n, 4) reaches the
    closed cell: boxes counted into a summed-area table (no loop per box)."""
    with np.errstate(invalid="ignore"):
        c0 = np.clip(np.floor((b[:, 0] - x0) / size), 0, width).astype(np.int64)
        c1 = np.clip(np.floor((b[:, 2] - x0) / size) + 1, 0, width).astype(np.int64)
        r0 = np.clip(np.floor((b[:, 1] - y0) / size), 0, height).astype(np.int64)
        r1 = np.clip(np.floor((b[:, 3] - y0) / size) + 1, 0, height).astype(np.int64)
    keep = (c1 > c0) & (r1 > r0) & np.isfinite(b).all(axis=1)
    c0, c1, r0, r1 = c0[keep], c1[keep], r0[keep], r1[keep]
    w = width + 1
    corners = np.concatenate([r0 * w + c0, r0 * w + c1, r1 * w + c0, r1 * w + c1])
    signs = np.repeat(np.array([1, -1, -1, 1], dtype=np.int64), len(c0))
    d = np.bincount(corners, weights=signs, minlength=(height + 1) * w).astype(np.int64)
    d = d.reshape(height + 1, w).cumsum(axis=0).cumsum(axis=1)
    return (d[:height, :width] > 0).ravel()


def _zone_targets(ctx: _Context, zone: int, tree, targets, within_m: float):
    """The targets near the subjects of ``zone`` in the zone's CRS (prepared; None for
    the others, by position in ``targets``) and the pad of the window (degrees); built
    once per target set, distance and zone.  None when no target is near."""
    key = ("zone_targets", id(targets), float(within_m), int(zone))
    if key in ctx.cache:
        return ctx.cache[key][1]
    x0, y0, x1, y1 = ctx.zone_bounds(zone)
    pad = _pad(within_m, max(abs(y0), abs(y1)))
    if _across_antimeridian(ctx, zone, pad):  # no prefilter
        cand = np.arange(len(targets))
        near = targets.copy()
    else:
        cand = np.sort(tree.query(shapely.box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)))
        if len(cand) == 0:
            ctx.cache[key] = (targets, None)
            return None
        # targets reaching far beyond the window are cut to it: a continent-sized
        # polygon folds when projected far from the zone's meridian
        near = targets[cand].copy()
        b = shapely.bounds(near)
        lo, hi = (x0 - pad, y0 - pad), (x1 + pad, y1 + pad)
        big = (b[:, 0] < lo[0]) | (b[:, 1] < lo[1]) | (b[:, 2] > hi[0]) | (b[:, 3] > hi[1])
        if big.any():  # rectangle clipping: fast; predicates need no strict validity
            near[big] = shapely.clip_by_rect(near[big], lo[0], lo[1], hi[0], hi[1])
    to = ctx.to_zone(zone)
    projected = np.full(len(targets), None, dtype=object)
    projected[cand] = shapely.transform(near, to.transform, interleaved=False)
    shapely.prepare(projected[cand])
    ctx.cache[key] = (targets, (projected, pad))  # the targets are kept: their id stays theirs
    return projected, pad
