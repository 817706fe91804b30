"""A link's history: how each check moves its state, and what changed since the last run.

Pure: no I/O (the cache stores the checks and states). The dates a record shows
(``first_seen_at``, ``last_ok_at``, ``failing_since``) move only when a check changes them,
so a link that keeps failing, or keeps working from the cache, rewrites nothing.

Two notions, kept apart on purpose:
- a check *fails* when the link did not work (``Status.is_failure``): that is what
  ``failing_since`` and ``consecutive_failures`` count, whatever the policy says;
- a link *is failing* when it fails the run (``fails``: a ``--fail-on`` status, after
  ``--fail-after`` failing checks in a row); ``changes`` reports how that standing moved, so
  a failure ``--fail-after`` still spares is no news yet, and neither is an outage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from .models import Change, Check, CheckedLink, FailOn, LabelMatch, LinkState, Status

HISTORY_MAX_CHECKS = 100
"""The history keeps at most this many checks per target..."""
HISTORY_MAX_AGE = timedelta(days=365)
"""...and none older than this (the state keeps the dates that matter)."""
HISTORY_CELLS = 10
"""The most checks a report's history strip shows (the newest; a longer failing streak
says ``+N``)."""


def fails(status: Status, consecutive_failures: int, fail_on: FailOn,
          fail_after: int) -> bool:  # fmt: skip
    """The one rule of failing the run: a ``--fail-on`` status, ``--fail-after`` failing
    checks in a row. A status that is no failure (``redirected``, ``ok``: ``any`` and a list
    naming them) fails at first sight: no check in a row counts it, so waiting for one had
    kept ``--fail-on redirected`` from ever failing a run."""
    if status not in fail_on:
        return False
    return not status.is_failure or consecutive_failures >= fail_after


def advance(
    state: LinkState | None, check: Check, fail_on: FailOn, fail_after: int = 1
) -> LinkState:
    """The state after ``check`` (``state`` is None for a target never checked before)."""
    status = check.status
    at = check.checked_at
    if state is None:
        state = LinkState(first_seen_at=at, last_checked_at=at, last_status=status)
        previous_failures = 0
        failing_since = at if status.is_failure else None
    else:
        previous_failures = state.consecutive_failures
        failing_since = (state.failing_since or at) if status.is_failure else None
    failures = previous_failures + 1 if status.is_failure else 0
    return LinkState(
        first_seen_at=min(state.first_seen_at, at),
        last_checked_at=at,
        last_status=status,
        last_ok_at=at if status.works else state.last_ok_at,
        failing_since=failing_since,
        consecutive_failures=failures,
        failing=standing(state.failing, status, fails(status, failures, fail_on, fail_after)),
    )


def standing(was_failing: bool, status: Status, fails_now: bool) -> bool:
    """Failing under the policy after a check: one that fails the run makes it failing, a
    working link is not; anything else says nothing, so the standing stays. That covers
    ``unreachable`` when the policy does not name it (nobody answered) and a failure
    ``--fail-after`` still spares (not yet confirmed)."""
    if fails_now:
        return True
    if status.works:
        return False
    return was_failing


def change(before: LinkState | None, after: LinkState | None) -> Change | None:
    """How a link's standing moved between its state before this run and after it (the same
    state when the run did not check it: a verdict from the cache is no news). A link never
    seen before that is failing now is news; one without history (never checked) has none."""
    if after is None:
        return None
    was_failing = before.failing if before is not None else False
    if after.failing:
        return Change.STILL_FAILING if was_failing else Change.NEWLY_FAILING
    if was_failing:
        return Change.RECOVERED  # the standing only clears on a check that worked
    return None


def counts_against(link: CheckedLink, fail_on: FailOn, fail_after: int) -> bool:
    """Whether ``link`` fails the run: its status is in ``--fail-on`` and it has failed
    ``--fail-after`` checks in a row, or ``mismatch`` is and its label does not match. An entry judged without a check (``invalid``: no URL, a
    malformed one) fails at once: checking it again cannot change it."""
    if LabelMatch.MISMATCH in fail_on and link.label_match is LabelMatch.MISMATCH:
        return True
    if link.history is None:
        return link.verdict.status in fail_on
    return fails(link.verdict.status, link.history.consecutive_failures, fail_on, fail_after)


def needs_confirming(
    state: LinkState | None, status: Status, fail_on: FailOn, fail_after: int
) -> bool:
    """A cached verdict that would fail the run, but has not failed ``fail_after`` checks in a
    row yet, is checked again rather than reused: a second check is what ``--fail-after``
    asks for."""
    if fail_after <= 1 or status not in fail_on:
        return False
    return state is None or state.consecutive_failures < fail_after


def state_from_fact(observed_at: datetime, status: Status, fail_on: FailOn) -> LinkState:
    """A state for a target the cache has a fact of but no history (a cache from before
    history): what that one observation says, so an upgrade neither blanks the dates nor
    announces every failing link as new. Seeded states count a link whose status the policy
    names as failing already, whatever ``--fail-after`` says: how many checks it failed
    before is unknown, and it was surely no news then."""
    state = advance(None, Check("", observed_at, status), fail_on)
    return replace(state, failing=status in fail_on)


def state_from_record(link: Mapping[str, Any], fail_on: FailOn) -> LinkState | None:
    """A state seeded from a link of an earlier record, for a target the cache has no state
    of (a lost or new cache): the record's dates are kept instead of restarting today. None
    when the record has none of them (a record from before history)."""
    first_seen = _moment(link.get("first_seen_at"))
    if first_seen is None:
        return None
    try:
        status = Status(str(link.get("status")))
    except ValueError:
        return None
    failing_since = _moment(link.get("failing_since"))
    return LinkState(
        first_seen_at=first_seen,
        last_checked_at=_moment(link.get("checked_at")) or first_seen,
        last_status=status,
        last_ok_at=_moment(link.get("last_ok_at")),
        failing_since=failing_since,
        consecutive_failures=1 if failing_since is not None else 0,
        failing=status in fail_on,  # see state_from_fact
    )


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def recent_statuses(
    kept: Mapping[str, Iterable[Check]], new: Iterable[Check], limit: int = HISTORY_CELLS
) -> dict[str, tuple[Status, ...]]:
    """Each target's last ``limit`` checks' statuses, oldest first: the checks the cache
    kept (``kept``, by key) and this run's (``new``), one per moment (this run's wins)."""
    merged: dict[str, dict[datetime, Status]] = {}
    for key, checks in kept.items():
        merged[key] = {check.checked_at: check.status for check in checks}
    for check in new:
        merged.setdefault(check.key, {})[check.checked_at] = check.status
    return {
        key: tuple(by_time[at] for at in sorted(by_time)[-limit:])
        for key, by_time in merged.items()
        if by_time and limit > 0
    }
