"""Placeholder until its pages land."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter

if TYPE_CHECKING:
    from . import UI


def router(ui: UI) -> APIRouter:
    return APIRouter(include_in_schema=False)
