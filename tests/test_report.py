"""Screening reports: files, result.json, summary.csv, the CLI, and the page in a browser."""

from __future__ import annotations

import csv
import hashlib
import json

import geopandas as gpd
import pytest
from click.testing import CliRunner
from conftest import make_units
from shapely.geometry import Point, box

from zoning import __version__
from zoning.cli import main
from zoning.export.report import write_screening
from zoning.rules.schema import parse_rules
from zoning.screen import screen

X0, Y0 = 500000.0, 3300000.0
RULES = """
version: 1
name: {zh: 测试规则, en: Test rules}
layers:
  red_line: {path: red_line.gpkg, zh: 生态保护红线, en: Red line}
rules:
  - id: RED-01
    dimension: spatial
    clause: {zh: 红线内禁止新建工业项目。, en: No new industry in the red line.}
    message: {zh: 工业项目位于红线内, en: Industry inside the red line}
    outcome: prohibited
    when:
      all:
        - sector: [C]
        - near: {layer: red_line, within_m: 0}
  - id: KEY-01
    dimension: emission
    clause: {zh: 重点管控单元新增NOx倍量替代。, en: New NOx in key units needs a 2:1 offset.}
    message: {zh: 新增NOx须倍量替代, en: New NOx needs a 2:1 offset}
    outcome: restricted
    requirement: {zh: NOx 2倍削减替代, en: 2:1 NOx offset}
    scope: {unit_class: 2}
    when: {emission: {pollutant: nox, gt: 0}}
"""


@pytest.fixture
def setup(tmp_path):
    units = make_units()
    red = gpd.GeoDataFrame(
        {"name": ["红线<A>"]}, geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)], crs="EPSG:4549"
    )
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    red.to_file(tmp_path / "red_line.gpkg")
    units.to_file(tmp_path / "units.gpkg")
    return units, red, parse_rules(RULES, source=tmp_path / "rules.yaml"), tmp_path


def _projects():
    return gpd.GeoDataFrame(
        {
            "project_id": ["A1", "B2", "C3"],
            "name": ["化工<script>alert(1)</script>", "涂装", "仓储"],
            "sector": ["2614", "5920", "5920"],
            "nox_t": [1.0, 2.0, None],
        },
        geometry=[
            Point(X0 + 300, Y0 + 300),
            box(X0 + 970, Y0 + 400, X0 + 1070, Y0 + 500),
            Point(X0 + 1500, Y0 + 1500),
        ],
        crs="EPSG:4549",
    )


def test_batch_outputs(setup):
    units, red, rules, tmp = setup
    res = screen(_projects(), units, rules, layers={"red_line": red})
    inputs = {"rules": {"path": "rules.yaml", "sha256": "ab" * 32}}
    paths = write_screening(
        res, tmp / "out", units=units, layers={"red_line": red}, lang="en", inputs=inputs
    )
    assert {"report:A1", "report:B2", "report:C3", "result", "summary"} <= set(paths)
    with open(paths["summary"], encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["verdict"] for r in rows] == ["prohibited", "restricted", "needs-information"]
    assert rows[2]["missing_facts"] == "nox_t"
    assert float(rows[1]["red_line_distance_m"]) == 0.0
    data = json.loads(paths["result"].read_text(encoding="utf-8"))
    assert data["tool_version"] == __version__
    assert data["rule_file"]["sha256"] == "ab" * 32 and data["rule_file"]["rules"] == 2
    assert [p["verdict"] for p in data["projects"]] == [r["verdict"] for r in rows]
    b2 = data["projects"][1]
    assert sorted(round(u["share_pct"]) for u in b2["units"]) == [30, 70]
    one = json.loads((tmp / "out" / "B2" / "result.json").read_text(encoding="utf-8"))
    assert one["project"]["conditions"].startswith("[KEY-01]")
    page = paths["report:A1"].read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page  # escaped, also inside the srcdoc map


@pytest.mark.browser
def test_report_in_browser_offline(setup, browser):
    units, red, rules, tmp = setup
    res = screen(_projects().iloc[1:2], units, rules, layers={"red_line": red})
    paths = write_screening(res, tmp / "one", units=units, layers={"red_line": red}, lang="zh")
    assert set(paths) == {"report", "result", "summary", "site_map"}
    page = browser.open(paths["report"], wait_ms=1200)
    assert page.locator("#verdict").get_attribute("data-verdict") == "restricted"
    assert "有条件准入" in page.locator("#verdict").inner_text()
    rows = page.locator("#units-table tbody tr")
    assert rows.count() == 2
    assert "ZH33990110001" in page.locator("#units-table").inner_text()
    assert page.locator("#signature").is_visible()
    frame = page.frame_locator("iframe#site-map")
    assert frame.locator("path.leaflet-interactive").count() >= 3  # units + site
    assert frame.locator("#zoning-legend").count() == 1
    box_ = page.locator("iframe#site-map").bounding_box()
    assert box_["height"] > 300
    assert page.console_errors == []
    assert all(u.startswith(("file:", "data:", "about:")) for u in page.requests)


def test_cli_wkt_and_exit_codes(setup):
    units, red, rules, tmp = setup
    runner = CliRunner()
    args = ["screen", "--units", str(tmp / "units.gpkg"), "--rules", str(tmp / "rules.yaml")]
    r = runner.invoke(
        main,
        args
        + [
            "--wkt",
            f"POINT ({X0 + 1500} {Y0 + 500})",
            "--crs",
            "EPSG:4549",
            "--sector",
            "3981",
            "--nox-t",
            "3",
            "--out",
            str(tmp / "cli"),
            "--lang",
            "en",
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads((tmp / "cli" / "result.json").read_text(encoding="utf-8"))
    assert data["project"]["verdict"] == "restricted"
    assert data["project"]["facts"]["nox_t"] == 3.0
    sha = hashlib.sha256((tmp / "units.gpkg").read_bytes()).hexdigest()
    assert data["inputs"]["units"]["sha256"] == sha
    assert (tmp / "cli" / "report.html").exists()
    bow = "POLYGON ((500000 3300000, 500100 3300100, 500100 3300000, 500000 3300100))"
    r = runner.invoke(main, args + ["--wkt", bow, "--crs", "EPSG:4549", "--out", str(tmp / "x")])
    assert r.exit_code == 2
    assert "cross" in r.output and "--repair" in r.output
    assert not (tmp / "x").exists()
    r = runner.invoke(main, args + ["--out", str(tmp / "y")])
    assert r.exit_code == 2


def test_cli_vertices_file(setup):
    units, red, rules, tmp = setup
    (tmp / "v.txt").write_text(
        "X Y\n3300400 500970\n3300400 501070\n3300500 501070\n3300500 500970\n", "utf-8"
    )
    r = CliRunner().invoke(
        main,
        [
            "screen",
            "--vertices",
            str(tmp / "v.txt"),
            "--geometry",
            "polygon",
            "--crs",
            "EPSG:4549",
            "--units",
            str(tmp / "units.gpkg"),
            "--rules",
            str(tmp / "rules.yaml"),
            "--sector",
            "2614",
            "--nox-t",
            "0",
            "--out",
            str(tmp / "v"),
        ],
    )
    assert r.exit_code == 0, r.output
    data = json.loads((tmp / "v" / "result.json").read_text(encoding="utf-8"))
    assert data["project"]["verdict"] == "prohibited"
    assert "swapped" in data["project"]["geometry_note"]
    assert data["project"]["area_m2"] == pytest.approx(10000, rel=1e-3)
    assert data["project"]["geom_type"] == "polygon"
    assert data["project"]["geometry_decided_by"] == "--geometry polygon"
    assert "依据：--geometry polygon（用户指定）" in (tmp / "v" / "report.html").read_text("utf-8")


def test_cli_open_vertex_list_refused_closed_one_screened(setup):
    units, red, rules, tmp = setup
    corners = "X Y\n3300400 500970\n3300400 501070\n3300500 501070\n3300500 500970\n"
    (tmp / "open.txt").write_text(corners, "utf-8")
    (tmp / "closed.txt").write_text(corners + "3300400 500970\n", "utf-8")
    args = ["screen", "--crs", "EPSG:4549", "--units", str(tmp / "units.gpkg")]
    args += ["--rules", str(tmp / "rules.yaml"), "--sector", "2614", "--nox-t", "0"]
    r = CliRunner().invoke(
        main, args + ["--vertices", str(tmp / "open.txt"), "--out", str(tmp / "o")]
    )
    assert r.exit_code == 2
    assert "--geometry polygon" in r.output and "--geometry line" in r.output
    assert "Traceback" not in r.output
    assert not (tmp / "o").exists()
    r = CliRunner().invoke(
        main,
        args + ["--vertices", str(tmp / "open.txt"), "--geometry", "line", "--out", str(tmp / "l")],
    )
    assert r.exit_code == 0, r.output
    data = json.loads((tmp / "l" / "result.json").read_text(encoding="utf-8"))
    assert data["project"]["geom_type"] == "line"
    assert data["project"]["geometry_decided_by"] == "--geometry line"
    r = CliRunner().invoke(
        main, args + ["--vertices", str(tmp / "closed.txt"), "--out", str(tmp / "c")]
    )
    assert r.exit_code == 0, r.output
    data = json.loads((tmp / "c" / "result.json").read_text(encoding="utf-8"))
    assert data["project"]["geom_type"] == "polygon"
    assert data["project"]["geometry_decided_by"] == "closed ring"
    assert "依据：闭合的顶点列表" in (tmp / "c" / "report.html").read_text("utf-8")
    summary = (tmp / "c" / "summary.csv").read_text("utf-8-sig")
    assert "geometry_decided_by" in summary and "closed ring" in summary
