"""`zoning demo` end to end on the bundled county: every step writes its outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from zoning.cli import main
from zoning.datasets import demo_path
from zoning.io.vector import read_vector


def test_demo_runs_every_step(tmp_path):
    res = CliRunner().invoke(main, ["demo", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.stdout.splitlines() if ": " in ln]
    paths = [ln.rsplit(": ", 1)[1] for ln in lines]
    assert paths, res.output
    # one language: no English line in the Chinese demo's log (stderr) and listing (stdout)
    from zoning._demo_log import foreign_lines

    assert foreign_lines(res.stderr + res.stdout, "zh") == []
    for p in paths:
        assert Path(p).exists(), p
    assert (tmp_path / "zoning_map.html").exists() and (tmp_path / "units.geojson").exists()
    assert "not available" not in res.output  # every capability is wired in
    # each map speaks its own language, down to the grid colour bars' units
    en = (tmp_path / "zoning_map_en.html").read_text(encoding="utf-8")
    zh = (tmp_path / "zoning_map.html").read_text(encoding="utf-8")
    assert "t/cell/yr" in en and "t/格/年" not in en
    assert "t/格/年" in zh

    # conservation: every facility of the demo appears exactly once in the conflicts output
    facilities = read_vector(demo_path("facilities.gpkg"))
    table = pd.read_csv(tmp_path / "conflicts" / "conflicts.csv", dtype=str)
    assert len(table) == len(facilities)
    assert sorted(table["facility_id"]) == sorted(facilities["facility_id"])
    summary = json.loads((tmp_path / "conflicts" / "summary.json").read_text(encoding="utf-8"))
    assert summary  # counts by status are there

    # every proposed project of the demo has one row in the screening summary
    projects = read_vector(demo_path("projects.geojson"))
    screened = pd.read_csv(tmp_path / "screening" / "summary.csv", dtype=str)
    assert sorted(screened["project_id"]) == sorted(projects["project_id"])

    # the rule-coverage table, and projects whose units have clauses no rule checks
    assert (tmp_path / "rules_coverage.csv").exists()
    assert (tmp_path / "rules_coverage.html").exists()
    assert (screened["review_count"].astype(float) > 0).any()

    # the front page, the static thumbnails, the new maps, the printable reports
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "项目选址研判: 26 个项目" in index and "准入冲突核查" in index
    thumbs = (
        "zoning_map.png", "zoning_map_en.png", "conflicts/conflicts.png", "hotspots/hotspots.png",
        "stats/unit_stats.png", "soil/parcels_soil.png", "afforest/afforest.png",
        "allocate/map.png", "editions/diff/diff_map.png", "rules_coverage.png",
        "screening/P001/site_map.png",
    )  # fmt: skip
    for png in thumbs:
        assert (tmp_path / png).is_file() and f"src='{png}'" in index, png
    assert (tmp_path / "stats" / "unit_stats.html").is_file()
    assert (tmp_path / "soil" / "parcels_soil.html").is_file()
    assert (tmp_path / "screening" / "P006" / "site_map.png").is_file()
