"""patchplan.core.errors: a problem names where it is; InputError carries all problems found in one pass."""

from __future__ import annotations

import pytest

from patchplan.core.errors import MAX_PROBLEMS, InputError, PatchplanError, Problem, ProblemCollector, SolverError


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        # file, row, column and value
        (
            Problem(file="visits.csv", row=3, column="early", value="25:99", message="not a time"),
            "visits.csv row 3, column 'early': not a time (value '25:99')",
        ),
        # no row: the column still named
        (
            Problem(file="carers.csv", column="skills", message="unknown skill"),
            "carers.csv, column 'skills': unknown skill",
        ),
        # no place at all: the message and the value
        (Problem(message="scale must be in (0, 5]", value=9), "scale must be in (0, 5] (value 9)"),
        # a long value is cut
        (Problem(file="f", message="m", value="x" * 100), "f: m (value '" + "x" * 56 + "...)"),
    ],
)
def test_problem_text(problem: Problem, text: str) -> None:
    """A problem prints its file, row (as a spreadsheet shows it), column, message and value."""
    assert str(problem) == text


def test_input_error_lists_every_problem() -> None:
    """Several problems print as a numbered list; one prints alone."""
    one = InputError("just this")
    assert str(one) == "just this" and one.problems == (Problem(message="just this"),)
    many = InputError([Problem(file="a.csv", row=2, message="x"), Problem(file="b.csv", row=5, message="y")])
    assert str(many).splitlines() == ["2 problems in the input:", "  - a.csv row 2: x", "  - b.csv row 5: y"]


def test_collector_stops_at_the_limit_and_raises_all() -> None:
    """The collector keeps MAX_PROBLEMS problems, says it stopped, and raises them together."""
    c = ProblemCollector()
    c.raise_if_any()  # nothing collected: no error
    for i in range(MAX_PROBLEMS + 5):
        c.add(file="visits.csv", row=i + 2, message="bad")
    assert c.full and len(c.problems) == MAX_PROBLEMS
    with pytest.raises(InputError) as caught:
        c.raise_if_any()
    assert len(caught.value.problems) == MAX_PROBLEMS
    assert f"stopped after {MAX_PROBLEMS}" in str(caught.value)


def test_error_classes() -> None:
    """Input and solver errors are patchplan errors, and the standard kinds callers catch."""
    assert issubclass(InputError, PatchplanError) and issubclass(InputError, ValueError)
    assert issubclass(SolverError, PatchplanError) and issubclass(SolverError, RuntimeError)
