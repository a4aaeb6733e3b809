"""Screening reports and the batch summary as Word documents (A4, python-docx).

The same content as the PDF (:mod:`zoning.export._print`): a header with the project id,
title and date on every page, a footer with the page number (Word fields ``PAGE`` and
``NUMPAGES``, filled in when the document is opened or printed), tables whose header row
repeats on every page.  Chinese text is set in 宋体 (SimSun, east-Asian font of the runs),
Latin text in Arial; Word substitutes where the fonts are missing.
"""

from __future__ import annotations

import io
import logging
from os import PathLike
from pathlib import Path
from typing import Literal

from zoning.export._atomic import atomic_file
from zoning.export._print import _W, Block, Cell, Printed, report_blocks, summary_blocks
from zoning.export.report_pdf import _lang, _png_bytes

log = logging.getLogger(__name__)

_EAST_ASIAN = "SimSun"
_LATIN = "Arial"


def _font(run, *, size=None, bold=None, italic=None, color=None):
    """Size, weight and colour of a run (the fonts come from the document's styles)."""
    from docx.shared import Pt, RGBColor

    if size:
        run.font.size = Pt(size)
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    if color:
        run.font.color.rgb = RGBColor.from_string(color.lstrip("#").upper())


def _shade(cell, color: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), color.lstrip("#").upper())
    cell._tc.get_or_add_tcPr().append(shd)


def _box(table, color: str, size: int = 18) -> None:
    """A coloured border around a table (size in eighths of a point)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right"):
        e = OxmlElement(f"w:{side}")
        e.set(qn("w:val"), "single")
        e.set(qn("w:sz"), str(size))
        e.set(qn("w:color"), color.lstrip("#").upper())
        borders.append(e)
    tbl_pr = table._tbl.tblPr
    later = [qn(f"w:{n}") for n in ("shd", "tblLayout", "tblCellMar", "tblLook")]
    after = next((c for c in tbl_pr if c.tag in later), None)  # schema order, or Word balks
    if after is not None:
        after.addprevious(borders)
    else:
        tbl_pr.append(borders)


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    e = OxmlElement("w:tblHeader")
    e.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(e)


def _field(paragraph, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) in a paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()
    _font(run, size=8)
    for kind, text in (
        ("begin", None),
        (None, code),
        ("separate", None),
        (None, "1"),
        ("end", None),
    ):
        if kind:
            e = OxmlElement("w:fldChar")
            e.set(qn("w:fldCharType"), kind)
        elif text == code:
            e = OxmlElement("w:instrText")
            e.set(qn("xml:space"), "preserve")
            e.text = f" {code} "
        else:
            e = OxmlElement("w:t")
            e.text = text
        run._r.append(e)


def _write_cell(cell, value: Cell, *, size=None, align=None, bold=False, color=None) -> None:
    """Text in a cell, one paragraph per line, in the compact ``Cell`` style."""
    lines = [(value, "")] if isinstance(value, str) else value
    p = cell.paragraphs[0]
    for k, (text, style) in enumerate(lines):
        if k:
            p = cell.add_paragraph()
        p._p.style = "Cell"  # by id: looking a style up by name costs ~3 ms
        if align:
            p.alignment = align
        run = p.add_run(str(text))
        _font(run, size=size, bold=bold or style == "b", italic=style == "i", color=color)


def _table(d, block: Block, width, *, header: bool = True):
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    ncol = len(block.rows[0]) if block.rows else len(block.head)
    with_head = header and bool(block.head)
    table = d.add_table(rows=len(block.rows) + with_head, cols=ncol)
    table.style = "Table Grid"
    table.autofit = False
    widths = block.widths or [1 / ncol] * ncol
    colw = [int(width * f) for f in widths]
    for j, col in enumerate(table.columns):
        col.width = colw[j]
    for i, row in enumerate(table.rows):
        cells = row.cells
        for j, cell in enumerate(cells):
            cell.width = colw[j]
        if with_head and i == 0:
            _repeat_header(row)
            for j, h in enumerate(block.head):
                _write_cell(cells[j], h, bold=True)
                _shade(cells[j], "#e8e8e8")
            continue
        k = i - with_head
        for j, c in enumerate(block.rows[k]):
            right = WD_ALIGN_PARAGRAPH.RIGHT if j in block.numeric else None
            _write_cell(cells[j], c, align=right)
            if k in block.tints:
                _shade(cells[j], block.tints[k])
            elif not with_head and j == 0:
                _shade(cells[j], "#f2f2f2")
    return table


def _build(doc: Printed, path) -> Path:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    d = Document()
    sec = d.sections[0]
    sec.page_width, sec.page_height = (Mm(297), Mm(210)) if doc.landscape else (Mm(210), Mm(297))
    if doc.landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
    sec.left_margin = sec.right_margin = Mm(14)
    sec.top_margin, sec.bottom_margin = Mm(18), Mm(16)
    width = sec.page_width - sec.left_margin - sec.right_margin
    normal = d.styles["Normal"]
    normal.font.name = _LATIN
    normal.font.size = Pt(10)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", _EAST_ASIAN
    )
    from docx.enum.style import WD_STYLE_TYPE

    cell_style = d.styles.add_style("Cell", WD_STYLE_TYPE.PARAGRAPH)
    cell_style.base_style = normal
    cell_style.font.size = Pt(8.5)
    cell_style.paragraph_format.space_after = Pt(0)
    cell_style.paragraph_format.line_spacing = 1.0
    d.core_properties.title = doc.header
    d.core_properties.author = "zoning"
    d.core_properties.language = "zh-CN" if doc.lang == "zh" else "en"

    from docx.enum.text import WD_TAB_ALIGNMENT

    hp = sec.header.paragraphs[0]
    stops = hp.paragraph_format.tab_stops
    for stop in d.styles["Header"].paragraph_format.tab_stops:  # set for US Letter
        stops.add_tab_stop(stop.position, WD_TAB_ALIGNMENT.CLEAR)
    stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
    _font(hp.add_run(f"{doc.header}\t{doc.date}"), size=8, color="#555555")
    fp = sec.footer.paragraphs[0]
    fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, rest = _W[doc.lang]["page"].split("{n}")
    middle, after = rest.split("{total}")
    for piece in (before, "PAGE", middle, "NUMPAGES", after):
        if piece in ("PAGE", "NUMPAGES"):
            _field(fp, piece)
        elif piece:
            _font(fp.add_run(piece), size=8)

    for b in doc.blocks:
        if b.kind == "title":
            p = d.add_paragraph()
            _font(p.add_run(b.text), size=16, bold=True)
        elif b.kind == "meta":
            p = d.add_paragraph()
            _font(p.add_run(b.text), size=8, color="#555555")
        elif b.kind in ("heading", "subheading"):
            p = d.add_paragraph()
            p.paragraph_format.space_before = Pt(10 if b.kind == "heading" else 6)
            p.paragraph_format.keep_with_next = True
            _font(p.add_run(b.text), size=13 if b.kind == "heading" else 10.5, bold=True)
        elif b.kind in ("kv", "table"):
            _table(d, b, width, header=b.kind == "table")
        elif b.kind == "note":
            p = d.add_paragraph()
            _font(p.add_run(b.text), size=8, color="#555555")
        elif b.kind == "verdict":
            t = d.add_table(rows=1, cols=1)
            c = t.cell(0, 0)
            _shade(c, b.color)
            _write_cell(c, b.head[0], size=10, color="#FFFFFF")
            p = c.add_paragraph()
            _font(p.add_run(b.text), size=20, bold=True, color="#FFFFFF")
            for text, style in b.items:
                p = c.add_paragraph()
                _font(p.add_run(text), size=9.5, bold=style == "b", color="#FFFFFF")
            c.width = int(width)
            d.add_paragraph()
        elif b.kind == "review":
            t = d.add_table(rows=1, cols=1)
            _box(t, "#e6a700", 24)
            c = t.cell(0, 0)
            _shade(c, "#fff8e1")
            _write_cell(c, b.head[0], size=10, color="#8a5a00")
            p = c.add_paragraph()
            _font(p.add_run(b.text), size=13, bold=True, color="#8a5a00")
            if b.head[1]:
                p = c.add_paragraph()
                _font(p.add_run(b.head[1]), size=8.5)
            for text, style in b.items:
                p = c.add_paragraph()
                p.paragraph_format.space_after = 0
                _font(
                    p.add_run(text), size=8.5, bold=bool(style), color="#B2182B" if style else None
                )
            c.width = int(width)
        elif b.kind == "image":
            from PIL import Image

            iw, ih = Image.open(io.BytesIO(b.data)).size
            w = min(int(width), int(Mm(110) * iw / ih))
            d.add_picture(io.BytesIO(b.data), width=w)
            p = d.add_paragraph()
            _font(p.add_run(b.text), size=8, color="#555555")
        elif b.kind == "sign":
            t = d.add_table(rows=0, cols=2)
            t.style = "Table Grid"
            for k, r in enumerate(b.rows):
                row = t.add_row()
                row.height = Mm(28 if k == 0 else 12)
                _write_cell(row.cells[0], r[0], size=10, bold=True)
                _shade(row.cells[0], "#f2f2f2")
                row.cells[0].width = int(width * 0.25)
                row.cells[1].width = int(width * 0.75)
    path = Path(path)
    with atomic_file(path) as tmp:
        d.save(str(tmp))
    log.info("wrote %s", path)
    return path


def write_report_docx(
    project: dict,
    /,
    path: str | PathLike,
    *,
    lang: Literal["zh", "en"] = "zh",
    site_png: bytes | str | PathLike | None = None,
) -> Path:
    """Write one project's screening report as an A4 Word document (.docx).

    Parameters as :func:`zoning.export.report_pdf.write_report_pdf`.
    """
    return _build(report_blocks(project, _lang(lang), _png_bytes(site_png)), path)


def write_summary_docx(
    projects: list[dict],
    /,
    path: str | PathLike,
    *,
    lang: Literal["zh", "en"] = "zh",
    meta: dict | None = None,
) -> Path:
    """Write the batch summary as an A4 (landscape) Word document.

    Parameters as :func:`zoning.export.report_pdf.write_summary_pdf`.
    """
    return _build(summary_blocks(projects, _lang(lang), meta), path)
