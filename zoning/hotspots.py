"""Pollution-and-carbon co-hot-spots: the units where co-control (减污降碳协同) pays most.

:func:`co_hotspots` sums a pollutant grid and a carbon grid per unit (exact, coverage
weighted: :func:`zoning.stats.zonal_stats`), turns the sums into intensities per km2
(areas in the grid's projected CRS, or in the equal-area EPSG:6933 for a
longitude/latitude grid), finds hot spots of each intensity with the local
Getis-Ord Gi* statistic (the arithmetic of PySAL's ``esda.G_Local``, binary weights, the
unit itself included with weight 1, on a sparse matrix; esda itself for permutations),
controls the false
discovery rate over all units with the Benjamini-Hochberg procedure, and puts each unit
in one of four co-control classes:

``both``       a hot spot of the pollutant and of carbon (co-control priority)
``pollution``  a pollutant hot spot only
``carbon``     a carbon hot spot only
``neither``

A unit is a hot spot when its Gi* z-score is positive and its FDR-adjusted p-value
(q-value) is at most ``alpha``.  Neighbours are the units sharing an edge or a corner
(queen contiguity); a unit with none gets its nearest unit, so no unit is left out.

No data is not zero.  A unit's intensity is its exact sum over the part of it under valid
cells divided by the area of that part (``sum / (area_km2 * coverage)``): a unit partly
outside a grid is neither diluted nor zero.  A unit with less than ``min_coverage``
(default one half) of its area under valid cells of a grid, or none, has no intensity of
that grid and is left out of its Gi* (and of the neighbours of the others); its class is
``no_data`` (neither hot nor not hot) and the summary counts such units.  With fewer than
:data:`MIN_UNITS` units in a test, a warning says the significance means little: the
z-scores rest on the normal approximation of Gi* (Ord and Getis 1995), which needs many
units; 30 is a rule of thumb (the figure recalled from ArcGIS's Hot Spot Analysis
documentation, not checked against its text here), not a tested threshold.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from scipy import stats as sps

from zoning.errors import InputError
from zoning.geo import EQUAL_AREA
from zoning.i18n import CO_CLASSES as CO_CLASSES  # re-exported
from zoning.stats import GridLike, combine_stats, crs_label, plan_stats, stats_of_units

log = logging.getLogger(__name__)


CoClass = Literal["both", "pollution", "carbon", "neither", "no_data"]

#: Units with data below which the Gi* significance test is flagged as meaning little.
MIN_UNITS = 30

#: Share of a unit's area under valid cells below which it has no intensity.
MIN_COVERAGE = 0.5


def _named(value, default: str) -> tuple[str, GridLike]:
    if isinstance(value, Mapping):
        if len(value) != 1:
            raise InputError(
                f"give one grid as {{name: grid}}, not {len(value)}",
                param=default,
                fix="e.g. {'nox': open_grid('grids/nox.tif')}",
            )
        name, grid = next(iter(value.items()))
        return str(name), grid
    return default, value


def _bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values)."""
    n = p.size
    if n == 0:
        return p.copy()
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


def _queen(geoms: np.ndarray):
    """Queen contiguity as a binary sparse matrix (no diagonal): units sharing a boundary
    vertex, exactly as libpysal's vertex-based ``Queen`` (vertices of every ring of every
    part, compared by value), found by sorting the vertices instead of hashing them."""
    from scipy import sparse

    n = len(geoms)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    if len(coords) == 0:
        return sparse.csr_matrix((n, n))
    order = np.lexsort((coords[:, 1], coords[:, 0]))
    x, y, owner = coords[order, 0], coords[order, 1], owner[order]
    new = np.ones(len(x), dtype=bool)
    new[1:] = (x[1:] != x[:-1]) | (y[1:] != y[:-1])
    vertex = np.cumsum(new) - 1
    # (unit, vertex) once each; only vertices of two units or more link anything
    pairs = np.unique(vertex * np.int64(n) + owner)
    vertex, owner = pairs // n, pairs % n
    shared = np.bincount(vertex)[vertex] > 1
    vertex, owner = vertex[shared], owner[shared]
    inc = sparse.csr_matrix(
        (np.ones(len(vertex)), (owner, vertex)), shape=(n, int(vertex.max(initial=-1)) + 1)
    )
    w = (inc @ inc.T).tocsr()
    w.setdiag(0)
    w.eliminate_zeros()
    w.data[:] = 1.0
    w.sort_indices()
    return w


def _weights(geoms: gpd.GeoSeries, how: str, k: int):
    """Binary spatial weights of the units as a sparse matrix (row i: the neighbours of
    unit i, no diagonal): queen contiguity (islands linked to their nearest unit) or the
    ``k`` nearest units (libpysal is imported only for those nearest units: its import
    costs more than the queen matrix itself)."""
    from scipy import sparse

    frame = gpd.GeoDataFrame(geometry=geoms.reset_index(drop=True))
    n = len(frame)

    def sites() -> gpd.GeoDataFrame:
        # nearest neighbours by distance in metres, never in degrees
        pts = frame.copy()
        pts.geometry = shapely.point_on_surface(frame.geometry.values)
        if pts.crs is not None and pts.crs.is_geographic:
            pts = pts.to_crs(pts.estimate_utm_crs())
        return pts

    if how == "knn":
        from libpysal import weights as lw

        w = lw.KNN.from_dataframe(sites(), k=min(k, n - 1)).sparse.tocsr()
        w.data[:] = 1.0
        return w
    w = _queen(np.asarray(frame.geometry.values))
    islands = np.flatnonzero(np.diff(w.indptr) == 0)
    if len(islands):
        log.info(
            "%d unit(s) share no border with another; linked to their nearest unit", len(islands)
        )
        from libpysal import weights as lw

        knn1 = lw.KNN.from_dataframe(sites(), k=1)
        nearest = np.array([knn1.neighbors[i][0] for i in islands.tolist()], dtype=np.int64)
        links = sparse.csr_matrix(
            (np.ones(2 * len(islands)), (np.r_[islands, nearest], np.r_[nearest, islands])),
            shape=(n, n),
        )
        w = (w + links).tocsr()
        w.data[:] = 1.0
        w.sort_indices()
    return w


def _gi_star_normal(y: np.ndarray, w) -> np.ndarray:
    """Gi* z-scores with binary weights and the unit itself included (weight 1): the
    arithmetic of esda's ``G_Local(y, w, transform="B", star=1.0).Zs``, on the sparse
    matrix ``w`` (no diagonal) directly."""
    from scipy import sparse

    n = y.size
    ws = (w + sparse.identity(n, format="csr")).tocsr()
    statistic = (ws @ y) / y.sum()
    empirical_mean = y.sum() / n
    mean_of_squares = (y**2).sum() / n
    empirical_variance = mean_of_squares - empirical_mean**2
    cardinality = np.diff(ws.indptr).astype("float64")
    expected_value = cardinality / n
    expected_variance = cardinality * (n - cardinality)
    expected_variance /= n - 1
    expected_variance *= 1 / n**2
    expected_variance *= empirical_variance / (empirical_mean**2)
    return (statistic - expected_value) / np.sqrt(expected_variance)


def _gi_star(y: np.ndarray, w, inference: str, permutations: int, seed: int):
    if inference == "permutation":
        from esda import G_Local
        from libpysal.weights import WSP

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The alternative hypothesis", DeprecationWarning)
            g = G_Local(
                y,
                WSP(w).to_W(silence_warnings=True),
                transform="B",
                star=1.0,
                permutations=permutations,
                seed=seed,
                n_jobs=1,
            )
        # folded pseudo p-value (one-sided towards the observed sign), made two-sided
        p = np.minimum(1.0, 2.0 * np.asarray(g.p_sim, dtype="float64"))
        return np.asarray(g.Zs, dtype="float64"), p
    z = _gi_star_normal(np.asarray(y, dtype="float64"), w)
    return z, 2.0 * sps.norm.sf(np.abs(z))


def co_hotspots(
    units: gpd.GeoDataFrame,
    /,
    pollutant,
    carbon,
    *,
    alpha: float = 0.05,
    weights: Literal["queen", "knn"] = "queen",
    k: int = 8,
    inference: Literal["normal", "permutation"] = "normal",
    permutations: int = 999,
    seed: int = 12345,
    quantities: Mapping[str, str] | None = None,
    grid_units: Mapping[str, str] | None = None,
    lang: Literal["zh", "en"] = "zh",
    min_coverage: float = MIN_COVERAGE,
) -> gpd.GeoDataFrame:
    """Pollutant and carbon hot spots per unit, and their co-control class.

    Parameters
    ----------
    units : GeoDataFrame
        Control units (any CRS); every row is kept.
    pollutant, carbon : grid or {name: grid}
        Amount or flux grids (:class:`zoning.grid.Grid`: open files with
        :func:`zoning.io.raster.open_grid`; or ``(array, Affine, crs)``); a one-entry mapping names it (default names
        ``pollutant`` and ``carbon``).  Concentration grids are refused: intensities
        per km2 need amounts.
    alpha : float, optional (default: 0.05)
        False discovery rate.
    weights : {"queen", "knn"}, optional (default: "queen")
        Neighbours: shared edge or corner (islands get their nearest unit), or the
        ``k`` nearest units.
    k : int, optional (default: 8)
    inference : {"normal", "permutation"}, optional (default: "normal")
        p-values from the normal approximation of Gi*, or from conditional permutations
        (``permutations``, ``seed``).
    quantities, grid_units : mapping, optional
        Passed to :func:`zoning.stats.zonal_stats`, keyed by grid name.
    lang : {"zh", "en"}, optional (default: "zh")
        Language of ``co_class_label``.
    min_coverage : float, optional (default: 0.5)
        Share of a unit's area that must lie under valid cells for it to take part.

    Returns
    -------
    GeoDataFrame
        The units plus ``area_km2``; for each of ``pollutant`` and ``carbon``: ``_t``
        (t/yr; ``_sum`` when the grid's units are not a mass), ``_t_per_km2``
        (``_per_km2``), ``_coverage``, ``_gi_z``, ``_gi_p``, ``_gi_q`` (FDR-adjusted),
        ``_hot``; then ``co_class`` (both / pollution / carbon / neither / no_data) and
        ``co_class_label``.  ``attrs["summary"]`` holds counts and settings, with the
        units left out of each test (``units_without_data``) and the units tested.
    """
    if not 0 < alpha < 1:
        raise InputError(f"alpha was {alpha} but is expected in (0, 1)", param="alpha")
    if not 0 < min_coverage <= 1:
        raise InputError(
            f"min_coverage was {min_coverage} but is expected in (0, 1]", param="min_coverage"
        )
    if weights not in ("queen", "knn"):
        raise InputError(
            f"weights was '{weights}' but is expected to be in ('queen', 'knn')", param="weights"
        )
    if inference not in ("normal", "permutation"):
        raise InputError(
            f"inference was '{inference}' but is expected to be in ('normal', 'permutation')",
            param="inference",
        )
    pname, pgrid = _named(pollutant, "pollutant")
    cname, cgrid = _named(carbon, "carbon")
    if pname == cname:
        raise InputError(
            f"the pollutant and carbon grids are both named '{pname}'",
            param="carbon",
            fix="give them different names",
        )
    if not isinstance(units, gpd.GeoDataFrame) or units.crs is None:
        raise InputError(
            "units must be a GeoDataFrame with a CRS",
            fix="read them with zoning.io.vector.read_units",
        )
    plan = plan_stats(
        units,
        {pname: pgrid, cname: cgrid},
        stats=["sum", "nodata_share"],
        quantities=quantities,
        grid_units=grid_units,
    )
    # areas where the grid's cells are measured (a projected grid's CRS), so that a uniform
    # grid gives a uniform intensity; EPSG:6933 (equal-area) for longitude/latitude grids
    area_crs = CRS.from_user_input(plan.grids[0].crs.to_string())
    in_grid_crs = area_crs.is_projected
    if not in_grid_crs:
        area_crs = CRS.from_user_input(EQUAL_AREA)
    # the units reprojected once, for their areas and, in a projected grid's CRS, the sums
    measured = gpd.GeoDataFrame(
        geometry=units.geometry if units.crs.equals(area_crs) else units.geometry.to_crs(area_crs)
    )
    summed = measured if in_grid_crs else gpd.GeoDataFrame(geometry=units.geometry)
    sums = combine_stats(summed, [stats_of_units(summed, plan)])
    for name, role in ((pname, "pollutant"), (cname, "carbon")):
        q = sums.attrs["grids"][name]["quantity"]
        if q in ("concentration", "intensive"):
            what = "a concentration" if q == "concentration" else "an intensive quantity"
            raise InputError(
                f"grid '{name}' holds {what}; hot spots of emission intensity need amounts "
                "(t/cell/yr) or fluxes",
                param=role,
                fix="give an emission grid, or declare its quantity",
            )
    out = units.copy()
    area = measured.geometry.area.to_numpy() / 1e6
    out["area_km2"] = area
    ok = np.isfinite(area) & (area > 0)
    if ok.sum() < 3:
        raise InputError(
            f"hot spots need at least 3 units with an area; got {int(ok.sum())}",
            fix="give a unit layer covering the region",
        )
    hot, tested, col_units, left_out, used = {}, {}, {}, {}, {}
    built: dict[bytes, object] = {}  # the neighbours of a set of units, built once
    for role, name in (("pollutant", pname), ("carbon", cname)):
        info = sums.attrs["grids"][name]
        mass = info["units_declared"] and info["output_units"] == "t/yr"
        unit = info["output_units"]  # "unknown" when not declared: never assumed t/yr
        total_col = f"{role}_t" if mass else f"{role}_sum"
        inten_col = f"{role}_t_per_km2" if mass else f"{role}_per_km2"
        total = sums[f"{name}_sum"].to_numpy(dtype="float64")
        cover = sums[f"{name}_coverage"].to_numpy(dtype="float64")
        out[total_col] = total
        # the intensity of the part with data; none below min_coverage (no data is not 0)
        enough = ok & (np.nan_to_num(cover) >= min_coverage) & np.isfinite(total)
        with np.errstate(invalid="ignore", divide="ignore"):
            inten = np.where(enough, total / (area * cover), np.nan)
        out[inten_col] = inten
        out[f"{role}_coverage"] = cover
        out[f"{role}_nodata_share"] = sums[f"{name}_nodata_share"].to_numpy()
        col_units[total_col] = "t/yr" if mass else unit
        col_units[inten_col] = (
            "t/km2/yr" if mass else (f"{unit}/km2" if unit != "unknown" else "unknown")
        )
        col_units[f"{role}_coverage"] = "1"
        z = np.full(len(units), np.nan)
        p = np.full(len(units), np.nan)
        q = np.full(len(units), np.nan)
        idx = np.flatnonzero(np.isfinite(inten))
        left_out[role] = int(ok.sum() - idx.size)
        used[role] = int(idx.size)
        if left_out[role]:
            log.warning(
                "%s: %d unit(s) without data (or under %g of their area covered) left out "
                "of Gi*; %d tested",
                name,
                left_out[role],
                min_coverage,
                idx.size,
            )
        if 0 < idx.size < MIN_UNITS:
            log.warning(
                "%s: only %d unit(s) with data in the Gi* test (fewer than %d): its "
                "significance means little; read the hot spots as descriptive",
                name,
                idx.size,
                MIN_UNITS,
            )
        y = inten[idx]
        # exactextract's coverage fractions are float32: differences below 1e-6 relative
        # are noise, not a pattern
        if idx.size >= 3 and np.ptp(y) > 1e-6 * np.max(np.abs(y)):
            key = idx.tobytes()
            if key not in built:
                built[key] = _weights(units.geometry.iloc[idx], weights, k)
            w = built[key]
            z[idx], p[idx] = _gi_star(y, w, inference, permutations, seed)
            q[idx] = _bh_qvalues(p[idx])
        elif idx.size < 3:
            log.warning("%s: %d unit(s) with data: too few for Gi*, no hot spot", name, idx.size)
        else:
            log.warning("%s intensity is the same in every unit: no hot spot", name)
        out[f"{role}_gi_z"] = z
        out[f"{role}_gi_p"] = p
        out[f"{role}_gi_q"] = q
        hot[role] = np.nan_to_num(z) > 0
        hot[role] &= np.nan_to_num(q, nan=1.0) <= alpha
        tested[role] = np.isfinite(inten)
        out[f"{role}_hot"] = hot[role]
    cls = np.where(
        hot["pollutant"] & hot["carbon"],
        "both",
        np.where(hot["pollutant"], "pollution", np.where(hot["carbon"], "carbon", "neither")),
    )
    # a unit missing from a test is neither hot nor not hot there: no class
    cls = np.where(tested["pollutant"] & tested["carbon"], cls, "no_data")
    out["co_class"] = cls
    out["co_class_label"] = [CO_CLASSES[c][0 if lang == "zh" else 1] for c in cls]
    counts = {c: int((cls == c).sum()) for c in CO_CLASSES}
    out.attrs["units"] = {"area_km2": f"km2 ({crs_label(area_crs)})", **col_units}
    out.attrs["summary"] = {
        "pollutant": pname,
        "carbon": cname,
        "units": len(units),
        "classes": counts,
        "alpha": alpha,
        "fdr": "Benjamini-Hochberg",
        "statistic": "Getis-Ord Gi*",
        "weights": weights,
        "inference": inference,
        "area_crs": area_crs.to_string(),
        "min_coverage": min_coverage,
        "units_tested": used,
        "units_without_data": left_out,
        "too_few_units": {r: 0 < n < MIN_UNITS for r, n in used.items()},
        "min_units": MIN_UNITS,
        "pollutant_total": float(np.nansum(out[_total_col(out, "pollutant")])),
        "carbon_total": float(np.nansum(out[_total_col(out, "carbon")])),
        "grids": sums.attrs["grids"],
    }
    for role in ("pollutant", "carbon"):  # the historical keys, for mass grids
        if f"{role}_t" in out.columns:
            out.attrs["summary"][f"{role}_total_t"] = out.attrs["summary"][f"{role}_total"]
    log.info("co-hot-spots: %s", counts)
    return out


def _total_col(frame, role: str) -> str:
    return f"{role}_t" if f"{role}_t" in frame.columns else f"{role}_sum"


__all__ = ["CO_CLASSES", "MIN_COVERAGE", "MIN_UNITS", "co_hotspots"]
