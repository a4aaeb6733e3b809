"""Python's cycle collector paused while whole arrays of geometries are made.

Every shapely geometry is an object the cycle collector tracks, so making a million of
them (points from lon/lat, coordinates rounded) runs the collector over and over, each
time visiting every tracked object alive: about half the time of the step.  Geometries
hold no reference cycles, so nothing is lost by collecting once afterwards instead.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cycle collector off inside the block (unless it was off already)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
