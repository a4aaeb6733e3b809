"""Colour a 2-D array with a ramp and encode it as PNG (through GDAL, no imaging library)."""

from __future__ import annotations

import warnings

import numpy as np
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile


def _hex_to_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def colorize(data: np.ndarray, stops: list[str], vmin: float, vmax: float) -> np.ndarray:
    """RGBA uint8 array (4, h, w); NaN cells are transparent."""
    rgb = np.array([_hex_to_rgb(s) for s in stops], dtype=float)
    span = (vmax - vmin) or 1.0
    t = np.clip((data - vmin) / span, 0, 1)
    t = np.where(np.isfinite(t), t, 0)
    pos = t * (len(stops) - 1)
    i0 = np.clip(np.floor(pos).astype(int), 0, len(stops) - 2)
    frac = pos - i0
    out = np.empty((4,) + data.shape, dtype=np.uint8)
    for ch in range(3):
        out[ch] = np.round(rgb[i0, ch] * (1 - frac) + rgb[i0 + 1, ch] * frac).astype(np.uint8)
    out[3] = np.where(np.isfinite(data), 255, 0).astype(np.uint8)
    return out


def rgba_png(data: np.ndarray, stops: list[str], vmin: float, vmax: float) -> bytes:
    """PNG bytes of ``data`` coloured with ``stops`` between ``vmin`` and ``vmax``."""
    rgba = colorize(np.asarray(data, dtype=float), stops, vmin, vmax)
    with warnings.catch_warnings(), MemoryFile() as mem:
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with mem.open(
            driver="PNG", width=rgba.shape[2], height=rgba.shape[1], count=4, dtype="uint8"
        ) as dst:
            dst.write(rgba)
        return mem.read()
