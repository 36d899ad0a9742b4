"""Cron schedules, pure: parse an expression (Unix 5-field or Quartz 6/7-field), compute its
next fire times in a time zone under a documented daylight-saving contract (nextfire), and say
both in English for people (describe, humanize)."""

from iguazu.errors import CronError

from .describe import describe
from .fields import Dialect
from .humanize import calendar_time
from .model import Cron
from .nextfire import fires, iter_fires, matches, next_fire
from .parse import parse

__all__ = [
    "Cron",
    "CronError",
    "Dialect",
    "calendar_time",
    "describe",
    "fires",
    "iter_fires",
    "matches",
    "next_fire",
    "parse",
]
