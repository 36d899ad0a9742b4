"""Parsing: the three dialects, what each field means, and clear refusals of bad input."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from iguazu.cron import Cron, CronError, Dialect, parse
from iguazu.errors import InvalidRequest


def test_five_fields_are_unix_and_keep_their_text() -> None:
    c = parse("*/15 9-17 * * MON-FRI")
    assert c.dialect is Dialect.UNIX
    assert c.expression == "*/15 9-17 * * MON-FRI"
    assert c.second.values == {0}
    assert c.minute.values == {0, 15, 30, 45}
    assert c.hour.values == set(range(9, 18))
    assert c.day_of_week.days == {1, 2, 3, 4, 5}  # stored 0 = Sunday in both dialects


def test_six_and_seven_fields_are_quartz() -> None:
    assert parse("0 0 12 ? * WED").dialect is Dialect.QUARTZ
    c = parse("30 15 10 ? * 6L 2020-2022")
    assert c.second.values == {30}
    assert c.day_of_week.last == {5}  # Quartz 6 = Friday
    assert c.year is not None and c.year.values == {2020, 2021, 2022}
    assert parse("0 0 12 ? * WED *").year is None  # `*` years: every year


def test_sunday_is_0_and_7_in_unix_and_1_in_quartz() -> None:
    assert parse("0 0 * * 0").day_of_week.days == {0}
    assert parse("0 0 * * 7").day_of_week.days == {0}
    assert parse("0 0 * * 0-7").day_of_week.days == set(range(7))
    assert parse("0 0 0 ? * 1").day_of_week.days == {0}
    assert parse("0 0 0 ? * 7").day_of_week.days == {6}


def test_names_in_any_case_and_tabs_between_fields() -> None:
    c = parse("0\t0  1 jan,Jul\tsun-tue")
    assert c.month.values == {1, 7}
    assert c.day_of_week.days == {0, 1, 2}
    assert parse("0 0 0 ? nov-feb fri-mon").month.values == {11, 12, 1, 2}


@pytest.mark.parametrize(
    ("macro", "same_as"),
    [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("@DAILY", "0 0 * * *"),
    ],
)
def test_macros(macro: str, same_as: str) -> None:
    c, d = parse(macro), parse(same_as)
    assert c.expression == macro and c.dialect is Dialect.UNIX
    assert c.tables == d.tables


def test_quartz_ranges_wrap_around_as_quartz_does() -> None:
    assert parse("0 0 22-2 * * ?").hour.values == {22, 23, 0, 1, 2}
    assert parse("0 0 0 ? * FRI-MON").day_of_week.days == {5, 6, 0, 1}
    assert parse("0 0 0 29-2 * ?").day_of_month.days == {29, 30, 31, 1, 2}
    assert parse("0 50-10/5 0 * * ?").minute.values == {50, 55, 0, 5, 10}


def test_steps() -> None:
    assert parse("0 5/20 * * * ?").minute.values == {5, 25, 45}
    assert parse("0 0 0 ? * */2").day_of_week.days == {0, 2, 4, 6}  # 1,3,5,7 in Quartz
    assert parse("10-20/5 * * * *").minute.values == {10, 15, 20}
    assert parse("0 0 0 1 1 ? 2020/30").year.values == {2020, 2050, 2080}  # type: ignore[union-attr]


def test_quartz_day_forms() -> None:
    dom = parse("0 0 0 L-3 * ?").day_of_month
    assert dom.last == {3} and not dom.days
    assert parse("0 0 0 LW * ?").day_of_month.last_weekday == {0}
    assert parse("0 0 0 L-2W * ?").day_of_month.last_weekday == {2}
    assert parse("0 0 0 15W * ?").day_of_month.nearest_weekday == {15}
    assert parse("0 0 0 ? * 6#3").day_of_week.nth == {(5, 3)}
    assert parse("0 0 0 ? * fri#3").day_of_week.nth == {(5, 3)}
    assert parse("0 0 0 ? * L").day_of_week.days == {6}  # alone: Saturday, as in Quartz
    assert parse("0 0 0 1,15,L * ?").day_of_month.last == {0}  # Quartz refuses lists with L


def test_cron_is_a_frozen_keyword_only_value_validated_on_construction() -> None:
    c = parse("0 0 * * *")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.expression = "1 1 * * *"  # type: ignore[misc]
    assert c == parse("0 0 * * *")
    with pytest.raises(TypeError):
        Cron("0 0 * * *")  # type: ignore[misc]
    with pytest.raises(CronError, match="minute 61 is out of range 0-59"):
        dataclasses.replace(c, minute=dataclasses.replace(c.minute, values=frozenset({61})))
    with pytest.raises(CronError, match="never fire"):
        dataclasses.replace(
            c,
            day_of_month=dataclasses.replace(c.day_of_month, text="31", days=frozenset({31})),
            month=dataclasses.replace(c.month, values=frozenset({2})),
        )


def test_cron_error_is_an_invalid_request_naming_the_expression() -> None:
    with pytest.raises(CronError) as e:
        parse("0 0 32 * *")
    assert isinstance(e.value, InvalidRequest) and e.value.status == 422
    assert e.value.problem == "day-of-month 32 is out of range 1-31"
    assert str(e.value) == "cron expression '0 0 32 * *': day-of-month 32 is out of range 1-31"


@pytest.mark.parametrize(
    ("expr", "problem"),
    [
        ("", "the expression is empty"),
        (" \t ", "the expression is empty"),
        ("1 2 3 4", "expected 5 (Unix) or 6-7 (Quartz) fields, got 4"),
        ("0 0 0 * * ? 2024 5", "expected 5 (Unix) or 6-7 (Quartz) fields, got 8"),
        ("0 0 32 * *", "day-of-month 32 is out of range 1-31"),
        ("0 0 0 ? * 0", "day-of-week 0 is out of range 1-7 (Quartz counts 1 = Sunday)"),
        ("0 0 * * 8", "day-of-week 8 is out of range 0-7"),
        ("0 24 * * *", "hour 24 is out of range 0-23"),
        ("0 0 * 13 *", "month 13 is out of range 1-12"),
        ("0 0 0 1 1 ? 1969", "year 1969 is out of range 1970-2099"),
        ("0 0 * * FOO", "day-of-week: 'FOO' is not a day name"),
        ("0 0 * FOO *", "month: 'FOO' is not a month name"),
        ("0 0 * * MONDAY", "day-of-week: 'MONDAY' is not a day name"),
        ("x 0 * * *", "minute: 'x' is not a number"),
        ("? 0 * * *", "'?' is allowed only in day-of-month or day-of-week (Quartz)"),
        ("0 0 ?,1 * *", "day-of-month: '?' stands alone, not in '?,1'"),
        ("*/0 * * * *", "step 0 in minute '*/0'"),
        ("*/60 * * * *", "step 60 in minute '*/60' is out of range 1-59"),
        ("*/ * * * *", "minute: '/' must be followed by a step, in '*/'"),
        ("/5 * * * *", "minute: '/5' needs a start: write '*/5'"),
        ("*/x * * * *", "minute: step 'x' in '*/x' is not a number"),
        ("1- * * * *", "minute: range '1-' needs an end"),
        ("-1 * * * *", "minute: '-1' is not a value or a range"),
        ("5-1 * * * *", "minute range '5-1' goes backwards (Unix cron ranges do not wrap around)"),
        ("0 0 0 1 1 ? 2030-2020", "year range '2030-2020' goes backwards"),
        ("1,2, * * * *", "minute: empty item in '1,2,' (a stray comma)"),
        (",1 * * * *", "minute: empty item in ',1' (a stray comma)"),
        ("1,,2 * * * *", "minute: empty item in '1,,2' (a stray comma)"),
        ("0 0 * * MON-FRI/2", "day-of-week: a step after names ('MON-FRI/2') is ambiguous"),
        ("0 0 1-5W * *", "day-of-month: 'W' follows a single day (15W), not '1-5W'"),
        ("0 0 0 L-31 * ?", "day-of-month: the offset in 'L-31' must be 0-30"),
        ("0 0 0 L- * ?", "day-of-month: the offset in 'L-' must be 0-30"),
        ("0 0 0 ? * 6#6", "day-of-week: '#' needs a number 1-5 after it, in '6#6'"),
        ("0 0 0 ? * #2", "day-of-week: '#2' needs a day before 'L' or '#'"),
        ("0 0 0 ? * L,MON", "day-of-week: 'L' (Saturday) stands alone"),
        ("@reboot", "'@reboot' is not a schedule; known shortcuts: @yearly"),
        ("@daily 5", "'@daily 5' is not a schedule"),
        ("５ * * * *", "minute: unexpected character '５' in '５'"),  # full-width digit
        ("0 ⁰ * * *", "hour: unexpected character '⁰'"),  # str.isdigit() says True
        ("0 0\u00a01 * *", "expected 5 (Unix) or 6-7 (Quartz) fields, got 4"),  # NBSP joins
        ("0 0 * * \u00e9", "day-of-week: unexpected character 'é' in 'é'"),
        ("0 0\n* * * *", "hour: unexpected character '\\n'"),
        ("9" * 30 + " * * * *", "minute 999999999999... is out of range 0-59"),
        ("0 " * 300, "the expression is 600 characters long; at most 512"),
    ],
)
def test_bad_input_is_refused_saying_which_field_token_and_why(expr: str, problem: str) -> None:
    with pytest.raises(CronError) as e:
        parse(expr)
    assert e.value.problem.startswith(problem), e.value.problem


def test_a_huge_expression_is_refused_quickly_and_shown_shortened() -> None:
    with pytest.raises(CronError) as e:
        parse("1," * 100_000 + "1 * * * *")
    assert len(str(e.value)) < 200


def test_not_a_string() -> None:
    with pytest.raises(CronError, match="expected a string, got int"):
        parse(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expr", "problem"),
    [
        ("0 0 0 30 2 ?", "it can never fire: no date in February matches day-of-month '30'"),
        ("0 0 0 31 4 ?", "it can never fire: no date in April matches day-of-month '31'"),
        ("0 0 31 4,6,9,11 *", "no date in April, June, September, November matches"),
        ("0 0 0 29 2 ? 2097-2099", "no date in February of year '2097-2099' matches"),
        ("0 0 0 31W 2 ?", "no date in February matches day-of-month '31W'"),
        ("0 0 0 ? 2 2#5 2017-2019", "no date in February of year '2017-2019' matches day-of-week"),
        ("0 0 0 30-31 2 ?", "no date in February matches day-of-month '30-31'"),
    ],
)
def test_an_expression_that_can_never_fire_is_refused(expr: str, problem: str) -> None:
    with pytest.raises(CronError) as e:
        parse(expr)
    assert problem in e.value.problem


@pytest.mark.parametrize(
    "expr",
    [
        "0 0 29 2 *",  # leap years only
        "0 0 0 ? 2 5#5",  # a fifth Thursday in February: leap years starting on a Thursday
        "0 0 0 29 2 ? 2096",
        "0 0 30 2 MON",  # day 30 never, Mondays of February do (either field matches)
        "0 0 0 L-30 1 ?",  # 31 - 30: the 1st of January
    ],
)
def test_rare_but_possible_dates_are_accepted(expr: str) -> None:
    parse(expr)


def test_with_now_a_schedule_whose_years_are_past_is_refused() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    with pytest.raises(CronError, match="it never fires after 2026-11-25 00:00:00 UTC"):
        parse("0 0 0 ? * * 2010-2015", now=now)
    with pytest.raises(CronError, match="never fires after"):
        parse("0 0 0 1 1 ? 2026", now=now)
    parse("0 0 0 1 1 ? 2027", now=now)
    parse("0 0 0 ? * * 2010-2015")  # without now: a stored schedule still loads
