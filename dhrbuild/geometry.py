"""Affine matrices as PDF writes them: ``(a, b, c, d, e, f)``, applied to row vectors."""

from __future__ import annotations

Matrix = tuple[float, float, float, float, float, float]

IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def concat(first: Matrix, then: Matrix) -> Matrix:
    """Return the matrix that applies ``first`` and then ``then`` (PDF's ``first × then``).

    Args:
        first: The inner transformation, e.g. an operand of ``cm``.
        then: The outer one, e.g. the current transformation matrix.

    Returns:
        Their product.
    """
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = then
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )
