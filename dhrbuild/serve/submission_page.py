"""The submission page: the web address, then the pack of e-mail drafts, letter and checklist."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
