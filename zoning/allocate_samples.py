"""Site samples joined to the plots of an allocation: each plot's contamination class.

The standard follows the plot's land use (``land_use_key`` of :func:`zoning.pv.assess_pv`):

- construction land and closed mines (``construction``, ``mine``): GB 36600-2018
  (:mod:`zoning.soil_construction`; first- or second-class land from ``land_class`` /
  ``land_class_field``, class 1 when the planned use is unclear);
- farmland (``cropland``, ``permanent_basic_farmland``): GB 15618-2018
  (:func:`zoning.soil.classify_soil`: pH, Cd, Hg, As, Pb, Cr ...);
- any other land use (subsidence areas, unused land, grassland, forest): neither standard
  is decided by the land use, so the plot's samples are counted but not classified
  (``standard="gb36600"`` or ``"gb15618"`` applies one standard to every plot).

A plot takes the worst class of its samples.  Samples are joined to plots either by a
plot-id column of the samples (``plot_field``, matched to the plots' ``id_field`` as text,
:func:`_id_text`; an id that names no plot and repeated plot ids are refused) or, without
it, spatially: a sample point inside a plot
(or on its edge; on a shared edge it counts for both) belongs to it; samples in no plot
are counted and reported.  Nothing is interpolated: a plot without samples has no class.

What the classes decide (``contamination_gate``, empty = allowed, else the reason):
construction land is a polluted plot (a candidate for trees or PV) only when some sample
is above a GB 36600 screening value (a plot whose samples hold no usable measurement is
unknown, never clean); farmland takes trees only when its GB 15618 class is
in ``farmland_classes`` (default strict control, as ``zoning afforest``).  Closed mines and
the other land uses keep what their land rules allow; their class is reported.
"""

from __future__ import annotations

import contextlib
import logging
import re

import geopandas as gpd
import numpy as np
import pandas as pd

from zoning.errors import InputError, SchemaError

log = logging.getLogger(__name__)

CONSTRUCTION = ("construction", "mine")
FARMLAND = ("cropland", "permanent_basic_farmland")
GATED = {"construction": "gb36600", "cropland": "gb15618", "permanent_basic_farmland": "gb15618"}
STANDARDS = {"gb36600": "GB 36600-2018", "gb15618": "GB 15618-2018"}

_TEXT = {
    "no_sample": ("无样品（{std}）：污染状况未知", "no sample ({std}): contamination unknown"),
    "no_measure": (
        "有{k}个样品但无可用测定值（{std}，如均为未检出/空值）：污染状况未知",
        "{k} sample(s) but no usable measurement ({std}, e.g. all ND or empty): "
        "contamination unknown",
    ),
    "clean_36600": (
        "GB 36600：各项不超过筛选值，非污染地块",
        "GB 36600: every item at or below its screening value, not a polluted plot",
    ),
    "farm_class": (
        "GB 15618 类别为{v}，不在造林类别{want}之内",
        "GB 15618 class {v} is not among the classes for trees {want}",
    ),
    "undecided": (
        "地类{lu}不能确定适用的标准（未分类）",
        "land use {lu} decides no standard (not classified)",
    ),
}


def _t(key: str, lang: str, **kw) -> str:
    zh, en = _TEXT[key]
    return (zh if lang == "zh" else en).format(**kw)


def _id_text(v) -> str:
    """A plot id as text, the same for both sides of a join: 1, 1.0, "1" and "1.0" are
    "1" (leading zeros are kept: "007" stays "007"); empty cells are ""."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return str(int(v)) if float(v).is_integer() else str(float(v))
    return re.sub(r"^([+-]?\d+)\.0+$", r"\1", str(v).strip())


def plot_ids(plots, id_field, source=None) -> np.ndarray:
    """The plots' ids as text (:func:`_id_text`); repeated ids are refused, naming them
    and how they are spelt."""
    raw = plots[id_field].tolist()
    ids = np.array([_id_text(v) for v in raw], dtype=object)
    uniq, inv, cnt = np.unique(ids.astype(str), return_inverse=True, return_counts=True)
    if (cnt > 1).any():
        dup = [
            f"'{uniq[k]}' (rows {', '.join(str(i + 1) for i in np.flatnonzero(inv == k)[:5])}"
            f" as {', '.join(repr(raw[i]) for i in np.flatnonzero(inv == k)[:5])})"
            for k in np.flatnonzero(cnt > 1)[:5]
        ]
        raise SchemaError(
            f"{int((cnt > 1).sum())} plot id(s) repeat: {'; '.join(dup)}",
            source=source,
            field=id_field,
            param="id_field",
            fix="give each plot its own id, or name another id field",
        )
    return ids


def _join(plots, samples, plot_field, id_field, source):
    """(sample index, plot index) pairs and the number of samples in no plot."""
    if plot_field is not None:
        if plot_field not in samples.columns:
            raise SchemaError(
                f"the samples have no column '{plot_field}'",
                source=source,
                field=plot_field,
                param="plot_field",
                fix=f"name the samples' plot-id column; they have {list(samples.columns)[:12]}",
            )
        if id_field is None:
            raise InputError(
                "joining samples by a plot-id column needs the plots' id field",
                param="id_field",
                fix="give `id_field` (the plots' identifier) with `plot_field`",
            )
        ids = plot_ids(plots, id_field)
        pos = {v: i for i, v in enumerate(ids)}
        raw = samples[plot_field]
        si, pj = [], []
        for i, v in enumerate(raw):
            key = _id_text(v)
            if key == "":
                continue
            if key not in pos:
                some = ", ".join(repr(x) for x in plots[id_field].head(3).tolist())
                raise InputError(
                    f"plot id {v!r}{'' if key == str(v) else f' (read as {key!r})'} names no plot",
                    source=source,
                    row=i + 1,
                    field=plot_field,
                    fix=f"use the plots' {id_field} values (e.g. {some}), or leave the cell empty",
                )
            si.append(i)
            pj.append(pos[key])
        si, pj = np.asarray(si, dtype=int), np.asarray(pj, dtype=int)
        return si, pj, int(len(samples) - len(np.unique(si)))
    if not isinstance(samples, gpd.GeoDataFrame) or samples.geometry.isna().all():
        raise InputError(
            "the samples have no locations and no plot-id column is named",
            source=source,
            param="plot_field",
            fix="give sample points, or `plot_field` (the samples' plot-id column)",
        )
    kinds = set(samples.geometry.dropna().geom_type)
    if not kinds <= {"Point"}:
        raise SchemaError(
            f"the samples must be points but hold {sorted(kinds)}",
            source=source,
            param="samples",
            fix="give one point per sample, or join by `plot_field`",
        )
    pts = samples.geometry.to_crs(plots.crs) if samples.crs != plots.crs else samples.geometry
    geoms = plots.geometry.reset_index(drop=True)
    si, pj = geoms.sindex.query(pts.reset_index(drop=True), predicate="intersects")
    return np.asarray(si, int), np.asarray(pj, int), int(len(samples) - len(np.unique(si)))


@contextlib.contextmanager
def _file_rows(s_idx, first_plot, ids, lu, code, source):
    """An error about row ``r`` of the samples of one standard names the samples' file
    row and the plot whose land use chose the standard."""
    try:
        yield
    except InputError as exc:
        if isinstance(exc.row, (int, np.integer)) and 1 <= exc.row <= len(s_idx):
            s = int(s_idx[exc.row - 1])
            j = first_plot.get(s)
            where = "" if j is None else f" falls in {lu[j]} plot {ids[j]}, so"
            exc.message = f"sample row {s + 1}{where} {STANDARDS[code]} applies: {exc.message}"
            exc.row = s + 1
        exc.source = exc.source or source
        exc.args = (exc._compose(),)
        raise


def _worst(n, si, pj, cls_s):
    cls = np.zeros(n, dtype="int64")
    np.maximum.at(cls, pj, cls_s[si])
    return cls


def contamination_of_plots(
    plots: gpd.GeoDataFrame,
    samples: pd.DataFrame,
    /,
    *,
    plot_field: str | None = None,
    id_field: str | None = None,
    standard: str = "auto",
    land_class: int | str | None = None,
    land_class_field: str | None = None,
    default_land_use: str = "paddy",
    farmland_classes: tuple[int, ...] = (3,),
    lang: str = "zh",
    source: str | None = None,
):
    """Each plot's contamination class from its samples; returns ``(plots, meta)``.

    Parameters
    ----------
    plots : GeoDataFrame
        Plots with ``land_use_key`` (as :func:`zoning.pv.assess_pv` returns them).
    samples : DataFrame or GeoDataFrame
        Site samples: points (joined spatially) or rows with a plot-id column
        ``plot_field``; GB 36600 item contents and/or GB 15618 pH and metals (mg/kg).
    plot_field, id_field : str, optional
        The samples' plot-id column and the plots' identifier it names.
    standard : {"auto", "gb36600", "gb15618"}, optional (default: "auto", by land use)
    land_class, land_class_field : GB 36600 first/second-class land (see
        :func:`zoning.soil_construction.classify_construction_samples`).
    default_land_use : GB 15618 land use where the samples give none (default "paddy").
    farmland_classes : GB 15618 classes of farmland that may take trees (default (3,)).

    Returns
    -------
    plots with ``samples_n``, ``sample_standard``, ``contamination_class`` (GB 36600: 1
    at or below screening, 2 above screening, 3 above intervention; GB 15618: 1 priority
    protection, 2 safe utilisation, 3 strict control; 0 none), ``contamination_class_key``,
    ``contamination_over`` (items / metals above their screening values) and
    ``contamination_gate`` (empty, or why the plot takes no use); meta for the summary.
    """
    from zoning.soil import SOIL_CLASSES, classify_soil
    from zoning.soil_construction import CLASSES, SINGLE_SOURCE_NOTE, classify_construction_samples

    if standard not in ("auto", *STANDARDS):
        raise InputError(
            f"`standard` was '{standard}' but is expected in {['auto', *STANDARDS]}",
            param="standard",
        )
    if "land_use_key" not in plots.columns:
        raise SchemaError("the plots have no land_use_key", param="plots", fix="run assess_pv")
    n = len(plots)
    si, pj, outside = _join(plots, samples, plot_field, id_field, source)
    lu = plots["land_use_key"].astype(object).to_numpy()

    def std_of(v):
        if standard != "auto":
            return standard
        return "gb36600" if v in CONSTRUCTION else "gb15618" if v in FARMLAND else ""

    std = np.array([std_of(v) for v in lu], dtype=object)
    count = np.bincount(pj, minlength=n)
    cls = np.zeros(n, dtype="int64")
    over = [set() for _ in range(n)]
    key = np.full(n, "", dtype=object)
    meta: dict = {"join": f"by samples' {plot_field} = plots' {id_field}" if plot_field
                  else "spatial: sample points inside (or on the edge of) a plot",
                  "samples": int(len(samples)), "samples_in_no_plot": outside}  # fmt: skip
    for code in STANDARDS:
        m = std[pj] == code
        if not m.any():
            continue
        s_idx = np.unique(si[m])
        sub = samples.iloc[s_idx]
        ids = plots[id_field].tolist() if id_field else [f"#{i + 1}" for i in range(n)]
        first_plot = dict(zip(si[m][::-1], pj[m][::-1], strict=True))  # sample -> a plot
        if code == "gb36600":
            with _file_rows(s_idx, first_plot, ids, lu, code, source):
                r = classify_construction_samples(
                    sub, land_class=land_class, land_class_field=land_class_field, source=source
                )
            c_s, ov = r.samples["gb36600_class"].to_numpy(), r.samples["gb36600_over_screening"]
            labels = {c: v[0] for c, v in CLASSES.items()}
            meta[code] = {**r.meta, "single_source": SINGLE_SOURCE_NOTE}
            sep = ";"
        else:
            if not isinstance(sub, gpd.GeoDataFrame):
                sub = gpd.GeoDataFrame(sub, geometry=[None] * len(sub), crs=plots.crs)
            with _file_rows(s_idx, first_plot, ids, lu, code, source):
                r = classify_soil(sub, default_land_use=default_land_use)
            c_s, ov = r.samples["soil_class"].to_numpy(), r.samples["exceeds_screening"]
            labels = {c: v[0] for c, v in SOIL_CLASSES.items()}
            meta[code] = {"standard": "GB 15618-2018", "default_land_use": default_land_use}
            sep = ","
        full_c = np.zeros(len(samples), dtype="int64")
        full_c[s_idx] = c_s
        full_o = np.full(len(samples), "", dtype=object)
        full_o[s_idx] = ov.to_numpy()
        rows = (std == code) & (count > 0)
        w = _worst(n, si[m], pj[m], full_c)
        cls[rows] = w[rows]
        for a, b in zip(si[m], pj[m], strict=True):
            over[b].update(x for x in str(full_o[a]).split(sep) if x)
        key[rows] = [labels[int(c)] for c in cls[rows]]
        meta[code]["plots"] = int(rows.sum())
    gate = np.full(n, "", dtype=object)
    want = sorted(int(c) for c in farmland_classes)
    for i in range(n):
        g = GATED.get(lu[i])
        if g is None or std[i] != g:
            if count[i] and not std[i]:
                key[i] = _t("undecided", lang, lu=lu[i])
            continue
        if count[i] == 0:
            gate[i] = _t("no_sample", lang, std=STANDARDS[g])
        elif cls[i] == 0:  # sampled, but nothing measured: unknown, never "clean"
            gate[i] = _t("no_measure", lang, k=int(count[i]), std=STANDARDS[g])
        elif g == "gb36600" and cls[i] < 2:
            gate[i] = _t("clean_36600", lang)
        elif g == "gb15618" and cls[i] not in want:
            gate[i] = _t("farm_class", lang, v=key[i], want=want)
    out = plots.copy()
    out["samples_n"] = count
    out["sample_standard"] = [
        STANDARDS.get(s, "") if c else "" for s, c in zip(std, count, strict=True)
    ]
    out["contamination_class"] = cls
    out["contamination_class_key"] = key
    out["contamination_over"] = [";".join(sorted(o)) for o in over]
    out["contamination_gate"] = gate
    meta["farmland_classes_for_trees"] = want
    meta["rules"] = (
        "construction land (construction, mine: GB 36600) is a polluted plot only above a "
        "screening value (closed mines always); farmland (GB 15618) takes trees only in "
        f"classes {want}; no sample, no class (nothing interpolated)"
    )
    meta["gated_plots"] = int((gate != "").sum())
    if outside:
        log.warning("%d sample(s) lie in no plot and were not used", outside)
    return out, meta
