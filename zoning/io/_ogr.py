"""Reading a layer through GDAL (pyogrio), and the text of shapefiles decoded.

:func:`_read_ogr` reads one layer of a file (or a zip member); a ``.dbf`` whose encoding
is not declared is read as raw bytes and decoded here, record by record, on the evidence
(:func:`_decode_dbf`: the encoding, UTF-8 or GBK, that decodes more records cleanly wins,
UTF-8 on a tie).  Used by :func:`zoning.io.vector.read_vector`.
"""

from __future__ import annotations

import logging
import warnings
import zipfile
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from zoning.errors import DataSourceError

#: Logged under the reader's name, so a filter set on it still applies.
log = logging.getLogger("zoning.io.vector")

Source = str | PathLike


def _cpg(gdal_path: str) -> str | None:
    """The text of the .cpg beside a shapefile (also inside a zip), or None."""
    if gdal_path.startswith("/vsizip/"):
        inner = gdal_path[len("/vsizip/") :]
        for i in range(len(inner)):
            if inner[i] == "/" and inner[:i].lower().endswith(".zip"):
                archive, member = inner[:i], inner[i + 1 :]
                break
        else:
            return None
        try:
            with zipfile.ZipFile(archive) as zf:
                names = {n.lower(): n for n in zf.namelist()}
                name = names.get(member[:-4].lower() + ".cpg")
                return zf.read(name).decode("ascii", "replace").strip() if name else None
        except (OSError, zipfile.BadZipFile):
            return None
    if gdal_path.startswith("/vsi"):
        return None
    for s in (".cpg", ".CPG"):
        p = Path(gdal_path).with_suffix(s)
        if p.exists():
            return p.read_bytes().decode("ascii", "replace").strip()
    return None


def _codec(name: str) -> str | None:
    """A Python codec for an encoding name as .cpg files and users write them."""
    import codecs

    n = name.strip().lower()
    if n.isdigit():
        n = {"65001": "utf-8", "936": "gbk", "950": "big5", "54936": "gb18030"}.get(n, f"cp{n}")
    if n in {"ansi 936", "ansi936"}:
        n = "gbk"
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


def _read_ogr(gdal_path: str, source: Source, layer: str | None, encoding: str | None):
    kw = {"layer": layer} if layer else {}
    is_shp = gdal_path.lower().endswith(".shp")
    if encoding is not None and _codec(encoding) is None:
        raise DataSourceError(
            f"'{encoding}' is not a known text encoding",
            source=source,
            param="encoding",
            fix="use a name such as utf-8, gbk, gb18030 or cp1252",
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # a shapefile's .dbf is read as bytes (latin-1 keeps every byte) and decoded
            # here, record by record, on the evidence (see _decode_dbf)
            geo = pyogrio.read_dataframe(
                gdal_path, encoding="ISO-8859-1" if is_shp else encoding, **kw
            )
        except pyogrio.errors.DataLayerError as exc:
            names = _layer_names(gdal_path) if layer is not None else None
            if names is not None and layer not in names:
                raise DataSourceError(
                    f"has no layer '{layer}'; its layers are {', '.join(names) or 'none'}",
                    source=source,
                    fix="name one of those layers",
                ) from exc
            raise DataSourceError(
                f"cannot read the layer ({_first_line(exc)})",
                source=source,
                fix="the file looks damaged or cut short: copy or export it again",
            ) from exc
        except (pyogrio.errors.DataSourceError, OSError) as exc:
            raise DataSourceError(
                f"cannot open ({_first_line(exc)})",
                source=source,
                fix="check that it is a complete GeoJSON, GeoPackage, Shapefile, "
                "zipped Shapefile or GeoParquet file (a cut-off copy cannot be read)",
            ) from exc
        except UnicodeDecodeError as exc:
            raise DataSourceError(
                f"text is not valid {encoding or 'UTF-8'} ({exc.reason} at byte {exc.start})",
                source=source,
                param="encoding",
                fix="pass the file's encoding with `encoding` (e.g. gbk)",
            ) from exc
        except Exception as exc:  # noqa: BLE001
            raise DataSourceError(
                f"cannot read ({_first_line(exc)})",
                source=source,
                fix="check that the file is complete and of a supported format",
            ) from exc
    for w in caught:
        text = str(w.message)
        if "More than one layer found" in text:
            continue  # refused or chosen by --layer before reading
        if "invalid value encountered" in text:
            continue  # NaN coordinates: check_coordinates names those rows
        log.warning("%s: %s", source, _first_line(text))
    if is_shp:
        geo = _decode_dbf(geo, source, encoding, _cpg(gdal_path))
    return geo


def _layer_names(gdal_path: str) -> list[str] | None:
    try:
        return [str(name) for name, _ in pyogrio.list_layers(gdal_path)]
    except Exception:  # noqa: BLE001 - unreadable: the caller says why
        return None


def _first_line(exc) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _column_decodes(values: np.ndarray, codec: str, split: bool = False):
    """Whether every text of a column (latin-1 strings of the .dbf bytes) decodes in
    ``codec``, tried on the column joined by NUL (no NUL in .dbf text); with ``split``
    the decoded column (a list) or None."""
    is_text = np.array([isinstance(v, str) for v in values], dtype=bool)
    texts = values[is_text]
    if any("\x00" in v for v in texts):
        return None if split else False
    try:
        decoded = "\x00".join(texts).encode("latin-1").decode(codec)
    except UnicodeDecodeError:
        return None if split else False
    if not split:
        return True
    parts = decoded.split("\x00")
    if len(parts) != len(texts):
        return None
    out = values.copy()
    out[is_text] = np.array(parts, dtype=object) if parts else out[is_text]
    return list(out)


def _decode_dbf(geo: gpd.GeoDataFrame, source, encoding: str | None, cpg: str | None):
    """The .dbf text (read as latin-1 bytes) decoded in the encoding the evidence shows.

    ``encoding`` wins, then a readable .cpg, else UTF-8 and GBK compete:
    each counts the records whose text decodes cleanly, and the one decoding more
    records wins (UTF-8 on a tie).  Records the chosen encoding cannot decode (UTF-8 cut
    mid-character at the field width) keep their other text, the bad bytes shown as
    U+FFFD, and are named in a warning; when most records with non-ASCII text fail, the
    layer is refused.
    """
    cols = [
        c
        for c in geo.columns
        if c != geo.geometry.name
        and (geo[c].dtype == object or pd.api.types.is_string_dtype(geo[c]))
    ]
    raw = {c: geo[c].to_numpy(dtype=object) for c in cols}

    def fails(codec: str) -> tuple[np.ndarray, dict[int, str]]:
        bad = np.zeros(len(geo), dtype=bool)
        first_field: dict[int, str] = {}
        for c, values in raw.items():
            if _column_decodes(values, codec):
                continue  # the whole column at once: the usual case, fast
            for i, v in enumerate(values):
                if isinstance(v, str) and not v.isascii():
                    try:
                        v.encode("latin-1").decode(codec)
                    except UnicodeDecodeError:
                        if not bad[i]:
                            first_field[i] = c
                        bad[i] = True
        return bad, first_field

    non_ascii = np.zeros(len(geo), dtype=bool)
    for values in raw.values():
        non_ascii |= np.array([isinstance(v, str) and not v.isascii() for v in values], bool)
    if not non_ascii.any():
        return geo
    named = encoding or cpg
    chosen = _codec(named) if named else None
    if named and chosen is None:  # an unreadable .cpg: decide on the evidence
        log.warning("%s: the .cpg names '%s', which is not a known encoding", source, cpg)
    if chosen:
        bad, where = fails(chosen)
        how = "`encoding`" if encoding else ".cpg"
    else:
        tried = {"utf-8": fails("utf-8")}
        if tried["utf-8"][0].any():  # UTF-8 clean everywhere wins (or ties) outright
            tried["gbk"] = fails("gbk")
        else:
            tried["gbk"] = (non_ascii, {})  # not counted: cannot beat UTF-8
        chosen = min(tried, key=lambda c: int(tried[c][0].sum()))  # utf-8 first on a tie
        bad, where = tried[chosen]
        how = "the evidence"
        n_text = int(non_ascii.sum())
        log.info(
            "%s: .dbf text read as %s (of %d records with non-ASCII text, %d decode as UTF-8%s)",
            source,
            chosen,
            n_text,
            n_text - int(tried["utf-8"][0].sum()),
            f", {n_text - int(tried['gbk'][0].sum())} as GBK" if tried["utf-8"][0].any() else "",
        )
    rows = np.flatnonzero(bad)
    fields = sorted({where[int(i)] for i in rows})
    shown = (
        ", ".join(str(i + 1) for i in rows[:5])
        + (" ..." if len(rows) > 5 else "")
        + (f"; field {', '.join(repr(f) for f in fields[:3])}" if fields else "")
    )
    if 2 * len(rows) > int(non_ascii.sum()):
        others = [
            e for e in ("utf-8", "gbk", "gb18030", "big5") if e != chosen and not fails(e)[0].any()
        ]
        raise DataSourceError(
            f"the .dbf text is not valid {chosen} (taken from {how}) in {len(rows)} of "
            f"{int(non_ascii.sum())} records with non-ASCII text (rows {shown})",
            source=source,
            row=int(rows[0]) + 1,
            field=where[int(rows[0])],
            fix=(
                f"it decodes as {others[0]}: pass `encoding` {others[0]}"
                if others
                else "pass the encoding it was written in with `encoding`"
            )
            + " (or write a .cpg naming it)",
        )
    if len(rows):
        log.warning(
            "%s: %d record(s) have text that is not valid %s, shown with \ufffd: rows %s "
            "(usually text cut mid-character at the field width; correct them in the source)",
            source,
            len(rows),
            chosen,
            shown,
        )
    geo = geo.copy()
    for c, values in raw.items():
        whole = _column_decodes(values, chosen, split=True)
        if whole is not None:
            geo[c] = whole
            continue
        geo[c] = [
            v.encode("latin-1").decode(chosen, errors="replace")
            if isinstance(v, str) and not v.isascii()
            else v
            for v in values
        ]
    return geo
