"""The build page: the build run in a worker process, its progress, and its results."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
