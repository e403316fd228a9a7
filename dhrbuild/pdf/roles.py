"""The standard structure types of tagged PDF, shared by tagging, merging and checking."""

from __future__ import annotations

_NAMES = (
    "Document Part Art Sect Div BlockQuote Caption TOC TOCI Index NonStruct Private P H H1 "
    "H2 H3 H4 H5 H6 L LI Lbl LBody Table TR TH TD THead TBody TFoot Span Quote Note "
    "Reference BibEntry Code Link Annot Ruby RB RT RP Warichu WT WP Figure Formula Form"
)
STANDARD_ROLES = frozenset(_NAMES.split())
"""The standard structure types of ISO 32000-1 (PDF 1.7), 14.8.4."""

__all__ = ["STANDARD_ROLES"]
