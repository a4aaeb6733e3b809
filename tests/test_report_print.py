"""PDF and Word screening reports and the batch summary (zoning.export.report_pdf/_docx)."""

from __future__ import annotations

import io
import re

import pytest

docx = pytest.importorskip("docx")
pypdf = pytest.importorskip("pypdf")
pytest.importorskip("reportlab")

from zoning.errors import InputError  # noqa: E402
from zoning.export._print import report_blocks  # noqa: E402
from zoning.export.report_docx import write_report_docx, write_summary_docx  # noqa: E402
from zoning.export.report_pdf import write_report_pdf, write_summary_pdf  # noqa: E402

DATE = "2026-11-30"


def _rule(i: int, status: str = "not_triggered", outcome: str = "prohibited") -> dict:
    return {
        "rule_id": f"R-{i:03d}",
        "dimension": ["spatial", "emission", "risk", "resource"][i % 4],
        "outcome": outcome,
        "status": status,
        "unit_codes": "ZH33990110001;ZH33990120002",
        "missing_facts": "nox_t" if status == "unknown" else "",
        "clause_zh": f"第{i}条：生态保护红线内禁止新建工业项目，已有项目有序退出并恢复生态功能。",
        "clause_en": f"Clause {i}: no new industrial projects in the red line; existing ones withdraw.",
        "message_zh": f"规则{i}：拟建工业项目位于生态保护红线内",
        "message_en": f"Rule {i}: proposed industrial project inside the red line",
        "requirement_zh": "落实区域削减替代" if outcome == "restricted" else "",
        "requirement_en": "Offset the emissions in the region" if outcome == "restricted" else "",
    }


def _doc(n_rules: int = 6) -> dict:
    rules = [_rule(0, "fired", "prohibited"), _rule(1, "fired", "restricted")]
    rules += [_rule(i) for i in range(2, n_rules)]
    return {
        "tool": "zoning",
        "tool_version": "9.9.9",
        "generated_at": f"{DATE}T08:00:00+00:00",
        "rule_file": {"name_zh": "测试准入清单", "name_en": "Test access list", "path": "r.yaml"},
        "inputs": {"units": {"path": "u.gpkg", "sha256": "ab" * 32}},
        "area_crs": "EPSG:6933",
        "project": {
            "project_id": "PX-7",
            "name": "测试化工项目",
            "name_en": "Test chemical plant",
            "description": "",
            "geom_type": "polygon",
            "geometry_decided_by": "file",
            "geometry_note": "",
            "area_m2": 123456.789,
            "length_m": None,
            "inside_region_pct": 100.0,
            "distance_crs": "EPSG:4549",
            "verdict": "prohibited",
            "missing_facts": "",
            "review_count": 2,
            "review_zh": "2 条条款未经机器核查，需人工复核",
            "review_en": "2 clauses not machine-checked: review by hand",
            "review_clauses": [
                {
                    "dimension": "spatial",
                    "item": "3",
                    "prohibition": True,
                    "clause_zh": "禁止网箱养殖",
                    "clause_en": "No cage aquaculture",
                    "unit_codes": "ZH33990110001",
                },
                {
                    "dimension": "risk",
                    "item": "1",
                    "prohibition": False,
                    "clause_zh": "编制应急预案",
                    "clause_en": "Keep an emergency plan",
                    "unit_codes": "ZH33990110001",
                },
            ],
            "facts": {
                "sector": "2614",
                "stage": "proposed",
                "capacity": 20.0,
                "capacity_unit": "MW",
                "nox_t": 1e6,
                "so2_t": None,
                "two_high": True,
                "tags": "two_high,coal",
            },
            "units": [
                {
                    "unit_code": "ZH33990110001",
                    "unit_name": "测试优先保护单元",
                    "unit_name_en": "Test priority unit",
                    "element": "ecological",
                    "unit_class": 1,
                    "overlap_m2": 100000.0,
                    "share_pct": 81.0,
                    "on_boundary": False,
                    "access_spatial": "1. 禁止新建工业项目。",
                    "access_spatial_en": "1. No new industrial projects.",
                }
            ],
            "distances": [
                {
                    "target": "red_line",
                    "label_zh": "生态保护红线",
                    "label_en": "Ecological protection red line",
                    "distance_m": 0.0,
                    "inside": True,
                    "nearest": "测试红线",
                    "nearest_en": "Test red line",
                },
                {
                    "target": "water_first",
                    "label_zh": "饮用水水源一级保护区",
                    "label_en": "First-grade drinking-water zone",
                    "distance_m": 12345.6,
                    "inside": False,
                    "nearest": "测试水源",
                    "nearest_en": "Test source",
                },
            ],
            "rules": rules,
            "grid_values": [
                {
                    "grid": "pm25",
                    "label_zh": "PM2.5浓度",
                    "label_en": "PM2.5",
                    "value": 35.4399986,
                    "units": "µg/m³",
                }
            ],
        },
    }


def _png() -> bytes:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(im).rectangle([40, 40, 360, 260], outline="red", width=4)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _pages(path) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(str(path)).pages]


@pytest.mark.parametrize("lang, verdict", [("zh", "禁止"), ("en", "Prohibited")])
def test_pdf_holds_verdict_every_rule_and_page_furniture(tmp_path, lang, verdict):
    doc = _doc(8)
    out = write_report_pdf(doc, tmp_path / "r.pdf", lang=lang, site_png=_png())
    pages = _pages(out)
    text = "\n".join(pages)
    assert verdict in text
    for r in doc["project"]["rules"]:
        assert r["rule_id"] in text
    review = doc["project"]["review_" + lang]
    assert review in text
    total = len(pages)
    for n, page in enumerate(pages, 1):
        label = f"第 {n} 页 / 共 {total} 页" if lang == "zh" else f"Page {n} of {total}"
        assert label in page
        assert "PX-7" in page and DATE in page


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_chinese_report_has_no_english_words(tmp_path, kind):
    if kind == "pdf":
        text = "\n".join(_pages(write_report_pdf(_doc(), tmp_path / "zh.pdf", lang="zh")))
    else:
        d = docx.Document(str(write_report_docx(_doc(), tmp_path / "zh.docx", lang="zh")))
        text = "\n".join(p.text for p in d.paragraphs) + "\n".join(
            c.text for t in d.tables for row in t.rows for c in row.cells
        )
    for word in (
        "prohibited", "restricted", "allowed", "proposed", "existing", "fired", "not_triggered",
        "True", "False", "two_high", "1e+06", "t/yr", "yes", "none",
    ):  # fmt: skip
        assert word not in text, word
    assert "1,000,000 吨/年" in text
    assert "拟建" in text and "两高" in text and "未提供" in text
    assert "123,457 m" in text  # area with thousands separators, no 15-digit float
    assert "35.44" in text and "35.4399" not in text
    assert "m²" in text and "µg/m³" in text and "\x7f" not in text  # Latin-1 signs legible


def test_english_report_is_english(tmp_path):
    text = "\n".join(_pages(write_report_pdf(_doc(), tmp_path / "en.pdf", lang="en")))
    assert not re.search(r"[\u4e00-\u9fff]", text)
    assert "1,000,000 t/yr" in text and "proposed" in text and "not given" in text


def test_long_table_spans_pages_with_header_repeated(tmp_path):
    doc = _doc(90)
    pages = _pages(write_report_pdf(doc, tmp_path / "long.pdf", lang="en"))
    with_rules = [p for p in pages if re.search(r"R-0[2-8]\d", p)]
    assert len(with_rules) >= 3
    for page in with_rules:
        assert re.search(r"Rule\s+Dimension\s+Outcome\s+Result\s+Clause\s+Units", page), page[:300]


def test_docx_holds_the_same_tables(tmp_path):
    doc = _doc(8)
    path = write_report_docx(doc, tmp_path / "r.docx", lang="zh", site_png=_png())
    d = docx.Document(str(path))
    blocks = report_blocks(doc, "zh", _png())
    tables = [b for b in blocks.blocks if b.kind in ("kv", "table")]
    found = [
        [[c.text for c in row.cells] for row in t.rows]
        for t in d.tables
        if len(t.columns) > 1 and len(t.rows) > 0
    ]

    def flat(cell):
        return cell if isinstance(cell, str) else "\n".join(t for t, _ in cell)

    for want in tables:
        rows = ([want.head] if want.kind == "table" else []) + [
            [flat(c) for c in r] for r in want.rows
        ]
        assert rows in found, want.key
    rules = next(t for t in found if t[0][0] == "规则")
    assert [r[0] for r in rules[1:]] == [r["rule_id"] for r in doc["project"]["rules"]]
    body = "\n".join(p.text for p in d.paragraphs) + "\n".join(
        c.text for t in d.tables for row in t.rows for c in row.cells
    )
    assert "禁止" in body and "2 条条款未经机器核查" in body
    assert len(d.inline_shapes) == 1
    header = d.sections[0].header.paragraphs[0].text
    assert "PX-7" in header and DATE in header
    footer = d.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert abs(d.sections[0].page_width.mm - 210) < 0.5
    rules_tbl = next(t for t in d.tables if t.rows[0].cells[0].text == "规则")
    assert "tblHeader" in rules_tbl.rows[0]._tr.xml


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_summary_counts_and_every_project(tmp_path, lang):
    docs = []
    for k, verdict in enumerate(["prohibited", "allowed", "allowed", "needs-information"]):
        d = _doc(4)
        d["project"] = {**d["project"], "project_id": f"Q{k}", "verdict": verdict}
        if verdict == "needs-information":
            d["project"]["missing_facts"] = "nox_t"
        docs.append(d)
    pdf = "\n".join(_pages(write_summary_pdf(docs, tmp_path / "s.pdf", lang=lang)))
    for k in range(4):
        assert f"Q{k}" in pdf
    allowed = "准入" if lang == "zh" else "Allowed"
    assert re.search(rf"{allowed}\s+2\b", pdf)
    assert ("R-000" in pdf) and ("NOx" in pdf)
    d = docx.Document(str(write_summary_docx(docs, tmp_path / "s.docx", lang=lang)))
    counts = d.tables[0]
    assert [c.text for c in counts.rows[-1].cells][-1] == "4"
    projects = d.tables[1]
    assert [r.cells[0].text for r in projects.rows[1:]] == ["Q0", "Q1", "Q2", "Q3"]
    assert d.sections[0].page_width > d.sections[0].page_height  # landscape A4


def test_bad_site_map_writes_nothing(tmp_path):
    with pytest.raises(InputError, match="site map"):
        write_report_pdf(_doc(), tmp_path / "x.pdf", lang="zh", site_png=tmp_path / "none.png")
    (tmp_path / "bad.png").write_text("not a png")
    with pytest.raises(InputError, match="not a PNG"):
        write_report_docx(_doc(), tmp_path / "x.docx", lang="zh", site_png=tmp_path / "bad.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.png"]
    with pytest.raises(ValueError, match="lang"):
        write_report_pdf(_doc(), tmp_path / "x.pdf", lang="fr")


def test_bare_project_dict_is_accepted(tmp_path):
    project = _doc()["project"]
    text = "\n".join(_pages(write_report_pdf(project, tmp_path / "p.pdf", lang="en")))
    assert "Prohibited" in text and "PX-7" in text


def test_printed_beside_html_from_a_real_screening(tmp_path):
    """write_screening, then PDF/DOCX beside every report.html and the batch summary."""
    import geopandas as gpd
    from conftest import make_units
    from shapely.geometry import Point, box

    from zoning.export.printed import parse_formats, write_printed_reports
    from zoning.export.report import write_screening
    from zoning.rules.schema import parse_rules
    from zoning.screen import screen

    rules = parse_rules(
        "version: 1\nrules:\n  - id: KEY-01\n    dimension: emission\n"
        "    clause: {zh: 重点管控单元新增NOx倍量替代。, en: New NOx needs an offset.}\n"
        "    message: {zh: 新增NOx须倍量替代, en: New NOx needs an offset}\n"
        "    outcome: restricted\n    requirement: {zh: NOx 2倍削减替代, en: 2:1 NOx offset}\n"
        "    when: {emission: {pollutant: nox, gt: 0}}\n"
    )
    x0, y0 = 500000.0, 3300000.0
    projects = gpd.GeoDataFrame(
        {"project_id": ["A1", "B2"], "sector": ["2614", "5920"], "nox_t": [1.0, None]},
        geometry=[Point(x0 + 300, y0 + 300), box(x0 + 970, y0 + 400, x0 + 1070, y0 + 500)],
        crs="EPSG:4549",
    )
    units = make_units()
    res = screen(projects, units, rules)
    paths = write_screening(res, tmp_path / "out", units=units, lang="zh", maps=False)
    assert parse_formats("HTML, pdf") == ("html", "pdf")
    with pytest.raises(ValueError, match="formats"):
        parse_formats("html,odt")
    got = write_printed_reports(paths, lang="zh", formats=parse_formats("html,pdf,docx"))
    assert set(got) == {
        "report.pdf:A1", "report.docx:A1", "report.pdf:B2", "report.docx:B2",
        "summary.pdf", "summary.docx",
    }  # fmt: skip
    assert got["report.pdf:A1"] == tmp_path / "out" / "A1" / "report.pdf"
    text = "\n".join(_pages(got["report.pdf:B2"]))
    assert "需补充信息" in text and "KEY-01" in text
    summary = "\n".join(_pages(got["summary.pdf"]))
    assert "A1" in summary and "B2" in summary and "有条件准入" in summary


def test_a_cell_longer_than_a_page_is_split_not_lost(tmp_path):
    doc = _doc()
    unit = doc["project"]["units"][0]
    unit["access_spatial"] = (
        "".join(f"{k}. 禁止新建排放重金属的项目。" for k in range(1, 400)) + "终条"
    )
    pages = _pages(write_report_pdf(doc, tmp_path / "tall.pdf", lang="zh"))
    text = "".join(p.replace("\n", "") for p in pages)
    assert "399. 禁止" in text and "终条" in text
    assert len(pages) >= 4


def _font_objects(path) -> list[tuple[str, bool]]:
    """(base font name, embedded) of every font of a PDF (embedded: a FontFile stream)."""
    out = []
    for page in pypdf.PdfReader(str(path)).pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            descs = [font.get("/FontDescriptor")]
            descs += [
                d.get_object().get("/FontDescriptor") for d in font.get("/DescendantFonts", [])
            ]
            emb = any(
                d is not None
                and any(k in d.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                for d in descs
            )
            out.append((str(font.get("/BaseFont")), emb))
    return out


def test_pdf_embeds_the_cjk_font_found_on_the_system(tmp_path):
    from zoning.export import _fonts, report_pdf

    found = _fonts.cjk_font()
    if found is None or not found.path.lower().endswith((".ttf", ".ttc")):
        pytest.skip("no CJK TrueType font on this machine")
    report_pdf.pdf_font.cache_clear()
    path = write_report_pdf(_doc(), tmp_path / "r.pdf", lang="zh", site_png=_png())
    fonts = _font_objects(path)
    cjk = [(name, emb) for name, emb in fonts if "STSong" not in name and "Helvetica" not in name]
    assert cjk and all(emb for _, emb in cjk), fonts
    assert not any("STSong" in name for name, _ in fonts)
    text = "".join(_pages(path))
    assert "已嵌入" in text and found.family in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_font_of_every_pdf_is_embedded_when_a_cjk_font_is_found(tmp_path, lang):
    import shutil
    import subprocess

    from zoning.export import _fonts, report_pdf

    found = _fonts.cjk_font()
    if found is None or not found.path.lower().endswith((".ttf", ".ttc")):
        pytest.skip("no CJK TrueType font on this machine")
    report_pdf.pdf_font.cache_clear()
    pdfs = [
        write_report_pdf(_doc(), tmp_path / "r.pdf", lang=lang, site_png=_png()),
        write_summary_pdf([_doc(), _doc()], tmp_path / "s.pdf", lang=lang),
    ]
    for pdf in pdfs:
        fonts = _font_objects(pdf)
        assert fonts and all(emb for _, emb in fonts), (pdf.name, fonts)
        assert not any("Helvetica" in name for name, _ in fonts)
        if lang == "en":  # Latin text in matplotlib's DejaVu Sans, not the CJK font
            assert any("DejaVuSans" in name for name, _ in fonts), fonts
        if shutil.which("pdffonts"):
            rows = subprocess.run(
                ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
            ).stdout.splitlines()[2:]
            assert rows and all(r.split()[-5] == "yes" for r in rows), rows


def test_pdf_without_a_cjk_font_says_so_and_falls_back(tmp_path, monkeypatch, caplog):
    from zoning.export import _fonts, report_pdf

    monkeypatch.setattr(_fonts, "cjk_font", lambda: None)
    report_pdf.pdf_font.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="zoning.export.report_pdf"):
            zh = write_report_pdf(_doc(), tmp_path / "zh.pdf", lang="zh", site_png=_png())
            en = write_report_pdf(_doc(), tmp_path / "en.pdf", lang="en", site_png=_png())
    finally:
        report_pdf.pdf_font.cache_clear()
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 1 and "not embedded" in warned[0] and "fonts-wqy-microhei" in warned[0]
    assert any("STSong" in name and not emb for name, emb in _font_objects(zh))
    assert "未嵌入" in "".join(_pages(zh))
    assert "not embedded" in "".join(_pages(en))


def _two_projects():
    import geopandas as gpd
    from conftest import make_units
    from shapely.geometry import Point, box

    from zoning.rules.schema import parse_rules
    from zoning.screen import screen

    rules = parse_rules(
        "version: 1\nrules:\n  - id: KEY-01\n    dimension: emission\n"
        "    clause: {zh: 重点管控单元新增NOx倍量替代。, en: New NOx needs an offset.}\n"
        "    message: {zh: 新增NOx须倍量替代, en: New NOx needs an offset}\n"
        "    outcome: restricted\n    requirement: {zh: NOx 2倍削减替代, en: 2:1 NOx offset}\n"
        "    when: {emission: {pollutant: nox, gt: 0}}\n"
    )
    x0, y0 = 500000.0, 3300000.0
    projects = gpd.GeoDataFrame(
        {"project_id": ["A1", "B2"], "sector": ["2614", "5920"], "nox_t": [1.0, None]},
        geometry=[Point(x0 + 300, y0 + 300), box(x0 + 970, y0 + 400, x0 + 1070, y0 + 500)],
        crs="EPSG:4549",
    )
    units = make_units()
    return screen(projects, units, rules), units


def test_printed_reports_are_staged_with_the_html(tmp_path):
    from zoning.export.report import write_screening

    res, units = _two_projects()
    out = tmp_path / "out"
    paths = write_screening(res, out, units=units, lang="zh", formats=("html", "pdf", "docx"))
    for key in ("report.pdf:A1", "report.docx:B2", "summary.pdf", "summary.docx", "report:A1"):
        assert paths[key].is_file() and out in paths[key].parents, key
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_a_failing_printed_report_leaves_nothing(tmp_path, monkeypatch):
    from zoning.export import printed
    from zoning.export.report import write_screening

    res, units = _two_projects()

    def broken(doc, path, **kw):
        if doc["project"]["project_id"] == "B2":
            raise OSError("disk full")
        return write_report_pdf(doc, path, **kw)

    monkeypatch.setitem(printed._REPORT, "pdf", broken)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="disk full"):
        write_screening(res, out, units=units, lang="zh", maps=False, formats=("html", "pdf"))
    assert not out.exists() or not any(out.rglob("*"))  # no HTML, no PDF of A1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
