"""Exceptions and warnings raised by patchplan.

Every problem with input data is a :class:`Problem` naming where it is (file,
row, column), the offending value and what was expected. The model knows no
files: it names the entity, the record (``key``) and the field, and
:mod:`patchplan.io` places such a problem on its file, row and column. An
:class:`InputError` carries all problems found in one pass, so a user fixes
them together rather than one per run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

#: Stop collecting after this many problems: past it, more lines of errors
#: stop helping and usually share one cause (e.g. a wrong column order).
MAX_PROBLEMS = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing wrong with the input.

    ``row`` follows the spreadsheet convention: the header is row 1, so the
    first data row is row 2, as a user sees it in Excel or LibreOffice.
    """

    file: str = ""
    row: int | None = None
    column: str = ""
    value: object = None
    message: str = ""
    #: Which record the problem is about, so a reader can find its row.
    key: str | None = dataclasses.field(default=None, compare=False, repr=False)
    #: The model's view: the kind of entity ("visit", "lot", ...) and its
    #: field ("early"); io maps them to a file and a column.
    entity: str = dataclasses.field(default="", compare=False, repr=False)
    field: str = dataclasses.field(default="", compare=False, repr=False)
    #: For a dangling reference, the kind of id it names ("carer").
    refers: str = dataclasses.field(default="", compare=False, repr=False)

    def __str__(self) -> str:
        if not (self.file or self.column or self.row is not None):
            return self.message + ("" if self.value is None else f" (value {_show(self.value)})")
        where = self.file or "input"
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        shown = "" if self.value is None else f" (value {_show(self.value)})"
        return f"{where}: {self.message}{shown}"


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


class PatchplanError(Exception):
    """Base class of every error patchplan raises on purpose."""


class InputError(PatchplanError, ValueError):
    """The input cannot be used. ``problems`` lists everything found.

    Raised with either a plain message or a list of :class:`Problem`.
    """

    def __init__(self, message: str | list[Problem] | tuple[Problem, ...]) -> None:
        if isinstance(message, str):
            problems: tuple[Problem, ...] = (Problem(message=message),)
        else:
            problems = tuple(message)
        self.problems = problems
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems in the input:"]
        lines += [f"  - {p}" for p in self.problems]
        if len(self.problems) >= MAX_PROBLEMS:
            lines.append(f"  (stopped after {MAX_PROBLEMS}; fix these and run again)")
        return "\n".join(lines)


class SolverError(PatchplanError, RuntimeError):
    """A solver could not run (not: found no good plan; that is a result)."""


class DataQualityWarning(UserWarning):
    """Legal but suspicious input, e.g. a skill that no carer holds."""


class ProblemCollector:
    """Gathers problems up to :data:`MAX_PROBLEMS`, then raises them together."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, **fields: object) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(**fields))  # type: ignore[arg-type]

    @property
    def full(self) -> bool:
        return len(self.problems) >= MAX_PROBLEMS

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)
