"""The ``FILL IN`` placeholder that ``dhrbuild init`` writes for values only the user can give."""

from __future__ import annotations

PLACEHOLDER = "FILL IN"
"""Written by ``dhrbuild init`` where the user must give the value; never published."""


def is_placeholder(value: object) -> bool:
    """Whether ``value`` still holds the placeholder that ``dhrbuild init`` wrote.

    Args:
        value: A value read from the manifest or the action plan.

    Returns:
        True for text containing ``FILL IN`` (in capitals, as init writes it).
    """
    return isinstance(value, str) and PLACEHOLDER in value


def placeholder_problem(fix: str) -> str:
    """Say that a value is still the placeholder, and what to write instead.

    Args:
        fix: What to write, e.g. "write the pseudonym the family agreed".

    Returns:
        The problem, without its key path.
    """
    return f"still the placeholder from dhrbuild init; {fix}"
