"""Access-list texts of two editions compared clause by clause (added, removed,
reworded)."""

from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

_CLAUSE_START = re.compile(r"(?:^|(?<=[。；;，,\s]))(\d{1,2})[.．、](?!\d)\s*")

# ----------------------------------------------------------------------------------------
# clauses


def split_clauses(text) -> list[str]:
    """The clauses of an access-list text, without their numbers (``1. … 2. …``).

    A text without numbering is one clause; an empty text has none.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or pd.isna(text):
        return []
    text = str(text).strip()
    if not text:
        return []
    starts = list(_CLAUSE_START.finditer(text))
    if not starts:
        return [text]
    parts = []
    if starts[0].start() > 0 and text[: starts[0].start()].strip():
        parts.append(text[: starts[0].start()].strip())
    for a, b in zip(starts, [*starts[1:], None], strict=True):
        part = text[a.end() : b.start() if b is not None else len(text)].strip()
        if part:
            parts.append(part)
    return parts


def diff_clauses(old, new, *, reworded_ratio: float = 0.5) -> list[dict]:
    """Clauses added, removed and reworded between two access-list texts.

    Identical clauses (numbers ignored, so renumbering is no change) are unchanged; the
    others are paired greedily by similarity (``difflib`` ratio ≥ ``reworded_ratio``) as
    ``reworded``; what is left is ``added`` or ``removed``.
    """
    a, b = split_clauses(old), split_clauses(new)
    rest_a = [c for c in a if c not in b]
    rest_b = [c for c in b if c not in a]
    pairs = sorted(
        (
            (difflib.SequenceMatcher(None, x, y, autojunk=False).ratio(), i, j)
            for i, x in enumerate(rest_a)
            for j, y in enumerate(rest_b)
        ),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    out = []
    for ratio, i, j in pairs:
        if ratio < reworded_ratio:
            break
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        out.append({"change": "reworded", "old": rest_a[i], "new": rest_b[j]})
    out += [
        {"change": "removed", "old": c, "new": None}
        for i, c in enumerate(rest_a)
        if i not in used_a
    ]
    out += [
        {"change": "added", "old": None, "new": c} for j, c in enumerate(rest_b) if j not in used_b
    ]
    return out


def _clause_words(clauses: list[dict], lang: str) -> str:
    out = []
    for c in clauses:
        dim = c["dimension_zh"] if lang == "zh" else c["dimension"]
        if c["change"] == "reworded":
            out.append(
                f"{dim}: {'修改' if lang == 'zh' else 'reworded'} “{c['old']}” → “{c['new']}”"
            )
        elif c["change"] == "added":
            out.append(f"{dim}: {'新增' if lang == 'zh' else 'added'} “{c['new']}”")
        elif c["change"] == "removed":
            out.append(f"{dim}: {'删除' if lang == 'zh' else 'removed'} “{c['old']}”")
        else:
            out.append(f"{dim}: {'重新编号' if lang == 'zh' else 'renumbered'}")
    return "; ".join(out)
