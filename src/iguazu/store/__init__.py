"""SQL store (SQLite by default, PostgreSQL by URL) and its wake-ups."""

from .store import Store

__all__ = ["Store"]
