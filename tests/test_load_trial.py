"""A host spaced by refusals that only ever came at many requests at once is tried at one fewer,
unspaced, and a probe at the load refused settles it (``HostPace._try_the_load``): a
connection limit (nginx's ``limit_conn``) is learnt even when the spacing its first refusals
began holds the load under it; a rate limiter with slow pages gets its spacing back."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from enricher.config import Settings
from enricher.models import FetchOutcome, HttpFacts
from enricher.net.checker import WebChecker
from enricher.net.context import Clocks, NetContext
from enricher.net.host_pace import OPENING_GRACE_S, HostPace
from enricher.net.load_trial import (
    TRIAL_PROBE_STARTS,
    TRIAL_PROBES,
    TRIAL_REFUSALS,
    TRIAL_SERVED,
    TRIAL_SERVED_PROBES,
    LoadTrial,
    TrialMove,
)
from enricher.net.rate_pace import RatePace
from tests.virtual_time import VirtualTime

NOW = datetime(2026, 11, 22, 9, 0, 0, tzinfo=timezone.utc)


def ms(n: float) -> timedelta:
    return timedelta(milliseconds=n)


def tried_at_three() -> tuple[HostPace, datetime]:
    """A host of 6 answering as nginx's limit_conn 3 does: its opening served, then six sent
    at once, the fourth to sixth refused (a bare 503) and the first three served 250 ms
    later; spaced by those refusals, a first ask sent 80 ms after them is refused at four
    at once too. The host is tried at three at once, unspaced; and the moment of the last
    answer."""
    pace, now = HostPace(6), NOW
    first, second = pace.started(now, 1), pace.started(now, 2)
    now += ms(250)
    pace.answered(200, None, now, 2, first)
    pace.answered(200, None, now, 1, second)
    now += timedelta(seconds=OPENING_GRACE_S)
    pace.open_up(now)
    six = [pace.started(now, load) for load in range(1, 7)]
    now += ms(1)
    for ticket in six[3:]:
        pace.answered(503, None, now, 6, ticket)
    assert pace.rate.paced  # read as a rate limiter's, first
    now += ms(250)
    for ticket in six[:3]:
        pace.answered(200, None, now, 3, ticket)
    now += ms(80)
    refused = pace.started(now, 4, page="p/4")
    now += ms(1)
    pace.answered(503, None, now, 4, refused)
    return pace, now


def held_to_three(pace: HostPace, now: datetime, answers: int) -> datetime:
    """``answers`` first asks served at one to three at once, 50 ms apart."""
    for n in range(answers):
        now += ms(50)
        pace.answered(200, None, now, 3, pace.started(now, 1 + n % 3))
    return now


def probed(*statuses: int) -> HostPace:
    """The trial's requests served until its probe's spacing begins; then a probe (a first
    ask at four at once) answered with each of ``statuses`` in turn."""
    pace, now = tried_at_three()
    now = held_to_three(pace, now, TRIAL_SERVED)
    assert pace.rate.paced and pace.ceiling == 4  # spaced for the probe, one more let in
    for n, status in enumerate(statuses):
        now += ms(50)
        probe = pace.started(now, 4, page=f"p/probe/{n}")
        assert pace.ceiling == 3  # no other goes that high before its answer
        pace.answered(status, None, now + ms(1), 4, probe)
    return pace


def test_a_host_refused_only_at_four_at_once_and_more_is_tried_at_three_unspaced() -> None:
    pace, _ = tried_at_three()
    assert pace.ceiling == 3
    assert pace.limit == 3
    assert not pace.rate.paced


def test_a_probe_refused_at_the_load_keeps_the_ceiling_and_no_spacing() -> None:
    pace = probed(503)
    assert pace.ceiling == 3
    assert not pace.rate.paced


def test_a_probe_served_at_the_load_gives_the_host_back_its_spacing_and_ceiling() -> None:
    """A rate limiter with pages slower than its spacing refuses at many at once as a
    connection limit does; served at the load it refused, at the trial's pace, it was the
    gaps, not the load."""
    pace = probed(*[200] * TRIAL_SERVED_PROBES)
    assert pace.ceiling == 6
    assert pace.rate.paced


def test_one_probe_served_at_the_load_and_the_next_refused_keeps_the_ceiling() -> None:
    """A connection limit seems to serve a request at its load now and then (an answer come
    and not read yet counts as under way): one probe served is not enough."""
    pace = probed(200, 503)
    assert pace.ceiling == 3
    assert not pace.rate.paced


def test_a_probe_served_spaces_the_host_at_the_pace_its_trial_was_served_at() -> None:
    """Not at the spacing it had before the trial (here the search's second step from the
    opening's guess, 575 ms): the trial's requests, 50 ms apart, were served, and the search
    goes on from there."""
    pace = probed(*[200] * TRIAL_SERVED_PROBES)
    assert pace.rate.interval_s == pytest.approx(0.05)
    assert pace.rate.fast_enough_s == pytest.approx(0.05)


def refused_within(refusals: int) -> HostPace:
    """Tried at three at once, three answers served, then ``refusals`` first asks refused at
    two at once."""
    pace, now = tried_at_three()
    now = held_to_three(pace, now, 3)
    for n in range(refusals):
        now += ms(10)
        refused = pace.started(now, 2, page=f"p/2/{n}")
        pace.answered(503, None, now + ms(1), 2, refused)
    return pace


def test_requests_refused_within_the_tried_ceiling_end_the_trial() -> None:
    """A rate limiter refuses many once unspaced: the host gets back its ceiling and its
    spacing."""
    pace = refused_within(TRIAL_REFUSALS)
    assert pace.ceiling == 6
    assert pace.rate.paced


def test_a_page_failing_on_its_own_within_the_tried_ceiling_does_not_end_the_trial() -> None:
    """One refusal within the ceiling tried (a dead page's, answering 503 at every ask) ends
    nothing, and moves no spacing: the request was sent unspaced."""
    pace = refused_within(TRIAL_REFUSALS - 1)
    assert pace.ceiling == 3
    assert not pace.rate.paced


def test_refusals_at_two_at_once_are_never_tried_as_a_load() -> None:
    """A limiter with no burst refuses the second of two sent together: a ceiling of one is
    not tried on that."""
    pace, now = HostPace(6), NOW
    first, second = pace.started(now, 1), pace.started(now, 2)
    now += ms(1)
    pace.answered(200, None, now, 2, first)
    pace.answered(503, None, now, 1, second)
    for _ in range(4):
        now += ms(300)
        pace.answered(503, None, now, 2, pace.started(now, 2))
    assert pace.ceiling == 6
    assert pace.rate.paced


def test_a_load_served_more_often_than_refused_while_spaced_is_not_tried() -> None:
    """Spaced first asks served at four at once more often than refused there: pages failing
    on their own, or a rate's refusals, not a limit on the load."""
    pace, now = HostPace(6), NOW
    pace.rate.refused(0.0, now)  # spaced
    for _ in range(4):
        now += ms(100)
        pace.answered(200, None, now, 3, pace.started(now, 3))
        now += ms(100)
        pace.answered(200, None, now, 4, pace.started(now, 4))
    for n in range(3):
        now += ms(100)
        pace.answered(503, None, now, 4, pace.started(now, 4 + n % 2))
    assert pace.ceiling == 6
    assert pace.rate.paced


def check_behind_a_connection_limit(
    cap: int, pages: int, page_s: float, quick_every: int, seed: int = 0
) -> tuple[list[FetchOutcome], HostPace, float, Counter[int]]:
    """``pages`` links of one host that takes ``cap`` requests at once and answers a bare 503
    past that (counted on arrival, as nginx does), each page held ``page_s``, every
    ``quick_every``-th a 404 answered at once; through the checker on the virtual clock,
    the retries' jitter drawn from ``seed``: the outcomes, the host's pace, the time taken
    and the refusals of each page."""
    random.seed(seed)  # tenacity's backoff jitter
    in_flight = 0
    refused: Counter[int] = Counter()
    time = VirtualTime(NOW)

    async def host(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight
        page = int(request.url.path.rsplit("/", 1)[1])
        await time.sleep(0.0)
        if in_flight >= cap:
            refused[page] += 1
            return httpx.Response(503)
        if page % quick_every == 0:
            return httpx.Response(404)
        in_flight += 1
        try:
            await time.sleep(page_s)
            return httpx.Response(200)
        finally:
            in_flight -= 1

    async def go() -> tuple[list[FetchOutcome], HostPace]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(host)) as client:
            settings = Settings(per_host=6, retry_budget_s=60, allow_private=True)
            checker = WebChecker(client, NetContext(settings, Clocks(lambda: time.now, time.sleep)))
            urls = [f"https://conn.example.test/p/{n}" for n in range(pages)]
            outcomes = list(await asyncio.gather(*(checker.check(url) for url in urls)))
            return outcomes, checker.host_gate("conn.example.test").pace

    outcomes, pace = asyncio.run(time.run(go()))
    return outcomes, pace, (time.now - NOW).total_seconds(), refused


def test_a_connection_limit_held_under_by_its_spacing_is_learnt_by_the_trial() -> None:
    """A host taking three at once, pages of 250 ms and every fourth link a quick 404: the
    spacing its first refusals began held it under three for the run, so its limit was
    never learnt (19.0 s, 1.52 times its floor, refused 5)."""
    outcomes, pace, took_s, refused = check_behind_a_connection_limit(3, 200, 0.25, 4)
    floor_s = 150 * 0.25 / 3
    assert all(isinstance(o, HttpFacts) for o in outcomes)
    assert pace.ceiling == 3
    assert not pace.rate.paced
    assert took_s <= 1.15 * floor_s, took_s / floor_s
    assert refused.total() <= 6, refused


def test_a_connection_limit_serving_one_fewer_only_after_its_refusals_is_tried() -> None:
    """A host taking two at once, pages of 100 ms: its refusals at three at once and more all
    came while the pages sent with them were still under way, so two at once was served only
    after the last of them, and no refusal came later to start the trial: spaced for the run
    (1.74 times its floor)."""
    outcomes, pace, took_s, refused = check_behind_a_connection_limit(2, 200, 0.1, 1000)
    assert all(isinstance(o, HttpFacts) for o in outcomes)
    assert pace.ceiling == 2
    assert not pace.rate.paced
    assert took_s <= 1.15 * 200 * 0.1 / 2, took_s
    assert refused.total() <= 6, refused


@pytest.mark.parametrize("seed", [3, 5])
def test_a_page_refused_by_a_connection_limit_is_not_asked_again_past_it(seed: int) -> None:
    """A host taking two at once, pages of 500 ms, every fifth a quick 404: a page refused
    at the opening was asked again at three at once, where every refusal had come and
    nothing was served, and was refused again: one ask left for a live page."""
    outcomes, pace, _, refused = check_behind_a_connection_limit(2, 200, 0.5, 5, seed)
    assert all(isinstance(o, HttpFacts) for o in outcomes)
    assert pace.ceiling == 2
    assert max(refused.values()) == 1, refused


def test_a_page_asked_again_leaves_under_a_load_only_ever_refused() -> None:
    """Served at one to three at once, refused (a bare 503) only at four and more: a page
    asked again leaves among three at most, until the host has served more at four and
    above than it refused there."""
    pace, now = HostPace(6), NOW
    sent = {load: pace.started(now, load) for load in range(1, 7)}
    now += ms(1)
    for load in (4, 5, 6):
        pace.answered(503, None, now, 6, sent[load])
    for load in (1, 2, 3):
        pace.answered(200, None, now + ms(250), 3, sent[load])
    assert pace.ceiling == 6
    assert pace.retry_ceiling == 3
    for n in range(4):
        now += ms(300)
        pace.answered(200, None, now, 4, pace.started(now, 4))
        assert pace.retry_ceiling == (3 if n < 3 else 6)


def test_a_refusal_at_two_at_once_leaves_a_page_asked_again_the_ceiling() -> None:
    """A limiter with no burst refuses the second of two sent together: that says nothing
    of a load, and a page asked again is held to the ceiling alone."""
    pace, now = HostPace(6), NOW
    first, second = pace.started(now, 1), pace.started(now, 2)
    now += ms(1)
    pace.answered(200, None, now, 2, first)
    pace.answered(503, None, now, 1, second)
    assert pace.retry_ceiling == pace.ceiling == 6


def test_a_page_asked_again_does_not_leave_at_the_load_a_trials_probe_tests() -> None:
    """The probe is a first ask's: on nginx's limit_conn 4 a page refused at the opening was
    asked again as the trial's fifth at once, refused again, and needed its last attempt."""
    pace, now = probing()
    for n in range(5):  # served at four at once more often than refused there
        now += ms(50)
        asked_again = pace.started(now, 4, retry=1, page=f"p/again/{n}")
        pace.answered(200, None, now + ms(1), 4, asked_again)
    assert pace.ceiling == 4
    assert pace.retry_ceiling == 3


def test_a_host_never_served_one_fewer_than_it_refused_is_not_tried() -> None:
    """Refused at four at once and more but served only at one and two: three at once is no
    load the host has shown it takes, so it is not tried."""
    pace, now = HostPace(6), NOW
    first, second = pace.started(now, 1), pace.started(now, 2)
    now += ms(250)
    pace.answered(200, None, now, 2, first)
    pace.answered(200, None, now, 1, second)
    now += timedelta(seconds=OPENING_GRACE_S)
    pace.open_up(now)
    sent = {load: pace.started(now, load) for load in (1, 2, 4, 5, 6)}
    now += ms(1)
    for load in (4, 5, 6):
        pace.answered(503, None, now, 6, sent[load])
    now += ms(250)
    for load in (1, 2):
        pace.answered(200, None, now, 2, sent[load])
    now += ms(80)
    refused = pace.started(now, 4, page="p/4")
    pace.answered(503, None, now + ms(1), 4, refused)
    assert pace.ceiling == 6
    assert pace.rate.paced


def test_a_request_held_at_the_wire_to_a_new_spacing_and_refused_counts_as_spaced() -> None:
    """nginx's limit_conn 4: a request started in the unspaced burst, held at the wire to the
    spacing the burst's refusals began, leaves spaced and is refused at the load all the
    same; it is the spaced refusal the trial needs (counted as sent unspaced, in a traced
    run none came before a page's retry was refused at that load too: its last attempt)."""
    pace, now = HostPace(6), NOW
    first, second = pace.started(now, 1), pace.started(now, 2)
    now += ms(250)
    pace.answered(200, None, now, 2, first)
    pace.answered(200, None, now, 1, second)
    now += timedelta(seconds=OPENING_GRACE_S)
    pace.open_up(now)
    six = [pace.started(now, load) for load in range(1, 7)]
    straggler = pace.started(now + ms(1), 4, page="p/4")  # started before any refusal
    now += ms(2)
    for ticket in six[3:]:
        pace.answered(503, None, now, 7, ticket)
    assert pace.rate.paced
    now += ms(250)
    for ticket in six[:3]:
        pace.answered(200, None, now, 3, ticket)
    pace.sent(straggler, now, 4)  # it leaves, held to the spacing, four at once
    pace.answered(503, None, now + ms(1), 4, straggler)
    assert pace.ceiling == 3
    assert not pace.rate.paced


def test_probes_leaving_below_the_load_keep_the_tried_ceiling() -> None:
    """nginx's 3/s limiter with a delayed burst of 3 holds early requests and answers them
    one by one: a probe started at four at once is held at the wire to its spacing while
    one of the three ends, and leaves at three, served. The load refused is not reached at
    the pace that should reach it, and three at once, unspaced, was served throughout (kept
    probing, the host was held there 43 s; given back its spacing, 1.39x its floor)."""
    pace, now = tried_at_three()
    now = held_to_three(pace, now, TRIAL_SERVED)
    for n in range(TRIAL_PROBES):
        assert pace.ceiling == 4
        now += ms(250)
        probe = pace.started(now, 4, page=f"p/probe/{n}")
        pace.sent(probe, now + ms(200), 3)  # one of the three ended while it was held
        pace.answered(200, None, now + ms(201), 3, probe)
    assert pace.ceiling == 3
    assert not pace.rate.paced


def probing() -> tuple[HostPace, datetime]:
    """A host tried at three at once, its trial's requests served: spaced for the probe."""
    pace, now = tried_at_three()
    now = held_to_three(pace, now, TRIAL_SERVED)
    assert pace.rate.paced and pace.ceiling == 4
    return pace, now


def test_a_probe_refused_naming_a_wait_at_the_load_keeps_the_ceiling() -> None:
    """A refusal is a refusal: answered 429 with Retry-After, the probe had left the trial
    spaced for the probe, and stuck there, for the rest of the run."""
    pace, now = probing()
    probe = pace.started(now + ms(50), 4, page="p/probe")
    pace.answered(429, 1.0, now + ms(51), 4, probe)
    assert pace.ceiling == 3
    assert not pace.rate.paced


def test_probes_never_answered_keep_the_ceiling_after_a_few() -> None:
    """A probe timing out tells nothing: another is sent, and after ``TRIAL_PROBES`` such
    the ceiling tried (served throughout) is kept, not the probe's spacing for ever."""
    pace, now = probing()
    for n in range(TRIAL_PROBES):
        assert pace.ceiling == 4
        now += ms(50)
        pace.forget(pace.started(now, 4, page=f"p/probe/{n}"))
    assert pace.ceiling == 3
    assert not pace.rate.paced


def test_the_load_never_reached_while_spaced_for_the_probe_keeps_the_ceiling() -> None:
    pace, now = probing()
    for _ in range(TRIAL_PROBE_STARTS * 4 + 1):
        now += ms(40)
        pace.answered(200, None, now + ms(1), 2, pace.started(now, 2))
    assert pace.ceiling == 3
    assert not pace.rate.paced


def test_a_hosts_idle_minute_in_a_trial_does_not_space_its_probe() -> None:
    """Links arriving 30 s apart put a 30 s gap among the trial's 50 ms ones: the pace it
    was served at is not a start every 3 s (spaced so, a probe waited 22.5 s, past the
    slowest spacing)."""
    pace, now = tried_at_three()
    now = held_to_three(pace, now, TRIAL_SERVED // 2)
    now += timedelta(seconds=30)
    now = held_to_three(pace, now, TRIAL_SERVED - TRIAL_SERVED // 2)
    assert pace.rate.paced
    assert pace.rate.interval_s < 0.2


def test_a_pages_own_refusal_disproved_in_a_trial_leaves_the_probes_spacing() -> None:
    """A lone 429 naming a wait while the trial holds the host, disproved by the answer that
    begins the probe's spacing, put back the pace before it, the trial's unspaced one: the
    probe then left at once, into an answer not read yet, and a limit of two served it at
    three."""
    pace, now = tried_at_three()
    now = held_to_three(pace, now, TRIAL_SERVED - 1)
    refused = pace.started(now + ms(10), 2, page="p/own")
    pace.answered(429, 1.0, now + ms(11), 2, refused)
    held_to_three(pace, now + ms(20), 1)  # the eighth served, a later request
    assert pace.rate.paced
    assert pace.ceiling == 4


def test_a_ceiling_learnt_below_the_tried_one_meanwhile_is_kept() -> None:
    pace, now = tried_at_three()
    pace.ceiling = 2  # learnt meanwhile (a wave of 429s naming a wait, say)
    held_to_three(pace, now, TRIAL_SERVED)
    assert pace.ceiling == 2
    assert not pace.rate.paced


def test_a_clock_stepped_back_in_a_trial_gives_no_gap() -> None:
    """A start earlier than the one before (the wall clock set back) is no gap: counted, it
    made the trial's pace negative and the probe unspaced."""
    pace, now = tried_at_three()
    now = held_to_three(pace, now, TRIAL_SERVED - 1)
    held_to_three(pace, now - timedelta(seconds=60), 1)
    assert pace.rate.interval_s == pytest.approx(0.05 * 3 / 4)


@pytest.mark.parametrize(
    ("asks_after_s", "first_leaves_by_s"),
    [(0.01, 1.0), (0.2, 0.21)],
    ids=["placed-behind-them", "all-under-way"],
)
def test_a_page_asked_again_waits_for_a_load_the_host_takes_and_a_first_ask_goes(
    asks_after_s: float, first_leaves_by_s: float
) -> None:
    """Three requests starting on a host whose trial probes four at once. A page asked again,
    asking once the first of them has started (or all three), waits for one of them to end
    and leaves among three at most; a page not asked yet, asking 10 ms after it, goes first,
    as the probe (with all three under way, as it asks: the held page took no place at the
    spacing ahead of it). Queued behind the held page, it had waited for an answer."""
    from enricher.net.host_gate import HostGate

    pace, start = probing()
    time = VirtualTime(start)
    gate = HostGate(pace, time.sleep, lambda: time.now)
    under_way = 0
    started: dict[str, tuple[int, float]] = {}

    async def ask(name: str, retry: int, hold_s: float) -> None:
        nonlocal under_way
        async with gate.slot(retry=retry, page=f"/p/{name}") as ticket:
            under_way += 1
            started[name] = (under_way, (time.now - start).total_seconds())
            await time.sleep(hold_s)
            under_way -= 1
            gate.answered(ticket, 200, None)

    async def go() -> None:
        held = [asyncio.create_task(ask(f"held/{n}", 0, 1.0)) for n in range(3)]
        await time.sleep(asks_after_s)
        again = asyncio.create_task(ask("again", 1, 0.1))
        await time.sleep(0.01)
        first = asyncio.create_task(ask("first", 0, 0.1))
        await asyncio.gather(*held, again, first)

    asyncio.run(time.run(go()))
    assert started["first"][0] == 4
    assert started["first"][1] <= first_leaves_by_s + 1e-9
    assert started["again"][0] <= 3
    assert started["again"][1] >= 1.0


def test_pages_asked_again_together_do_not_hold_back_a_page_not_asked_yet() -> None:
    """A spaced host (200 ms apart) that refused only at three at once and more: four pages
    asked again together, one request under way. Each handed a slot took a place at the
    spacing, one went, and the others gave theirs back at their turns, each a gap where
    nothing started: a page not asked yet, asking 10 ms after them, left 1.0 s in, not at
    the next place (0.4 s)."""
    from enricher.net.host_gate import HostGate
    from enricher.net.rate_pace import RatePace

    pace, now = HostPace(6), NOW
    sent = {load: pace.started(now, load) for load in range(1, 7)}
    for load in range(3, 7):
        pace.answered(503, None, now + ms(1), 6, sent[load])
    for load in (1, 2):
        pace.answered(200, None, now + ms(250), 2, sent[load])
    while pace.limit < 6:  # served one at a time since, its limit back up
        now += ms(100)
        pace.answered(200, None, now + ms(50), 1, pace.started(now, 1))
    pace.rate = RatePace.held_at(0.2)
    assert pace.retry_ceiling == 2
    time = VirtualTime(now + ms(300))
    gate = HostGate(pace, time.sleep, lambda: time.now)
    started: dict[str, float] = {}

    async def ask(name: str, retry: int, hold_s: float) -> None:
        async with gate.slot(retry=retry, page=f"/p/{name}"):
            started[name] = (time.now - now).total_seconds()
            await time.sleep(hold_s)

    async def go() -> None:
        under_way = asyncio.create_task(ask("under-way", 0, 3.0))
        await time.sleep(0.001)
        again = [asyncio.create_task(ask(f"again/{n}", 1, 1.0)) for n in range(4)]
        await time.sleep(0.01)
        await asyncio.gather(under_way, *again, ask("first", 0, 0.05))

    asyncio.run(time.run(go()))
    assert started["first"] == pytest.approx(0.3 + 0.4)


# The trial alone (``LoadTrial``): what it tells the pace, from starts and answers.


def trial_served_through(gap_ms: float = 100) -> LoadTrial:
    """A trial of three at once (a load of four refused) whose requests started ``gap_ms``
    apart and were served ``TRIAL_SERVED`` times: its probe's spacing has begun."""
    trial = LoadTrial(4, 6, RatePace(), 6, after_ticket=10)
    for n in range(TRIAL_SERVED):
        trial.started(11 + n, NOW + ms(gap_ms * n), 3, retry=False)
    moves: list[TrialMove] = []
    for n in range(TRIAL_SERVED):
        moves = trial.answered(11 + n, 200, 3, False, 3, refused=False, bare=False)
    assert moves == [TrialMove.SPACE_FOR_PROBE, TrialMove.REARM]
    return trial


def test_a_trial_served_spaces_the_host_to_just_reach_the_load_refused() -> None:
    trial = trial_served_through(gap_ms=100)
    assert trial.probing
    assert trial.pace_s == pytest.approx(0.1)
    assert trial.probe_spacing_s == pytest.approx(0.075)  # three in the time of four


def test_a_trials_pace_counts_an_idle_gap_at_most_four_times_the_median() -> None:
    trial = LoadTrial(4, 6, RatePace(), 6, after_ticket=0)
    starts = [0, 100, 200, 300, 30_300]  # links arriving 30 s after the others
    for n, at in enumerate(starts):
        trial.started(n + 1, NOW + ms(at), 3, retry=False)
    assert trial.pace() == pytest.approx((0.1 * 3 + 0.4) / 4)


def test_the_first_ask_at_the_load_refused_is_the_probe_and_no_other_goes_there() -> None:
    trial = trial_served_through()
    assert trial.started(30, NOW, 4, retry=True) is None  # a page asked again is no probe
    assert trial.started(31, NOW, 4, retry=False) is TrialMove.HOLD_UNDER
    assert trial.probe == 31
    assert trial.started(32, NOW, 4, retry=False) is None


def probe_answer(trial: LoadTrial, status: int, load: int = 4) -> list[TrialMove]:
    ticket = 100 + trial.probes + trial.served_probes
    trial.started(ticket, NOW, load, retry=False)
    trial.probe = ticket  # left at ``load``, whatever load it started at
    refused = status in (429, 503)
    return trial.answered(ticket, status, load, False, 3, refused=refused, bare=refused)


def test_a_probe_refused_at_the_load_ends_the_trial_held() -> None:
    assert probe_answer(trial_served_through(), 503) == [TrialMove.END_HELD]


def test_probes_served_at_the_load_end_the_trial_served() -> None:
    trial = trial_served_through()
    assert probe_answer(trial, 200) == [TrialMove.REARM]
    assert probe_answer(trial, 200) == [TrialMove.END_SERVED]


def test_probes_that_left_at_a_lower_load_tell_nothing_and_end_it_held() -> None:
    trial = trial_served_through()
    moves = [probe_answer(trial, 200, load=3) for _ in range(TRIAL_PROBES)]
    assert moves == [[TrialMove.REARM]] * (TRIAL_PROBES - 1) + [[TrialMove.END_HELD]]


def test_a_lower_ceiling_learnt_meanwhile_ends_the_trial_at_its_next_probe() -> None:
    trial = trial_served_through()
    trial.started(40, NOW, 4, retry=False)
    moves = trial.answered(40, 200, 3, False, ceiling=2, refused=False, bare=False)
    assert moves == [TrialMove.END_HELD]


def test_first_asks_refused_within_the_ceiling_tried_end_it() -> None:
    trial = LoadTrial(4, 6, RatePace(), 6, after_ticket=0)
    for ticket in range(1, TRIAL_REFUSALS + 1):
        trial.started(ticket, NOW + ms(ticket), 2, retry=False)
        moves = trial.answered(ticket, 503, 2, False, 3, refused=True, bare=True)
    assert moves == [TrialMove.END_REFUSED_WITHIN]
    retried = LoadTrial(4, 6, RatePace(), 6, after_ticket=0)
    for ticket in range(1, TRIAL_REFUSALS + 1):  # a dead page's retries refuse as it did
        assert retried.answered(ticket, 503, 2, True, 3, refused=True, bare=True) == []


def test_a_probe_timing_out_is_sent_again_then_the_trial_ends_held() -> None:
    trial = trial_served_through()
    moves = []
    for ticket in range(50, 50 + TRIAL_PROBES):
        trial.started(ticket, NOW, 4, retry=False)
        moves.append(trial.lost(ticket, ceiling=4))
    assert moves == [TrialMove.REARM] * (TRIAL_PROBES - 1) + [TrialMove.END_HELD]
    assert trial.lost(999, ceiling=4) is None  # not a probe


def test_a_probe_refused_at_a_lower_load_tests_nothing_but_counts_as_refused_within() -> None:
    trial = trial_served_through()
    assert probe_answer(trial, 503, load=3) == [TrialMove.REARM]
    assert probe_answer(trial, 503, load=3) == [TrialMove.REARM, TrialMove.END_REFUSED_WITHIN]
