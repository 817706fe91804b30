"""The one retry policy, on tenacity: transient outcomes only, jittered exponential backoff,
Retry-After honoured up to a cap, bounded by attempts and total time (``stop_before_delay``
counts the wait about to be taken, so a long Retry-After never overshoots the budget).

Sleeping is injected, so tests record the delays instead of waiting them out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from ..verdicts import MAX_RETRY_AFTER_S

BACKOFF_INITIAL_S = 1.0
"""First backoff; doubles each attempt, plus up to a second of jitter."""
BACKOFF_MAX_S = 10.0

AsyncSleep = Callable[[float], Awaitable[None]]
SyncSleep = Callable[[float], None]


def _wait(retry_after_of: Callable[[Any], float | None]) -> Callable[[RetryCallState], float]:
    """Backoff, or the server's Retry-After (capped) when it gave one.

    ``retry_after_of`` gets the last result, or the last exception for edges that raise.
    """
    backoff = wait_exponential_jitter(initial=BACKOFF_INITIAL_S, max=BACKOFF_MAX_S, jitter=1.0)

    def wait(state: RetryCallState) -> float:
        outcome = state.outcome
        delay = float(backoff(state))
        if outcome is not None:
            last = outcome.exception() if outcome.failed else outcome.result()
            hint = retry_after_of(last)
            if hint is not None:
                delay = min(hint, MAX_RETRY_AFTER_S)
        return delay

    return wait


def _give_up_with_last_result(state: RetryCallState) -> Any:
    """Out of attempts: hand back the last outcome (a value) rather than a RetryError."""
    assert state.outcome is not None
    return state.outcome.result()


def async_retrying(
    *,
    attempts: int,
    budget_s: float,
    should_retry: Callable[[Any], bool],
    retry_after_of: Callable[[Any], float | None],
    sleep: AsyncSleep,
) -> AsyncRetrying:
    """For edges whose attempts return values (``FetchOutcome``, responses)."""
    return AsyncRetrying(
        stop=stop_after_attempt(attempts) | stop_before_delay(budget_s),
        wait=_wait(retry_after_of),
        retry=retry_if_result(should_retry),
        retry_error_callback=_give_up_with_last_result,
        sleep=sleep,
    )


def sync_retrying(
    *,
    attempts: int,
    budget_s: float,
    should_retry: Callable[[BaseException], bool],
    retry_after_of: Callable[[BaseException], float | None],
    sleep: SyncSleep,
) -> Retrying:
    """For the arxiv package, which reports failures as exceptions; the last one is re-raised."""
    return Retrying(
        stop=stop_after_attempt(attempts) | stop_before_delay(budget_s),
        wait=_wait(retry_after_of),
        retry=retry_if_exception(should_retry),
        reraise=True,
        sleep=sleep,
    )
