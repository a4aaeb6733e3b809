"""Re-screening earlier results under a new edition; conflicts against a baseline."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point, box

from zoning.cli import main
from zoning.errors import InputError
from zoning.export.report import write_screening
from zoning.io.results import read_results
from zoning.rescreen import compare_conflicts, rescreen
from zoning.rules.schema import parse_rules
from zoning.screen import screen

RULES = """
version: 1
rules:
  - id: EMI-01
    dimension: emission
    clause: {zh: 新增NOx排放1吨/年以上须倍量削减替代, en: 2:1 offsets above 1 t/yr}
    message: {zh: 须倍量削减替代, en: needs a 2:1 offset}
    outcome: restricted
    requirement: {zh: 2倍削减替代, en: 2:1 offset}
    scope: {unit_class: 2}
    when:
      all:
        - stage: proposed
        - emission: {pollutant: nox, ge: 1}
  - id: ECO-01
    dimension: spatial
    clause: {zh: 优先保护单元禁止新建工业项目, en: no new industry in priority units}
    message: {zh: 优先保护单元内新建工业, en: new industry in a priority unit}
    outcome: prohibited
    scope: {unit_class: 1}
    when:
      all:
        - stage: proposed
        - sector: ["C"]
"""
TIGHTER = RULES.replace("ge: 1}", "ge: 0.25}")


def units(classes=(1, 2, 3)) -> gpd.GeoDataFrame:
    rows = []
    for k, cls in enumerate(classes):
        rows.append(
            {
                "code": f"ZH339901{cls}{k + 1:04d}",
                "unit_class": cls,
                "name": f"单元{k + 1}",
                "geometry": box(120 + k * 0.01, 30, 120 + (k + 1) * 0.01, 30.01),
            }
        )
    return gpd.GeoDataFrame(rows, crs="EPSG:4490")


def projects() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "project_id": ["P1", "P2", "P3"],
            "name": ["小型涂装线", "纺织厂", "电子厂"],
            "sector": ["3360", "1713", "3981"],
            "stage": ["proposed"] * 3,
            "nox_t": [0.5, 0.1, 1.5],
        },
        geometry=[Point(120.015, 30.005), Point(120.016, 30.004), Point(120.025, 30.005)],
        crs="EPSG:4326",
    )


@pytest.fixture
def earlier(tmp_path):
    result = screen(projects(), units(), parse_rules(RULES))
    write_screening(result, tmp_path / "before", maps=False)
    return tmp_path / "before"


def test_rescreen_flips_one_verdict_and_not_another(earlier):
    results = read_results([earlier])
    assert [r["project"]["verdict"] for r in results] == ["allowed", "allowed", "allowed"]
    rs = rescreen(results, units(), parse_rules(TIGHTER), old_rules=parse_rules(RULES))
    t = rs.table.set_index("project_id")
    why = "changed in the new rules: condition: (stage is proposed and nox_t >= 1) → "
    assert why in t.loc["P1", "why_en"]
    assert t.loc["P1", "verdict_changed"] and t.loc["P1", "new_verdict"] == "restricted"
    assert t.loc["P1", "rules_now_fired"] == "EMI-01"
    assert "EMI-01" in t.loc["P1", "why_en"] and "allowed → restricted" in t.loc["P1", "why_en"]
    # P2 emits 0.1 t/yr, under the tighter threshold too; P3 is in a general unit
    assert not t.loc["P2", "changed"] and t.loc["P2", "why_en"] == "no change"
    assert not t.loc["P3", "changed"]
    assert len(rs.result) == 3


def test_rescreen_new_units_reclassified(earlier):
    # the general unit of P3 becomes a key unit (code class digit 2)
    new = units((1, 2, 2))
    rs = rescreen(read_results([earlier]), new, parse_rules(RULES))
    t = rs.table.set_index("project_id")
    assert t.loc["P3", "units_changed"] and t.loc["P3", "verdict_changed"]
    assert (t.loc["P3", "old_units"], t.loc["P3", "new_units"]) == (
        "ZH33990130003",
        "ZH33990120003",
    )
    assert "units ZH33990130003 (general) → ZH33990120003 (key)" in t.loc["P3", "why_en"]
    assert not t.loc["P1", "changed"]


def test_rescreen_same_edition_changes_nothing(earlier):
    rs = rescreen(read_results([earlier / "result.json"]), units(), parse_rules(RULES))
    assert not rs.table["changed"].any()


def test_read_results_refuses_what_is_not_a_result(tmp_path):
    (tmp_path / "result.json").write_text(json.dumps({"foo": 1}), encoding="utf-8")
    with pytest.raises(InputError, match="no screened project"):
        read_results([tmp_path])
    with pytest.raises(InputError, match="no result.json"):
        read_results([tmp_path / "nothing"])


def test_cli_rescreen(tmp_path, earlier):
    units().to_file(tmp_path / "units_v2.gpkg")
    (tmp_path / "rules_v2.yaml").write_text(TIGHTER, encoding="utf-8")
    out = tmp_path / "rs"
    res = CliRunner().invoke(
        main,
        ["rescreen", str(earlier), "--units", str(tmp_path / "units_v2.gpkg"), "--rules",
         str(tmp_path / "rules_v2.yaml"), "--out", str(out), "--lang", "en"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "P1: verdict allowed → restricted" in res.output
    t = pd.read_csv(out / "rescreen.csv")
    assert t["changed"].tolist() == [True, False, False]
    data = json.loads((out / "rescreen.json").read_text(encoding="utf-8"))
    assert data["verdicts_changed"] == 1 and data["inputs"]["rules"]["sha256"]
    assert (out / "screening" / "result.json").exists()
    assert t["inputs_changed"].isna().all()  # the earlier run did not record input hashes


def test_compare_conflicts():
    base = pd.DataFrame(
        {"facility_id": ["F1", "F2", "F3", "F4"], "status": ["conflict", "ok", "ok", "restricted"],
         "unit_code": ["U1", "U2", "U3", "U4"], "rule_ids": ["R1", "", "", "R2"]}
    )  # fmt: skip
    now = pd.DataFrame(
        {"facility_id": ["F1", "F2", "F3", "F5"], "status": ["ok", "conflict", "ok", "ok"],
         "unit_code": ["U1", "U2", "U9", "U5"], "rule_ids": ["", "R3", "", ""]}
    )  # fmt: skip
    c = compare_conflicts(base, now).set_index("facility_id")["change"].to_dict()
    assert c == {
        "F1": "no_longer_conflicting", "F2": "newly_conflicting", "F3": "unit_changed",
        "F5": "new_facility", "F4": "facility_gone",
    }  # fmt: skip
    with pytest.raises(InputError, match="status"):
        compare_conflicts(base.drop(columns="status"), now)


def test_cli_conflicts_baseline(tmp_path):
    units().to_file(tmp_path / "units.gpkg")
    (tmp_path / "r1.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "r2.yaml").write_text(
        TIGHTER.replace('sector: ["C"]', 'sector: ["33"]'), encoding="utf-8"
    )
    pd.DataFrame(
        {"facility_id": ["F1", "F2", "F3"], "lon": [120.005, 120.015, 120.025], "lat": [30.005] * 3,
         "sector": ["3360", "1713", "3981"], "stage": ["proposed"] * 3, "nox_t": [0.1, 0.5, 0.5]}
    ).to_csv(tmp_path / "f.csv", index=False)  # fmt: skip
    common = ["conflicts", "--units", str(tmp_path / "units.gpkg"), "--facilities", str(tmp_path / "f.csv"),
              "--lon-col", "lon", "--lat-col", "lat"]  # fmt: skip
    res = CliRunner().invoke(
        main, [*common, "--rules", str(tmp_path / "r1.yaml"), "--out", str(tmp_path / "a")]
    )
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(
        main,
        [*common, "--rules", str(tmp_path / "r2.yaml"), "--out", str(tmp_path / "b"),
         "--baseline", str(tmp_path / "a" / "conflicts.csv")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    changes = pd.read_csv(tmp_path / "b" / "baseline_changes.csv", encoding="utf-8-sig")
    assert dict(zip(changes["facility_id"], changes["change"], strict=True)) == {
        "F2": "status_changed"
    }
    res = CliRunner().invoke(main, [*common, "--rules", str(tmp_path / "r2.yaml"), "--out", str(tmp_path / "c"),
                                    "--baseline", str(tmp_path / "nothing.csv")])  # fmt: skip
    assert res.exit_code == 2 and not (tmp_path / "c").exists()
