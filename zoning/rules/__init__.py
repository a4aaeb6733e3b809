"""Machine-checkable access-list rules: a YAML schema and a vectorised engine.

``parse_rules(text, source=...)`` validates a rule file (every problem at once) and
returns a :class:`RuleSet`; ``evaluate(subjects, rules, units=..., unit_index=...)`` runs
it over many facilities or projects at once.  See ``docs/rules.md`` for the format.
"""

from zoning.rules.engine import Evaluation, Grid, evaluate
from zoning.rules.schema import Rule, RuleSet, Text, parse_rules

__all__ = ["Evaluation", "Grid", "Rule", "RuleSet", "Text", "evaluate", "parse_rules"]
