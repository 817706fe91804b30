"""A link's history: the dates a record shows, what changed since the last run, and when a
failing link fails the run. Pure rules, no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from enricher.history import advance, change, counts_against, needs_confirming, state_from_record
from enricher.models import Change, Check, CheckedLink, LinkEntry, LinkState, Status, Verdict

KEY = "web:https://example.org/post"
DEFAULT = frozenset({Status.BROKEN, Status.INVALID})
WITH_UNREACHABLE = DEFAULT | {Status.UNREACHABLE}
T0 = datetime(2026, 11, 1, 9, 0, 0, tzinfo=timezone.utc)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def run(statuses: list[Status], fail_on: frozenset[Status] = DEFAULT) -> list[LinkState]:
    """The state after each check, one check a day from T0."""
    states: list[LinkState] = []
    state: LinkState | None = None
    for n, status in enumerate(statuses):
        state = advance(state, Check(KEY, day(n), status), fail_on)
        states.append(state)
    return states


def failing_state(failures: int, status: Status = Status.BROKEN) -> LinkState:
    """A link that worked on day 0 and has failed ``failures`` checks in a row since day 1."""
    return LinkState(
        first_seen_at=day(0), last_checked_at=day(failures), last_status=status,
        last_ok_at=day(0), failing_since=day(1), consecutive_failures=failures,
        failing=status in DEFAULT,
    )  # fmt: skip


def checked(status: Status, history: LinkState | None) -> CheckedLink:
    entry = LinkEntry("week.txt", 3, "A post", "https://example.org/post")
    return CheckedLink(entry, "web", None, Verdict(status), history=history)


# advance: the dates a record shows


def test_ok_broken_broken_ok_moves_the_dates_a_record_shows() -> None:
    """A link that breaks for two days and comes back: first seen stays put, failing_since is
    the first broken check (not the second), the count goes 1, 2, then back to 0."""
    ok, broken1, broken2, back = run([Status.OK, Status.BROKEN, Status.BROKEN, Status.OK])

    assert [s.first_seen_at for s in (ok, broken1, broken2, back)] == [day(0)] * 4
    assert [s.last_checked_at for s in (ok, broken1, broken2, back)] == [day(n) for n in range(4)]

    assert ok.failing_since is None
    assert ok.consecutive_failures == 0
    assert ok.last_ok_at == day(0)

    assert broken1.failing_since == day(1)
    assert broken1.consecutive_failures == 1
    assert broken1.last_ok_at == day(0)
    assert broken1.failing

    assert broken2.failing_since == day(1)
    assert broken2.consecutive_failures == 2
    assert broken2.last_ok_at == day(0)

    assert back.failing_since is None
    assert back.consecutive_failures == 0
    assert back.last_ok_at == day(3)
    assert back.last_status is Status.OK
    assert not back.failing


def test_a_link_broken_from_its_first_check_was_never_ok() -> None:
    """First seen broken: failing since then, no last_ok_at."""
    (first,) = run([Status.BROKEN])
    assert first == LinkState(
        first_seen_at=day(0), last_checked_at=day(0), last_status=Status.BROKEN,
        last_ok_at=None, failing_since=day(0), consecutive_failures=1, failing=True,
    )  # fmt: skip


# change: what the run reports as news


def after(state: LinkState | None, status: Status, fail_on: frozenset[Status] = DEFAULT,
          fail_after: int = 1) -> LinkState:  # fmt: skip
    """The state after one more check with ``status``, a day after ``state``'s last."""
    at = state.last_checked_at + timedelta(days=1) if state else day(0)
    return advance(state, Check(KEY, at, status), fail_on, fail_after)


def test_a_never_seen_link_that_is_broken_is_newly_failing() -> None:
    assert change(None, after(None, Status.BROKEN)) is Change.NEWLY_FAILING


def test_a_never_seen_link_that_works_is_no_news() -> None:
    assert change(None, after(None, Status.OK)) is None


def test_a_link_without_history_has_no_change() -> None:
    assert change(None, None) is None


def test_a_failing_link_still_broken_is_still_failing() -> None:
    before = failing_state(1)
    assert change(before, after(before, Status.BROKEN)) is Change.STILL_FAILING


def test_a_verdict_from_the_cache_is_no_news() -> None:
    """Not checked this run: the state after is the state before."""
    assert change(failing_state(2), failing_state(2)) is Change.STILL_FAILING
    ok = after(None, Status.OK)
    assert change(ok, ok) is None


def test_a_failing_link_that_works_again_recovered() -> None:
    before = failing_state(2)
    assert change(before, after(before, Status.OK)) is Change.RECOVERED
    assert change(before, after(before, Status.REDIRECTED)) is Change.RECOVERED


def test_an_outage_neither_recovers_nor_newly_breaks_a_broken_link() -> None:
    """broken, then unreachable (nobody answered; not in the default policy), then broken:
    the outage says nothing, so the link is still failing, not recovered then newly broken."""
    broken, outage, again = run([Status.BROKEN, Status.UNREACHABLE, Status.BROKEN])

    assert change(broken, outage) is Change.STILL_FAILING
    assert outage.failing, "an outage keeps the standing"
    assert change(outage, again) is Change.STILL_FAILING
    # It still did not work: the failure count and failing_since go on through the outage.
    assert outage.consecutive_failures == 2
    assert again.consecutive_failures == 3
    assert again.failing_since == day(0)


def test_an_outage_does_not_make_a_working_link_failing_by_default() -> None:
    ok, outage, back = run([Status.OK, Status.UNREACHABLE, Status.OK])
    assert change(ok, outage) is None
    assert not outage.failing
    assert change(outage, back) is None


def test_with_unreachable_in_the_policy_an_outage_is_newly_failing() -> None:
    ok, outage = run([Status.OK, Status.UNREACHABLE], WITH_UNREACHABLE)
    assert change(ok, outage) is Change.NEWLY_FAILING


def test_a_failure_fail_after_spares_is_no_news_until_confirmed() -> None:
    """--fail-after 2: the first 404 neither fails the run nor makes news; the second does;
    a flaky link that works again in between was never news at all."""
    ok = after(None, Status.OK, fail_after=2)
    first = after(ok, Status.BROKEN, fail_after=2)
    assert change(ok, first) is None and not first.failing
    second = after(first, Status.BROKEN, fail_after=2)
    assert change(first, second) is Change.NEWLY_FAILING
    assert change(first, after(first, Status.OK, fail_after=2)) is None


# counts_against: --fail-on and --fail-after


def test_a_broken_link_fails_the_run_only_after_fail_after_checks() -> None:
    assert not counts_against(checked(Status.BROKEN, failing_state(1)), DEFAULT, 2)
    assert counts_against(checked(Status.BROKEN, failing_state(2)), DEFAULT, 2)
    assert counts_against(checked(Status.BROKEN, failing_state(3)), DEFAULT, 2)


def test_an_invalid_entry_without_history_fails_the_run_at_once() -> None:
    """An entry without a (valid) URL is never checked: waiting cannot change it."""
    link = checked(Status.INVALID, None)
    assert link.consecutive_failures == 0
    assert counts_against(link, DEFAULT, 2)
    assert counts_against(link, DEFAULT, 5)


@pytest.mark.parametrize("status", [Status.UNREACHABLE, Status.BLOCKED, Status.OK])
def test_a_status_outside_fail_on_never_fails_the_run(status: Status) -> None:
    assert not counts_against(checked(status, failing_state(7, status)), DEFAULT, 1)
    assert not counts_against(checked(status, None), DEFAULT, 1)


@pytest.mark.parametrize("status", [Status.REDIRECTED, Status.OK])
@pytest.mark.parametrize("fail_after", [1, 3])
def test_a_status_that_is_no_failure_fails_the_run_at_once_when_named(
    status: Status, fail_after: int
) -> None:
    """``--fail-on redirected`` (or ``any``, or ``ok``) fails the run on the first such check:
    no failing check in a row ever counts a status that is no failure."""
    worked = LinkState(
        first_seen_at=day(0), last_checked_at=day(0), last_status=status, last_ok_at=day(0)
    )
    policy = DEFAULT | {status}
    assert counts_against(checked(status, worked), policy, fail_after)
    assert not counts_against(checked(status, worked), DEFAULT, fail_after)
    assert run([status], policy)[0].failing


# needs_confirming: a cached failing verdict is checked again until confirmed


def test_a_cached_broken_verdict_is_checked_again_until_fail_after_is_reached() -> None:
    assert needs_confirming(failing_state(1), Status.BROKEN, DEFAULT, 2)
    assert not needs_confirming(failing_state(2), Status.BROKEN, DEFAULT, 2)
    assert not needs_confirming(failing_state(3), Status.BROKEN, DEFAULT, 2)


def test_with_fail_after_1_a_cached_broken_verdict_is_reused() -> None:
    assert not needs_confirming(failing_state(1), Status.BROKEN, DEFAULT, 1)
    assert not needs_confirming(None, Status.BROKEN, DEFAULT, 1)


def test_a_cached_broken_verdict_without_history_is_checked_again() -> None:
    """No state (a lost cache): nothing says it has failed twice yet."""
    assert needs_confirming(None, Status.BROKEN, DEFAULT, 2)


def test_a_cached_ok_verdict_needs_no_confirming() -> None:
    ok = LinkState(first_seen_at=day(0), last_checked_at=day(0), last_status=Status.OK,
                   last_ok_at=day(0))  # fmt: skip
    assert not needs_confirming(ok, Status.OK, DEFAULT, 2)


# state_from_record: a lost cache keeps the dates the record showed


def record_link(**changes: Any) -> dict[str, Any]:
    """A link as a record written with history shows it."""
    link: dict[str, Any] = {
        "line": 3,
        "url": "https://example.org/post",
        "kind": "web",
        "status": "broken",
        "http_status": 404,
        "checked_at": "2026-11-20T08:00:00Z",
        "first_seen_at": "2026-11-01T09:00:00Z",
        "last_ok_at": "2026-11-10T07:30:00Z",
        "failing_since": "2026-11-12T06:00:00Z",
    }
    link.update(changes)
    return link


def utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)


def test_state_from_a_record_keeps_its_dates() -> None:
    assert state_from_record(record_link(), DEFAULT) == LinkState(
        first_seen_at=utc("2026-11-01 09:00"),
        last_checked_at=utc("2026-11-20 08:00"),
        last_status=Status.BROKEN,
        last_ok_at=utc("2026-11-10 07:30"),
        failing_since=utc("2026-11-12 06:00"),
        consecutive_failures=1,
        failing=True,
    )


def test_state_from_a_record_of_a_working_link() -> None:
    state = state_from_record(record_link(status="ok", failing_since=None), DEFAULT)
    assert state is not None
    assert state.failing_since is None
    assert state.consecutive_failures == 0
    assert not state.failing
    assert state.last_ok_at == utc("2026-11-10 07:30")


def test_a_seeded_failing_state_makes_the_next_broken_check_still_failing() -> None:
    """A lost cache does not turn a link the record showed broken into news."""
    seeded = state_from_record(record_link(), DEFAULT)
    later = advance(seeded, Check(KEY, utc("2026-11-21 08:00"), Status.BROKEN), DEFAULT)
    assert change(seeded, later) is Change.STILL_FAILING
    assert later.failing_since == utc("2026-11-12 06:00")
    assert later.first_seen_at == utc("2026-11-01 09:00")


def test_a_record_from_before_history_seeds_nothing() -> None:
    old = record_link()
    for name in ("first_seen_at", "last_ok_at", "failing_since"):
        del old[name]
    assert state_from_record(old, DEFAULT) is None
    assert state_from_record(record_link(first_seen_at=None), DEFAULT) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"first_seen_at": "last tuesday"},
        {"first_seen_at": 20261101},
        {"first_seen_at": ["2026-11-01T09:00:00Z"]},
        {"first_seen_at": "2026-11-01T09:00:00"},  # no zone: not a time we wrote
        {"status": "exploded"},
        {"status": None},
    ],
    ids=["words", "number", "list", "naive", "unknown-status", "no-status"],
)
def test_garbage_in_a_record_seeds_nothing(changes: dict[str, Any]) -> None:
    assert state_from_record(record_link(**changes), DEFAULT) is None
