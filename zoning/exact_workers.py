"""Worker processes of :mod:`zoning.exact`: the parts a large run is cut into, and the
processes computing them (exactextract holds the GIL, so threads do not help).  A worker
is ``python -c`` loading the zoning package without its ``__init__`` (the exactextract
adapter, the grid type and the grid readers only), fed its job pickled on stdin (grids
open on files travel as how to open them), answering pickled on stdout.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import threading

import numpy as np
import shapely

log = logging.getLogger("zoning.exact")

#: Estimated seconds of work (one process) from which a run uses worker processes.
MIN_PARALLEL_SECONDS = 2.0
#: Processes used by default for a large run (fewer when fewer CPUs are available).
DEFAULT_WORKERS = 2
# the estimate: seconds per unit, per cell under the units, and per cell and grid read;
# and the start of a worker (measured on the national benchmark, 2 cores)
_S_PER_UNIT, _S_PER_CELL, _S_PER_CELL_READ, _S_WORKER_START = 5e-5, 1e-7, 5e-8, 0.8


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _parts(geoms: np.ndarray, grids: dict, workers: int | None) -> list[np.ndarray]:
    """The features cut into parts of about equal work (the first for this process,
    which starts at once), along the longer side of their extent; one part when the run
    is small, the grids are arrays, or ``workers`` is 1."""
    n = len(geoms)
    whole = [np.arange(n)]
    files = all(g._dataset is not None and g._open_args is not None for g in grids.values())
    if workers == 1 or n < 2 or not files:
        return whole
    first = next(iter(grids.values()))
    cell_area = abs(first.transform.a * first.transform.e)
    per_cell = _S_PER_CELL + len(grids) * _S_PER_CELL_READ
    cost = _S_PER_UNIT + np.nan_to_num(shapely.area(geoms)) / cell_area * per_cell
    total = float(cost.sum())
    if workers is None:
        k = min(DEFAULT_WORKERS, _cpus())
        if k < 2 or total < MIN_PARALLEL_SECONDS:
            return whole
    else:
        k = min(int(workers), n)
    # this process starts at once, a worker after its start-up: give each worker that
    # much less (shares of the work: this process s + c, each worker c, in all 1)
    start = min(_S_WORKER_START / total, 0.5) if total > 0 else 0.0
    c = max((1.0 - start) / k, 0.1 / k)
    shares = np.r_[c + start, np.full(k - 1, c)]
    b = shapely.bounds(geoms)
    wide = np.nanmax(b[:, 2]) - np.nanmin(b[:, 0]) >= np.nanmax(b[:, 3]) - np.nanmin(b[:, 1])
    centre = (b[:, 0] + b[:, 2]) if wide else (b[:, 1] + b[:, 3])
    order = np.argsort(np.nan_to_num(centre), kind="stable")
    cum = np.cumsum(cost[order]) / total if total > 0 else np.linspace(0, 1, n)
    cuts = np.searchsorted(cum, np.cumsum(shares)[:-1] / shares.sum())
    parts = [np.sort(p) for p in np.split(order, cuts) if len(p)]
    return parts


_BOOT = (
    "import sys, types\n"
    "pkg = types.ModuleType('zoning')\n"
    "pkg.__path__ = [sys.argv[1]]\n"
    "sys.modules['zoning'] = pkg\n"
    "from zoning.exact import _worker_main\n"
    "_worker_main()\n"
)


class _Worker:
    """A worker process computing one part (:func:`_run`): started at once, fed its job
    (pickled; grids open on files travel as how to open them) from a thread."""

    def __init__(self, job: dict):
        self.n = len(job["ids"])
        self.out = self.err = None
        self.proc = None
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        try:
            payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _BOOT, os.path.dirname(__file__)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
        except (OSError, ValueError, pickle.PicklingError, TypeError, AttributeError) as exc:
            self.err = str(exc).encode()
            return
        self.thread = threading.Thread(target=self._talk, args=(payload,), daemon=True)
        self.thread.start()

    def _talk(self, payload: bytes) -> None:
        try:
            self.out, self.err = self.proc.communicate(payload)
        except (OSError, ValueError) as exc:
            self.err = str(exc).encode()

    def result(self) -> dict | None:
        """The part's columns, or None (logged) when the worker failed."""
        if self.proc is not None:
            self.thread.join()
            if self.proc.returncode == 0 and self.out:
                try:
                    return pickle.loads(self.out)
                except (pickle.UnpicklingError, EOFError, AttributeError, ImportError):
                    pass
        lines = (self.err or b"").decode("utf-8", "replace").strip().splitlines()
        log.warning(
            "a worker process of the exact statistics failed (%s); its %d units are "
            "computed in this process",
            lines[-1] if lines else f"exit code {getattr(self.proc, 'returncode', None)}",
            self.n,
        )
        return None

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.thread.join()


def _peak_rss_mb() -> float | None:
    """This process's peak resident memory since it started its program (``VmHWM``; not
    ``ru_maxrss``, which also counts the parent's pages before the fork's ``exec``)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


#: Peak RSS (MB) of the worker processes of the latest run, for benchmarks.
worker_peaks_mb: list[float] = []
