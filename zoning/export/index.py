"""An index page linking every output of a run (``zoning demo`` writes ``index.html``)."""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from os import PathLike
from pathlib import Path

from zoning._version import __version__
from zoning.export._atomic import atomic_file

_TITLES = {
    "zh": ("青溪县生态环境分区管控示范成果", "成果", "文件", "由 zoning {v} 生成"),
    "en": ("Qingxi County zoning demo: outputs", "Output", "File", "Made by zoning {v}"),
}


def write_index(
    outputs: Mapping[str, str | PathLike], path: str | PathLike, /, *, lang: str = "zh"
) -> Path:
    """Write an HTML page listing ``outputs`` (name → path) with links relative to it."""
    path = Path(path)
    title, col_name, col_file, made = _TITLES.get(lang, _TITLES["en"])
    rows = []
    for name, target in outputs.items():
        rel = os.path.relpath(Path(target).resolve(), path.parent.resolve())
        rows.append(
            f"<tr><td>{html.escape(name)}</td>"
            f"<td><a href='{html.escape(Path(rel).as_posix(), quote=True)}'>"
            f"{html.escape(Path(rel).as_posix())}</a></td></tr>"
        )
    page = (
        f"<!DOCTYPE html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head>"
        f"<meta charset='utf-8'><title>{html.escape(title)}</title><style>"
        "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;"
        "text-align:left}th{background:#f3f3ee}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><table><tr><th>{col_name}</th><th>{col_file}</th></tr>"
        + "".join(rows)
        + f"</table><p>{html.escape(made.format(v=__version__))}</p></body></html>"
    )
    with atomic_file(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path
