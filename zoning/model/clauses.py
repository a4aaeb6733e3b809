"""Access-list clauses: each unit's four-dimension text split into clauses with stable ids.

A control unit's access list (生态环境准入清单) is free text in four dimensions
(:data:`zoning.model.DIMENSIONS`).  :func:`split_text` cuts one text into clauses:

- first at numbered items: ``1.`` ``1、`` ``1．`` ``(1)`` ``（1）`` ``①``…``⑳`` (a number
  followed by a digit, as in ``1.5``, is not an item);
- then inside each item at ``。`` ``；`` ``;`` and line breaks.

:func:`split_units` does it for every unit of a layer.  Each :class:`Clause` keeps its
unit code, dimension, position and text, and an id::

    <unit code>:<dimension>:<n>@<hash>      e.g. ZH33990110001:spatial:3@66c835

where ``n`` counts the clauses of that dimension from 1 and ``hash`` is the first six hex
digits of the SHA-1 of the clause's normalised text (:func:`normalise`).  A rule file may
name a clause by its id with or without ``@hash``; with it, the reference breaks visibly
when the text changes in a new edition (instead of silently pointing at another clause).
A clause is a *prohibition* when it says 禁止, 不得 or 严禁 (also 不准, 不予).

No I/O here; the only imports are the model and the errors.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

from zoning.model import DIMENSION_KEYS, DIMENSIONS

#: Words that make a clause a prohibition.
PROHIBITION_WORDS: tuple[str, ...] = ("禁止", "不得", "严禁", "不准", "不予")
#: A clause id: ``<code>:<dimension>:<n>`` with an optional ``@<hex hash>``.
CLAUSE_ID = re.compile(
    r"^(?P<code>ZH\d{11}):(?P<dim>" + "|".join(DIMENSION_KEYS) + r"):(?P<n>[1-9]\d*)"
    r"(?:@(?P<hash>[0-9a-f]{6}))?$"
)
#: Text that starts like a clause id (``ZH`` + digits + ``:``): checked strictly in rule files.
LOOKS_LIKE_ID = re.compile(r"^ZH\d*:")
HASH_LEN = 6

_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# an item marker at the start, or after white space / closing punctuation
_ITEM = re.compile(
    r"(?:^|(?<=[\s。；;：:，,）)]))"
    r"(?P<m>[(（]\s*(?P<p>\d{1,2})\s*[)）]|(?P<d>\d{1,2})\s*(?:[.．](?!\d)|、)|(?P<c>["
    + _CIRCLED
    + r"]))"
)
_SENT = re.compile(r"[。；;\r\n]+")
_SPACE = re.compile(r"\s+")
_TRAIL = "。；;.,，、：: "


@dataclass(frozen=True)
class Clause:
    """One clause of a unit's access list."""

    unit_code: str
    dimension: str  # spatial | emission | risk | resource
    n: int  # 1-based position among the clauses of this dimension
    item: str  # the item number as written ("2", "①"), "" when the text is not numbered
    text: str  # the clause (Chinese), without its item number
    text_en: str | None = None  # the English twin, when it can be aligned
    prohibition: bool = False

    @property
    def key(self) -> str:
        """``<code>:<dimension>:<n>`` (the id without its hash)."""
        return f"{self.unit_code}:{self.dimension}:{self.n}"

    @property
    def hash(self) -> str:
        return text_hash(self.text)

    @property
    def id(self) -> str:
        """``<code>:<dimension>:<n>@<hash>``."""
        return f"{self.key}@{self.hash}"

    def get(self, lang: str = "zh") -> str:
        return self.text_en if lang == "en" and self.text_en else self.text


def normalise(text: str) -> str:
    """The form clause texts are compared in: Unicode NFKC (full-width letters, digits
    and brackets as half-width), white space removed, closing punctuation dropped."""
    s = unicodedata.normalize("NFKC", str(text))
    return _SPACE.sub("", s).strip(_TRAIL)


@functools.lru_cache(maxsize=1 << 16)
def text_hash(text: str) -> str:
    """First six hex digits of the SHA-1 of :func:`normalise` (text)."""
    return hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()[:HASH_LEN]


def is_prohibition(text: str) -> bool:
    return any(w in text for w in PROHIBITION_WORDS)


def _items(text: str) -> list[tuple[str, str]]:
    """(item number, item text) pairs; one unnumbered item when there are no markers."""
    marks = list(_ITEM.finditer(text))
    if not marks:
        return [("", text)]
    out = []
    head = text[: marks[0].start()].strip()
    if head.strip(_TRAIL):
        out.append(("", head))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        label = m["p"] or m["d"] or m["c"]
        out.append((label, text[m.end() : end]))
    return out


def _sentences(text: str) -> list[str]:
    parts = (p.strip().strip(_TRAIL).strip() for p in _SENT.split(text))
    return [p for p in parts if p]


_EN_ITEM = re.compile(r"(?:^|(?<=\s))(?:\(\d{1,2}\)|\d{1,2}\.(?!\d))\s")
_EN_SENT = re.compile(r"(?<=[a-z0-9)%])[.;]\s+(?=[A-Z])|;\s+|\r?\n+")


def _split_en(text: str | None) -> list[list[str]] | None:
    """English items, each split into sentences; None without text."""
    if not text or not str(text).strip():
        return None
    text = str(text)
    marks = list(_EN_ITEM.finditer(text))
    cuts = [m.end() for m in marks]
    starts = [m.start() for m in marks]
    if cuts:
        chunks = [
            text[c : (starts[i + 1] if i + 1 < len(starts) else len(text))]
            for i, c in enumerate(cuts)
        ]
    else:
        chunks = [text]
    out = []
    for ch in chunks:
        parts = [p.strip().rstrip(".;").strip() for p in _EN_SENT.split(ch)]
        out.append([p for p in parts if p])
    return out


def split_text(
    text: str | None, /, *, unit_code: str = "", dimension: str = "spatial", text_en=None
) -> list[Clause]:
    """The clauses of one access-list text (see the module docstring for the cuts).

    ``text_en`` (the English twin) is aligned item by item, then sentence by sentence when
    the counts agree; where they do not, each clause of an item gets the whole English
    item, and with different item counts no English text at all.
    """
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return []
    text = str(text)
    if not text.strip():
        return []
    items = _items(text)
    en = _split_en(text_en)
    numbered = [it for it in items if it[0]]
    en_items = en if en is not None and len(en) == len(items) else None
    if en_items is None and en is not None and len(en) == len(numbered) and numbered:
        it = iter(en)  # an unnumbered head before item 1: no English for it
        en_items = [next(it) if lab else None for lab, _ in items]
    out: list[Clause] = []
    for i, (label, body) in enumerate(items):
        sents = _sentences(body)
        en_parts = en_items[i] if en_items is not None else None
        for k, s in enumerate(sents):
            if en_parts is None:
                e = None
            elif len(en_parts) == len(sents):
                e = en_parts[k]
            else:
                e = "; ".join(en_parts)
            out.append(
                Clause(
                    unit_code=unit_code,
                    dimension=dimension,
                    n=len(out) + 1,
                    item=label,
                    text=s,
                    text_en=e,
                    prohibition=is_prohibition(s),
                )
            )
    return out


def has_access_text(units: pd.DataFrame) -> pd.Series:
    """Per unit, whether any of the four access-list columns holds text."""
    has = pd.Series(False, index=units.index)
    for d in DIMENSIONS:
        if d.column in units.columns:
            col = units[d.column].astype("string").fillna("").str.strip()
            has |= (col != "").to_numpy()
    return has


def split_units(units: pd.DataFrame, /, *, english: bool = True) -> list[list[Clause]]:
    """Per unit (in row order), its clauses over the four dimensions, in dimension order.

    A unit without any access-list text gets an empty list (see :func:`has_access_text`
    to tell it apart from a list that was split into nothing).  Texts shared by several
    units are split once.  ``english=False`` skips aligning the ``_en`` twins.
    """
    n = len(units)
    codes = (
        units["code"].astype("string").fillna("").tolist() if "code" in units.columns else [""] * n
    )
    out: list[list[Clause]] = [[] for _ in range(n)]
    for d in DIMENSIONS:
        if d.column not in units.columns:
            continue
        zh = units[d.column].astype("string").fillna("").tolist()
        en = (
            units[d.column + "_en"].astype("string").fillna("").tolist()
            if english and d.column + "_en" in units.columns
            else [""] * n
        )
        cache: dict[tuple[str, str], list[Clause]] = {}
        for i in range(n):
            key = (zh[i], en[i])
            if key not in cache:
                cache[key] = split_text(zh[i], dimension=d.key, text_en=en[i] or None)
            if cache[key]:
                out[i].extend(
                    Clause(codes[i], c.dimension, c.n, c.item, c.text, c.text_en, c.prohibition)
                    for c in cache[key]
                )
    return out
