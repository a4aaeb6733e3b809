"""The reviewer's checks of an edition diff: findings with reason codes (priority
protection decreased, retired codes reused, new overlaps and gaps, numbering gaps)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import shapely

from zoning.diff_vocab import REASONS, Finding, Reason, _label
from zoning.model import DIMENSIONS, parse_code

log = logging.getLogger("zoning.diff")


def _findings(
    o,
    n,
    oa,
    na,
    ocls,
    ncls,
    all_i,
    all_j,
    all_a,
    uncovered_o,
    measure,
    ng,
    cj,
    pair_info,
    tol,
    li,
    lj,
    groups,
):
    rows: list[Finding] = []
    ocode, ncode = o["code"].to_numpy(dtype=object), n["code"].to_numpy(dtype=object)
    # priority protection area
    lost = {}
    pri_o = ocls == 1
    mask = pri_o[all_i] & (ncls[all_j] != 1)
    for i, a in zip(all_i[mask], all_a[mask], strict=True):
        lost[int(i)] = lost.get(int(i), 0.0) + float(a)
    for i in np.flatnonzero(pri_o & (uncovered_o > 0)):
        lost[int(i)] = lost.get(int(i), 0.0) + float(uncovered_o[i])
    net = float(oa[pri_o].sum() - na[ncls == 1].sum())
    if net >= tol:
        top = sorted(lost.items(), key=lambda kv: -kv[1])
        listed = ", ".join(f"{ocode[i]} {a / 1e6:.4f} km²" for i, a in top[:20])
        more = f" … (+{len(top) - 20})" if len(top) > 20 else ""
        rows.append(
            Finding(
                Reason.PRIORITY_DECREASE,
                f"优先保护单元面积净减少 {net / 1e6:.4f} km²（EPSG:6933）；转出单元: {listed}{more}",
                f"priority protection area decreased by {net / 1e6:.4f} km² net (EPSG:6933); "
                f"area lost by: {listed}{more}",
                tuple(ocode[i] for i, _ in top),
                net,
            )
        )
    # retired codes used again: a new unit bears an old code but does not correspond to it
    old_pos = {c: k for k, c in enumerate(ocode)}
    linked = set(zip(li.tolist(), lj.tolist(), strict=True))
    for j, code in enumerate(ncode):
        i = old_pos.get(code)
        if i is None or (i, j) in linked:
            continue
        rows.append(
            Finding(
                Reason.CODE_REUSED,
                f"新版单元 {code} 使用了旧版另一位置单元的编码（两者不对应）",
                f"new unit {code} bears the code of an old unit elsewhere (they do not correspond)",
                (str(code),),
            )
        )
    # numbering gaps: serials skipped in the new edition that neither edition uses
    rows += _code_gaps(ocode, ncode)
    # new overlaps among changed new units
    if len(cj):
        tree = shapely.STRtree(ng)
        a, b = tree.query(ng[cj], predicate="intersects")
        a = cj[a]
        m = a != b
        a, b = a[m], b[m]
        m = (a < b) | ~np.isin(b, cj)
        a, b = a[m], b[m]
        if len(a):
            inter = shapely.intersection(ng[a], ng[b])
            area = np.where(measure.work_m2(inter) >= tol, measure(inter)[0], 0.0)
            for x, y, ar in zip(a[area >= tol], b[area >= tol], area[area >= tol], strict=True):
                rows.append(
                    Finding(
                        Reason.NEW_OVERLAP,
                        f"新版单元 {ncode[x]} 与 {ncode[y]} 重叠 {ar:,.1f} m²",
                        f"new units {ncode[x]} and {ncode[y]} overlap by {ar:,.1f} m²",
                        (str(ncode[x]), str(ncode[y])),
                        float(ar),
                    )
                )
    for i in np.flatnonzero(uncovered_o > 0):
        ar = float(uncovered_o[i])
        rows.append(
            Finding(
                Reason.NEW_GAP,
                f"旧版单元 {ocode[i]} 有 {ar:,.1f} m² 在新版中无单元覆盖",
                f"{ar:,.1f} m² of old unit {ocode[i]} is covered by no new unit",
                (str(ocode[i]),),
                ar,
            )
        )
    # class versus access list, for every corresponding pair
    for (i, j), info in sorted(pair_info.items()):
        if (i, j) not in linked:
            continue
        dims = [d.column for d in DIMENSIONS]
        access = any(c in info["attrs"] for c in dims)
        klass = int(ocls[i]) != int(ncls[j])
        if klass and not access:
            rows.append(
                Finding(
                    Reason.CLASS_WITHOUT_ACCESS,
                    f"{ocode[i]} → {ncode[j]}: 类别 {_label(int(ocls[i]), 'zh')} → {_label(int(ncls[j]), 'zh')}，准入清单未变",
                    f"{ocode[i]} → {ncode[j]}: class {_label(int(ocls[i]), 'en')} → {_label(int(ncls[j]), 'en')} "
                    "with the same access list",
                    (str(ocode[i]), str(ncode[j])),
                )
            )
        elif access and not klass:
            rows.append(
                Finding(
                    Reason.ACCESS_WITHOUT_CLASS,
                    f"{ocode[i]} → {ncode[j]}: 准入清单变化，类别仍为 {_label(int(ncls[j]), 'zh')}",
                    f"{ocode[i]} → {ncode[j]}: access list changed, class stays {_label(int(ncls[j]), 'en')}",
                    (str(ocode[i]), str(ncode[j])),
                )
            )
    return pd.DataFrame(
        [
            {
                "reason": f.reason.value,
                "severity": f.severity,
                "label_zh": REASONS[f.reason][1],
                "label_en": REASONS[f.reason][2],
                "codes": ";".join(f.codes),
                "area_m2": f.area_m2,
                "detail_zh": f.detail_zh,
                "detail_en": f.detail_en,
            }
            for f in rows
        ],
        columns=[
            "reason",
            "severity",
            "label_zh",
            "label_en",
            "codes",
            "area_m2",
            "detail_zh",
            "detail_en",
        ],
    )


def _code_gaps(ocode, ncode) -> list[Finding]:
    used: dict[tuple[str, int], set[int]] = {}
    for code in list(ocode) + list(ncode):
        p = parse_code(code)
        if p:
            used.setdefault((p[0], p[1]), set()).add(int(p[2]))
    new_used: dict[tuple[str, int], set[int]] = {}
    for code in ncode:
        p = parse_code(code)
        if p:
            new_used.setdefault((p[0], p[1]), set()).add(int(p[2]))
    out = []
    for (admin, cls), serials in sorted(new_used.items()):
        top = max(serials)
        missing = [s for s in range(1, top) if s not in used[(admin, cls)]]
        if missing:
            shown = ", ".join(f"ZH{admin}{cls}{s:04d}" for s in missing[:10])
            more = f" … (+{len(missing) - 10})" if len(missing) > 10 else ""
            out.append(
                Finding(
                    Reason.CODE_GAP,
                    f"ZH{admin}{cls} 序号缺号（两版均未使用）: {shown}{more}",
                    f"serials of ZH{admin}{cls} skipped (used by neither edition): {shown}{more}",
                    tuple(f"ZH{admin}{cls}{s:04d}" for s in missing),
                )
            )
    return out
