"""PDF and Word versions of written screening reports, beside the HTML ones.

:func:`write_printed_reports` takes what :func:`zoning.export.report.write_screening`
returned and writes, from each project's ``result.json``, ``report.pdf`` and
``report.docx`` beside ``report.html``, and for a batch ``summary.pdf`` and
``summary.docx`` beside ``summary.csv``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import Literal

from zoning.errors import InputError
from zoning.export.report_docx import write_report_docx, write_summary_docx
from zoning.export.report_pdf import write_report_pdf, write_summary_pdf

log = logging.getLogger(__name__)

FORMATS = ("html", "pdf", "docx")
_REPORT = {"pdf": write_report_pdf, "docx": write_report_docx}
_SUMMARY = {"pdf": write_summary_pdf, "docx": write_summary_docx}


def parse_formats(text: str | Iterable[str]) -> tuple[str, ...]:
    """``"html,pdf"`` → ``("html", "pdf")``; an unknown name is a ValueError naming the allowed."""
    items = [f.strip().lower() for f in (text.split(",") if isinstance(text, str) else text)]
    items = [f for f in items if f]
    bad = [f for f in items if f not in FORMATS]
    if bad or not items:
        raise InputError(
            f"`formats` was '{','.join(items)}' but is expected to be in {list(FORMATS)}",
            param="formats",
            fix="give a comma-separated list, e.g. html,pdf,docx",
        )
    return tuple(dict.fromkeys(items))


def write_printed_reports(
    paths: Mapping[str, Path],
    /,
    *,
    lang: Literal["zh", "en"] = "zh",
    formats: Iterable[str] = ("pdf", "docx"),
    site_png: Callable[[str], bytes | str | PathLike | None] | None = None,
) -> dict[str, Path]:
    """Write PDF/Word reports beside the HTML reports of ``write_screening``.

    Parameters
    ----------
    paths : mapping
        What :func:`zoning.export.report.write_screening` returned (``report`` or
        ``report:<id>``, ``result``, ``summary``).
    lang : {"zh", "en"}, optional (default: "zh")
    formats : iterable of {"pdf", "docx"}, optional (default: both)
        ``"html"`` is ignored here (``write_screening`` writes it).
    site_png : callable project id → PNG (bytes or path) or None, optional (default: None)
        The static site map of each project.

    Returns
    -------
    dict name → path: ``report.pdf`` / ``report.docx`` (one project) or
    ``report.pdf:<id>`` …, and ``summary.pdf`` / ``summary.docx`` for a batch.
    """
    kinds = [f for f in formats if f in _REPORT]
    written: dict[str, Path] = {}
    for key, html_path in paths.items():
        if not (key == "report" or key.startswith("report:")):
            continue
        html_path = Path(html_path)
        doc = json.loads((html_path.parent / "result.json").read_text(encoding="utf-8"))
        pid = str(doc["project"]["project_id"])
        png = site_png(pid) if site_png else None
        for kind in kinds:
            out = html_path.with_suffix("." + kind)
            _REPORT[kind](doc, out, lang=lang, site_png=png)
            written[f"report.{kind}" + ("" if key == "report" else f":{pid}")] = out
    single = "report" in paths
    if not single and "summary" in paths:
        batch = json.loads(Path(paths["result"]).read_text(encoding="utf-8"))
        meta = {k: v for k, v in batch.items() if k != "projects"}
        for kind in kinds:
            out = Path(paths["summary"]).with_suffix("." + kind)
            _SUMMARY[kind](batch["projects"], out, lang=lang, meta=meta)
            written[f"summary.{kind}"] = out
    log.info("wrote %d printed reports", len(written))
    return written
