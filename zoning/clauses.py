"""Access-list texts split into clauses: now :mod:`zoning.model.clauses` (ground floor).

Every name stays importable from here.
"""

from zoning.model.clauses import (
    CLAUSE_ID,
    HASH_LEN,
    LOOKS_LIKE_ID,
    PROHIBITION_WORDS,
    Clause,
    has_access_text,
    is_prohibition,
    normalise,
    split_text,
    split_units,
    text_hash,
)

__all__ = [
    "CLAUSE_ID",
    "HASH_LEN",
    "LOOKS_LIKE_ID",
    "PROHIBITION_WORDS",
    "Clause",
    "has_access_text",
    "is_prohibition",
    "normalise",
    "split_text",
    "split_units",
    "text_hash",
]
