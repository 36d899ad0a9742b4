"""The HTTP API (FastAPI): a thin shell over `iguazu.batch.Batch`.

`create_app` is imported on first use so that the Python client, which shares `schemas`,
does not pay for importing FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
