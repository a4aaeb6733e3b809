"""The demo's front page: figures from the run's summaries, thumbnails, reports."""

from __future__ import annotations

import json

import pytest

from zoning.export.index import write_index

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


@pytest.fixture
def run(tmp_path):
    scr = tmp_path / "screening"
    for pid in ("P1", "P2", "P3"):
        (scr / pid).mkdir(parents=True)
        (scr / pid / "report.html").write_text("<html></html>")
        (scr / pid / "result.json").write_text("{}")
    verdicts = ["prohibited", "allowed", "allowed"]
    (scr / "result.json").write_text(
        json.dumps(
            {
                "projects": [
                    {"project_id": f"P{i + 1}", "verdict": v} for i, v in enumerate(verdicts)
                ]
            }
        )
    )
    (scr / "summary.csv").write_text("project_id\nP1\n")
    (tmp_path / "conflicts").mkdir()
    (tmp_path / "conflicts" / "summary.json").write_text(
        json.dumps({"facilities": 12, "by_status": {"conflict": 3, "restricted": 0, "ok": 9}})
    )
    (tmp_path / "conflicts" / "conflicts.html").write_text("<html></html>")
    (tmp_path / "afforest").mkdir()
    (tmp_path / "afforest" / "summary.json").write_text(
        json.dumps({"n_selected_patches": 5, "selected_area_ha": 18.984, "sink_t_co2_yr": 321.92})
    )
    (tmp_path / "rules_coverage.csv").write_text(
        "clause_id,prohibition,covered\na,True,True\nb,True,False\nc,False,False\n",
        encoding="utf-8-sig",
    )
    (tmp_path / "zoning_map.html").write_text("<html></html>")
    (tmp_path / "zoning_map.png").write_bytes(PNG)
    outputs = {
        "zoning map": tmp_path / "zoning_map.html",
        "coverage (CSV)": tmp_path / "rules_coverage.csv",
        "conflicts map": tmp_path / "conflicts" / "conflicts.html",
        "conflicts summary": tmp_path / "conflicts" / "summary.json",
        "afforestation summary": tmp_path / "afforest" / "summary.json",
        "summary": scr / "summary.csv",
        "result": scr / "result.json",
        **{f"report:{p}": scr / p / "report.html" for p in ("P1", "P2", "P3")},
    }
    return tmp_path, outputs


def test_front_page_zh_holds_the_figures_and_thumbnails(run):
    tmp, outputs = run
    page = write_index(outputs, tmp / "index.html", lang="zh").read_text(encoding="utf-8")
    assert "项目选址研判: 3 个项目" in page
    assert "禁止</td><td class='n'>1<" in page and "准入</td><td class='n'>2<" in page
    assert "冲突（禁止）</td><td class='n'>3<" in page
    assert "有规则核查</td><td class='n'>1<" in page and "其中禁止类</td><td class='n'>1<" in page
    assert "18.98" in page and "321.9" in page
    assert "src='zoning_map.png'" in page  # the static twin as thumbnail
    assert "准入冲突图" in page and "conflicts map" not in page  # titles, not output keys
    assert page.count("（无静态缩略图）") == 1  # the conflicts map has none
    assert "href='screening/P1/report.html'" in page
    assert "screening/P1/result.json" not in page  # per-report files not listed again
    assert "prohibited" not in page and "afforestation summary" in page


def test_front_page_en_and_missing_summaries_left_out(run):
    tmp, outputs = run
    (tmp / "afforest" / "summary.json").unlink()
    page = write_index(outputs, tmp / "index.html", lang="en").read_text(encoding="utf-8")
    assert "Project screening: 3 projects" in page and "Prohibited" in page
    assert "Afforestation" not in page  # no summary, no figures (never 0)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in page)


@pytest.mark.browser
def test_front_page_in_browser(run, browser):
    tmp, outputs = run
    page = browser.open(write_index(outputs, tmp / "index.html", lang="zh"))
    assert page.locator(".fig").count() == 4
    assert page.locator(".card img").count() == 1
    assert page.locator(".reports a").count() == 3
    assert page.console_errors == []
