"""Scale-out with Dask: the same results as on one machine, computed by a Dask cluster.

The work is cut into chunks of rows in input order: facilities for
:func:`conflicts_distributed`, units for :func:`zonal_stats_distributed`.  Each chunk is
computed on a worker by the very function used on one machine
(:func:`zoning.conflicts.conflicts`, :func:`zoning.stats.zonal_stats`) against the whole
of what a row depends on (the units, the rules, the named layers and the grids, sent to
every worker once).  A facility's outcome depends only on its own row and those inputs,
and a unit's statistics only on its own polygon and the grids, so the chunks are
independent; they come back in order and are concatenated, row for row equal to the
single-machine result.

Where it pays: a cluster of several machines, or a facility table larger than one
machine's memory.  On one 2-core machine the single-process path is faster: sending the
inputs to worker processes costs more than the work saves (``benchmarks/scale.py``).

Dask is optional: ``pip install 'zoning[dask]'``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from zoning.errors import InputError
from zoning.stats import chunk_slices

log = logging.getLogger(__name__)


def _distributed():
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise InputError(
            "scale-out needs Dask's distributed scheduler, which is not installed",
            param="scheduler",
            fix="pip install 'zoning[dask]'",
        ) from exc
    return distributed


@contextlib.contextmanager
def cluster(scheduler: str | None = None, workers: int | None = None) -> Iterator[object]:
    """A ``distributed.Client``: connected to ``scheduler`` (``tcp://host:8786``), or to a
    local cluster of ``workers`` processes started here and stopped on exit."""
    distributed = _distributed()
    if scheduler and workers:
        raise InputError(
            "`scheduler` and `workers` were both given",
            param="workers",
            fix="give `scheduler` for an existing cluster, or `workers` for a local one",
        )
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout="20s")
        except (OSError, ValueError, TypeError) as exc:
            raise InputError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}",
                param="scheduler",
                fix="start it (dask scheduler) and its workers, and check the address",
            ) from exc
        with client:
            yield client
        return
    n = workers or 2
    if n < 1:
        raise InputError(f"`workers` was {n}", param="workers", fix="give 1 or more")
    with (
        distributed.LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


def _gather_in_order(client, futures: list, what: str) -> list:
    """Results in submission order, with progress in the log as chunks complete."""
    distributed = _distributed()
    for done, _ in enumerate(distributed.as_completed(futures), start=1):
        log.info("%s: %d/%d chunks done", what, done, len(futures))
    return client.gather(futures)


def conflicts_distributed(
    units: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    /,
    rules,
    grids: Mapping | None = None,
    *,
    client,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    lang: str = "zh",
    missing: str = "error",
    chunk_size: int = 250_000,
) -> gpd.GeoDataFrame:
    """:func:`zoning.conflicts.conflicts` computed on a Dask cluster, chunk by chunk.

    Same parameters, plus ``client`` (a ``distributed.Client``, see :func:`cluster`) and
    ``chunk_size`` (facilities per task).  Returns the same frame, row for row.
    """
    from zoning.conflicts import check_inputs

    check_inputs(units, facilities, rules)
    fac = facilities.reset_index(drop=True)
    shared = client.scatter(
        {
            "units": units.reset_index(drop=True),
            "rules": rules,
            "grids": dict(grids or {}),
            "layers": dict(layers or {}),
        },
        broadcast=True,
        hash=False,
    )
    slices = chunk_slices(len(fac), chunk_size)
    # the chunks go to the workers as data, once each, not inside the task graph (which
    # passes through the scheduler); no hashing of their contents to name them
    chunks = client.scatter([fac.iloc[part] for part in slices], hash=False)
    # each task is one chunk of gen_conflicts, its rows numbered as in the whole table
    futures = [
        client.submit(
            _one_chunk,
            shared["units"],
            chunk,
            shared["rules"],
            shared["grids"],
            layers=shared["layers"],
            lang=lang,
            missing=missing,
            first_row=part.start + 1,
            pure=False,
        )
        for part, chunk in zip(slices, chunks, strict=True)
    ]
    parts = _gather_in_order(client, futures, "conflicts")
    out = pd.concat(parts, ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry=fac.geometry.name, crs=fac.crs)
    if len(out) != len(fac):  # conservation: every input row exactly once
        raise RuntimeError(f"{len(fac)} facilities in but {len(out)} rows out")
    return out


def _one_chunk(units, facilities, rules, grids, **kw) -> gpd.GeoDataFrame:
    """The whole of a chunk as one :func:`zoning.conflicts.gen_conflicts` chunk."""
    from zoning.conflicts import gen_conflicts

    (out,) = gen_conflicts(
        units, facilities, rules, grids, chunk_size=max(len(facilities), 1), **kw
    )
    return out


def zonal_stats_distributed(
    units: gpd.GeoDataFrame,
    /,
    grids: Mapping[str, object],
    *,
    client,
    chunk_size: int = 2_000,
    **options,
) -> gpd.GeoDataFrame:
    """:func:`zoning.stats.zonal_stats` computed on a Dask cluster, units chunk by chunk.

    ``grids`` are open :class:`zoning.grid.Grid` objects (reopened on each worker as they
    were opened here: every worker must be able to read the files), paths (opened here
    with ``quantities``/``grid_units``, then the same) or ``(array, Affine, crs)`` tuples
    (sent to every worker).  Other keyword arguments as for ``zonal_stats``.  Each chunk
    is computed by :func:`zoning.stats.stats_of_units`, the function
    :func:`zoning.stats.gen_zonal_stats` applies to its chunks, and the chunks are put
    together by :func:`zoning.stats.combine_stats`, as on one machine: the same frame, row
    for row, with the same ``attrs``.
    """
    from zoning.io.raster import open_grid
    from zoning.stats import combine_stats, plan_stats, stats_of_units

    require_data = options.pop("require_data", True)
    q, gu = options.get("quantities") or {}, options.get("grid_units") or {}
    opened = {
        name: open_grid(v, name=str(name), quantity=q.get(name), units=gu.get(name))
        for name, v in (grids or {}).items()
        if isinstance(v, (str, Path))
    }
    try:
        # the cluster is the parallelism: no worker processes of zoning.exact in its workers
        options.setdefault("workers", 1)
        plan = plan_stats(units, {**dict(grids or {}), **opened}, **options)
        shared = client.scatter(plan, broadcast=True, hash=False)
        frame = units.reset_index(drop=True)
        # a chunk of units may lie outside a regional grid: the "no data under any unit"
        # check is made once, on the whole table
        futures = [
            client.submit(stats_of_units, chunk, shared, pure=False)
            for chunk in client.scatter(
                [frame.iloc[part] for part in chunk_slices(len(frame), chunk_size)], hash=False
            )
        ]
        parts = _gather_in_order(client, futures, "stats")
        return combine_stats(units, parts, require_data=require_data)
    finally:
        for g in opened.values():
            g.close()
