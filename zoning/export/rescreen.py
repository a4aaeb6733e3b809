"""Writing a re-screening (:class:`zoning.rescreen.Rescreening`): ``rescreen.csv`` (every
project: old and new verdict, units, fired rules, why), ``rescreen.json`` (the same with
the inputs and their hashes) and the new screening under ``screening/``, atomically."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from zoning.export._atomic import atomic_dir
from zoning.export.geojson import write_json
from zoning.export.report import write_screening

NAMES = {"table": "rescreen.csv", "json": "rescreen.json", "screening": "screening"}


def write_rescreen(
    rs, results, out: str | PathLike, /, *, units, layers, lang: str, inputs
) -> dict[str, Path]:
    """Write the re-screening into ``out``; returns name → path."""
    with atomic_dir(out) as tmp:
        rs.table.to_csv(tmp / NAMES["table"], index=False, encoding="utf-8-sig")
        write_json(
            {
                "inputs": inputs,
                "earlier_results": sorted({r["source"] for r in results}),
                "projects": len(rs.table),
                "changed": int(rs.table["changed"].sum()),
                "verdicts_changed": int(rs.table["verdict_changed"].sum()),
                "rows": rs.table.to_dict(orient="records"),
            },
            tmp / NAMES["json"],
        )
        write_screening(
            rs.result,
            tmp / NAMES["screening"],
            units=units,
            layers=layers,
            lang=lang,
            inputs=inputs,
            maps=False,
        )
    return {k: Path(out) / v for k, v in NAMES.items()}
