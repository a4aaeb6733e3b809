"""Time of one project's printed reports: HTML alone, then PDF and Word beside it.

Screens the demo project with the most units (P009, a pipeline through nine units) and
times ``write_screening`` (report.html with its embedded map, result.json) and
``write_printed_reports`` (report.pdf, report.docx), each the best of three runs after a
warm-up.  Targets: HTML <= 1 s; HTML + PDF + DOCX <= 3 s.

Run: python benchmarks/report_print.py
"""

from __future__ import annotations

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


if __name__ == "__main__":
    main()
