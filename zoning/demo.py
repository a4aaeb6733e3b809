"""The whole pipeline on the bundled demo region (``zoning demo``).

Steps: read and validate the units → zoning map (zh and en) and GeoJSON/GeoPackage →
each product's run on the demo data (rule coverage, conflicts, screening, statistics,
hot spots, soil, afforestation, the second edition).  Each step writes atomically into
``out_dir``; what a step reports is said through ``say`` in the run's language (the
library's own English progress logs are held back while the demo runs; warnings pass).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from zoning.datasets import data_dir, demo_path
from zoning.errors import CheckFailed

log = logging.getLogger(__name__)

Step = Callable[[Path, str, Callable[[str], None]], dict[str, Path]]

GRIDS = {
    "NOx": "nox.tif",
    "SO2": "so2.tif",
    "PM2.5": "pm25.tif",
    "VOCs": "vocs.tif",
    "CO2": "co2.tif",
    "PM2.5 (µg/m³)": "pm25_conc.tif",
}
LAYERS = ["red_line", "water_protection", "river", "facilities", "projects"]


def zoning_step(
    out_dir: Path, lang: str = "zh", say: Callable[[str], None] | None = None
) -> dict[str, Path]:
    """Validate the bundled units, publish the zoning maps and the unit GeoJSON."""
    from zoning.export.geojson import write_geojson
    from zoning.export.units import export_units
    from zoning.export.zoningmap import zoning_map
    from zoning.io.raster_preview import read_preview
    from zoning.io.vector import read_units, read_vector
    from zoning.validate import normalise_units, validate_units

    units = read_units(demo_path("units.gpkg"))
    report = validate_units(units, outline=read_vector(demo_path("outline.geojson")))
    (say or log.info)(
        f"校验：{report.n_units} 个单元，发现 {len(report.problems)} 个问题"
        if lang == "zh"
        else f"validate: {report.table().splitlines()[0]}"
    )
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
        from zoning.export.mapfigures import THUMBNAIL, units_png

        png = out_dir / f"zoning_map{suffix}.png"
        if lg == lang:  # the static twin, also the front page's thumbnail
            units_png(units, layers, png, lang=lg, title=title)
            outputs["管控分区图（PNG）" if lang == "zh" else "zoning map (PNG)"] = png
        else:  # the other language's map: a thumbnail for the front page
            units_png(units, layers, png, lang=lg, title=title, **THUMBNAIL)
    outputs["units GeoJSON"] = export_units(units, out_dir / "units.geojson")
    outputs["units GeoPackage"] = export_units(units, out_dir / "units.gpkg")
    return outputs


def coverage_step(out_dir: Path, lang: str, say: Callable[[str], None]) -> dict[str, Path]:
    """The coverage of the bundled rules over the demo units: ``rules_coverage.csv/.html``."""
    from zoning.io.rulefile import read_rules
    from zoning.io.vector import read_units
    from zoning.runs import run_coverage

    rules = read_rules(demo_path("rules.yaml"))
    units = read_units(demo_path("units.gpkg"))
    r = run_coverage(units, rules, Path(out_dir) / "rules_coverage.csv", lang=lang)
    _say_all(say, r.lines)
    return {"coverage table (CSV)": r.paths["csv"], "coverage table": r.paths["html"]}


def _demo_inputs(
    rule_set, rules_path: Path, /, *, demo_grids: bool = True, **files: str
) -> tuple[dict, dict, dict, str]:
    """The rule layers and grids of the demo rules, and the inputs with their paths under
    ``data/`` and hashes; a missing demo grid leaves its rules undecided (``demo_grids``:
    the grids are looked up among the demo data, else read from the rule file's paths)."""
    from zoning.errors import DataSourceError
    from zoning.inputs import bind_rule_inputs
    from zoning.io.digest import file_sha256

    inputs = {
        key: {"path": f"data/{name}", "sha256": file_sha256(demo_path(name))}
        for key, name in files.items()
    }
    missing = "error"
    grid_paths = {}
    for name in rule_set.needed_grids() if demo_grids else ():
        try:
            grid_paths[name] = str(demo_path(rule_set.grids[name].path))
        except DataSourceError:
            log.warning("demo grid '%s' is missing; rules on it stay undecided", name)
            missing = "unknown"
    lay, grd, more = bind_rule_inputs(rule_set, {}, grid_paths, None)
    for key, val in more.items():
        val["path"] = "data/" + Path(val["path"]).relative_to(rules_path.parent).as_posix()
        inputs[key] = val
    return lay, grd, inputs, missing


def screening_step(out_dir: Path, lang: str, say: Callable[[str], None]) -> dict[str, Path]:
    """Screen the demo's proposed projects into ``out_dir/"screening"`` (a report each)."""
    from zoning.io.projects import read_projects
    from zoning.io.rulefile import read_rules
    from zoning.io.vector import read_units
    from zoning.runs import run_screening

    rules_path = demo_path("rules.yaml")
    rules = read_rules(rules_path)
    units = read_units(demo_path("units.gpkg"))
    projects = read_projects(demo_path("projects.geojson"))
    lay, grd, inputs, missing = _demo_inputs(
        rules, rules_path, project="projects.geojson", units="units.gpkg", rules="rules.yaml"
    )
    r = run_screening(
        projects,
        units,
        rules,
        layers=lay,
        grids=grd,
        out=Path(out_dir) / "screening",
        lang=lang,
        inputs=inputs,
        missing=missing,
    )
    _say_all(say, r.lines)
    return r.paths


def editions_step(out_dir: Path, lang: str, say: Callable[[str], None]) -> dict[str, Path]:
    """The demo's second edition: diff it against the first and re-screen the demo's
    screening results under it (after the screening step)."""
    from zoning.io.results import read_results
    from zoning.io.rulefile import read_rules
    from zoning.io.vector import read_units
    from zoning.runs import run_diff, run_rescreen

    out_dir = Path(out_dir)
    old = read_units(demo_path("units.gpkg"))
    new = read_units(demo_path("units_v2.gpkg"))
    d = run_diff(
        old, new, out_dir / "editions" / "diff", lang=lang,
        sources={"old": "data/units.gpkg", "new": "data/units_v2.gpkg"},
    )  # fmt: skip
    _say_all(say, d.lines)
    outputs = {"diff map": d.paths["map"], "update statement": d.paths["statement"]}
    earlier = out_dir / "screening" / "result.json"
    if not earlier.exists():
        return outputs
    rules_path = demo_path("rules_v2.yaml")
    rules = read_rules(rules_path)
    lay, grd, inputs, _ = _demo_inputs(
        rules, rules_path, demo_grids=False, units="units_v2.gpkg", rules="rules_v2.yaml"
    )
    r = run_rescreen(
        read_results([earlier]), new, rules, layers=lay, grids=grd, inputs=inputs,
        out=out_dir / "editions" / "rescreen", lang=lang,
        old_rules=read_rules(demo_path("rules.yaml")),
    )  # fmt: skip
    _say_all(say, r.lines)
    outputs["rescreen table"] = r.paths["table"]
    return outputs


def _say_all(say: Callable[[str], None], lines) -> None:
    for line in lines:
        say(line)


# The other products' demo runs live beside their library runs.


def conflicts_step(out_dir: Path, lang: str, say: Callable[[str], None]) -> dict[str, Path]:
    """Access-management conflicts of the demo facilities."""
    from zoning.export.conflicts import summary_text
    from zoning.products.conflicts import demo_conflicts

    paths, summary = demo_conflicts(out_dir, lang=lang)
    # the demo is run from the command line: a missing column is mapped with its flag
    _say_all(say, summary_text(summary, lang, field_option="--facilities-field").splitlines())
    return paths


def stats_step(out_dir: Path, lang: str, say: Callable[[str], None]) -> dict[str, Path]:
    """Exact per-unit statistics of the demo grids."""
    from zoning.products.stats import demo_stats

    return demo_stats(out_dir, lang=lang)


def hotspots_step(out_dir: Path, lang: str, say: Callable[[str], None]) -> dict[str, Path]:
    """Pollution-carbon co-hot-spots of the demo grids."""
    from zoning.products.hotspots import demo_hotspots

    return demo_hotspots(out_dir, lang=lang)


def soil_step(out_dir: Path, lang: str, say: Callable[[str], None]) -> dict[str, Path]:
    """GB 15618-2018 classes of the demo samples and parcels."""
    from zoning.afforest import demo_soil

    return demo_soil(out_dir, lang=lang)


def afforest_step(out_dir: Path, lang: str, say: Callable[[str], None]) -> dict[str, Path]:
    """Afforestation sites on the demo's strict-control farmland."""
    from zoning.afforest import demo_afforest

    return demo_afforest(out_dir, lang=lang)


def allocate_step(out_dir: Path, lang: str, say: Callable[[str], None]) -> dict[str, Path]:
    """Trees, photovoltaics or neither on the demo's polluted plots (closed mine, former
    factory site, subsidence area, farmland)."""
    from zoning.products.allocate import demo_step

    return demo_step(out_dir, lang=lang)


#: The steps in order: ((title zh, title en), step).
STEPS: list[tuple[tuple[str, str], Step]] = [
    (("管控分区图与 GeoJSON", "zoning map and GeoJSON"), zoning_step),
    (("准入条款规则覆盖", "access-list clauses checked by rules"), coverage_step),
    (("准入冲突核查", "access-management conflicts"), conflicts_step),
    (("项目选址研判", "project screening"), screening_step),
    (("分单元排放统计", "emission statistics per unit"), stats_step),
    (("减污降碳协同热点", "pollution-carbon co-hot-spots"), hotspots_step),
    (("农用地土壤分类", "soil classes of farmland"), soil_step),
    (("污染耕地造林选址", "afforestation siting"), afforest_step),
    (("管控单元更新与重新研判", "second edition: diff and re-screening"), editions_step),
    (("新能源与造林配置", "new energy and trees on polluted plots"), allocate_step),
]


def _thumbnails(out_dir: Path, lang: str) -> dict[str, Path]:
    """Static twins of the maps (``x.html`` → ``x.png``), the front page's thumbnails,
    drawn in Python from each step's own output; a map whose output is missing gets none.
    The conflicts and hot-spot PNGs are listed; the others are small thumbnails."""
    from zoning.export.mapfigures import conflicts_png, hotspots_png
    from zoning.io.vector import read_units, read_vector

    written: dict[str, Path] = {}
    zh = lang == "zh"
    units = read_units(demo_path("units.gpkg"))
    conf = out_dir / "conflicts" / "conflicts.geojson"
    if conf.is_file():
        frame = read_vector(conf)
        if "status" in frame.columns:
            png = out_dir / "conflicts" / "conflicts.png"
            conflicts_png(frame, units, path=png, lang=lang)
            written["准入冲突图（PNG）" if zh else "conflicts map (PNG)"] = png
    hot = out_dir / "hotspots" / "hotspots.geojson"
    if hot.is_file():
        frame = read_vector(hot)
        if "co_class" in frame.columns:
            png = out_dir / "hotspots" / "hotspots.png"
            hotspots_png(frame, png, lang=lang)
            written["协同热点图（PNG）" if zh else "co-hot-spot map (PNG)"] = png
    from zoning._demo_thumbs import THUMBS

    for draw in THUMBS:
        try:
            draw(out_dir, lang, units)
        except (OSError, KeyError, ValueError) as exc:  # a thumbnail never fails the demo
            log.warning("%s: %s", draw.__name__, exc)
    return written


@contextmanager
def _one_language(lang: str = "en"):
    """Hold back the library's INFO logs (English) while the demo speaks one language;
    warnings and errors still pass, and so does progress, both in the run's language
    (:class:`zoning._demo_log.OneLanguage` on every handler that shows them)."""
    from zoning._demo_log import OneLanguage

    lib = logging.getLogger("zoning")
    before, own = lib.level, log.level
    if lib.getEffectiveLevel() < logging.WARNING:
        log.setLevel(lib.getEffectiveLevel())  # the demo's own lines still pass
        lib.setLevel(logging.WARNING)
    speaker = OneLanguage(lang)
    handlers = {
        *logging.getLogger().handlers,
        *lib.handlers,
        *logging.getLogger("zoning.progress").handlers,
    }
    for h in handlers:
        h.addFilter(speaker)
    try:
        yield
    finally:
        for h in handlers:
            h.removeFilter(speaker)
        lib.setLevel(before)
        log.setLevel(own)


def run_demo(
    out_dir: str | Path = "maps", lang: str = "zh", progress: Callable[[str], None] | None = None
) -> dict[str, Path]:
    """Run every step on the bundled region; return output name → path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    say = progress or log.info
    outputs: dict[str, Path] = {}
    t0 = time.perf_counter()
    done = "完成，用时" if lang == "zh" else "done in"
    with _one_language(lang):
        for i, (titles, step) in enumerate(STEPS, start=1):
            title = titles[0] if lang == "zh" else titles[1]
            say(f"[{i}] {title}")
            t = time.perf_counter()
            for name, path in step(out_dir, lang, say).items():
                key = name if i == 1 else f"{title}: {name}"
                outputs[key] = Path(path)
            say(f"    {done} {time.perf_counter() - t:.1f} s")
        from zoning.export.index import write_index

        outputs.update(_thumbnails(out_dir, lang))
        outputs["index"] = write_index(outputs, out_dir / "index.html", lang=lang)
    say(
        f"演示完成，用时 {time.perf_counter() - t0:.1f} s"
        if lang == "zh"
        else f"demo finished in {time.perf_counter() - t0:.1f} s"
    )
    return outputs
