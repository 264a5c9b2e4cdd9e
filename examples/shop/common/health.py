"""The liveness route every shop service exposes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel


class Health(BaseModel):
    status: Literal["ok"] = "ok"


router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Liveness probe")
def health() -> Health:
    """Answer 200 while the process serves requests; it checks no dependency on purpose."""
    return Health()
