"""The parts page: upload, replace, order and title the review's documents."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
