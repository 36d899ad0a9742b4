"""Fire times for people: "Today at 4:15 PM PDT" in the viewer's zone."""

from __future__ import annotations

from datetime import UTC, datetime

from iguazu.cron import calendar_time

NOW = datetime(2015, 7, 7, 22, 50, tzinfo=UTC)  # 3:50 PM in Los Angeles, 00:50 in Berlin


def show(when: datetime, tz: str = "America/Los_Angeles") -> str:
    return calendar_time(when, now=NOW, tz=tz)


def test_today_tomorrow_yesterday_on_the_viewers_calendar() -> None:
    assert show(datetime(2015, 7, 7, 23, 15, tzinfo=UTC)) == "Today at 4:15 PM PDT"
    assert show(datetime(2015, 7, 8, 7, 0, tzinfo=UTC)) == "Tomorrow at 12:00 AM PDT"
    assert show(datetime(2015, 7, 8, 6, 59, tzinfo=UTC)) == "Today at 11:59 PM PDT"
    assert show(datetime(2015, 7, 7, 6, 0, tzinfo=UTC)) == "Yesterday at 11:00 PM PDT"
    # The same instant is "today" in Berlin, where it is already 8 July.
    assert show(datetime(2015, 7, 8, 7, 0, tzinfo=UTC), "Europe/Berlin") == "Today at 9:00 AM CEST"


def test_other_days_show_the_date() -> None:
    assert show(datetime(2015, 7, 9, 19, 0, tzinfo=UTC)) == "July 9th 2015 at 12:00 PM PDT"
    assert show(datetime(2016, 1, 1, 20, 0, tzinfo=UTC)) == "January 1st 2016 at 12:00 PM PST"
    assert show(datetime(2015, 7, 2, 19, 0, tzinfo=UTC)) == "July 2nd 2015 at 12:00 PM PDT"
    assert show(datetime(2015, 7, 13, 19, 0, tzinfo=UTC)) == "July 13th 2015 at 12:00 PM PDT"


def test_seconds_when_they_matter_and_zones_without_letters() -> None:
    assert show(datetime(2015, 7, 7, 23, 15, 30, tzinfo=UTC)) == "Today at 4:15:30 PM PDT"
    assert show(NOW, "UTC") == "Today at 10:50 PM UTC"
    assert show(NOW, "America/Santiago") == "Today at 7:50 PM UTC-03"  # Chile kept -03 in 2015
    assert show(NOW, "Asia/Kolkata") == "Today at 4:20 AM IST"
