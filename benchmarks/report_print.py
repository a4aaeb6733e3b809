"""Time of one project's printed reports: HTML alone, then PDF and Word beside it.

Screens the demo project with the most units (P009, a pipeline through nine units) and
times ``write_screening`` (report.html with its embedded map, result.json) and
``write_printed_reports`` (report.pdf, report.docx), each the best of three runs after a
warm-up.  Targets: HTML <= 1 s; HTML + PDF + DOCX <= 3 s.

Then cold: a fresh ``python -c`` process per run screens P009 and times its first
``write_screening`` (the imports of matplotlib, the font look-up, the transformers are
paid there), HTML alone and HTML + PDF + DOCX, wall and CPU time, best of three.

Run: python benchmarks/report_print.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zoning.cli.options import bind_rule_inputs
from zoning.datasets import demo_path
from zoning.export.printed import write_printed_reports
from zoning.export.report import write_screening
from zoning.io.projects import read_projects
from zoning.io.rulefile import read_rules
from zoning.io.vector import read_units
from zoning.screen import screen


def main() -> None:
    rules = read_rules(demo_path("rules.yaml"))
    units = read_units(demo_path("units.gpkg"))
    projects = read_projects(demo_path("projects.geojson"))
    one = projects[projects["project_id"] == "P009"]
    grids = {n: str(demo_path(rules.grids[n].path)) for n in rules.needed_grids()}
    layers, grids, _ = bind_rule_inputs(rules, {}, grids, None)
    result = screen(one, units, rules, grids, layers)
    with tempfile.TemporaryDirectory() as tmp:
        html, printed = [], {"pdf": [], "docx": []}
        for k in range(4):
            out = Path(tmp) / str(k)
            t0 = time.perf_counter()
            paths = write_screening(result, out, units=units, layers=layers, lang="zh")
            t1 = time.perf_counter()
            for kind in ("pdf", "docx"):
                s = time.perf_counter()
                write_printed_reports(paths, lang="zh", formats=(kind,))
                printed[kind].append(time.perf_counter() - s)
            html.append(t1 - t0)
        h, p, d = min(html[1:]), min(printed["pdf"][1:]), min(printed["docx"][1:])
        print(f"HTML report        {h:.2f} s  (target <= 1 s)")
        print(f"+ PDF              {p:.2f} s")
        print(f"+ DOCX             {d:.2f} s")
        print(f"HTML + PDF + DOCX  {h + p + d:.2f} s  (target <= 3 s)")
        print(
            f"first run (cold imports): PDF {printed['pdf'][0]:.2f} s, DOCX {printed['docx'][0]:.2f} s"
        )

    cold()


#: One fresh process: screen P009, then time its first report (HTML, or all three).
_COLD = """
import json, sys, tempfile, time
from pathlib import Path
from zoning.cli.options import bind_rule_inputs
from zoning.datasets import demo_path
from zoning.export.report import write_screening
from zoning.io.projects import read_projects
from zoning.io.rulefile import read_rules
from zoning.io.vector import read_units
from zoning.screen import screen
rules = read_rules(demo_path("rules.yaml"))
units = read_units(demo_path("units.gpkg"))
projects = read_projects(demo_path("projects.geojson"))
one = projects[projects["project_id"] == "P009"]
grids = {n: str(demo_path(rules.grids[n].path)) for n in rules.needed_grids()}
layers, grids, _ = bind_rule_inputs(rules, {}, grids, None)
result = screen(one, units, rules, grids, layers)
w0, c0 = time.perf_counter(), time.process_time()
with tempfile.TemporaryDirectory() as tmp:
    paths = write_screening(result, Path(tmp) / "r", units=units, layers=layers, lang="zh")
    if sys.argv[1] == "all":
        from zoning.export.printed import write_printed_reports
        write_printed_reports(paths, lang="zh", formats=("pdf", "docx"))
print(json.dumps([time.perf_counter() - w0, time.process_time() - c0]))
"""


def cold(runs: int = 3) -> None:
    """The first report of a fresh process (best of ``runs`` processes), wall and CPU."""
    for mode, target in (("html", 1), ("all", 3)):
        best = min(
            json.loads(
                subprocess.run(
                    [sys.executable, "-c", _COLD, mode], capture_output=True, text=True, check=True
                ).stdout.splitlines()[-1]
            )
            for _ in range(runs)
        )
        label = "HTML report" if mode == "html" else "HTML + PDF + DOCX"
        print(f"cold {label:18s} {best[0]:.2f} s wall, {best[1]:.2f} s CPU  (target <= {target} s)")


if __name__ == "__main__":
    main()
