"""The exception tree of zoning.

Every error zoning raises on purpose derives from :class:`ZoningError`.  Errors about
what a user gave (files, fields, rules, options) derive from :class:`InputError`; the
command line turns them into one line on stderr and exit code 2.  A check the user
asked for that finds problems raises :class:`CheckFailed` (exit code 1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from os import PathLike


class ZoningError(Exception):
    """Base class of every error raised by zoning on purpose."""


class InputError(ZoningError, ValueError):
    """Something a user gave is unusable; the message names where and how to fix it.

    Parameters
    ----------
    message : str
        What is wrong.
    source : str or path, optional (default: None)
        The file, URI or option the problem is in.
    row : int or str, optional (default: None)
        The row the problem is in: a 1-based number (the first feature or data row is
        row 1), or an identifier.
    field : str, optional (default: None)
        The field, column or key the problem is in.
    line : int, optional (default: None)
        The 1-based line of a text file (rule files).
    fix : str, optional (default: None)
        How to fix it.
    param : str, optional (default: None)
        The parameter of the called function that is at fault (e.g. ``"x_col"``).  The
        library names parameters, never command-line flags; the command line maps a
        parameter (and every ```name``` in backticks in the message and fix) onto its
        flag with :meth:`with_flags`.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | PathLike | None = None,
        row: int | str | None = None,
        field: str | None = None,
        line: int | None = None,
        fix: str | None = None,
        param: str | None = None,
    ) -> None:
        self.message = message
        self.param = param
        self._param_label = "parameter"
        self.source = None if source is None else str(source)
        self.row = row
        self.field = field
        self.line = line
        self.fix = fix
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        if self.param:
            where.append(f"{self._param_label} '{self.param}'")
        text = (", ".join(where) + ": " if where else "") + self.message
        if self.fix:
            text += f" Fix: {self.fix}"
        return text

    def with_flags(self, flags: Mapping[str, str]) -> InputError:
        """The same error with parameter names replaced by the flags in ``flags``.

        ``param`` becomes its flag (shown as ``option '--x-col'``) and each ```name```
        in backticks in the message, the fix and the source (a value given as text, e.g.
        ``source="`wkt`"``) that ``flags`` knows becomes the flag.
        """

        def sub(text: str | None) -> str | None:
            if not text:
                return text
            return _BACKTICKED.sub(lambda m: flags.get(m.group(1), m.group(0)), text)

        if self.param in flags:
            self.param = flags[self.param]
            self._param_label = "option"
        self.message, self.fix, self.source = sub(self.message), sub(self.fix), sub(self.source)
        self.args = (self._compose(),)
        return self


_BACKTICKED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


class DataSourceError(InputError):
    """A file, layer or database cannot be read, or holds nothing usable."""


class CRSError(InputError):
    """A coordinate reference system is missing, unknown or unsuitable."""


class SchemaError(InputError):
    """A required field is missing or holds values of the wrong kind."""


class RuleError(InputError):
    """A rule file is malformed; ``errors`` lists every problem found."""

    def __init__(self, message: str, *, errors: list[InputError] | None = None, **kw) -> None:
        self.errors = list(errors or [])
        super().__init__(message, **kw)


class CheckFailed(ZoningError):
    """A check the user asked for found problems (command-line exit code 1)."""


class SolverError(ZoningError, RuntimeError):
    """An optimisation could not be solved (infeasible, or no solution in time)."""
