"""The changes of an edition diff: correspondence groups, class transitions and one
row per change with its kinds, areas, attributes and clauses."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import shapely

from zoning.diff_clauses import _clause_words, diff_clauses
from zoning.diff_vocab import ATTRIBUTES, CLASS_KEYS, KINDS, OUTSIDE, _label
from zoning.model import DIMENSIONS, UNIT_CLASSES

log = logging.getLogger("zoning.diff")


_CHANGE_COLUMNS = [
    "change_id", "kind", "kinds", "old_codes", "new_codes", "old_class", "new_class",
    "area_old_m2", "area_new_m2", "area_change_m2", "area_change_pct", "attributes", "clauses",
    "reason_zh", "reason_en", "before", "after",
]  # fmt: skip
_UNIT_COLUMNS = [
    "edition",
    "code",
    "name",
    "unit_class",
    "change_id",
    "kind",
    "counterparts",
    "reason_zh",
    "reason_en",
]
_CLAUSE_COLUMNS = [
    "old_code",
    "new_code",
    "dimension",
    "dimension_zh",
    "change",
    "old_text",
    "new_text",
]


def _components(n_old, n_new, li, lj, ident):
    """Connected components of the correspondence graph (old i ↔ new j)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    size = n_old + n_new
    g = coo_matrix((np.ones(len(li)), (li, lj + n_old)), shape=(size, size))
    _, lab = connected_components(g, directed=False)
    order = np.argsort(lab, kind="stable")
    bounds = np.flatnonzero(np.diff(lab[order])) + 1
    groups = []
    for members in np.split(order, bounds):
        olds = np.sort(members[members < n_old])
        news = np.sort(members[members >= n_old] - n_old)
        kind = None
        if len(olds) == 1 and len(news) == 1 and ident[olds[0]]:
            kind = "unchanged"  # may still have attribute changes: decided later
        groups.append({"old": olds, "new": news, "kind": kind})
    return groups


def _uncovered(ag, bg, rows, tol, measure):
    """Area (both measures) of each of ``rows`` of ``ag`` covered by no ``bg``."""
    area = np.zeros(len(ag))
    area_gk = np.zeros(len(ag))
    if not len(rows):
        return area, area_gk
    q = shapely.STRtree(bg).query(ag[rows], predicate="intersects")
    by = pd.Series(q[1]).groupby(q[0]).agg(list).to_dict()
    rest = np.array(
        [
            ag[r] if k not in by else shapely.difference(ag[r], shapely.union_all(bg[by[k]]))
            for k, r in enumerate(rows)
        ],
        dtype=object,
    )
    a, a_gk = measure(rest)
    big = (a >= tol) & (measure.work_m2(rest) >= tol)
    area[rows[big]] = a[big]
    area_gk[rows[big]] = a_gk[big]
    return area, area_gk


def _transitions(ocls, ncls, all_i, all_j, all_a, all_agk, ci, cj, uo, uo_gk, un, un_gk):
    rows = pd.DataFrame(
        {
            "old_class": [CLASS_KEYS[c] for c in ocls[all_i]],
            "new_class": [CLASS_KEYS[c] for c in ncls[all_j]],
            "area_m2": all_a,
            "planar_area_m2": all_agk,
        }
    )
    extra = []
    for idx in np.flatnonzero(uo > 0):
        extra.append((CLASS_KEYS[ocls[idx]], OUTSIDE, uo[idx], uo_gk[idx]))
    for idx in np.flatnonzero(un > 0):
        extra.append((OUTSIDE, CLASS_KEYS[ncls[idx]], un[idx], un_gk[idx]))
    if extra:
        rows = pd.concat([rows, pd.DataFrame(extra, columns=rows.columns)], ignore_index=True)
    t = rows.groupby(["old_class", "new_class"], as_index=False)[
        ["area_m2", "planar_area_m2"]
    ].sum()
    t["area_km2"] = t["area_m2"] / 1e6
    t["planar_area_km2"] = t["planar_area_m2"] / 1e6
    order = {k: i for i, k in enumerate([*CLASS_KEYS.values(), OUTSIDE])}
    t = t.sort_values(["old_class", "new_class"], key=lambda s: s.map(order)).reset_index(drop=True)
    t["old_class_zh"] = [_label(k, "zh") for k in t["old_class"]]
    t["new_class_zh"] = [_label(k, "zh") for k in t["new_class"]]
    return t[
        [
            "old_class",
            "new_class",
            "old_class_zh",
            "new_class_zh",
            "area_m2",
            "area_km2",
            "planar_area_m2",
            "planar_area_km2",
        ]
    ]


def _classes(ocls, ncls, oa, na, oa_gk, na_gk) -> pd.DataFrame:
    rows = []
    for d, c in UNIT_CLASSES.items():
        mo, mn = ocls == d, ncls == d
        rows.append(
            {
                "class": c.key,
                "class_zh": c.zh,
                "class_en": c.en,
                "count_before": int(mo.sum()),
                "count_after": int(mn.sum()),
                "count_change": int(mn.sum() - mo.sum()),
                "area_before_km2": float(oa[mo].sum() / 1e6),
                "area_after_km2": float(na[mn].sum() / 1e6),
                "area_change_km2": float((na[mn].sum() - oa[mo].sum()) / 1e6),
                "planar_area_before_km2": float(oa_gk[mo].sum() / 1e6),
                "planar_area_after_km2": float(na_gk[mn].sum() / 1e6),
            }
        )
    total = {
        "class": "total",
        "class_zh": "合计",
        "class_en": "Total",
        **{
            k: sum(r[k] for r in rows)
            for k in rows[0]
            if k not in ("class", "class_zh", "class_en")
        },
    }
    rows.append(total)
    out = pd.DataFrame(rows)
    before = out["area_before_km2"].sum() / 2
    after = out["area_after_km2"].sum() / 2
    out["share_before_pct"] = out["area_before_km2"] / before * 100 if before else np.nan
    out["share_after_pct"] = out["area_after_km2"] / after * 100 if after else np.nan
    return out


def _texts(series: pd.Series) -> list:
    """:func:`_text` of every value, vectorised."""
    missing = series.isna().to_numpy()
    text = series.astype(object).where(~missing, "").astype(str).str.strip()
    out = text.to_numpy(dtype=object)
    out[missing | (out == "")] = None
    return out.tolist()


class _Cols:
    """The compared columns of one edition as lists of texts (fast row access)."""

    def __init__(self, frame):
        self.code = frame["code"].to_numpy(dtype=object)
        self.cols = sorted(set(ATTRIBUTES) | {d.column for d in DIMENSIONS})
        self.values = {
            c: _texts(frame[c]) if c in frame.columns else [None] * len(frame) for c in self.cols
        }
        self.sig = list(zip(*[self.values[c] for c in self.cols], strict=True))


def _attr_changes(oc: _Cols, i: int, nc: _Cols, j: int) -> tuple[list[str], list[dict]]:
    if oc.sig[i] == nc.sig[j]:
        return [], []
    attrs = [c for c in ATTRIBUTES if oc.values[c][i] != nc.values[c][j]]
    clauses = []
    for d in DIMENSIONS:
        a, b = oc.values[d.column][i], nc.values[d.column][j]
        if a == b:
            continue
        found = [{"dimension": d.key, "dimension_zh": d.zh, **c} for c in diff_clauses(a, b)]
        if not found:
            found = [
                {
                    "dimension": d.key,
                    "dimension_zh": d.zh,
                    "change": "renumbered",
                    "old": a,
                    "new": b,
                }
            ]
        clauses += found
        attrs.append(d.column)
    return attrs, clauses


def _codes(t, idx) -> str:
    return ";".join(str(t.code[int(i)]) for i in idx)


def _changes(o, n, groups, all_i, all_j, all_a, oa, na, tol, min_share):
    """The change rows, the per-unit rows, the clause rows, and per-pair attribute info."""
    ocls, ncls = o["unit_class"].to_numpy(), n["unit_class"].to_numpy()
    oc, nc = _Cols(o), _Cols(n)
    pair_area: dict[tuple[int, int], float] = {}
    for i, j, a in zip(all_i.tolist(), all_j.tolist(), all_a.tolist(), strict=True):
        pair_area[(i, j)] = pair_area.get((i, j), 0.0) + a
    changes: list[dict] = []
    unit_rows: list[dict] = []
    clause_rows: list[dict] = []
    pair_info: dict[tuple[int, int], dict] = {}

    def pair(i, j):
        if (i, j) not in pair_info:
            attrs, clauses = _attr_changes(oc, i, nc, j)
            pair_info[(i, j)] = {"attrs": attrs, "clauses": clauses}
        return pair_info[(i, j)]

    def add(kind, kinds, olds, news, zh, en, attrs=(), clauses=()):
        cid = f"C{len(changes) + 1:05d}"
        a_old = float(oa[olds].sum()) if len(olds) else 0.0
        a_new = float(na[news].sum()) if len(news) else 0.0
        before = "; ".join(
            f"{oc.code[i]} {_label(int(ocls[i]), 'zh')} {oa[i] / 1e6:.4f} km²" for i in olds
        )
        after = "; ".join(
            f"{nc.code[j]} {_label(int(ncls[j]), 'zh')} {na[j] / 1e6:.4f} km²" for j in news
        )
        changes.append(
            {
                "change_id": cid,
                "kind": kind,
                "kinds": ";".join(k for k in KINDS if k in kinds),
                "old_codes": _codes(oc, olds),
                "new_codes": _codes(nc, news),
                "old_class": ";".join(CLASS_KEYS[int(c)] for c in sorted(set(ocls[olds].tolist()))),
                "new_class": ";".join(CLASS_KEYS[int(c)] for c in sorted(set(ncls[news].tolist()))),
                "area_old_m2": a_old if len(olds) else None,
                "area_new_m2": a_new if len(news) else None,
                "area_change_m2": a_new - a_old,
                "area_change_pct": (a_new - a_old) / a_old * 100 if a_old else None,
                "attributes": ";".join(attrs),
                "clauses": _clause_words(list(clauses), "en"),
                "reason_zh": zh,
                "reason_en": en,
                "before": before or "—",
                "after": after or "—",
                "_old": np.asarray(olds, dtype=np.int64),
                "_new": np.asarray(news, dtype=np.int64),
            }
        )
        for i in olds:
            unit_rows.append(
                {"edition": "old", "code": oc.code[i], "name": oc.values["name"][i],
                 "unit_class": int(ocls[i]), "change_id": cid, "kind": kind,
                 "counterparts": _codes(nc, news), "reason_zh": zh, "reason_en": en}
            )  # fmt: skip
        for j in news:
            unit_rows.append(
                {"edition": "new", "code": nc.code[j], "name": nc.values["name"][j],
                 "unit_class": int(ncls[j]), "change_id": cid, "kind": kind,
                 "counterparts": _codes(oc, olds), "reason_zh": zh, "reason_en": en}
            )  # fmt: skip
        for c in clauses:
            clause_rows.append(
                {"old_code": _codes(oc, olds), "new_code": _codes(nc, news), "dimension": c["dimension"],
                 "dimension_zh": c["dimension_zh"], "change": c["change"], "old_text": c["old"],
                 "new_text": c["new"]}
            )  # fmt: skip

    for g in groups:
        olds, news = g["old"], g["new"]
        if len(olds) == 1 and len(news) == 1:
            i, j = int(olds[0]), int(news[0])
            info = pair(i, j)
            kinds = set()
            zh, en = [], []
            if oc.code[i] != nc.code[j]:
                kinds.add("recoded")
                zh.append(f"编码 {oc.code[i]} → {nc.code[j]}")
                en.append(f"code {oc.code[i]} → {nc.code[j]}")
            if g["kind"] != "unchanged":
                sym = oa[i] + na[j] - 2 * pair_area.get((i, j), 0.0)
                if sym >= tol:
                    kinds.add("reshaped")
                    d = na[j] - oa[i]
                    pct = d / oa[i] * 100 if oa[i] else float("nan")
                    zh.append(f"边界调整，面积 {d:+,.0f} m²（{pct:+.2f}%）")
                    en.append(f"reshaped, area {d:+,.0f} m² ({pct:+.2f} %)")
            if info["attrs"]:
                kinds.add("attributes")
                if "unit_class" in info["attrs"]:
                    zh.append(
                        f"管控类别 {_label(int(ocls[i]), 'zh')} → {_label(int(ncls[j]), 'zh')}"
                    )
                    en.append(f"class {_label(int(ocls[i]), 'en')} → {_label(int(ncls[j]), 'en')}")
                other = [a for a in info["attrs"] if a != "unit_class"]
                if other:
                    zh.append("属性变更: " + ", ".join(other))
                    en.append("changed: " + ", ".join(other))
                if info["clauses"]:
                    zh.append(_clause_words(info["clauses"], "zh"))
                    en.append(_clause_words(info["clauses"], "en"))
            if not kinds:
                g["kind"] = "unchanged"
                continue
            kind = next(k for k in KINDS if k in kinds)
            g["kind"] = kind
            add(
                kind,
                kinds,
                olds,
                news,
                "；".join(zh),
                "; ".join(en),
                info["attrs"],
                info["clauses"],
            )
            continue
        if not len(news):
            i = int(olds[0])
            g["kind"] = "removed"
            add("removed", {"removed"}, olds, news, "单元撤销", "unit removed")
            continue
        if not len(olds):
            g["kind"] = "added"
            add("added", {"added"}, olds, news, "新增单元", "unit added")
            continue
        # splits and merges: a row per old unit with several new parts, per new unit with
        # several old sources
        g["kind"] = "split" if len(olds) == 1 else "merged"
        links = {
            (int(i), int(j)) for i in olds for j in news if pair_area.get((int(i), int(j)), 0) > 0
        }
        for i in olds:
            parts = [
                j
                for j in news
                if (int(i), int(j)) in links and _share_ok(pair_area, i, j, oa, na, min_share)
            ]
            if len(parts) >= 2:
                zh = f"拆分为 {len(parts)} 个单元: {_codes(nc, parts)}"
                en = f"split into {len(parts)} units: {_codes(nc, parts)}"
                attrs, zx, ex = _link_changes(
                    [(int(i), int(j)) for j in parts], pair, oc, nc, ocls, ncls
                )
                add("split", {"split"}, np.array([i]), np.array(parts), zh + zx, en + ex, attrs)
        for j in news:
            srcs = [
                i
                for i in olds
                if (int(i), int(j)) in links and _share_ok(pair_area, i, j, oa, na, min_share)
            ]
            if len(srcs) >= 2:
                zh = f"由 {len(srcs)} 个单元合并: {_codes(oc, srcs)}"
                en = f"merged from {len(srcs)} units: {_codes(oc, srcs)}"
                attrs, zx, ex = _link_changes(
                    [(int(i), int(j)) for i in srcs], pair, oc, nc, ocls, ncls
                )
                add("merged", {"merged"}, np.array(srcs), np.array([j]), zh + zx, en + ex, attrs)
    return changes, unit_rows, clause_rows, pair_info


def _link_changes(links, pair, oc, nc, ocls, ncls) -> tuple[list[str], str, str]:
    """Attributes changed across the links of a split or merge (each link's attributes
    are also kept for the class/access-list checks), and the class changes in words."""
    attrs: list[str] = []
    zh, en = "", ""
    for i, j in links:
        info = pair(i, j)
        attrs += [a for a in info["attrs"] if a not in attrs and a not in ("name", "name_en")]
        if int(ocls[i]) != int(ncls[j]):
            zh += f"；{oc.code[i]} → {nc.code[j]} 类别 {_label(int(ocls[i]), 'zh')} → {_label(int(ncls[j]), 'zh')}"
            en += f"; {oc.code[i]} → {nc.code[j]} class {_label(int(ocls[i]), 'en')} → {_label(int(ncls[j]), 'en')}"
    return attrs, zh, en


def _share_ok(pair_area, i, j, oa, na, min_share) -> bool:
    a = pair_area.get((int(i), int(j)), 0.0)
    return a >= min_share * oa[i] or a >= min_share * na[j]
