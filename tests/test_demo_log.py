"""The demo's log speaks one language: each message family checked in both languages."""

from __future__ import annotations

import logging

import pytest

from zoning._demo_log import LABELS, OneLanguage, foreign_lines, output_label, step_name
from zoning.export.conflicts import summary_text

SUMMARY = {
    "facilities": 12,
    "by_status": {"conflict": 2, "restricted": 1, "ok": 9},
    "by_unit_class": {"1": {"conflict": 2, "ok": 3}, "2": {"restricted": 1, "ok": 6}},
    "by_rule": {"ECO-01": 2, "EMI-01": 1},
    "undecided": {"by_rule": {"EMI-02": 3}, "missing_columns": {"EMI-02": ["nox_t"]}},
    "review": {"facilities": 4, "ok_with_clauses_to_review": 2, "without_access_list": 1},
}


def test_the_checker_finds_lines_in_the_other_language():
    zh = "[3] 准入冲突核查\nrule tag 'x' matches no facility\n管控分区图: /tmp/a/zoning_map.html"
    assert foreign_lines(zh, "zh") == ["rule tag 'x' matches no facility"]
    en = "[3] access-management conflicts\n  1 优先保护单元: conflict 2\nP001: allowed"
    assert foreign_lines(en, "en") == ["  1 优先保护单元: conflict 2"]
    # ids, paths, units of measure and data values are not prose
    assert foreign_lines("P009: 禁止；ECO-01 8,169 m，EPSG:4549，见 review_clauses 列", "zh") == []
    assert foreign_lines("unit 甲单元 touched", "en", data=("甲单元",)) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_conflicts_summary_is_in_one_language(lang):
    assert foreign_lines(summary_text(SUMMARY, lang), lang) == []


def _record(msg, args=(), level=logging.WARNING, **extra):
    rec = logging.LogRecord("zoning.conflicts", level, __file__, 1, msg, args, None)
    for k, v in extra.items():
        setattr(rec, k, v)
    return rec


def test_library_warnings_are_said_in_chinese():
    from zoning._demo_log import WARNINGS_ZH

    msg = next(m for m in WARNINGS_ZH if m.startswith("rule tag"))
    args = ("linear_infrastructure", "ECO-01, LIN-01", "vocs, coal", "did you mean linear? ")
    rec = _record(msg, args)
    OneLanguage("zh").filter(rec)
    text = rec.getMessage()
    assert "规则标签 'linear_infrastructure'" in text and "是否应为「linear」？" in text
    assert foreign_lines(text, "zh") == []
    rec = _record(msg, args)
    OneLanguage("en").filter(rec)
    assert rec.getMessage().startswith("rule tag 'linear_infrastructure'")


def test_the_rule_tag_warning_template_is_the_one_the_library_logs():
    import importlib
    import inspect

    from zoning._demo_log import WARNINGS_ZH

    source = inspect.getsource(importlib.import_module("zoning.conflicts"))
    english = next(m for m in WARNINGS_ZH if m.startswith("rule tag"))
    # the template's first source line, and its fix, are the library's own
    assert english[:70] in source and "read_facilities(fields={'tags': COLUMN})" in source


@pytest.mark.parametrize(
    "name, zh",
    [
        ("afforestation candidates", "造林候选图斑"),
        ("selection under the budget", "预算内选址"),
        ("soil classes of parcels", "地块土壤类别"),
        ("write conflicts.geojson", "写出 conflicts.geojson"),
        ("read units.gpkg", "读取 units.gpkg"),
    ],
)
def test_progress_steps_are_named_in_the_run_language(name, zh):
    assert step_name(name, "zh") == zh and step_name(name, "en") == name
    rec = _record("%s: %s", (name, "end"), logging.INFO, zoning_progress=("end", name, 1, 1, 2.0))
    OneLanguage("zh").filter(rec)
    assert rec.zoning_progress[1] == zh


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_output_labels_of_the_listing(lang, tmp_path):
    keys = list(LABELS) + [
        "项目选址研判: site_map:P001",
        "项目选址研判: report.pdf:P001",
        "准入冲突核查: geojson",
        "something new",
    ]
    lines = [f"{output_label(k, lang, tmp_path / 'x.html')}: {tmp_path / 'x.html'}" for k in keys]
    assert foreign_lines("\n".join(lines), lang, data=("项目选址研判", "准入冲突核查")) == []
    assert output_label("项目选址研判: site_map:P001", "zh") == "项目选址研判: 选址示意图 P001"
    assert output_label("zoning map (zh)", "zh") == "管控分区图（中文）"
    assert (
        output_label("管控分区图（PNG）", "zh", tmp_path / "zoning_map.png") == "管控分区图（PNG）"
    )
