"""Reports fully in one language: no raw keys, booleans or exponent floats; rounded CSV."""

from __future__ import annotations

import csv
import re

import pytest
from test_report_print import _doc

from zoning.export.report import _fact_labels, write_screening
from zoning.export.report_page import _render
from zoning.i18n import fact_text, format_value

ENGLISH = (
    "prohibited", "restricted", "allowed", "proposed", "existing", "fired", "not_triggered",
    "True", "False", "two_high", "1e+06", "t/yr", "Stage", "Prohibited",
)  # fmt: skip


def _text(page: str) -> str:
    """The words a reader sees: no style, script or tags."""
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def _page(lang: str) -> str:
    doc = _doc()
    meta = {k: v for k, v in doc.items() if k != "project"}
    meta["rule_set_name"] = doc["rule_file"]["name_" + lang]
    return _render(doc["project"], lang, None, meta, _fact_labels())


def test_chinese_html_report_has_no_english_outcome_or_stage_words():
    text = _text(_page("zh"))
    for word in ENGLISH:
        assert not re.search(rf"\b{re.escape(word)}\b", text), word
    assert "拟建" in text and "两高、涉煤" in text and "1,000,000 吨/年" in text
    assert "20 兆瓦" in text  # the capacity with its unit, in Chinese


def test_english_html_report_has_english_facts():
    text = _text(_page("en"))
    assert "proposed" in text and "two-high, coal" in text and "1,000,000 t/yr" in text
    assert "拟建" not in text and "两高" not in text


@pytest.mark.parametrize(
    ("v", "zh", "en"),
    [(1e6, "1,000,000", "1,000,000"), (35.4399, "35.44", "35.44"), (True, "是", "yes")],
)
def test_format_value(v, zh, en):
    assert format_value(v, "zh") == zh and format_value(v, "en") == en


def test_fact_text_missing_is_none_not_zero():
    assert fact_text("so2_t", {"so2_t": None}, "zh") is None
    assert fact_text("so2_t", {"so2_t": 0.0}, "zh") == "0 吨/年"


def test_summary_csv_floats_rounded(tmp_path):
    import geopandas as gpd
    from conftest import make_units
    from shapely.geometry import box

    from zoning.rules.schema import parse_rules
    from zoning.screen import screen

    rules = parse_rules(
        "version: 1\nrules:\n  - id: KEY-01\n    dimension: emission\n"
        "    clause: {zh: 新增NOx倍量替代。, en: New NOx needs an offset.}\n"
        "    message: {zh: 新增NOx须倍量替代, en: New NOx needs an offset}\n"
        "    outcome: restricted\n    requirement: {zh: 倍量替代, en: 2:1 offset}\n"
        "    when: {emission: {pollutant: nox, gt: 0}}\n"
    )
    x0, y0 = 500000.123456, 3300000.987654
    projects = gpd.GeoDataFrame(
        {"project_id": ["A1"], "sector": ["2614"], "nox_t": [1.0]},
        geometry=[box(x0 + 970.3331, y0 + 400.1717, x0 + 1071.1113, y0 + 503.7771)],
        crs="EPSG:4549",
    )
    units = make_units()
    paths = write_screening(screen(projects, units, rules), tmp_path / "o", units=units, maps=False)
    with open(paths["summary"], encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    floats = [v for r in rows for v in r.values() if re.fullmatch(r"-?\d+\.\d+", v or "")]
    assert floats  # area, shares, distances are there
    for v in floats:
        assert len(v.split(".")[1]) <= 6, v
