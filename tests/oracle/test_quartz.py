"""next_fire against Quartz itself (Debian's libquartz2-java), over thousands of generated
Quartz-valid expressions, start instants and time zones. Every disagreement must be one of the
documented daylight-saving divergences (classify.py); anything else fails the test."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from iguazu.cron import CronError, next_fire, parse
from iguazu.cron.nextfire import iter_fires
from tests.oracle import generate
from tests.oracle.classify import FOLD_BOTH, FOLD_FIRST, SPRING_GAP, classify, transitions
from tests.oracle.quartz import Quartz

ZONES = (
    "UTC",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",  # southern hemisphere: spring-forward in October
    "Asia/Kolkata",  # no DST
    "America/Santiago",  # changes at midnight
    "Australia/Lord_Howe",  # 30-minute DST
)
EXPRESSIONS = 2500
FIRES = 6  # next fire times compared per query
FIRST, LAST = datetime(2015, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)


def ours(expr: str, zone: str, start_ms: int, n: int) -> list[int]:
    after = datetime.fromtimestamp(start_ms / 1000, UTC)
    out = []
    for t in iter_fires(parse(expr), after, zone):
        if len(out) == n:
            break
        out.append(int(t.timestamp()))
    return out


def random_instant(r: random.Random) -> int:
    span = int((LAST - FIRST).total_seconds())
    return int(FIRST.timestamp()) + r.randrange(span)


def dst_expression(r: random.Random, zone: str, at: int) -> str:
    """An expression that fires around the transition at `at`: the hours lived twice or
    skipped, a neighbour, or a wildcard hour; every day."""
    base = generate.expression(r).split()
    hour = datetime.fromtimestamp(at, UTC).astimezone(ZoneInfo(zone)).hour
    around = sorted({(hour - 1) % 24, hour, (hour + 1) % 24})
    hours = r.choice(
        [str(around[0]), str(hour), ",".join(map(str, around)), f"{around[0]}-{around[-1]}"]
        + ["*", "*/2", "*/3"]
    )
    minutes = r.choice([base[1], "0", "30", "*/15", "0,30", "45"])
    days = r.choice([("?", "*"), ("*", "?")])
    return f"{base[0]} {minutes} {hours} {days[0]} * {days[1]}"


def queries(seed: int) -> list[tuple[str, str, int, int]]:
    r = random.Random(seed)
    exprs: list[str] = []
    seen: set[str] = set()
    while len(exprs) < EXPRESSIONS:
        e = generate.expression(r)
        if e not in seen:
            seen.add(e)
            exprs.append(e)
    qs = []
    for e in exprs:
        for zone in r.sample(ZONES, 2):
            qs.append((e, zone, random_instant(r) * 1000 + r.choice([0, 0, 999]), FIRES))
            # The same expression started just before one of the zone's changes of offset.
            trs = transitions(zone, 2015, 2030)
            if trs:
                tr = r.choice(trs)
                qs.append((e, zone, (tr.at - r.randrange(1, 3 * 86400)) * 1000, FIRES))
    for _ in range(EXPRESSIONS):  # aimed at the transitions themselves
        zone = r.choice([z for z in ZONES if transitions(z, 2015, 2030)])
        tr = r.choice(transitions(zone, 2015, 2030))
        e = dst_expression(r, zone, tr.at)
        qs.append((e, zone, (tr.at - r.randrange(600, 2 * 86400)) * 1000, 2 * FIRES))
    return qs


def test_the_tz_data_of_java_and_python_agree(quartz: Quartz) -> None:
    """Otherwise a disagreement could come from the zone rules rather than the cron code."""
    asks, want = [], []
    for zone in ZONES:
        for tr in transitions(zone, 2015, 2030):
            for t, off in ((tr.at - 1, tr.before), (tr.at, tr.after)):
                asks.append((zone, t * 1000))
                want.append(off)
    assert quartz.offsets(asks) == want


def test_next_fire_agrees_with_quartz_but_for_documented_dst_rules(
    quartz: Quartz, capsys: pytest.CaptureFixture[str]
) -> None:
    qs = queries(seed=20150707)
    answers = quartz.fires(qs)
    refused = [(q[0], a.error) for q, a in zip(qs, answers, strict=True) if not a.ok]
    assert not refused, f"the generator made expressions Quartz refuses: {refused[:5]}"

    rules: Counter[str] = Counter()
    unexplained: list[str] = []
    compared = never = 0
    for (expr, zone, start_ms, n), answer in zip(qs, answers, strict=True):
        theirs = [ms // 1000 for ms in answer.times_ms]
        try:
            mine = ours(expr, zone, start_ms, n)
        except CronError as e:
            # We refuse what can never fire (31W in April); Quartz accepts it and never fires.
            assert "never fire" in e.problem and not theirs, (expr, e.problem, theirs)
            never += 1
            continue
        compared += max(len(mine), len(theirs))
        if mine == theirs:
            continue
        explained, bad = classify(parse(expr), zone, start_ms // 1000, n, mine, theirs)
        rules.update(line.split(":")[0] for line in explained)
        unexplained += [f"{expr!r} in {zone} after {start_ms}: {b}" for b in bad]

    expressions = len({q[0] for q in qs})
    summary = (
        f"Quartz oracle: {expressions} expressions ({EXPRESSIONS} generated, the rest aimed at"
        f" DST changes), {len(qs)} queries over {len(ZONES)} zones, "
        f"{compared} fire times compared, {never} never-firing expressions refused (Quartz: no"
        " fire either); documented divergences: "
        + ", ".join(f"{n} x {rule.split(':')[0]}" for rule, n in rules.most_common())
    )
    with capsys.disabled():
        print(f"\n{summary}")
    assert not unexplained, f"{len(unexplained)} unexplained:\n" + "\n".join(unexplained[:30])
    assert expressions >= 2000 and len(qs) >= 10000 and compared >= 50000, summary
    # The DST rules were really exercised, not vacuously true.
    for rule in (SPRING_GAP, FOLD_FIRST, FOLD_BOTH):
        assert rules[rule] > 0, f"no query exercised {rule}: {summary}"


HOSTILE = [
    "0 0 0 ? * 0",  # Quartz numbers Sunday 1
    "0 0 0 32 * ?",
    "60 0 0 ? * *",
    "0 0 24 ? * *",
    "0 0 0 ? 13 *",
    "0 0 0 ? * 8",
    "0 0 0 ? * 2#6",
    "0 0 0 L-31 * ?",
    "0 0 0 ? * * 2030-2020",
    "0 */60 0 ? * *",
    "0 0 0 ? * L,MON",
    "? 0 0 * * ?",
    "0 0 0 1 FOO ?",
    "0 0 0 ? * FOO",
    "0 0",
    "0 0 0 ? * 1#",
    "0 0 0 */ * ?",
]


@pytest.mark.parametrize("expr", HOSTILE)
def test_what_quartz_refuses_we_refuse(quartz: Quartz, expr: str) -> None:
    (answer,) = quartz.valid([expr])
    assert not answer.ok, f"Quartz accepts {expr!r}"
    with pytest.raises(CronError):
        parse(expr)


# Quartz reads these loosely (ignores what follows a name or a number, empty list items,
# fields past the seventh, a zero step, years before 1970); we refuse them, so that a saved
# schedule means what it says.
LOOSE_IN_QUARTZ = [
    "0 0 0 ? * MON-FRI/2",
    "0 0 0 ? * 5X",
    "0 0 0 ? * MONDAY",
    "0 0 0 1,2, * ?",
    "0 0 0 * * ? 2024 5",
    "0 */0 0 ? * *",
    "0 0 0 ? * * 1969",  # accepted, and never fires
    "0 0 0 1-5W * ?",
]


@pytest.mark.parametrize("expr", LOOSE_IN_QUARTZ)
def test_what_quartz_reads_loosely_we_refuse(quartz: Quartz, expr: str) -> None:
    (answer,) = quartz.valid([expr])
    assert answer.ok, f"Quartz now refuses {expr!r}: move it to HOSTILE"
    with pytest.raises(CronError):
        parse(expr)


def test_the_oracle_sees_the_seed_table_as_we_do_where_quartz_can_read_it(quartz: Quartz) -> None:
    """Quartz refuses the seed's `1/1 ... 7` rows (both day fields set); with `?` for the
    day of the week it computes the same times as our reading."""
    after = datetime(2015, 7, 7, 22, 50, tzinfo=UTC)
    ms = int(after.timestamp() * 1000)
    expr = "0 15,45 * 1/1 * ? *"
    (answer,) = quartz.fires([(expr, "UTC", ms, 3)])
    mine = next_fire(parse("0 15,45 * 1/1 * 7 *"), after)
    assert mine == datetime.fromtimestamp(answer.times_ms[0] / 1000, UTC)
    assert mine == after + timedelta(minutes=25)
