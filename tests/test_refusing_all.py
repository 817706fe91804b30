"""RefusingAll: when a host's run of refusals naming no wait gives it up for the run.
Pure: answers in, a verdict out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from enricher.net.refusing_all import REFUSING_FIRST_ASKS, RefusingAll

NOW = datetime(2026, 12, 7, 9, 0, 0, tzinfo=timezone.utc)


class Host:
    """A host's answers, each ``gap`` seconds after the one before."""

    def __init__(self) -> None:
        self.watch = RefusingAll()
        self.now = NOW

    def answer(self, gap: float, *, first_ask: bool = True, bare: bool, served: bool) -> None:
        self.now += timedelta(seconds=gap)
        self.watch.answered(self.now, gap, first_ask=first_ask, bare_refusal=bare, served=served)

    def refused(self, *gaps: float, first_ask: bool = True) -> None:
        for gap in gaps:
            self.answer(gap, first_ask=first_ask, bare=True, served=False)

    def served(self, times: int = 1) -> None:
        for _ in range(times):
            self.answer(0.1, bare=False, served=True)


GIVING_UP = (*[0.0] * (REFUSING_FIRST_ASKS - 4), 60.0, 5.0, 5.0, 5.0)
"""First asks refused in a row, going on for 75 s, four after the first minute, the last
ones 5 s apart: a host so refusing is given up."""


def test_a_run_of_refusals_over_a_minute_the_last_ones_slow_gives_a_host_up() -> None:
    host = Host()
    host.refused(*GIVING_UP[:-1])
    assert not host.watch.refuses_all  # three answered after the minute
    host.refused(GIVING_UP[-1])
    assert host.watch.refuses_all
    host.served()
    assert not host.watch.refuses_all


def test_server_errors_among_the_refusals_serve_nothing() -> None:
    """A host going down behind its proxy answers 502s among its 503s: they neither end
    the run nor count in it."""
    host = Host()
    for gap in GIVING_UP:
        host.refused(gap)
        host.answer(0.0, bare=False, served=False)  # a 502
    assert host.watch.refuses_all


def test_pages_asked_again_refused_count_for_no_page() -> None:
    host = Host()
    host.refused(*GIVING_UP, first_ask=False)
    assert not host.watch.refuses_all


def test_a_host_whose_pages_were_often_refused_needs_a_longer_run() -> None:
    """Nearly half of the host's first asks were refused before this run began (dead pages):
    a run of eight is common among them, so more are needed (as rare as one run in a
    thousand: 10 of 21 refused, 0.48 ** 10 is under 0.001)."""
    host = Host()
    for _ in range(10):
        host.served()
        host.refused(0.1)
    host.served()
    host.refused(*GIVING_UP)
    assert not host.watch.refuses_all
    host.refused(5.0, 5.0)  # ten in a row
    assert host.watch.refuses_all


def test_a_run_within_a_minute_or_sent_quickly_does_not_give_a_host_up() -> None:
    """A limiter counting over a minute refuses every page until its window ends; one
    refusing requests sent 2 s apart may serve one every 5 s."""
    within_a_minute = Host()
    within_a_minute.refused(*[5.0] * (REFUSING_FIRST_ASKS + 3))  # 50 s
    assert not within_a_minute.watch.refuses_all
    quickly = Host()
    quickly.refused(*[0.0] * (REFUSING_FIRST_ASKS - 4), 60.0, 2.0, 2.0, 2.0)
    assert not quickly.watch.refuses_all
