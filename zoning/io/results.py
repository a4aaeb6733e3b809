"""Reading earlier screening results (``result.json`` of ``zoning screen``) for re-screening."""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path

from zoning.errors import DataSourceError


def read_results(sources: list[str | PathLike], /) -> list[dict]:
    """The projects of earlier ``result.json`` files, in order.

    Each source is a ``result.json`` or a folder holding one (a batch folder's top-level
    file lists every project; a single project's folder holds its own).  Returns one dict
    per project: ``source`` (the file), ``meta`` (tool, rule file and input hashes) and
    ``project`` (as ``ScreeningResult.project`` wrote it).
    """
    out: list[dict] = []
    for src in sources:
        path = Path(src)
        if path.is_dir():
            path = path / "result.json"
        if not path.exists():
            raise DataSourceError(
                "no result.json here",
                source=src,
                fix="give the output folder of `zoning screen` or its result.json",
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataSourceError(
                f"not a readable JSON file ({exc})",
                source=path,
                fix="give a result.json written by `zoning screen`",
            ) from exc
        projects = data.get("projects") if isinstance(data, dict) else None
        if projects is None and isinstance(data, dict) and "project" in data:
            projects = [data["project"]]
        if not isinstance(projects, list) or not projects:
            raise DataSourceError(
                "holds no screened project ('project' or 'projects')",
                source=path,
                fix="give a result.json written by `zoning screen`",
            )
        meta = {k: v for k, v in data.items() if k not in ("project", "projects")}
        for k, p in enumerate(projects, start=1):
            missing = [
                key
                for key in ("project_id", "geometry_wkt_wgs84", "verdict", "facts")
                if not isinstance(p, dict) or key not in p
            ]
            if missing:
                raise DataSourceError(
                    f"project {k} lacks {', '.join(missing)}",
                    source=path,
                    row=k,
                    field=missing[0],
                    fix="re-run `zoning screen` with this version to write a complete result.json",
                )
            out.append({"source": str(path), "meta": meta, "project": p})
    return out


def read_conflicts_table(source: str | PathLike, /):
    """A ``conflicts.csv`` of ``zoning conflicts`` (``facility_id``, ``status`` …) as text."""
    import pandas as pd

    path = Path(source)
    if path.is_dir():
        path = path / "conflicts.csv"
    if not path.exists():
        raise DataSourceError(
            "file not found", source=source, fix="give the conflicts.csv of an earlier run"
        )
    try:
        table = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataSourceError(
            f"not a readable CSV ({exc})",
            source=path,
            fix="give the conflicts.csv of an earlier run",
        ) from exc
    for col in ("facility_id", "status"):
        if col not in table.columns:
            raise DataSourceError(
                f"no '{col}' column; it has {list(table.columns)[:10]}",
                source=path,
                field=col,
                fix="give the conflicts.csv written by `zoning conflicts`",
            )
    return table
