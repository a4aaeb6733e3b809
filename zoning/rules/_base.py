"""Ground of the rule engine: fact words, comparisons, the evaluation context, helpers."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from zoning.cellindex import _apply
from zoning.errors import InputError
from zoning.geo import transformer
from zoning.model.facts import FALSE_WORDS, STAGE_ALIASES, TRUE_WORDS
from zoning.model.facts import split_tags as split_tags  # re-exported
from zoning.sites import Sites

log = logging.getLogger("zoning.rules.engine")

# the fact words live on the ground floor (zoning.model.facts); re-exported here
_STAGE_ALIASES = STAGE_ALIASES
_TRUE = TRUE_WORDS
_FALSE = FALSE_WORDS


_CMP = {
    "gt": np.greater,
    "ge": np.greater_equal,
    "lt": np.less,
    "le": np.less_equal,
    "eq": np.equal,
    "ne": np.not_equal,
}


class _Context:
    """Caches of one evaluation: factorised columns, metric geometry, leaf results."""

    def __init__(self, subjects, units, unit_index, share, layers, grids, refs=None, sites=None):
        self.refs = refs or {}
        self._sites = sites
        self.locator = None  # the overlay's UnitLocator of the units, when given
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

    def sites(self) -> Sites:
        """The subjects' sites (:class:`zoning.sites.Sites`), given or read once."""
        geoms = np.asarray(self.s.geometry.values)
        if self._sites is None or not self._sites.belongs_to(geoms):
            self._sites = Sites.of(geoms)
        return self._sites

    def site_xy(self, crs, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x, y of the sites of ``rows`` (a point on the surface of non-points) in ``crs``."""
        x, y = self.sites().x[rows], self.sites().y[rows]
        src = CRS.from_user_input(self.s.crs)
        dst = CRS.from_user_input(crs)
        if not src.equals(dst):
            x, y = transformer(src, dst).transform(x, y)
        return np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")

    def ll_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """x, y (lon, lat) of every row's site in :attr:`ll_crs` (NaN: no geometry),
        converted once."""
        if "ll_xy" not in self.cache:
            x = np.full(self.n, np.nan)
            y = np.full(self.n, np.nan)
            ok = np.flatnonzero(self.geom_ok())
            if len(ok):
                x[ok], y[ok] = self.site_xy(self.ll_crs, ok)
            self.cache["ll_xy"] = (x, y)
        return self.cache["ll_xy"]

    def zones(self) -> np.ndarray:
        """Per row, the EPSG code of the local metric CRS of its site (-1: no geometry or
        no finite coordinates)."""
        if "zones" not in self.cache:
            from zoning.geo import local_crs_codes

            zones = np.full(self.n, -1, dtype=np.int64)
            x, y = self.ll_xy()
            ok = np.flatnonzero(self.geom_ok() & np.isfinite(x) & np.isfinite(y))
            if len(ok):
                zones[ok] = local_crs_codes(x[ok], y[ok])
            self.cache["zones"] = zones
        return self.cache["zones"]

    def to_zone(self, zone: int) -> Transformer:
        """The transformer from the subjects' lon/lat to ``zone`` (built once per call)."""
        key = ("to_zone", int(zone))
        if key not in self.cache:
            from zoning.geo import lonlat_to_local

            self.cache[key] = lonlat_to_local(int(zone), self.ll_crs)
        return self.cache[key]

    def zone_rows(self, zone: int) -> np.ndarray:
        """Rows whose site is in ``zone``."""
        key = ("zone_rows", int(zone))
        if key not in self.cache:
            self.cache[key] = np.flatnonzero(self.zones() == zone)
        return self.cache[key]

    def zone_geoms(self, zone: int, rows: np.ndarray) -> np.ndarray:
        """Geometries of ``rows`` (all in ``zone``) in the zone's CRS (points are built from
        their projected coordinates: the same points, without copying geometries)."""
        to = self.to_zone(zone)
        geoms = self.ll_geoms()[rows]
        point = self.types()[rows] == 0
        out = np.empty(len(rows), dtype=object)
        if point.any():
            x, y = self.ll_xy()
            px, py = to.transform(x[rows[point]], y[rows[point]])
            out[point] = shapely.points(px, py)
        if not point.all():
            out[~point] = shapely.transform(geoms[~point], to.transform, interleaved=False)
        return out

    def zone_bounds(self, zone: int) -> tuple[float, float, float, float]:
        """Bounds (lon/lat) of the geometries of every row in ``zone``."""
        key = ("zone_bounds", int(zone))
        if key not in self.cache:
            rows = self.zone_rows(zone)
            geoms = self.ll_geoms()[rows]
            if (self.types()[rows] == 0).all():
                x, y = self.ll_xy()
                b = (x[rows].min(), y[rows].min(), x[rows].max(), y[rows].max())
            else:
                b = tuple(shapely.total_bounds(geoms))
            self.cache[key] = tuple(float(v) for v in b)
        return self.cache[key]

    def types(self) -> np.ndarray:
        """Per row, the shapely type id of the subject's geometry (-1: missing), read once."""
        return self.sites().types

    def geom_ok(self) -> np.ndarray:
        """Per row, whether the geometry is present (not missing, not empty)."""
        return self.sites().present


_affine = _apply  # apply an affine transform to coordinate arrays


def _tests(vals: np.ndarray, tests) -> tuple[np.ndarray, np.ndarray]:
    known = ~np.isnan(vals)
    ok = known.copy()
    with np.errstate(invalid="ignore"):
        for op, v in tests:
            ok &= _CMP[op](vals, v)
    return ok, known & ~ok


def _by_codes(codes: np.ndarray, match: np.ndarray, known_u: np.ndarray | None = None):
    """Row masks from a per-unique match table; code -1 (missing) is unknown."""
    if len(match) == 0:
        z = np.zeros(len(codes), dtype=bool)
        return z, z.copy()
    match = np.asarray(match, dtype=bool)
    known = np.ones(len(match), dtype=bool) if known_u is None else np.asarray(known_u, bool)
    # per unique value (and a last slot for code -1): one look-up per mask
    true = np.append(known & match, False)
    false = np.append(known & ~match, False)
    return true[codes], false[codes]


def _unknown(n: int):
    z = np.zeros(n, dtype=bool)
    return z, z.copy()


def _missing(ctx: _Context, *facts: str):
    """A fact whose column is absent: unknown on every row, and recorded as missing."""
    for fact in facts:
        ctx.known(fact, np.zeros(ctx.n, dtype=bool))
    return _unknown(ctx.n)


def _absent_input(ctx: _Context, kind: str, name: str, given, param: str, fix: str):
    """A layer or grid the rules need but the caller did not give: undecided on every row
    (with a warning) when lenient, else refused."""
    if ctx.lenient:
        log.warning("%s '%s' not given: rules that need it are undecided", kind, name)
        return _missing(ctx, f"{kind}:{name}")
    raise InputError(
        f"the rules need the {kind} '{name}' but it was not given; "
        f"given: {sorted(given) or 'none'}",
        field=name,
        param=param,
        fix=fix,
    )


def row_groups(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a boolean matrix grouped by their combination of true columns: (group of
    each row, the combinations in order of first appearance).  Up to 64 columns a row is
    one 64-bit key (built column by column when the matrix is column-major), hashed."""
    n, r = mask.shape
    if r == 0:
        return np.zeros(n, dtype=np.int64), np.zeros((1, 0), dtype=bool)
    if r <= 64:
        if mask.flags.f_contiguous and not mask.flags.c_contiguous:
            key = np.zeros(n, dtype=np.uint64)
            for j in range(r):
                key |= mask[:, j].astype(np.uint64) << np.uint64(j)
        else:
            packed = np.packbits(mask, axis=1)
            key = np.zeros(n, dtype=np.uint64)
            for b in range(packed.shape[1]):
                key = (key << np.uint64(8)) | packed[:, b].astype(np.uint64)
        inverse, uniques = pd.factorize(key, sort=False)
        first = np.empty(len(uniques), dtype=np.int64)
        first[inverse[::-1]] = np.arange(n - 1, -1, -1)
        return inverse.astype(np.int64), mask[first]
    packed = np.ascontiguousarray(np.packbits(mask, axis=1))
    key = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first)  # renumbered in order of first appearance
    renumber = np.empty(len(first), dtype=np.int64)
    renumber[order] = np.arange(len(first))
    return renumber[inverse.ravel()], mask[first[order]]
