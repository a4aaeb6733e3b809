"""Reading a CSV of facilities: encoding on the evidence, delimiter from the header."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from zoning.errors import DataSourceError

log = logging.getLogger("zoning.io.facilities")

#: Encodings suggested when a CSV is neither UTF-8 nor GBK, with what they are for.
ENCODING_HINTS = (
    ("gb18030", "Chinese text (a superset of GBK)"),
    ("cp1252", "Western European text from Windows or Excel"),
    ("latin-1", "Western European text (decodes any bytes: check accented names)"),
)
#: Bytes of a CSV read to find the line of an undecodable byte and to test encodings.
_PROBE_BYTES = 16 * 2**20


def _encoding_problem(path: Path, tried: list[str], european: bool = False) -> DataSourceError:
    """The error for a CSV none of ``tried`` decodes (``european``: GBK decodes it, but
    into unlikely characters): where, and encodings to try."""
    with open(path, "rb") as fh:
        raw = fh.read(_PROBE_BYTES)
    whole = len(raw) < _PROBE_BYTES
    line = byte = None
    for enc in tried:
        try:
            raw.decode(enc)
        except UnicodeDecodeError as exc:
            before = raw[: exc.start]  # lines end in \n, \r\n or a bare \r
            line = len(before.splitlines()) + (not before or before.endswith((b"\n", b"\r")))
            byte = raw[exc.start]
            break
        except LookupError:
            break
    fits = []
    hints_in_order = sorted(ENCODING_HINTS, key=lambda h: european and h[0] == "gb18030")
    for enc, _ in hints_in_order:
        if enc in tried or (european and enc == "gb18030"):
            continue
        try:
            raw.decode(enc)
        except UnicodeDecodeError:
            continue
        fits.append(enc)
    where = f" (byte 0x{byte:02x} cannot be decoded)" if byte is not None else ""
    hints = "; ".join(f"{enc} for {use}" for enc, use in hints_in_order if enc not in tried)
    found = (
        f"; the {'file' if whole else f'first {_PROBE_BYTES >> 20} MB'} decodes as "
        + " and ".join(fits)
        if fits
        else ""
    )
    names = ["UTF-8" if e == "utf-8-sig" else e for e in tried]
    if european:
        text = f"not {names[0]} text{where}, and as GBK it reads as unlikely Chinese characters"
    elif len(names) > 1:
        text = f"neither {' nor '.join(names)} text{where}"
    else:
        text = f"not {names[0]} text{where}"
    return DataSourceError(
        f"the CSV is {text}",
        source=path,
        line=line,
        fix=f"pass the file's `encoding`, e.g. {hints}{found}",
    )


def _not_chinese(path: Path) -> bool:
    """Whether text that decodes as GBK is more likely European (latin-1, cp1252).

    Chinese text is almost all GB 2312 characters, both of whose bytes are >= 0xA1; an
    accented letter followed by an ASCII letter (``é`` + ``n``) decodes as a rare GBK
    character whose second byte is ASCII.  More than half such characters: not GBK.
    """
    with open(path, "rb") as fh:
        text = fh.read(2**20).decode("gbk", errors="ignore")
    chars = Counter(re.findall(r"[^\x00-\x7f]", text))
    odd = sum(n for c, n in chars.items() if c.encode("gbk", errors="ignore")[1:2] < b"\x80")
    return 2 * odd > sum(chars.values())


#: Delimiters a CSV may use; the first is the default.
DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


def _delimiter(path: Path, enc: str) -> str:
    """The delimiter of a CSV, from its first lines.

    A comma when the header has commas; otherwise ``;``, tab or ``|`` when exactly one of
    them splits the header and every one of the first lines into the same number (>1)
    of fields (Excel in many locales writes ``;``).  Else a comma (the file has one
    column, which the coordinate columns then say).
    """
    with open(path, "rb") as fh:
        head = fh.read(65536)
    lines = [ln for ln in head.decode(enc, errors="ignore").splitlines() if ln.strip()]
    lines = lines[:21] if len(head) < 65536 else lines[:-1][:21]  # the last may be cut
    if not lines or "," in lines[0]:
        return ","

    def widths(sep: str) -> set[int]:
        return {len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=sep)}

    fits = [d for d in DELIMITERS[1:] if d in lines[0] and widths(d) == {len(lines[0].split(d))}]
    return fits[0] if len(fits) == 1 else ","


def _read_csv(path: Path, encoding: str | None) -> pd.DataFrame:
    if path.is_dir():
        raise DataSourceError(
            "is a folder, not a file", source=path, fix="name the CSV file inside it"
        )
    tried = [encoding] if encoding else ["utf-8-sig", "gbk"]
    for enc in tried:
        if enc == "gbk" and not encoding and _not_chinese(path):
            # GBK would turn European accents into Chinese characters: ask
            raise _encoding_problem(path, tried[:1], european=True)
        try:
            sep = _delimiter(path, enc)
            if sep != ",":
                log.info(
                    "%s: read as %s-separated (the header has no commas)",
                    path,
                    _DELIMITER_NAMES[sep],
                )
            return pd.read_csv(
                path, sep=sep, encoding=enc, dtype=str, keep_default_na=False, na_values=[""]
            )
        except UnicodeDecodeError:
            continue
        except LookupError as exc:
            raise DataSourceError(
                f"'{enc}' is not a known text encoding",
                source=path,
                fix="pass `encoding` with a name such as utf-8, gbk, gb18030 or cp1252",
            ) from exc
        except pd.errors.EmptyDataError as exc:
            raise DataSourceError(
                "the facilities file is empty (no header line, no rows)",
                source=path,
                fix="check the export that made it",
            ) from exc
        except (pd.errors.ParserError, OSError) as exc:
            raise DataSourceError(
                f"cannot read the CSV ({exc})",
                source=path,
                fix="check that it is comma-separated text",
            ) from exc
    raise _encoding_problem(path, tried)


_INTEGER = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def to_numbers(values: pd.Series) -> pd.Series:
    """``pd.to_numeric(values, errors="coerce")`` of a text column, parsed by Arrow when
    every value is plain decimal text (the same numbers and dtype, without a Python step
    per value); any other column goes to pandas."""
    arr = getattr(values.array, "_pa_array", None)
    if arr is not None and len(arr) > 0 and arr.null_count < len(arr):
        import pyarrow as pa
        import pyarrow.compute as pc

        def every(pattern: str) -> bool:
            return bool(pc.all(pc.match_substring_regex(arr, pattern)).as_py())

        out = None
        try:
            if arr.null_count == 0 and every(_INTEGER):
                out = pc.cast(arr, pa.int64()).to_numpy()
            elif every(_DECIMAL):
                out = pc.cast(arr, pa.float64()).to_numpy()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            out = None
        if out is not None:
            return pd.Series(out, index=values.index, name=values.name)
    return pd.to_numeric(values, errors="coerce")
