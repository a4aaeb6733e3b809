"""Screening reports and the batch summary as PDF (A4, reportlab).

Chinese text is set in a CJK TrueType font found on the system by the static maps' finder
(:func:`zoning.export._fonts.cjk_font`, e.g. WenQuanYi Micro Hei; a ``.ttc`` collection's
face of that family), embedded as a subset, so the PDF shows the same glyphs everywhere
and can be filed.  When none is found (or it cannot be embedded: reportlab takes
TrueType outlines, not CFF), Chinese falls back to reportlab's built-in CID font
``STSong-Light`` (referenced by name, not embedded: a viewer substitutes a font), with a
warning on stderr and a line in the report's colophon.  Latin text (English reports, and
Latin-1 signs in a Chinese report set in the CID font) is set in DejaVu Sans from
matplotlib's own bundled fonts (``mpl-data/fonts/ttf``), embedded as a subset too, so every
font of the PDF is embedded whenever a CJK TrueType font is found; any Chinese run in an
English report (unit names, place names) is set in the CJK font.  Only when DejaVu Sans is
missing (a broken matplotlib install) does Latin text fall back to Helvetica (not
embedded), with a warning.

Every page has a header with the project id, the title and the date, and a footer
``第 n 页 / 共 N 页`` (``Page n of N``).  Tables repeat their header row on every page
and long cells wrap.  The content is that of ``report.html`` (:mod:`zoning.export._print`).
"""

from __future__ import annotations

import functools
import io
import logging
import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

from zoning.errors import InputError
from zoning.export._atomic import atomic_file
from zoning.export._print import Block, Cell, Printed, report_blocks, summary_blocks

log = logging.getLogger(__name__)

#: The CID font Chinese falls back to when no CJK TrueType font is found (not embedded).
CJK_FONT = "STSong-Light"
#: The reportlab name of the embedded CJK TrueType font.
EMBEDDED_FONT = "ZoningCJK"
_CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")
_LONG = re.compile(r"\S{28,}")
_LATIN1 = re.compile(r"[\u00a0-\u00ff]+")
_SPLIT_IN_ROW = [0]  # rows split across pages only when one is taller than a page


@dataclass(frozen=True)
class PdfFont:
    """The font Chinese is set in: its reportlab name, whether it is embedded, which."""

    name: str
    embedded: bool
    description: str

    def colophon(self, lang: str) -> str:
        if self.embedded:
            if lang == "zh":
                return f"中文字体：{self.description}，已嵌入（子集）。"
            return f"Chinese text is set in {self.description}, embedded (subset)."
        if lang == "zh":
            return (
                f"中文字体：{self.description}，未嵌入（未找到可嵌入的中文 TrueType 字体），"
                "阅读器将以本机字体替代显示。"
            )
        return (
            f"Chinese text is set in {self.description}, not embedded (no CJK TrueType font "
            "found to embed); "
            "a PDF viewer substitutes a font of its own."
        )


def _ttf(path: str, family: str):
    """The reportlab TTFont of ``family`` in ``path`` (the matching face of a .ttc)."""
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    if not path.lower().endswith((".ttc", ".otc")):
        return TTFont(EMBEDDED_FONT, path)
    first = None
    for index in range(16):
        try:
            font = TTFont(EMBEDDED_FONT, path, subfontIndex=index)
        except TTFError:
            if first is None:
                raise
            break
        first = first or font
        if font.face.familyName.decode("utf-8", "replace") == family:
            return font
    return first


@functools.lru_cache(maxsize=1)
def pdf_font() -> PdfFont:
    """The CJK font of PDF reports, registered with reportlab (found once per process)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFError

    from zoning.export import _fonts

    found = _fonts.cjk_font()
    why = "no CJK font found on the system"
    if found is not None:
        try:
            ttf = _ttf(found.path, found.family)
            pdfmetrics.registerFont(ttf)
            log.info("PDF reports: CJK font %s, embedded as a subset", found.describe())
            return PdfFont(EMBEDDED_FONT, True, found.describe())
        except (TTFError, OSError, ValueError) as exc:
            why = f"{found.describe()} cannot be embedded ({exc})"
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    log.warning(
        "PDF reports: %s, so Chinese is set in reportlab's CID font %s, which is not "
        "embedded (a viewer substitutes a font; filing may need embedded fonts). Fix: "
        "install a CJK TrueType font, e.g. apt-get install fonts-wqy-microhei",
        why,
        CJK_FONT,
    )
    return PdfFont(CJK_FONT, False, f"{CJK_FONT} (reportlab CID)")


#: The reportlab names of the embedded Latin faces (DejaVu Sans): regular, bold, oblique.
LATIN_FONTS = ("ZoningLatin", "ZoningLatin-Bold", "ZoningLatin-Oblique")
_DEJAVU = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf")


@functools.lru_cache(maxsize=1)
def latin_fonts() -> tuple[str, str, str]:
    """Regular, bold and oblique font names for Latin text, registered with reportlab:
    DejaVu Sans from matplotlib's bundled fonts (embedded), else Helvetica (not embedded)."""
    import importlib.util
    import os

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    spec = importlib.util.find_spec("matplotlib")
    where = os.path.join(
        (spec.submodule_search_locations or [""])[0] if spec else "", "mpl-data", "fonts", "ttf"
    )
    try:
        for name, file in zip(LATIN_FONTS, _DEJAVU, strict=True):
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, os.path.join(where, file)))
    except (TTFError, OSError, ValueError) as exc:
        log.warning(
            "PDF reports: DejaVu Sans not found in matplotlib's fonts (%s), so Latin text is "
            "set in Helvetica, which is not embedded. Fix: reinstall matplotlib",
            exc,
        )
        return ("Helvetica", "Helvetica-Bold", "Helvetica-Oblique")
    log.info("PDF reports: Latin text in DejaVu Sans (%s), embedded as a subset", where)
    return LATIN_FONTS


def _fonts() -> PdfFont:
    return pdf_font()


class _Styles:
    """Paragraph styles of one language."""

    def __init__(self, lang: str, cjk: PdfFont | None = None):
        from reportlab.lib import colors
        from reportlab.lib.enums import TA_RIGHT
        from reportlab.lib.styles import ParagraphStyle

        self.zh = lang == "zh"
        self.cjk = cjk or pdf_font()
        self.lang = lang
        cjk = self.cjk.name
        self.latin = latin_fonts()
        self.font = cjk if self.zh else self.latin[0]
        self.bold = cjk if self.zh else self.latin[1]
        self.italic = cjk if self.zh else self.latin[2]
        wrap = "CJK" if self.zh else None
        base = dict(fontName=self.font, fontSize=9.5, leading=13, wordWrap=wrap)
        self.body = ParagraphStyle("body", **base)
        self.cell = ParagraphStyle("cell", **{**base, "fontSize": 8.5, "leading": 11})
        self.cell_wrap = ParagraphStyle("cellw", parent=self.cell, wordWrap="CJK")
        self.num = ParagraphStyle("num", parent=self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", parent=self.cell, fontName=self.bold)
        self.small = ParagraphStyle(
            "small",
            **{**base, "fontSize": 8, "leading": 10.5, "textColor": colors.HexColor("#555555")},
        )
        self.title = ParagraphStyle(
            "title",
            **{**base, "fontName": self.bold, "fontSize": 16, "leading": 21, "spaceAfter": 4},
        )
        self.h2 = ParagraphStyle(
            "h2",
            **{**base, "fontName": self.bold, "fontSize": 12.5, "leading": 16},
            spaceBefore=12,
            spaceAfter=5,
        )
        self.h3 = ParagraphStyle(
            "h3",
            **{**base, "fontName": self.bold, "fontSize": 10, "leading": 13},
            spaceBefore=6,
            spaceAfter=3,
        )
        self.white = ParagraphStyle("white", parent=self.body, textColor=colors.white)
        self.big = ParagraphStyle(
            "big", parent=self.white, fontName=self.bold, fontSize=20, leading=25
        )

    def markup(self, text: str, style: str = "") -> str:
        """Escaped text; Chinese runs in an English report set in the CJK font."""
        s = escape(str(text)).replace("\n", "<br/>")
        if not self.zh:
            s = _CJK.sub(lambda m: f'<font name="{self.cjk.name}">{m.group(0)}</font>', s)
        elif not self.cjk.embedded:  # ², µ, · … are not in the CID font's GB 2312 set
            s = _LATIN1.sub(lambda m: f'<font name="{self.latin[0]}">{m.group(0)}</font>', s)
        if style == "b" and not self.zh:  # the CJK font has no bold: rows are tinted instead
            s = f'<font name="{self.bold}">{s}</font>'
        elif style == "i":
            s = f'<font name="{self.italic}">{s}</font>' if not self.zh else s
        return s


def _para(st: _Styles, cell: Cell, style):
    from reportlab.platypus import Paragraph

    lines = [(cell, "")] if isinstance(cell, str) else cell
    text = "<br/>".join(st.markup(t, s) for t, s in lines if t != "")
    if not st.zh and _LONG.search(text) and style is st.cell:
        style = st.cell_wrap
    return Paragraph(text, style)


def _table(st: _Styles, block: Block, width: float, *, header: bool = True):
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    widths = [width * f for f in (block.widths or [1 / len(block.rows[0])] * len(block.rows[0]))]
    rows = []
    if header and block.head:
        rows.append([_para(st, h, st.head) for h in block.head])
    for r in block.rows:
        rows.append(
            [_para(st, c, st.num if j in block.numeric else st.cell) for j, c in enumerate(r)]
        )
    tbl = Table(
        rows,
        colWidths=widths,
        repeatRows=1 if header and block.head else 0,
        splitInRow=_SPLIT_IN_ROW[0],
        hAlign="LEFT",
    )
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
        ("FONTNAME", (0, 0), (-1, -1), st.font),  # empty cells too: no Helvetica
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header and block.head:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")))
    else:
        style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")))
    off = 1 if header and block.head else 0
    for row, tint in block.tints.items():
        style.append(("BACKGROUND", (0, row + off), (-1, row + off), colors.HexColor(tint)))
    tbl.setStyle(TableStyle(style))
    return tbl


def _flowables(doc: Printed, st: _Styles, width: float) -> list:
    from reportlab.lib import colors
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, KeepTogether, Paragraph, Spacer, Table, TableStyle
    from reportlab.platypus.flowables import CondPageBreak

    out: list = []
    for n, b in enumerate(doc.blocks):
        if b.kind == "title":
            out.append(Paragraph(st.markup(b.text), st.title))
        elif b.kind == "meta":
            out.append(Paragraph(st.markup(b.text), st.small))
        elif b.kind == "heading":
            is_map = n + 1 < len(doc.blocks) and doc.blocks[n + 1].kind == "image"
            out += [
                CondPageBreak((125 if is_map else 30) * mm),
                Paragraph(st.markup(b.text), st.h2),
            ]
        elif b.kind == "subheading":
            out += [CondPageBreak(25 * mm), Paragraph(st.markup(b.text), st.h3)]
        elif b.kind == "kv":
            out.append(_table(st, b, width, header=False))
        elif b.kind == "table":
            out.append(_table(st, b, width))
        elif b.kind == "note":
            out += [Spacer(1, 2), Paragraph(st.markup(b.text), st.small)]
        elif b.kind == "verdict":
            rows = [
                [Paragraph(st.markup(b.head[0]), st.white)],
                [Paragraph(st.markup(b.text), st.big)],
            ]
            rows += [[Paragraph(st.markup(t, s), st.white)] for t, s in b.items]
            tbl = Table(rows, colWidths=[width], splitInRow=_SPLIT_IN_ROW[0])
            tbl.setStyle(
                TableStyle(
                    [
                        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(b.color)),
                        ("FONTNAME", (0, 0), (-1, -1), st.font),
                        ("LEFTPADDING", (0, 0), (-1, -1), 10),
                        ("TOPPADDING", (0, 0), (-1, -1), 1),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                        ("TOPPADDING", (0, 0), (-1, 0), 7),
                        ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
                    ]
                )
            )
            out += [Spacer(1, 8), tbl]
        elif b.kind == "review":
            amber, dark = colors.HexColor("#e6a700"), colors.HexColor("#8a5a00")
            title = Paragraph(st.markup(b.head[0]), st.body)
            note = Paragraph(
                f'<font size="13" color="#8a5a00">{st.markup(b.text, "b")}</font>', st.body
            )
            rows = [[title], [note]]
            if b.head[1]:
                rows.append([Paragraph(st.markup(b.head[1]), st.cell)])
            for t, s in b.items:
                p = Paragraph(
                    (f'<font color="#b2182b">{st.markup(t, "b")}</font>' if s else st.markup(t)),
                    st.cell,
                )
                rows.append([p])
            tbl = Table(rows, colWidths=[width], splitInRow=_SPLIT_IN_ROW[0])
            tbl.setStyle(
                TableStyle(
                    [
                        ("BOX", (0, 0), (-1, -1), 2.5, amber),
                        ("FONTNAME", (0, 0), (-1, -1), st.font),
                        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#fff8e1")),
                        ("LEFTPADDING", (0, 0), (-1, -1), 10),
                        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                        ("TOPPADDING", (0, 0), (-1, 0), 6),
                        ("BOTTOMPADDING", (0, -1), (-1, -1), 7),
                        ("TEXTCOLOR", (0, 0), (-1, -1), dark),
                    ]
                )
            )
            out += [Spacer(1, 6), tbl]
        elif b.kind == "image":
            from reportlab.lib.utils import ImageReader

            iw, ih = ImageReader(io.BytesIO(b.data)).getSize()
            scale = min(width / iw, 110 * mm / ih)
            img = Image(io.BytesIO(b.data), width=iw * scale, height=ih * scale)
            out.append(KeepTogether([img, Paragraph(st.markup(b.text), st.small)]))
        elif b.kind == "sign":
            rows = [[Paragraph(st.markup(r[0]), st.head), ""] for r in b.rows]
            heights = [28 * mm] + [12 * mm] * (len(rows) - 1)
            tbl = Table(rows, colWidths=[0.25 * width, 0.75 * width], rowHeights=heights)
            tbl.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.7, colors.HexColor("#666666")),
                        ("FONTNAME", (0, 0), (-1, -1), st.font),
                        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            out.append(KeepTogether([tbl]))
    return out


def _build(doc: Printed, path) -> Path:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as _canvas
    from reportlab.platypus.doctemplate import LayoutError

    st = _Styles(doc.lang, _fonts())
    size = landscape(A4) if doc.landscape else A4

    class _Numbered(_canvas.Canvas):
        """Holds the pages back until the end, so each can say 'of N'."""

        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for n, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                self._furniture(n, total)
                super().showPage()
            super().save()

        def _furniture(self, n: int, total: int):
            w, h = size
            self.setFont(st.font, 8)
            self.setFillGray(0.35)
            self.setFont(st.cjk.name if _CJK.search(doc.header) else st.font, 8)
            self.drawString(14 * mm, h - 10 * mm, doc.header)
            self.setFont(st.font, 8)
            self.drawRightString(w - 14 * mm, h - 10 * mm, doc.date)
            self.setStrokeGray(0.6)
            self.setLineWidth(0.5)
            self.line(14 * mm, h - 11.5 * mm, w - 14 * mm, h - 11.5 * mm)
            label = doc.page_label(n, total)
            self.setFont(st.cjk.name if st.zh else st.font, 8)
            self.drawCentredString(w / 2, 8 * mm, label)

    path = Path(path)
    with atomic_file(path) as tmp:
        try:
            _layout(doc, st, size, tmp, _Numbered)
        except LayoutError:  # a row taller than a page: let rows split
            _SPLIT_IN_ROW[0] = 1
            try:
                _layout(doc, st, size, tmp, _Numbered)
            finally:
                _SPLIT_IN_ROW[0] = 0
    log.info("wrote %s", path)
    return path


def _layout(doc: Printed, st: _Styles, size, tmp, canvasmaker) -> None:
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    tpl = SimpleDocTemplate(
        str(tmp),
        pagesize=size,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=16 * mm,
        bottomMargin=15 * mm,
        title=doc.header,
        author="zoning",
        lang="zh-CN" if st.zh else "en",
        initialFontName=st.font,  # not reportlab's Helvetica, which is never embedded
    )
    from reportlab.platypus import Paragraph, Spacer

    flow = _flowables(doc, st, tpl.width)
    # the colophon: which font Chinese is set in, embedded or not
    flow += [Spacer(1, 8 * mm), Paragraph(st.markup(st.cjk.colophon(doc.lang)), st.small)]
    tpl.build(flow, canvasmaker=canvasmaker)


def _png_bytes(site_png) -> bytes | None:
    if site_png is None or isinstance(site_png, bytes | bytearray):
        return bytes(site_png) if site_png is not None else None
    p = Path(site_png)
    if not p.is_file():
        raise InputError(
            "the site map PNG does not exist", source=p, param="site_png",
            fix="draw the static map first or leave it out",
        )  # fmt: skip
    data = p.read_bytes()
    if not data.startswith(b"\x89PNG"):
        raise InputError(
            "the site map is not a PNG file", source=p, param="site_png", fix="pass a PNG"
        )
    return data


def _lang(lang: str) -> str:
    if lang not in ("zh", "en"):
        raise ValueError(f"`lang` was '{lang}' but is expected to be in ['en', 'zh']")
    return lang


def write_report_pdf(
    project: dict,
    /,
    path: str | PathLike,
    *,
    lang: Literal["zh", "en"] = "zh",
    site_png: bytes | str | PathLike | None = None,
) -> Path:
    """Write one project's screening report as an A4 PDF.

    Parameters
    ----------
    project : dict
        The content of the project's ``result.json`` (with ``project``, the inputs and
        versions), or the bare project dict of :meth:`ScreeningResult.project`.
    path : path
        The PDF to write (atomically).
    lang : {"zh", "en"}, optional (default: "zh")
    site_png : bytes or path, optional (default: None)
        The static site map; without it the report says that no map is attached.
    """
    doc = report_blocks(project, _lang(lang), _png_bytes(site_png))
    return _build(doc, path)


def write_summary_pdf(
    projects: list[dict],
    /,
    path: str | PathLike,
    *,
    lang: Literal["zh", "en"] = "zh",
    meta: dict | None = None,
) -> Path:
    """Write the batch summary (counts by verdict, one row per project) as an A4 PDF.

    ``projects`` are ``result.json`` contents or project dicts (the batch
    ``result.json``'s ``projects``); ``meta`` its other keys (date, rule set).
    """
    return _build(summary_blocks(projects, _lang(lang), meta), path)
