"""The seed's admin UI: "Iguazú Scheduled Jobs", nine rows. Loaded as printed, read in UTC and
shown in America/Los_Angeles at a moment consistent with the screenshot (7 July 2015, after
3:45 PM PDT since the first row shows 4:15, and before 4:15 PM PDT), each row must show the
"Next Invocation" the seed shows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from iguazu.cron import Dialect, calendar_time, next_fire, parse

NOW = datetime(2015, 7, 7, 22, 50, tzinfo=UTC)  # 3:50 PM PDT
VIEWER = "America/Los_Angeles"

SCHEDULED_JOBS = [  # ID, Cron Expression, Next Invocation (Family and Job Name left out)
    ("319au6PDnnDwIKyP", "0 15,45 * 1/1 * 7 *", "Today at 4:15 PM PDT"),
    ("ZtZny5H4OzocOEuN", "0 59 23 1/1 * 7 *", "Today at 4:59 PM PDT"),
    ("pKMknTpS8oVi8YW1", "0 0 20 1/1 * 7 *", "Tomorrow at 1:00 PM PDT"),
    ("9m9nRGN1JgjebbVw", "0 0 7 1/1 * 7 *", "Tomorrow at 12:00 AM PDT"),
    ("yVCDUTGps3hu0iZF", "0 0 7 1/1 * 7 *", "Tomorrow at 12:00 AM PDT"),
    ("VYtHEGNFHLQIAGL", "0 30 17 1/1 * 7 *", "Tomorrow at 10:30 AM PDT"),
    ("gd7xlyxcgelyjSp", "0 0 18 7 * MON-FRI *", "Tomorrow at 11:00 AM PDT"),
    ("neCafzkgCv1cCNTq", "0 0 19 1/1 * 7 *", "Tomorrow at 12:00 PM PDT"),
    ("EdMQbhGOTCT77GcQ", "0 0 12 1/1 * 7 *", "Tomorrow at 5:00 AM PDT"),
]  # fmt: skip


@pytest.mark.parametrize(("job_id", "expr", "shown"), SCHEDULED_JOBS)
def test_each_row_shows_the_next_invocation_of_the_seed(job_id: str, expr: str, shown: str) -> None:
    cron = parse(expr)
    assert cron.dialect is Dialect.QUARTZ
    fire = next_fire(cron, NOW, "UTC")
    assert fire is not None
    assert calendar_time(fire, now=NOW, tz=VIEWER) == shown


def test_any_moment_in_the_screenshots_window_gives_the_same_table() -> None:
    for minute in range(46, 60):  # 3:46 PM to 3:59 PM PDT: every row as in the seed
        now = NOW.replace(minute=minute)
        shown = [
            calendar_time(next_fire(parse(e), now), now=now, tz=VIEWER)
            for _, e, _ in SCHEDULED_JOBS
        ]  # type: ignore[arg-type]
        assert shown == [s for _, _, s in SCHEDULED_JOBS]


def test_the_rows_fire_every_day_and_on_weekdays() -> None:
    """1/1 restricts the day of the month (it does not start with *), so Vixie's "either"
    rule applies: 1/1 or Saturday is every day; the 7th or Monday-Friday skips weekends
    (but for a 7th falling on a weekend)."""
    every_day = [f"{t:%a}" for t in _fires("0 0 20 1/1 * 7 *", 7)]
    assert every_day == ["Wed", "Thu", "Fri", "Sat", "Sun", "Mon", "Tue"]
    weekdays = [f"{t:%m-%d %a}" for t in _fires("0 0 18 7 * MON-FRI *", 6)]
    assert weekdays == [
        "07-08 Wed",
        "07-09 Thu",
        "07-10 Fri",
        "07-13 Mon",
        "07-14 Tue",
        "07-15 Wed",
    ]


def _fires(expr: str, n: int) -> list[datetime]:
    from iguazu.cron import fires

    return fires(parse(expr), NOW, "UTC", n)
