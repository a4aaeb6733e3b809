"""Editions of the zoning: diff_units, the rule diff and the `zoning diff` command."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from zoning.cli import main
from zoning.diff import diff_clauses, diff_units, split_clauses
from zoning.errors import InputError
from zoning.geo import EQUAL_AREA
from zoning.rulediff import diff_rules
from zoning.rules.schema import parse_rules

S = 0.01  # degrees: a box of about 1 km
SPATIAL = "1. 禁止新建化工项目。2. 严格控制开发强度。"


def unit(code, cls, x0, y0, x1, y1, spatial=SPATIAL, name=None):
    return {
        "code": code,
        "unit_class": cls,
        "name": name or f"单元{code[-4:]}",
        "access_spatial": spatial,
        "access_emission": "1. 污染物排放总量控制。",
        "geometry": box(120 + x0 * S, 30 + y0 * S, 120 + x1 * S, 30 + y1 * S),
    }


def edition(rows) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, crs="EPSG:4490")


@pytest.fixture
def old():
    return edition(
        [
            unit("ZH33010110001", 1, 0, 0, 1, 1),
            unit("ZH33010130001", 3, 1, 0, 2, 1),
            unit("ZH33010130002", 3, 2, 0, 3, 1),
            unit("ZH33010130003", 3, 3, 0, 4, 1),
            unit("ZH33010130004", 3, 0, 1, 1, 2),
            unit("ZH33010130005", 3, 1, 1, 2, 2),
            unit("ZH33010130006", 3, 2, 1, 3, 2),
            unit("ZH33010120001", 2, 3, 1, 4, 2, name="重点单元"),
            unit("ZH33010130007", 3, 4, 0, 5, 1),
        ]
    )


@pytest.fixture
def new():
    return edition(
        [
            unit("ZH33010110001", 1, 0, 0, 1, 1),  # unchanged
            unit("ZH33010130001", 3, 1, 0, 2, 1, spatial="1. 禁止新建化工、冶炼项目。2. 严格控制开发强度。"),
            unit("ZH33010130002", 3, 2, 0, 3.2, 1),  # reshaped: grows by 20 %
            unit("ZH33010130003", 3, 3.2, 0, 4, 1),  # reshaped: shrinks
            unit("ZH33010130004", 3, 0, 1, 0.5, 2),  # split ...
            unit("ZH33010130008", 3, 0.5, 1, 1, 2),  # ... into two
            unit("ZH33010130005", 3, 1, 1, 3, 2),  # merged from 0005 and 0006
            unit("ZH33010120002", 2, 3, 1, 4, 2, name="重点单元"),  # recoded, same shape
            unit("ZH33010130009", 3, 5, 0, 6, 1),  # added (0007 removed)
        ]
    )  # fmt: skip


def _change(d, kind):
    rows = d.changes[d.changes["kind"] == kind]
    assert len(rows) >= 1, d.changes[["kind", "old_codes", "new_codes"]]
    return rows


def test_every_change_kind(old, new):
    d = diff_units(old, new)
    assert d.counts == {
        "split": 1, "merged": 1, "added": 1, "removed": 1, "recoded": 1, "reshaped": 2,
        "attributes": 1, "unchanged": 1,
    }  # fmt: skip
    split = _change(d, "split").iloc[0]
    assert split["old_codes"] == "ZH33010130004"
    assert split["new_codes"] == "ZH33010130004;ZH33010130008"
    merged = _change(d, "merged").iloc[0]
    assert merged["old_codes"] == "ZH33010130005;ZH33010130006"
    assert merged["new_codes"] == "ZH33010130005"
    rec = _change(d, "recoded").iloc[0]
    assert (rec["old_codes"], rec["new_codes"]) == ("ZH33010120001", "ZH33010120002")
    assert rec["area_change_m2"] == pytest.approx(0, abs=1e-6)
    grown = d.changes[d.changes["new_codes"] == "ZH33010130002"].iloc[0]
    assert grown["kind"] == "reshaped"
    assert grown["area_change_pct"] == pytest.approx(20.0, abs=0.01)
    area = gpd.GeoSeries([box(120.02, 30, 120.03, 30.01)], crs="EPSG:4490").to_crs(EQUAL_AREA)
    assert grown["area_change_m2"] == pytest.approx(0.2 * area.area.iloc[0], rel=1e-6)
    assert _change(d, "removed").iloc[0]["old_codes"] == "ZH33010130007"
    assert _change(d, "added").iloc[0]["new_codes"] == "ZH33010130009"
    # the unchanged unit is not a change; every unit of either edition is accounted for
    assert "ZH33010110001" not in set(d.units["code"])
    assert len(d.units[d.units["edition"] == "old"]) + 1 == len(old)
    assert len(d.units[d.units["edition"] == "new"]) + 1 == len(new)


def test_a_split_and_a_merge_at_once():
    # old A (2 km wide) and B; new A1 = west half of A, A2 = east half of A + all of B
    old = edition([unit("ZH33010130001", 3, 0, 0, 2, 1), unit("ZH33010130002", 3, 2, 0, 2.5, 1)])
    new = edition([unit("ZH33010130001", 3, 0, 0, 1, 1), unit("ZH33010130003", 3, 1, 0, 2.5, 1)])
    d = diff_units(old, new)
    kinds = d.changes.set_index("kind")
    assert d.counts["split"] == 1 and d.counts["merged"] == 1
    assert kinds.loc["split", "old_codes"] == "ZH33010130001"
    assert kinds.loc["split", "new_codes"] == "ZH33010130001;ZH33010130003"
    assert kinds.loc["merged", "old_codes"] == "ZH33010130001;ZH33010130002"
    assert kinds.loc["merged", "new_codes"] == "ZH33010130003"
    # ZH33010130002 is not a retired code reused, and nothing is removed
    assert d.counts["removed"] == 0


def test_transition_matrix_sums_to_both_editions(old, new):
    new = new.copy()
    new.loc[new["code"] == "ZH33010130005", "unit_class"] = 2  # a reclassification
    d = diff_units(old, new)
    ea_old = old.to_crs(EQUAL_AREA).area.groupby(old["unit_class"]).sum()
    ea_new = new.to_crs(EQUAL_AREA).area.groupby(new["unit_class"]).sum()
    m = d.matrix("area_m2")
    keys = {1: "priority", 2: "key", 3: "general"}
    for c, k in keys.items():
        assert m.loc[k].sum() == pytest.approx(ea_old.get(c, 0.0), abs=1.0)  # rows: old edition
        assert m[k].sum() == pytest.approx(ea_new.get(c, 0.0), abs=1.0)  # columns: new edition
    assert m.to_numpy().sum() == pytest.approx(
        old.to_crs(EQUAL_AREA).union_all().union(new.to_crs(EQUAL_AREA).union_all()).area, abs=1.0
    )
    assert m.loc["general", "key"] == pytest.approx(
        old[old["code"].isin(["ZH33010130005", "ZH33010130006"])].to_crs(EQUAL_AREA).area.sum(),
        abs=1.0,
    )
    # the planar measure is in the Gauss-Krüger zone of 120°E, and says so
    assert d.gk_crs == "EPSG:4549"
    planar = d.matrix("planar_area_m2")
    gk_old = old.to_crs("EPSG:4549").area.groupby(old["unit_class"]).sum()
    assert planar.loc["general"].sum() == pytest.approx(gk_old[3], abs=1.0)
    assert abs(planar.loc["general"].sum() - m.loc["general"].sum()) > 1.0  # not the same figure


def test_priority_decrease_fires_and_not(old, new):
    d = diff_units(old, new)
    assert "priority_decrease" not in set(d.findings["reason"])
    shrunk = new.copy()
    shrunk.loc[shrunk["code"] == "ZH33010110001", "geometry"] = box(120, 30, 120 + 0.7 * S, 30 + S)
    shrunk.loc[shrunk["code"] == "ZH33010130001", "geometry"] = box(
        120 + 0.7 * S, 30, 120 + 2 * S, 30 + S
    )
    d = diff_units(old, shrunk)
    f = d.findings[d.findings["reason"] == "priority_decrease"]
    assert len(f) == 1 and f["severity"].iloc[0] == "fail"
    lost = gpd.GeoSeries([box(120 + 0.7 * S, 30, 120 + S, 30 + S)], crs="EPSG:4490").to_crs(
        EQUAL_AREA
    )
    assert f["area_m2"].iloc[0] == pytest.approx(lost.area.iloc[0], abs=1.0)
    assert f["codes"].iloc[0] == "ZH33010110001"
    assert not d.ok


def test_reviewer_checks_codes_overlaps_gaps_and_class_access():
    old = edition([unit("ZH33010130001", 3, 0, 0, 1, 1), unit("ZH33010130002", 3, 1, 0, 2, 1),
                   unit("ZH33010130003", 3, 2, 0, 3, 1)])  # fmt: skip
    new = edition(
        [
            unit("ZH33010120001", 2, 0, 0, 1, 1),  # reclassified, same access list
            unit("ZH33010130002", 3, 1, 0, 2.2, 1),  # grows over its neighbour
            unit("ZH33010130005", 3, 2.5, 0, 3, 1),  # the rest; serial 0004 skipped
            unit("ZH33010130003", 3, 5, 0, 6, 1),  # a retired code reused elsewhere
        ]
    )
    d = diff_units(old, new)
    reasons = set(d.findings["reason"])
    assert {"class_change_without_access_change", "code_reused", "new_gap", "code_gap"} <= reasons
    gap = d.findings[d.findings["reason"] == "new_gap"].iloc[0]
    assert gap["codes"] == "ZH33010130003"
    assert "ZH33010130004" in d.findings[d.findings["reason"] == "code_gap"]["codes"].iloc[0]
    overl = edition([*new.iloc[:2].to_dict("records"), unit("ZH33010130005", 3, 2.1, 0, 3, 1)])
    d2 = diff_units(old, overl)
    assert "new_overlap" in set(d2.findings["reason"])
    assert d2.findings[d2.findings["reason"] == "new_overlap"]["area_m2"].iloc[0] > 1e4


def test_clause_reworded_versus_unchanged():
    assert split_clauses("1. 禁止A。2. 限制B（PM2.5超标时）。") == [
        "禁止A。",
        "限制B（PM2.5超标时）。",
    ]
    assert diff_clauses(SPATIAL, SPATIAL) == []
    # renumbering alone is no change
    assert diff_clauses("1. 甲。2. 乙。", "1. 乙。2. 甲。") == []
    out = diff_clauses(SPATIAL, "1. 禁止新建化工、冶炼项目。2. 严格控制开发强度。3. 新增条款内容。")
    assert [c["change"] for c in out] == ["reworded", "added"]
    assert out[0]["old"] == "禁止新建化工项目。" and out[0]["new"] == "禁止新建化工、冶炼项目。"
    assert diff_clauses("1. 甲乙丙丁。", "1. 完全不同的条款文字。") == [
        {"change": "removed", "old": "甲乙丙丁。", "new": None},
        {"change": "added", "old": None, "new": "完全不同的条款文字。"},
    ]


def test_clause_changes_of_a_unit(old, new):
    d = diff_units(old, new)
    c = d.clauses
    assert len(c) == 1
    assert c.iloc[0][["old_code", "dimension", "change"]].tolist() == [
        "ZH33010130001",
        "spatial",
        "reworded",
    ]
    assert d.changes[d.changes["kind"] == "attributes"]["attributes"].iloc[0] == "access_spatial"


def test_bad_editions_are_refused(old):
    dup = old.copy()
    dup.loc[1, "code"] = dup.loc[0, "code"]
    with pytest.raises(InputError, match="used by 2 units"):
        diff_units(dup, old)
    bad = old.copy()
    bad["unit_class"] = bad["unit_class"].astype(object)
    bad.loc[2, "unit_class"] = "unknown"
    with pytest.raises(InputError, match="no known class") as exc:
        diff_units(old, bad)
    assert exc.value.row == 3


def test_identical_editions_have_no_change(old):
    d = diff_units(old, old.to_crs("EPSG:4549"))  # another CRS: matched by geometry anyway
    assert d.counts["unchanged"] == len(old)
    assert len(d.changes) == 0 and d.ok


def test_cli_diff_writes_everything_and_exits_1_on_failed_check(tmp_path, old, new):
    old.to_file(tmp_path / "old.gpkg")
    new.to_file(tmp_path / "new.gpkg")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["diff", str(tmp_path / "old.gpkg"), str(tmp_path / "new.gpkg"),
                                    "--out", str(out), "--lang", "en"])  # fmt: skip
    assert res.exit_code == 1, res.output  # the removed unit leaves a gap
    assert "new_gap" in res.output
    for name in ("changes.geojson", "transitions.csv", "units_changed.csv", "statement_classes.csv",
                 "statement_units.csv", "diff_map.html", "statement.html", "findings.csv"):  # fmt: skip
        assert (out / name).exists(), name
    fc = json.loads((out / "changes.geojson").read_text(encoding="utf-8"))
    assert sorted(f["properties"]["kind"] for f in fc["features"]) == sorted(
        ["split", "merged", "added", "removed", "recoded", "reshaped", "reshaped", "attributes"]
    )
    t = pd.read_csv(out / "transitions.csv")
    assert set(t["area_crs"]) == {"EPSG:6933 (equal-area)"}
    assert t["planar_crs"].iloc[0].startswith("EPSG:4549")
    page = (out / "statement.html").read_text(encoding="utf-8")
    assert "Units and areas by class" in page and "ZH33010130008" in page


def test_cli_diff_per_edition_options(tmp_path, old):
    renamed = old.rename(columns={"code": "DYBM", "unit_class": "FL"})
    renamed.to_file(tmp_path / "old.shp", encoding="gbk")
    (tmp_path / "old.cpg").unlink(missing_ok=True)
    old.to_file(tmp_path / "new.shp", encoding="utf-8")
    (tmp_path / "new.prj").unlink()  # no CRS: --new-crs must say it
    out = tmp_path / "out"
    args = ["diff", str(tmp_path / "old.shp"), str(tmp_path / "new.shp"), "--out", str(out),
            "--old-field", "code=DYBM", "--old-field", "unit_class=FL", "--old-encoding", "gbk"]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and "--new-crs" in res.output
    assert not out.exists()
    res = CliRunner().invoke(main, [*args, "--new-crs", "EPSG:4490"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["unchanged"] == len(old) and summary["ok"]


def test_diff_map_offline(tmp_path, old, new, browser):
    from zoning.export.diff import diff_map

    path = diff_map(diff_units(old, new), old, new, lang="en").save(tmp_path / "m.html")
    page = browser.open(path)
    assert page.console_errors == []
    assert all(u.startswith(("file:", "data:", "about:")) for u in page.requests)
    text = page.inner_text("body")
    assert "old edition" in text and "new edition" in text and "changes" in text


test_diff_map_offline = pytest.mark.browser(test_diff_map_offline)


# --- rule files ---------------------------------------------------------------------------

RULES = """
version: 1
rules:
  - id: R1
    dimension: emission
    clause: {zh: 新增排放1吨以上须削减替代, en: offsets above 1 t}
    message: {zh: 须削减替代, en: needs offsets}
    outcome: restricted
    requirement: {zh: 2倍削减替代, en: 2:1 offset}
    scope: {unit_class: 2}
    when:
      all:
        - stage: proposed
        - emission: {pollutant: nox, ge: 1}
  - id: R2
    dimension: spatial
    clause: {zh: 禁止化工, en: no chemicals}
    message: {zh: 化工项目, en: chemical plant}
    outcome: prohibited
    when:
      sector: ["26"]
"""


def test_rule_diff_added_removed_changed():
    old = parse_rules(RULES)
    text = (
        RULES.replace("ge: 1}", "ge: 0.5}")
        .replace("outcome: restricted", "outcome: prohibited")
        .replace("    requirement: {zh: 2倍削减替代, en: 2:1 offset}\n", "")
    )
    text = text.replace("  - id: R2", "  - id: R3")
    t = diff_rules(old, parse_rules(text))
    assert set(zip(t["rule_id"], t["change"], t["part"], strict=True)) == {
        ("R1", "changed", "condition"), ("R1", "changed", "outcome"), ("R1", "changed", "requirement"),
        ("R3", "added", "rule"), ("R2", "removed", "rule"),
    }  # fmt: skip
    cond = t[(t["rule_id"] == "R1") & (t["part"] == "condition")].iloc[0]
    assert cond["before"] == "(stage is proposed and nox_t >= 1)"
    assert cond["after"] == "(stage is proposed and nox_t >= 0.5)"
    assert diff_rules(old, old).empty


def test_rules_diff_command(tmp_path):
    from zoning.cli.rules_diff import diff

    (tmp_path / "a.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(RULES.replace("禁止化工", "禁止新建化工"), encoding="utf-8")
    res = CliRunner().invoke(diff, [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")])
    assert res.exit_code == 0, res.output
    assert (
        "R2: clause changed from “禁止化工 / no chemicals” to “禁止新建化工 / no chemicals”"
        in res.output
    )
    res = CliRunner().invoke(
        diff, [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--out", str(tmp_path / "d.csv")]
    )
    assert res.exit_code == 0
    assert pd.read_csv(tmp_path / "d.csv")["rule_id"].tolist() == ["R2"]
    res = CliRunner().invoke(
        diff,
        [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--out", str(tmp_path / "d.json")],
    )
    assert (
        json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))["changes"][0]["part"]
        == "clause"
    )
    assert not hasattr(__import__("zoning.cli.rules_diff", fromlist=["x"]), "command")


def test_demo_second_edition():
    from zoning.datasets import demo_path
    from zoning.io.vector import read_units

    d = diff_units(read_units(demo_path("units.gpkg")), read_units(demo_path("units_v2.gpkg")))
    assert d.counts["split"] == 1 and d.counts["merged"] == 1 and d.counts["recoded"] == 1
    assert list(d.findings[d.findings["severity"] == "fail"]["reason"]) == ["priority_decrease"]
    assert np.isclose(d.matrix().loc["priority", "general"], 1.389, atol=0.001)


def test_split_part_reclassified_without_access_change_is_found():
    old = edition([unit("ZH33010130001", 3, 0, 0, 2, 1)])
    new = edition([unit("ZH33010130001", 3, 0, 0, 1, 1), unit("ZH33010120001", 2, 1, 0, 2, 1)])
    d = diff_units(old, new)
    split = d.changes[d.changes["kind"] == "split"].iloc[0]
    assert "class General control → Key control" in split["reason_en"]
    assert "unit_class" in split["attributes"]
    f = d.findings[d.findings["reason"] == "class_change_without_access_change"]
    assert f["codes"].tolist() == ["ZH33010130001;ZH33010120001"]


def test_rules_diff_is_a_subcommand_of_zoning_rules():
    from click.testing import CliRunner

    from zoning.cli import main
    from zoning.datasets import demo_path

    res = CliRunner().invoke(
        main, ["rules", "diff", str(demo_path("rules.yaml")), str(demo_path("rules_v2.yaml"))]
    )
    assert res.exit_code == 0, res.output
    assert "EMI-01: condition changed" in res.output
    assert "1 changed" in res.output
    res = CliRunner().invoke(main, ["rules", "diff", "nope.yaml", str(demo_path("rules.yaml"))])
    assert res.exit_code == 2 and "nope.yaml" in res.output


def test_update_statement_in_pdf_and_word(tmp_path):
    from docx import Document
    from pypdf import PdfReader

    from zoning.datasets import demo_path
    from zoning.diff import diff_units
    from zoning.export.diff import write_diff
    from zoning.io.vector import read_units

    old, new = read_units(demo_path("units.gpkg")), read_units(demo_path("units_v2.gpkg"))
    d = diff_units(old, new)
    paths = write_diff(d, tmp_path / "d", old=old, new=new, lang="zh")
    text = "".join(p.extract_text() for p in PdfReader(paths["statement pdf"]).pages)
    assert "管控单元更新说明" in text and "ZH33990110028" in text
    doc = Document(paths["statement docx"])
    assert len(doc.tables) >= 2
    heads = [c.text for c in doc.tables[0].rows[0].cells]
    assert "管控类别" in heads[0]
    codes = "".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "ZH33990110028" in codes
