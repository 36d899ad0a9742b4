"""describe(): one English sentence per expression, for a UI tooltip."""

from __future__ import annotations

import pytest

from iguazu.cron import describe, parse


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        ("0,30 * * * MON-FRI", "At 0 and 30 minutes past every hour, on weekdays"),
        ("*/15 * * * *", "Every 15 minutes"),
        ("* * * * *", "Every minute"),
        ("@daily", "At 00:00"),
        ("30 8 1,15 * *", "At 08:30, on the 1st and 15th of the month"),
        ("0 9-17 * * 1-5", "At 0 minutes past the hour, between 09:00 and 17:59, on weekdays"),
        ("0 0 12 ? * 6#3", "At 12:00, on the third Friday of the month"),
        ("0 0 0 ? * 6L", "At 00:00, on the last Friday of the month"),
        ("0 0 0 L * ?", "At 00:00, on the last day of the month"),
        ("0 0 0 L-3 * ?", "At 00:00, on the last day of the month minus 3 days"),
        ("0 0 0 LW * ?", "At 00:00, on the last weekday of the month"),
        ("0 0 0 15W * ?", "At 00:00, on the weekday nearest the 15th of the month"),
        ("*/10 * 9-17 ? * MON-FRI", "Every 10 seconds, between 09:00 and 17:59, on weekdays"),
        ("0 5,35 9,17 * * ?", "At 09:05, 09:35, 17:05 and 17:35"),
        ("0 0 0 ? * SAT,SUN", "At 00:00, on weekends"),
        ("0 0 0 ? * MON,WED,FRI", "At 00:00, on Mondays, Wednesdays and Fridays"),
        (
            "0 30 9 ? JAN-MAR MON 2025-2027",
            "At 09:30, on Mondays, January through March, in 2025 through 2027",
        ),
        ("5 0 * 8 *", "At 00:05, in August"),
        ("0 0 1 */3 *", "At 00:00, on the 1st of the month, in January, April, July and October"),
        ("0 0 */2 * * ?", "At 0 minutes past every 2 hours"),
        ("15 10 * * * ?", "At second 15, at 10 minutes past every hour"),
        # the seed's own rows: 1/1 or Saturday is every day
        ("0 15,45 * 1/1 * 7 *", "At 15 and 45 minutes past every hour"),
        ("0 0 18 7 * MON-FRI *", "At 18:00, on the 7th of the month or on weekdays"),
        # Vixie: a field starting with * makes both required
        ("0 0 */2 * MON", "At 00:00, on every 2nd day of the month, but only on Mondays"),
    ],
)
def test_describe(expr: str, text: str) -> None:
    assert describe(parse(expr)) == text
