"""Grids read whole (thinned when large) for display on a map, with a units label."""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike

from zoning.io.raster import Grid, open_grid


def preview_label(grid: Grid, lang: str = "zh") -> str:
    """The units label of a grid's colour bar: the units of the values shown, as declared
    (``t/格/年``, ``µg/m³``, ``m``), or ``单位未知`` / ``units unknown`` when none were."""
    if grid.declared and grid.quantity in ("amount", "flux") and grid.output_units == "t/yr":
        # read as t/yr per cell (a flux too, after multiplying by the cell areas)
        return "t/格/年" if lang == "zh" else "t/cell/yr"
    if grid.declared and grid.output_units == "people":
        return "人/格" if lang == "zh" else "people/cell"
    return grid.units_label(lang) if grid.quantity != "concentration" else "µg/m³"


def read_preview(
    path: str | PathLike | Grid, /, *, name: str | None = None, lang: str = "zh"
) -> tuple:
    """(array in output units with NaN for no data, Affine, CRS, units label) of a grid.

    Read through :func:`zoning.io.raster.open_grid` (nodata, masks, scale/offset and the
    declared units honoured) and thinned to at most about 2 million cells.
    """
    if isinstance(path, Grid):
        arr, transform = path.read_preview()
        return arr, transform, path.crs, preview_label(path, lang)
    with open_grid(path, name=name) as grid:
        arr, transform = grid.read_preview()
        return arr, transform, grid.crs, preview_label(grid, lang)


def preview_layers(paths: Mapping[str, str | PathLike], /, lang: str = "zh") -> dict:
    """``name → (array, Affine, CRS, units label)`` for ``WebMap.add_grid`` / ``zoning_map``."""
    return {name: read_preview(p, name=name, lang=lang) for name, p in paths.items()}
