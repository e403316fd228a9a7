"""Counted nouns for messages: "1 page", "2 pages", "1,234 bytes"."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """Return ``n`` and the noun, singular for exactly one.

    Args:
        n: How many.
        noun: The singular ("page").
        plural: The plural when it is not the singular with "s" added.

    Returns:
        "1 page", "0 pages", "12,000 pages".
    """
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
