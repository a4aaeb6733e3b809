"""Reading a CSV of facilities: encoding on the evidence, delimiter from the header."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections import Counter
from pathlib import Path

import numpy as np
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
            frame = _read_csv_arrow(path, sep, enc)
            if frame is not None:
                return frame
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


def _header_names(path: Path, sep: str, enc: str) -> list[str] | None:
    """The names of a plain header line (no quotes), or None."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    end = min((i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0), default=-1)
    if end < 0 or b'"' in head[:end]:
        return None
    try:
        return head[:end].decode(enc).split(sep)
    except (UnicodeDecodeError, LookupError):
        return None


def _read_csv_arrow(path: Path, sep: str, enc: str) -> pd.DataFrame | None:
    """The frame ``pd.read_csv(path, sep=sep, encoding=enc, dtype=str,
    keep_default_na=False, na_values=[""])`` reads, parsed by Arrow (on every core,
    without a Python string per field); None where pandas could read it otherwise:
    header names empty, repeated (pandas renames them) or quoted, one column (pandas
    skips lines of spaces), rows of another width (an index column, pandas pads), bad
    text (pandas says where), … — then pandas reads it."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = _header_names(path, sep, enc)
    if not names or len(names) < 2 or "" in names or len(set(names)) < len(names):
        return None
    codec = "utf8" if enc.replace("_", "-").lower() in ("utf-8", "utf-8-sig", "utf8") else enc
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, encoding=codec),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, UnicodeError, LookupError, OSError):
        return None
    if table.num_rows == 0:  # pandas words a header without rows its own way
        return None
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    return table.to_pandas(types_mapper=lambda t: text if t == pa.string() else None)


#: Bytes of plain decimal text (digits, sign, point, exponent), and of integers.
_DECIMAL_BYTES = np.zeros(256, dtype=bool)
_DECIMAL_BYTES[list(b"0123456789+-.eE")] = True
_INTEGER_BYTES = np.zeros(256, dtype=bool)
_INTEGER_BYTES[list(b"0123456789+-")] = True


def _text_bytes(arr) -> np.ndarray:
    """The UTF-8 bytes of every value of an Arrow text array (chunks joined)."""
    import pyarrow as pa

    parts = []
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        if len(chunk) == 0 or chunk.buffers()[2] is None:
            continue
        wide = pa.types.is_large_string(chunk.type)
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64 if wide else np.int32)
        lo, hi = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
        parts.append(np.frombuffer(chunk.buffers()[2], dtype=np.uint8)[lo:hi])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)


def to_numbers(values: pd.Series) -> pd.Series:
    """``pd.to_numeric(values, errors="coerce")`` of a text column, parsed by Arrow when
    every value is plain decimal text (the same numbers and dtype, without a Python step
    per value); any other column goes to pandas.

    Arrow parses exactly the plain decimal forms (``[+-]?(digits[.digits]|.digits)
    ([eE][+-]?digits)?``): text made of those bytes that is not of that form fails the
    cast and goes to pandas too."""
    arr = getattr(values.array, "_pa_array", None)
    if arr is not None and len(arr) > 0 and arr.null_count < len(arr):
        import pyarrow as pa
        import pyarrow.compute as pc

        raw = _text_bytes(arr)
        out = None
        try:
            if not _DECIMAL_BYTES[raw].all():
                out = None
            elif arr.null_count == 0 and _INTEGER_BYTES[raw].all():
                out = pc.cast(arr, pa.int64()).to_numpy()
            else:
                out = pc.cast(arr, pa.float64()).to_numpy()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            out = None
        if out is not None:
            return pd.Series(out, index=values.index, name=values.name)
    return pd.to_numeric(values, errors="coerce")
