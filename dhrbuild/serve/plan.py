"""The action plan page: a YAML plan edited as a table, dated updates added; others read-only."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
