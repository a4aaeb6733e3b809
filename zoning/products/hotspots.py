"""The whole hot-spot run: open the two grids → Gi* co-hot-spots per unit → write them.

``zoning hotspots`` and ``zoning demo`` both call :func:`run_hotspots`; the grid files are
opened here (through :mod:`zoning.io.raster`), the hot spots found by
:func:`zoning.hotspots.co_hotspots`, written by
:func:`zoning.export.hotspots_map.write_hotspots` (GeoJSON, map, summary).
"""

from __future__ import annotations

from pathlib import Path

from zoning.export.hotspots_map import write_hotspots
from zoning.hotspots import co_hotspots
from zoning.io.raster import open_grid
from zoning.io.raster_preview import read_preview


def run_hotspots(
    units,
    pollutant: tuple[str, str],
    carbon: tuple[str, str],
    out: Path,
    *,
    alpha: float = 0.05,
    weights: str = "queen",
    inference: str = "normal",
    lang: str = "zh",
    quantities=None,
    grid_units=None,
    min_coverage: float = 0.5,
    png: bool = False,
) -> dict[str, Path]:
    """Co-hot-spots of a pollutant grid and a carbon grid (each ``(name, path)``), written
    into ``out``; returns the paths written."""
    (pname, ppath), (cname, cpath) = pollutant, carbon
    if pname == cname:
        cname = cname + "_carbon"
    q = quantities or {}
    gu = grid_units or {}
    grids, layers = {}, {}
    try:
        for name, path in ((pname, ppath), (cname, cpath)):
            g = open_grid(path, name=name, quantity=q.get(name), units=gu.get(name))
            grids[name] = g
            layers[name] = read_preview(g, lang=lang)
        res = co_hotspots(
            units,
            {pname: grids[pname]},
            {cname: grids[cname]},
            alpha=alpha,
            weights=weights,
            inference=inference,
            lang=lang,
            min_coverage=min_coverage,
        )
    finally:
        for g in grids.values():
            g.close()
    res.attrs["summary"]["sources"] = {pname: str(ppath), cname: str(cpath)}
    paths = write_hotspots(res, out, grids=layers, lang=lang)
    if png:
        from zoning.export.mapfigures import hotspots_png

        target = Path(out) / "hotspots.png"
        hotspots_png(res, target, lang=lang)
        paths = {**paths, "png": target}
    return paths


def demo_hotspots(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """Co-hot-spots of the demo NOx (pollutant) and CO2 grids → ``out_dir/"hotspots"``."""
    from zoning.datasets import demo_path
    from zoning.io.vector import read_units

    units = read_units(demo_path("units.gpkg"))
    paths = run_hotspots(
        units,
        ("nox", str(demo_path("grids/nox.tif"))),
        ("co2", str(demo_path("grids/co2.tif"))),
        Path(out_dir) / "hotspots",
        lang=lang,
    )
    return {f"hotspots_{k}": v for k, v in paths.items()}


__all__ = ["demo_hotspots", "run_hotspots"]
