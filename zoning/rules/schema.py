"""Rule files: the rule AST and its parser, under their old names.

The AST now lives on the ground floor (:mod:`zoning.model.rules`) and the parser on the
reader side (:mod:`zoning.io.rulefile`); every name this module offered stays importable
from here.
"""

from zoning.io.rulefile import parse_rules
from zoning.model.rules import (
    GRID_MODES,
    NUMERIC_FACTS,
    OPS,
    OUTCOMES,
    SECTIONS,
    STAGES,
    All,
    AnyOf,
    Compare,
    Condition,
    GridValue,
    InsideUnit,
    NamedRef,
    Near,
    Not,
    Outcome,
    Rule,
    RuleSet,
    Scope,
    Sector,
    Share,
    Stage,
    Tags,
    Text,
)

__all__ = [
    "GRID_MODES",
    "NUMERIC_FACTS",
    "OPS",
    "OUTCOMES",
    "SECTIONS",
    "STAGES",
    "All",
    "AnyOf",
    "Compare",
    "Condition",
    "GridValue",
    "InsideUnit",
    "NamedRef",
    "Near",
    "Not",
    "Outcome",
    "Rule",
    "RuleSet",
    "Scope",
    "Sector",
    "Share",
    "Stage",
    "Tags",
    "Text",
    "parse_rules",
]
