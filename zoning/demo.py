"""The whole pipeline on the bundled demo region (``zoning demo``).

Steps: read and validate the units → zoning map (zh and en) and GeoJSON/GeoPackage →
then each capability's own demo step (conflicts, screening, statistics, hot spots,
soil, afforestation) as they are built.  Each step writes atomically into ``out_dir``.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

from zoning.datasets import data_dir, demo_path
from zoning.errors import CheckFailed

log = logging.getLogger(__name__)

#: Later steps: ((title zh, title en), module defining ``demo_step(out_dir, lang)``).
STEPS: list[tuple[tuple[str, str], str]] = [
    (("准入条款规则覆盖", "access-list clauses checked by rules"), "zoning.cli.rules"),
    (("准入冲突核查", "access-management conflicts"), "zoning.cli.conflicts"),
    (("项目选址研判", "project screening"), "zoning.cli.screen"),
    (("分单元排放统计", "emission statistics per unit"), "zoning.cli.stats"),
    (("减污降碳协同热点", "pollution-carbon co-hot-spots"), "zoning.cli.hotspots"),
    (("农用地土壤分类", "soil classes of farmland"), "zoning.cli.soil"),
    (("污染耕地造林选址", "afforestation siting"), "zoning.cli.afforest"),
    (("管控单元更新与重新研判", "second edition: diff and re-screening"), "zoning.cli.rescreen"),
    (("新能源与造林配置", "new energy and trees on plots"), "zoning.export.allocate"),
]

GRIDS = {
    "NOx": "nox.tif",
    "SO2": "so2.tif",
    "PM2.5": "pm25.tif",
    "VOCs": "vocs.tif",
    "CO2": "co2.tif",
    "PM2.5 (µg/m³)": "pm25_conc.tif",
}
LAYERS = ["red_line", "water_protection", "river", "facilities", "projects"]


def zoning_step(out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """Validate the bundled units, publish the zoning maps and the unit GeoJSON."""
    from zoning.export.geojson import write_geojson
    from zoning.export.units import export_units
    from zoning.export.zoningmap import zoning_map
    from zoning.io.raster_preview import read_preview
    from zoning.io.vector import read_units, read_vector
    from zoning.validate import normalise_units, validate_units

    units = read_units(demo_path("units.gpkg"))
    report = validate_units(units, outline=read_vector(demo_path("outline.geojson")))
    log.info("validate: %s", report.table().splitlines()[0])
    outputs: dict[str, Path] = {}
    if not report.ok:
        outputs["validation problems"] = write_geojson(
            report.problems, out_dir / "validation_problems.geojson"
        )
        raise CheckFailed(
            f"the bundled units have {len(report.problems)} problem(s); see "
            f"{outputs['validation problems']}"
        )
    units = normalise_units(units)
    layers = {}
    for name in LAYERS:
        for ext in (".gpkg", ".geojson"):
            path = data_dir() / f"{name}{ext}"
            if path.exists():
                layers[name] = read_vector(path)
                break
    for lg in ("zh", "en"):
        grids = {}  # colour-bar units in the map's language
        for label, fname in GRIDS.items():
            path = data_dir() / "grids" / fname
            if path.exists():
                grids[label] = read_preview(path, name=label, lang=lg)
        suffix = "" if lg == lang else f"_{lg}"
        title = (
            "青溪县生态环境分区管控图"
            if lg == "zh"
            else "Qingxi County ecological-environment zoning"
        )
        wm = zoning_map(units, layers, grids=grids, title=title, lang=lg)
        outputs[f"zoning map ({lg})"] = wm.save(out_dir / f"zoning_map{suffix}.html")
    outputs["units GeoJSON"] = export_units(units, out_dir / "units.geojson")
    outputs["units GeoPackage"] = export_units(units, out_dir / "units.gpkg")
    return outputs


def run_demo(
    out_dir: str | Path = "maps", lang: str = "zh", progress: Callable[[str], None] | None = None
) -> dict[str, Path]:
    """Run every step on the bundled region; return output name → path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    say = progress or log.info
    outputs: dict[str, Path] = {}
    t0 = time.perf_counter()
    say("[1] zoning map and GeoJSON")
    outputs.update(zoning_step(out_dir, lang))
    for i, (titles, module_name) in enumerate(STEPS, start=2):
        title = titles[0] if lang == "zh" else titles[1]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            say(f"[{i}] {title}: not available in this version")
            continue
        step = getattr(module, "demo_step", None)
        if step is None:
            continue
        say(f"[{i}] {title}")
        t = time.perf_counter()
        for name, path in step(out_dir, lang=lang).items():
            outputs[f"{title}: {name}"] = Path(path)
        say(f"    done in {time.perf_counter() - t:.1f} s")
    from zoning.export.index import write_index

    outputs["index"] = write_index(outputs, out_dir / "index.html", lang=lang)
    say(f"demo finished in {time.perf_counter() - t0:.1f} s")
    return outputs
