"""Small readers of PDF objects that the PDF/UA clause modules share."""

from __future__ import annotations

from typing import Any

import pikepdf
from pikepdf import Array


def as_list(value: object) -> list[Any]:
    """An entry that may be one object or an array of them, as a list.

    Args:
        value: The entry (``None`` when it is missing).

    Returns:
        The array's items, the one object, or nothing.
    """
    if value is None:
        return []
    if isinstance(value, Array):
        return list(value)
    return [value]


def objgen(obj: pikepdf.Object) -> str:
    """How a report names an object: ``12 0 R``, or ``a direct object``.

    Args:
        obj: The object.

    Returns:
        Its reference.
    """
    num, gen = obj.objgen
    return f"{num} {gen} R" if num else "a direct object"


def integer(value: object) -> int | None:
    """A PDF integer as an ``int``; ``None`` for anything else (a boolean included).

    Args:
        value: The entry.

    Returns:
        The number, or ``None``.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | pikepdf.Integer):
        return int(value)
    return None


__all__ = ["as_list", "integer", "objgen"]
