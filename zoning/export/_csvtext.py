"""CSV text in whole Arrow arrays: the bytes ``DataFrame.to_csv`` writes, faster.

:func:`write_csv_text` writes a frame as ``pandas.DataFrame.to_csv(index=False)`` does
(comma, ``"`` quoting where Python's :mod:`csv` quotes, empty fields for missing values,
floats as their shortest ``repr``, the platform's line end), with every column turned
into text and every line joined by Arrow kernels, a chunk of rows at a time.  Columns of
a kind it does not know (mixed objects, dates …) are written by ``to_csv`` itself, the
whole file, so the bytes are the same either way.
"""

from __future__ import annotations

import csv
import functools
import io
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Rows turned into text at a time (bounds the memory the text takes).
CHUNK_ROWS = 100_000


@functools.cache
def _quoted_chars() -> str:
    """The characters that make Python's csv writer quote a field (QUOTE_MINIMAL): the
    delimiter, the quote and the line end's characters (``\\r`` too from Python 3.12)."""
    found = []
    for ch in ',"\r\n':
        buf = io.StringIO()
        csv.writer(buf, lineterminator=os.linesep).writerow([f"a{ch}b", "c"])
        if buf.getvalue().startswith('"'):
            found.append(ch)
    return "".join(found)


def _float_strings(values: np.ndarray) -> pa.Array:
    """Floats as ``to_csv`` writes them (``repr``), NaN as null.

    Arrow's shortest round-trip text has repr's digits; it differs in form only for
    whole numbers (``3`` for ``3.0``, fixed here) and outside 1e-4 ≤ |x| < 1e10 (where
    it switches to or from exponents at other points), where repr is used."""
    values = np.asarray(values, dtype="float64")
    text = pc.cast(pa.array(values, from_pandas=True), pa.string())
    size = np.abs(values)
    with np.errstate(invalid="ignore"):
        whole = (values == np.trunc(values)) & (size < 1e10)  # 0.0 too; inf, NaN not
    if whole.any():
        mask = pa.array(whole)
        text = pc.replace_with_mask(
            text, mask, pc.binary_join_element_wise(text.filter(mask), ".0", "")
        )
    odd = ((size < 1e-4) & (values != 0)) | (size >= 1e10)  # inf too; NaN is False
    if odd.any():
        text = pc.replace_with_mask(
            text, pa.array(odd), pa.array(list(map(repr, values[odd].tolist())), pa.string())
        )
    return text


def _kind(series: pd.Series) -> str | None:
    """How a column becomes text (see :func:`_text_column`); None for a kind not handled."""
    dtype = series.dtype
    if dtype == np.float64:
        return "float"
    if dtype == np.bool_:
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):  # numpy ints, the nullable Int64 …
        return "int"
    if isinstance(dtype, pd.StringDtype):
        return "string"
    if pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(series) in (
        "string",
        "empty",
    ):
        return "object"
    return None


def _text_column(series: pd.Series, kind: str) -> pa.Array:
    """One column as Arrow text, missing values null."""
    if kind == "float":
        return _float_strings(series.to_numpy())
    if kind == "bool":
        return pa.array(np.where(series.to_numpy(), "True", "False"), type=pa.string())
    if kind == "object":
        return pa.array(series.to_numpy(), type=pa.string(), from_pandas=True)
    values = series.array if isinstance(series.dtype, pd.api.extensions.ExtensionDtype) else None
    arr = pa.array(series.to_numpy() if values is None else values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pc.cast(arr, pa.string())


def _quote(text: pa.Array, chars: str) -> pa.Array:
    """Fields holding a delimiter, quote or line end quoted, their quotes doubled."""
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    data = text.buffers()[2]
    if data is None:
        return text
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset :]
    raw = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[len(text)]]
    if not any((raw == ord(c)).any() for c in chars):
        return text
    pattern = "[" + "".join("\\n" if c == "\n" else "\\r" if c == "\r" else c for c in chars) + "]"
    needs = pc.match_substring_regex(text, pattern)
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, text)


def _header(columns) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=os.linesep).writerow([str(c) for c in columns])
    return buf.getvalue()


def write_csv_text(table: pd.DataFrame, fh) -> None:
    """Write ``table`` to the text file ``fh`` (opened with ``newline=""``, nothing written
    yet) as ``table.to_csv(fh, index=False)`` does."""
    kinds = [_kind(table.iloc[:, i]) for i in range(table.shape[1])]
    if (
        len(kinds) > 1  # a row of one empty field is written as "" by csv
        and None not in kinds
        and table.columns.is_unique
        and not isinstance(table.columns, pd.MultiIndex)
    ):
        fh.write(_header(table.columns))
        fh.flush()
        try:
            for start in range(0, len(table), CHUNK_ROWS):
                fh.buffer.write(_lines(table.iloc[start : start + CHUNK_ROWS], kinds))
            return
        except (pa.ArrowException, UnicodeError):  # lone surrogates …: to_csv words it
            fh.seek(0)
            fh.truncate()
    _csv_by_pandas(table, fh)


def _csv_by_pandas(table: pd.DataFrame, fh) -> None:
    floats = [i for i, dtype in enumerate(table.dtypes) if dtype == np.float64]
    for start in range(0, max(len(table), 1), CHUNK_ROWS):
        part = table.iloc[start : start + CHUNK_ROWS]
        if floats:
            part = part.copy(deep=False)
            for i in floats:
                text = _float_strings(part.iloc[:, i].to_numpy())
                part.isetitem(i, np.array(text.to_pylist(), dtype=object))
        part.to_csv(fh, index=False, header=start == 0)


def _lines(part: pd.DataFrame, kinds: list[str]) -> pa.Buffer:
    """The UTF-8 lines of a chunk of rows, each with its line end."""
    chars = _quoted_chars()
    columns = [_quote(_text_column(part.iloc[:, i], kind), chars) for i, kind in enumerate(kinds)]
    lines = pc.binary_join_element_wise(*columns, ",", null_handling="replace", null_replacement="")
    lines = pc.binary_join_element_wise(lines, "", os.linesep)  # the line end after each
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset :]
    start, end = int(offsets[0]), int(offsets[len(lines)])
    return lines.buffers()[2][start:end]
