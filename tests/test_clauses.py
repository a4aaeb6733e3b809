"""Access-list clauses: splitting, rule links, coverage, and the review field of verdicts."""

from __future__ import annotations

import csv
import json
import logging

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from zoning.clauses import split_text, split_units, text_hash
from zoning.cli import main
from zoning.conflicts import conflicts, summarize
from zoning.errors import RuleError
from zoning.export.report import write_screening
from zoning.rules.coverage import clause_coverage, coverage_counts, unchecked_clauses
from zoning.rules.schema import parse_rules
from zoning.screen import screen

X0, Y0 = 500000.0, 3300000.0
CHEM = "禁止新建化工项目"  # the unchecked prohibition of unit 1

RULES = """
version: 1
rules:
  - id: IND-01
    dimension: spatial
    clause: {zh: 禁止新建燃煤电厂。, en: No new coal power.}
    clauses:
      - 禁止新建燃煤电厂。
    message: {zh: 燃煤电厂, en: Coal power}
    outcome: prohibited
    when:
      all:
        - stage: proposed
        - sector: ['4411']
  - id: EMI-01
    dimension: emission
    clause: {zh: 新建项目氮氧化物排放实行倍量替代, en: NOx offsets.}
    clauses: [ZH33990120002:emission:1]
    message: {zh: 须倍量替代, en: Needs a 2:1 offset}
    outcome: restricted
    requirement: {zh: 倍量替代, en: 2:1 offset}
    scope: {unit_class: 2}
    when: {emission: {pollutant: nox, gt: 0}}
  - id: NEAR-01
    dimension: spatial
    clause: {zh: 禁止新建化工类项目, en: No new chemicals.}
    message: {zh: 化工, en: Chemicals}
    outcome: prohibited
    scope: {unit_class: 3}
    when: {sector: ['26']}
"""


@pytest.fixture
def units():
    texts = [
        # unit 1 (priority): a checked and an unchecked prohibition, an unchecked duty
        ("1. 禁止新建燃煤电厂。2、禁止新建化工项目；加强巡查。", "", 1),
        # unit 2 (key): the emission clause linked by id
        ("(1) 禁止新建燃煤电厂", "① 新建项目氮氧化物排放实行倍量替代。\n② 推进清洁生产。", 2),
        # unit 3 (general): no access-list text at all
        (None, None, 3),
    ]
    rows = []
    for k, (sp, em, cls) in enumerate(texts):
        rows.append(
            {
                "code": f"ZH339901{cls}{k + 1:04d}",
                "name": f"单元{k + 1}",
                "unit_class": cls,
                "access_spatial": sp,
                "access_emission": em,
                "geometry": box(X0 + k * 1000, Y0, X0 + (k + 1) * 1000, Y0 + 1000),
            }
        )
    return gpd.GeoDataFrame(rows, crs="EPSG:4549")


@pytest.fixture
def rules():
    return parse_rules(RULES)


# --- splitting --------------------------------------------------------------------------


def test_split_on_items_punctuation_and_lines():
    cs = split_text(
        "1. 禁止新建工业项目；已建成的，责令关闭。2、不得设置排污口（1.5 km内）\n"
        "（3）严禁采砂。④ 推广节水",
        dimension="spatial",
        unit_code="ZH33990110001",
    )
    assert [c.text for c in cs] == [
        "禁止新建工业项目",
        "已建成的，责令关闭",
        "不得设置排污口（1.5 km内）",  # 1.5 is not an item number
        "严禁采砂",
        "推广节水",
    ]
    assert [c.item for c in cs] == ["1", "1", "2", "3", "④"]
    assert [c.prohibition for c in cs] == [True, False, True, True, False]
    assert [c.n for c in cs] == [1, 2, 3, 4, 5]
    assert cs[0].id == f"ZH33990110001:spatial:1@{text_hash('禁止新建工业项目')}"
    assert split_text(None) == [] and split_text("  ") == []


def test_ids_are_stable_and_follow_the_text():
    a = split_text("1. 禁止新建工业项目。", unit_code="ZH33990110001")[0]
    b = split_text("1.禁止新建工业项目", unit_code="ZH33990110001")[0]
    c = split_text("1. 禁止新建化工项目。", unit_code="ZH33990110001")[0]
    assert a.id == b.id  # closing punctuation and spaces do not change the hash
    assert a.key == c.key and a.id != c.id  # same place, other text: other id


def test_english_twin_is_aligned():
    cs = split_text(
        "1. 禁止新建工业项目。2. 加强巡查。",
        text_en="1. No new industrial projects. 2. Patrols are strengthened.",
    )
    assert [c.text_en for c in cs] == ["No new industrial projects", "Patrols are strengthened"]


def test_split_units_marks_units_without_text(units):
    per = split_units(units)
    assert [len(cs) for cs in per] == [3, 3, 0]
    assert {c.dimension for c in per[1]} == {"spatial", "emission"}


# --- rule files -------------------------------------------------------------------------


def test_clause_refs_are_checked_with_lines():
    bad = RULES.replace(
        "[ZH33990120002:emission:1]", "[ZH3399012:emission:1, 推进清洁生产, 推进清洁生产。]"
    )
    with pytest.raises(RuleError) as exc:
        parse_rules(bad, source="r.yaml")
    text = str(exc.value)
    assert "line 18" in text and "'ZH3399012:emission:1' is not a clause id" in text
    assert "listed twice" in text
    with pytest.raises(RuleError, match="expected a list of clause ids or texts"):
        parse_rules(RULES.replace("[ZH33990120002:emission:1]", "推进清洁生产"))


# --- coverage ---------------------------------------------------------------------------


def test_links_by_text_and_by_id_and_suggestions_do_not_count(units, rules):
    table, links = clause_coverage(units, rules)
    by = {(r.unit_code, r.clause): r for r in table.itertuples()}
    # by text, in both units (the text ends with 。 in the rule file, not in unit 2)
    assert by[("ZH33990110001", "禁止新建燃煤电厂")].rule_ids == "IND-01"
    assert by[("ZH33990120002", "禁止新建燃煤电厂")].rule_ids == "IND-01"
    # by id
    assert by[("ZH33990120002", "新建项目氮氧化物排放实行倍量替代")].rule_ids == "EMI-01"
    # a near match is a suggestion, never coverage
    chem = by[("ZH33990110001", CHEM)]
    assert not chem.covered and chem.rule_ids == ""
    assert chem.suggestions.startswith("NEAR-01 (")
    counts = coverage_counts(table)
    assert counts == {
        "units": 3,
        "units_without_access_list": 1,
        "clauses": 6,
        "covered": 3,
        "uncovered": 3,
        "uncovered_prohibitions": 1,
        "distinct_texts": 5,
        "distinct_covered": 2,
        "distinct_uncovered": 3,
    }
    assert pd.isna(table.loc[table["unit_code"] == "ZH33990130003", "covered"]).all()
    assert not links.unmatched


def test_stale_hash_and_scope_do_not_count(units):
    text = RULES.replace("[ZH33990120002:emission:1]", "[ZH33990120002:emission:1@000000]")
    text = text.replace(
        "scope: {unit_class: 3}", "scope: {unit_class: 3}\n    clauses: [禁止新建化工项目]"
    )
    table, links = clause_coverage(units, parse_rules(text))
    row = table[table["clause"] == "新建项目氮氧化物排放实行倍量替代"].iloc[0]
    assert not row["covered"]
    assert links.stale["EMI-01"][0][0] == "ZH33990120002:emission:1@000000"
    chem = table[table["clause"] == CHEM].iloc[0]
    assert not chem["covered"] and chem["linked_out_of_scope"] == "NEAR-01"


def test_unchecked_prohibitions_come_first(units, rules):
    left = unchecked_clauses(units, rules)
    assert [c.text for c in left[0]] == [CHEM, "加强巡查"]
    assert [c.text for c in left[1]] == ["推进清洁生产"]
    assert left[2] is None  # no access list: unknown, not "nothing to review"


# --- screening and conflicts ------------------------------------------------------------


def _project(x, **facts):
    return gpd.GeoDataFrame(
        {"project_id": ["P1"], "stage": ["proposed"], "sector": ["2614"], "nox_t": [0.0], **facts},
        geometry=[Point(x, Y0 + 500)],
        crs="EPSG:4549",
    )


def test_screening_flags_the_unchecked_prohibition(units, rules, tmp_path):
    res = screen(_project(X0 + 500), units, rules)
    row = res.projects.iloc[0]
    assert row["verdict"] == "allowed"  # the verdict stays what the rules decided
    assert row["review_count"] == 2
    assert row["review_en"] == "2 clauses not machine-checked: review by hand"
    assert row["review_zh"] == "2 条条款未经机器核查，需人工复核"
    assert res.review["clause_zh"].tolist() == [CHEM, "加强巡查"]
    assert res.review["prohibition"].tolist() == [True, False]

    paths = write_screening(res, tmp_path / "out", units=units, lang="en", maps=False)
    page = paths["report"].read_text(encoding="utf-8")
    verdict_at, box_at = page.index('id="verdict"'), page.index('id="review"')
    assert verdict_at < box_at < page.index("<h2>", verdict_at)  # right under the verdict
    assert "[prohibition] Spatial layout constraints, item 2: " + CHEM in page
    data = json.loads(paths["result"].read_text(encoding="utf-8"))["project"]
    assert data["verdict"] == "allowed" and data["review_count"] == 2
    assert data["review_clauses"][0]["clause_zh"] == CHEM
    assert data["review_clauses"][0]["clause_ids"].startswith("ZH33990110001:spatial:2@")
    with open(paths["summary"], encoding="utf-8-sig") as fh:
        summary = list(csv.DictReader(fh))[0]
    assert summary["review_count"] == "2"
    assert summary["review_clauses"].startswith("[prohibition] " + CHEM)


def test_screening_without_access_text_has_no_count(units, rules):
    res = screen(_project(X0 + 2500), units, rules)
    row = res.projects.iloc[0]
    assert pd.isna(row["review_count"])
    assert "no access-list text" in row["review_en"] and "ZH33990130003" in row["review_en"]


def test_conflicts_carry_the_review_beside_the_status(units, rules):
    fac = gpd.GeoDataFrame(
        {
            "facility_id": ["A", "B", "C"],
            "stage": ["proposed"] * 3,
            "sector": ["4411", "2614", "5920"],
        },
        geometry=[
            Point(X0 + 500, Y0 + 500),
            Point(X0 + 1500, Y0 + 500),
            Point(X0 + 2500, Y0 + 500),
        ],
        crs="EPSG:4549",
    )
    res = conflicts(units, fac, rules, lang="en").set_index("facility_id")
    assert res["status"].tolist() == ["conflict", "ok", "ok"]
    assert res.at["A", "review_count"] == 2
    assert res.at["A", "review_clauses"].startswith(
        "[prohibition] Spatial layout constraints, item 2: " + CHEM
    )
    assert res.at["B", "review"] == "1 clause not machine-checked: review by hand"
    assert pd.isna(res.at["C", "review_count"]) and "no access-list text" in res.at["C", "review"]
    rev = summarize(res.reset_index(), rules)["review"]
    assert rev == {"facilities": 2, "ok_with_clauses_to_review": 1, "without_access_list": 1}


def test_rule_tag_unseen_in_the_data_warns(units, caplog):
    rules = parse_rules(
        RULES.replace("sector: ['4411']", "tags: gas").replace("IND-01", "GAS-01", 1)
    )
    fac = gpd.GeoDataFrame(
        {"stage": ["proposed"] * 2, "tags": ["natural_gas,power", "coal"]},
        geometry=[Point(X0 + 500, Y0 + 500), Point(X0 + 600, Y0 + 500)],
        crs="EPSG:4549",
    )
    with caplog.at_level(logging.WARNING, logger="zoning.conflicts"):
        res = conflicts(units, fac, rules)
    assert (res["status"] == "ok").all()
    msg = " ".join(r.getMessage() for r in caplog.records)
    assert "rule tag 'gas' (GAS-01) matches no facility's tag" in msg
    assert "natural_gas" in msg and "coal" in msg and "did you mean natural_gas" in msg
    caplog.clear()
    fac["tags"] = ["gas", "coal"]
    with caplog.at_level(logging.WARNING, logger="zoning.conflicts"):
        conflicts(units, fac, rules)
    assert "rule tag" not in " ".join(r.getMessage() for r in caplog.records)


# --- the command ------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path, units):
    units.to_file(tmp_path / "units.gpkg")
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    return tmp_path


def test_coverage_cli_writes_csv_and_html(files):
    out = files / "cov" / "coverage.csv"
    res = CliRunner().invoke(
        main,
        ["rules", "coverage", "-u", str(files / "units.gpkg"), "-r", str(files / "rules.yaml"),
         "--lang", "en", "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "6 clauses in 3 units: 3 checked by a rule, 3 not (1 prohibitions)" in res.stderr
    assert "1 units have no access-list text" in res.stderr
    table = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert len(table) == 7 and table["clause_id"].notna().sum() == 6
    page = (files / "cov" / "coverage.html").read_text(encoding="utf-8")
    first = page.index("<tbody>")
    assert page.index(CHEM, first) < page.index("禁止新建燃煤电厂", first)  # uncovered first
    assert 'class="uncovered pro"' in page and "NEAR-01 (" in page


def test_coverage_cli_refuses_other_outputs(files):
    out = files / "coverage.html"
    res = CliRunner().invoke(
        main,
        ["rules", "coverage", "-u", str(files / "units.gpkg"), "-r", str(files / "rules.yaml"),
         "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 2 and "not a .csv file" in res.stderr
    assert "Traceback" not in res.output and not out.exists()


def test_demo_rules_link_the_checkable_clauses():
    from zoning.datasets import demo_path
    from zoning.io.rulefile import read_rules
    from zoning.io.vector import read_units

    table, links = clause_coverage(
        read_units(demo_path("units.gpkg")), read_rules(demo_path("rules.yaml"))
    )
    counts = coverage_counts(table)
    assert counts["clauses"] == 936 and counts["covered"] == 214
    assert not links.unmatched and not links.stale
    # what is left needs facts the data do not carry
    left = set(table.loc[~table["covered"].astype(bool), "clause"])
    assert "禁止从事网箱养殖、旅游、游泳、垂钓或者其他可能污染饮用水水体的活动" in left
    assert "禁止设置排污口" not in left


@pytest.mark.browser
def test_review_box_is_seen_at_a_glance(units, rules, tmp_path, browser):
    res = screen(_project(X0 + 500), units, rules)
    paths = write_screening(res, tmp_path / "out", units=units, lang="zh")
    page = browser.open(paths["report"], wait_ms=800)
    box_ = page.locator("#review")
    assert box_.is_visible()
    assert box_.get_attribute("data-review-count") == "2"
    assert "2 条条款未经机器核查，需人工复核" in box_.inner_text()
    first = page.locator("#review li").first
    assert CHEM in first.inner_text() and "[禁止]" in first.inner_text()
    bb = box_.bounding_box()
    assert bb["y"] < 900  # on the first screen, without scrolling
    verdict = page.locator("#verdict").bounding_box()
    assert 0 <= bb["y"] - (verdict["y"] + verdict["height"]) < 40  # right under the verdict
    colour = page.evaluate("getComputedStyle(document.getElementById('review')).borderTopColor")
    assert colour == "rgb(230, 167, 0)"  # the highlighted frame
    assert page.console_errors == []


def test_conflicts_cli_writes_the_review(files):
    fac = gpd.GeoDataFrame(
        {"facility_id": ["A", "B"], "stage": ["proposed"] * 2, "sector": ["5920"] * 2},
        geometry=[Point(X0 + 500, Y0 + 500), Point(X0 + 2500, Y0 + 500)],
        crs="EPSG:4549",
    )
    fac.to_file(files / "fac.gpkg")
    out = files / "conf"
    res = CliRunner().invoke(
        main,
        ["conflicts", "-u", str(files / "units.gpkg"), "-r", str(files / "rules.yaml"),
         "-f", str(files / "fac.gpkg"), "--lang", "en", "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "review by hand: 1 facilities are in units with clauses no rule checks" in res.stderr
    table = pd.read_csv(out / "conflicts.csv", dtype=str, encoding="utf-8-sig")
    assert table.loc[0, "status"] == "ok" and table.loc[0, "review_count"] == "2"
    assert CHEM in table.loc[0, "review_clauses"]
    assert pd.isna(table.loc[1, "review_count"])  # no access list: no count, never 0
    assert "no access-list text" in table.loc[1, "review"]
    geo = json.loads((out / "conflicts.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["review_count"] for f in geo["features"]] == [2, None]
    page = (out / "conflicts.html").read_text(encoding="utf-8")
    assert "Clauses no rule checks" in page and "2 clauses not machine-checked" in page
