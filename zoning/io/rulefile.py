"""Reading a rule file: UTF-8 YAML, validated before use (:mod:`zoning.rules.schema`)."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from zoning.errors import DataSourceError
from zoning.rules.schema import RuleSet, parse_rules


def read_rules(source: str | PathLike, /) -> RuleSet:
    """Read and validate a YAML rule file (see :func:`zoning.rules.parse_rules`)."""
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataSourceError("rule file not found", source=path, fix="check the path") from exc
    except UnicodeDecodeError as exc:
        raise DataSourceError(
            "the rule file is not UTF-8 text", source=path, fix="save it as UTF-8"
        ) from exc
    return parse_rules(text, source=path)
