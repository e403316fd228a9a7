"""The review page: its manifest's fields as a form, edited in place with comments kept."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
