"""Per-host scheduling: the adaptive limit (pure) and the gate that enforces it.

No test waits on the real clock: the checker's sleep is injected and advances a fake clock.
``CappedHost`` models a host's capacity (its answer depends on how many requests overlap, and
it notes when each arrived), so it is the transport's handler itself; where answers depend only
on the URL, respx routes play the host.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import httpx
import pytest
import respx

from enricher.config import Settings
from enricher.models import FailureKind, FetchFailure, HttpFacts
from enricher.net.checker import WebChecker
from enricher.net.context import Clocks, NetContext, RequestCounter
from enricher.net.host_pace import OPENING_GRACE_S, OPENING_MAX_S, HostPace
from enricher.net.rate_pace import ENGAGE_S, RatePace
from tests.test_rate_pace import LATENCY, LeakyBucket

NOW = datetime(2026, 11, 22, 9, 0, 0, tzinfo=timezone.utc)


# --- HostPace: the policy -------------------------------------------------------------------


def test_a_host_is_opened_with_two_then_takes_its_ceiling_once_an_answer_is_served() -> None:
    """A host is never probed above --per-host; it is opened with two requests at once (a
    limiter with no burst to spare refuses all but one of those sent together), and takes
    its ceiling a moment after its first answer served, none refused with it."""
    assert HostPace(1).limit == 1
    pace = HostPace(6)
    assert pace.limit == 2
    first, _ = pace.started(NOW), pace.started(NOW)
    served_at = NOW + timedelta(milliseconds=100)
    pace.answered(200, None, served_at, in_flight=2, ticket=first)
    assert not pace.open_up(served_at + timedelta(seconds=OPENING_GRACE_S / 2))
    assert pace.limit == 2
    assert pace.open_up(served_at + timedelta(seconds=OPENING_GRACE_S))
    assert pace.limit == 6


def test_a_refusal_in_a_hosts_opening_keeps_it_from_its_ceiling() -> None:
    """The other of the two refused (no wait named) right behind the one served: the host is
    not widened to six, whose five more would meet the same limiter; its limit dips to one."""
    pace = HostPace(6)
    first, second = pace.started(NOW), pace.started(NOW)
    pace.answered(200, None, NOW + LATENCY, in_flight=2, ticket=first)
    pace.answered(503, None, NOW + 2 * LATENCY, in_flight=1, ticket=second)
    assert not pace.open_up(NOW + timedelta(seconds=OPENING_MAX_S))
    assert pace.limit == 1


def test_the_opening_refused_right_behind_its_first_answer_served_spaces_the_host() -> None:
    """The two of the opening sent together, the first served, then the second refused with
    no wait named: what a rate limiter with no burst does (nginx's ``limit_req``). The host
    is spaced at once, so the next request does not go straight into a second refusal."""
    pace = HostPace(6)
    first, second = pace.started(NOW), pace.started(NOW)
    pace.answered(200, None, NOW + LATENCY, in_flight=2, ticket=first)
    pace.answered(503, None, NOW + 2 * LATENCY, in_flight=1, ticket=second)
    assert pace.rate.paced and pace.limit == 1


def test_a_burst_spent_while_the_host_is_held_to_two_leaves_it_unspaced() -> None:
    """A bucket's burst spent within the opening's grace (pages answered in a millisecond,
    two at a time): a refusal right behind an answer served, but not of the opening's own
    two, is the 2-in-20 rule's. Read as the opening's, it was refused in clusters on nginx's
    20 r/s host."""
    pace = HostPace(6)
    now = NOW
    for pair in range(6):
        first, second = pace.started(now), pace.started(now)
        pace.answered(200, None, now + LATENCY, in_flight=2, ticket=first)
        status = 429 if pair == 5 else 200  # the burst runs out at the twelfth
        pace.answered(status, None, now + 2 * LATENCY, in_flight=1, ticket=second)
        now += 2 * LATENCY
    assert not pace.rate.paced


@pytest.mark.parametrize(
    ("refused", "refusal_first"),
    [(1, True), (0, False)],
    ids=["refused while the first still ran", "the first sent refused"],
)
def test_an_opening_refusal_unlike_a_no_burst_limiters_leaves_the_host_unspaced(
    refused: int, refusal_first: bool
) -> None:
    """A refusal that came back while the other of the opening was still running (a cap on
    load refuses just that), or of the first of the two sent (a limiter lets that one
    through): one refusal, which may be the page's own, moves no spacing."""
    pace = HostPace(6)
    tickets = [pace.started(NOW), pace.started(NOW)]
    answers = [(503, tickets[refused]), (200, tickets[1 - refused])]
    for step, (status, ticket) in enumerate(answers if refusal_first else answers[::-1]):
        pace.answered(status, None, NOW + (step + 1) * LATENCY, in_flight=2 - step, ticket=ticket)
    assert not pace.rate.paced


def test_a_pages_own_refusal_in_a_hosts_opening_disproved_gives_it_its_ceiling() -> None:
    """A page's own 429 (a wait named) in the opening, then a request sent after it served:
    the refusal was the page's, and the host goes to its ceiling, not back to two."""
    pace = HostPace(6)
    refused = pace.started(NOW)
    pace.answered(429, 5.0, NOW + LATENCY, in_flight=1, ticket=refused)
    later = pace.started(NOW + LATENCY)
    pace.answered(200, None, NOW + 2 * LATENCY, in_flight=1, ticket=later)
    assert pace.limit == 6 and pace.pause_left_s(NOW + 2 * LATENCY) == 0.0


def test_a_host_silent_through_its_opening_takes_its_ceiling() -> None:
    """No answer within OPENING_MAX_S of the first start, or a request of the opening over
    unanswered (a timeout): slow or silent first pages do not hold the host's other links
    to two at once."""
    pace = HostPace(6)
    pace.started(NOW)
    assert not pace.open_up(NOW + timedelta(seconds=OPENING_MAX_S / 2))
    assert pace.open_up(NOW + timedelta(seconds=OPENING_MAX_S))
    assert pace.limit == 6
    timed_out = HostPace(6)
    timed_out.forget(timed_out.started(NOW))
    assert timed_out.limit == 6


def test_a_clock_stepped_back_holds_no_host_to_its_opening() -> None:
    """The wall clock steps back an hour while a host's first requests hang: the opening,
    timed on that clock, is over at once, not an hour later."""
    pace = HostPace(6)
    pace.started(NOW)
    assert pace.open_up(NOW - timedelta(hours=1))
    assert pace.limit == 6


def test_pushback_halves_the_limit_and_pauses_for_retry_after() -> None:
    """429 with Retry-After: 5 halves the limit and pauses the whole host for 5 s."""
    pace = HostPace(6, opening=False)
    pace.answered(429, 5.0, NOW, in_flight=6)
    assert pace.limit == 3
    assert pace.pause_left_s(NOW) == 5.0
    assert pace.pause_left_s(NOW + timedelta(seconds=5)) == 0.0


def test_503s_without_retry_after_space_the_host() -> None:
    """Bare 503s from two pages: limit halved, and the host's requests start a spacing apart
    (a rate limiter's refusals; spacing, not a pause, meets them). One page's alone moves
    no spacing: a page may fail on its own."""
    pace = HostPace(4, opening=False)
    first, second = pace.started(NOW), pace.started(NOW)
    pace.answered(503, None, NOW, in_flight=2, ticket=first)
    assert pace.limit == 2 and not pace.rate.paced
    pace.answered(503, None, NOW, in_flight=2, ticket=second)
    assert pace.rate.paced and pace.pause_left_s(NOW) == 0.0
    start = pace.rate.start(NOW)
    assert NOW < start < NOW + timedelta(seconds=ENGAGE_S)
    assert pace.rate.start(NOW) - start == timedelta(seconds=pace.rate.interval_s)


def test_the_first_request_held_at_the_wire_as_a_spacing_begins_waits_it() -> None:
    """Six sent unspaced (none timed at the wire), two refused with no wait named: the host
    is spaced. The next request reaching the wire waits the spacing after the latest start,
    not none (it had left at once, close behind the refusals)."""
    pace = HostPace(6)
    tickets = [pace.started(NOW + timedelta(milliseconds=i), load=i + 1) for i in range(6)]
    pace.answered(429, None, NOW + timedelta(milliseconds=20), in_flight=6, ticket=tickets[5])
    pace.answered(429, None, NOW + timedelta(milliseconds=21), in_flight=5, ticket=tickets[4])
    assert pace.rate.paced
    now = NOW + timedelta(milliseconds=22)
    assert pace.wire_due(now) == NOW + timedelta(milliseconds=5, seconds=pace.rate.interval_s)


def test_limit_never_drops_below_one() -> None:
    """However many refusals, one request at a time still goes."""
    pace = HostPace(6)
    for second in range(10):
        pace.answered(429, 1.0, NOW + timedelta(seconds=2 * second), in_flight=1)
    assert pace.limit == 1


def test_refusals_of_one_burst_lower_the_limit_once() -> None:
    """Six 503s for six requests sent together halve the limit once, not six times."""
    pace = HostPace(6, opening=False)
    tickets = [pace.started() for _ in range(6)]
    for ticket in tickets:
        pace.answered(503, 1.0, NOW, in_flight=6, ticket=ticket)
    assert pace.limit == 3


def test_a_refusal_of_a_request_sent_after_the_burst_lowers_the_limit_again() -> None:
    """A request sent after the first refusal and refused too is a new burst: halved again."""
    pace = HostPace(6)
    first = pace.started()
    pace.answered(503, 1.0, NOW, in_flight=1, ticket=first)
    later = pace.started()
    pace.answered(503, 1.0, NOW, in_flight=1, ticket=later)
    assert pace.limit == 1


def test_one_429_dips_the_limit_then_recovers_to_per_host() -> None:
    """A lone 429 (one page's limit) costs a dip, not a lower ceiling for the rest of the run."""
    pace = HostPace(6, opening=False)
    pace.answered(429, 1.0, NOW, in_flight=4)
    assert pace.limit == 3
    for _ in range(50):
        pace.answered(200, None, NOW)
    assert pace.limit == 6


def test_several_429s_in_one_burst_lower_the_ceiling_to_what_got_through() -> None:
    """Six in flight, four refused: the host takes two at a time, and never gets more again."""
    pace = HostPace(6, opening=False)
    tickets = [pace.started() for _ in range(6)]
    for ticket in tickets[2:]:
        pace.answered(429, 1.0, NOW, in_flight=6, ticket=ticket)
    assert pace.ceiling == 2
    later = NOW + timedelta(seconds=2)
    for _ in range(50):
        pace.answered(200, None, later)
    assert pace.limit == 2


def serve_at_load(pace: HostPace, load: int, answers: int = 10) -> None:
    """``answers`` requests sent ``load`` at once and served: a load the host serves well."""
    for _ in range(answers):
        ticket = pace.started(NOW, load=load)
        pace.answered(200, None, NOW, in_flight=load, ticket=ticket)


def test_a_cap_tightened_mid_run_lowers_the_ceiling_below_a_load_once_served() -> None:
    """Six at once served many times, then a cap of two (four of six refused, Retry-After:
    1): the ceiling comes down to two, though six was served well before. Kept at six, a
    simulated host whose cap tightened mid-run got 80 refusals and 25 pages lost of 400."""
    pace = HostPace(6, opening=False)
    serve_at_load(pace, 6)
    burst = [pace.started(NOW, load=6) for _ in range(6)]
    for ticket in burst[2:]:
        pace.answered(429, 1.0, NOW, in_flight=6, ticket=ticket)
    assert pace.ceiling == 2


def test_a_burst_of_429s_counts_what_its_wave_got_through() -> None:
    """Six sent at once; three served, then two refused (Retry-After: 1) as the others came
    back, one served, and one sent meanwhile refused alone in flight: four of the wave got
    through, so the ceiling is four. Counted from what was in flight as each refusal came
    (4, 3, 1), it had come down to one for the run, a slow page holding the host."""
    pace = HostPace(6, opening=False)
    wave = [pace.started(NOW, load=load) for load in range(1, 7)]
    for ticket in wave[:3]:
        pace.answered(200, None, NOW, in_flight=6, ticket=ticket)
    sent_meanwhile = pace.started(NOW, load=4)
    pace.answered(429, 1.0, NOW, in_flight=4, ticket=wave[3])
    pace.answered(429, 1.0, NOW, in_flight=3, ticket=wave[4])
    assert pace.ceiling == 3  # what had got through so far
    pace.answered(200, None, NOW, in_flight=2, ticket=wave[5])
    assert pace.ceiling == 4
    pace.answered(429, 1.0, NOW, in_flight=1, ticket=sent_meanwhile)
    assert pace.ceiling == 4


def test_a_waves_answers_never_raise_the_ceiling_above_what_its_loads_taught() -> None:
    """Four at once refused once before among six answers there; then a wave of four: two
    served, two pages refused (Retry-After: 1), and the load count sets the ceiling at three.
    The wave's last answers served raise a ceiling its 429s lowered, but not back above three
    (they had put it at four, a load the host is known to refuse often)."""
    pace = HostPace(6)
    for load in (1, 2, 3):
        serve_at_load(pace, load, answers=3)
    pace.answered(429, 1.0, NOW, in_flight=4, ticket=pace.started(NOW, load=4))
    serve_at_load(pace, 4, answers=6)
    serve_at_load(pace, 1, answers=3)
    first, second, third, fourth = (pace.started(NOW, load=load) for load in (1, 2, 3, 4))
    pace.answered(200, None, NOW, in_flight=4, ticket=first)
    fifth = pace.started(NOW, load=4)
    pace.answered(200, None, NOW, in_flight=4, ticket=second)
    sixth = pace.started(NOW, load=4)
    pace.answered(429, 1.0, NOW, in_flight=4, ticket=fourth)
    pace.answered(429, 1.0, NOW, in_flight=3, ticket=fifth)
    assert pace.ceiling == 2
    pace.answered(200, None, NOW, in_flight=2, ticket=third)
    pace.answered(200, None, NOW, in_flight=1, ticket=sixth)
    assert pace.ceiling == 3


def answer_at_load(pace: HostPace, load: int, status: int) -> None:
    """One request sent ``load`` at once, answered ``status`` (a refusal names a 1 s wait)."""
    ticket = pace.started(NOW, load=load)
    retry_after = 1.0 if status == 429 else None
    pace.answered(status, retry_after, NOW, in_flight=load, ticket=ticket)


def test_a_refusal_at_a_low_load_does_not_take_the_ceiling_below_the_loads_refused() -> None:
    """Refusals (Retry-After: 1) at six at once, where the host runs most of the time, and
    none below: the ceiling comes down to five. Then a page refuses at two at once: counted
    from two and above, the refusals had set the host to one at a time for the run (a hang
    then held its one slot). The ceiling comes down no lower than the highest load refused
    often, which the refusals it lets come can teach lower."""
    pace = HostPace(6)
    for load in (1, 2, 3, 4):
        serve_at_load(pace, load, answers=2)
    for status in (200, 429) * 4:
        answer_at_load(pace, 6, status)
    assert pace.ceiling == 5
    answer_at_load(pace, 2, 429)
    assert pace.ceiling == 5


def test_pages_refused_as_often_at_every_load_leave_the_ceiling() -> None:
    """One answer in four refused (Retry-After: 1) at every load from one to six: pages'
    own, since a limit on load refuses only over it. Counted over each load and above
    alone, a quarter refused had set the ceiling to one."""
    pace = HostPace(6)
    for _ in range(2):
        for load in range(1, 7):
            for status in (200, 200, 200, 429):
                answer_at_load(pace, load, status)
    assert pace.ceiling == 6


def test_refusals_below_not_yet_counted_at_their_load_still_count_below() -> None:
    """Four pages refused at two at once, right behind the request before them (no lower
    load served at a gap that short, so not counted at their load yet), then refusals at six
    at once: six is not refused more often than the loads below it, and the ceiling stays."""
    pace = HostPace(6)
    now = NOW
    for load in (1, 2, 3, 4, 1, 2, 3, 4):
        now += timedelta(seconds=1)
        pace.answered(200, None, now, in_flight=load, ticket=pace.started(now, load=load))
    for _ in range(4):
        pace.answered(429, 1.0, now, in_flight=2, ticket=pace.started(now, load=2))
    for status in (*(200, 429) * 4, 429):
        now += timedelta(seconds=1)
        ticket = pace.started(now, load=6)
        pace.answered(status, 1.0 if status == 429 else None, now, in_flight=6, ticket=ticket)
    assert pace.ceiling == 6


def test_refusals_only_over_four_at_once_set_the_ceiling_to_four() -> None:
    """A cap of four connections: loads one to four served, five and six refused more often
    than not. The ceiling comes down to four (and no lower)."""
    pace = HostPace(6)
    for load in (1, 2, 3, 4):
        serve_at_load(pace, load, answers=4)
    for status in (429, 200, 429, 429, 200, 429):
        answer_at_load(pace, 5, status)
        answer_at_load(pace, 6, status)
    assert pace.ceiling == 4


def test_bare_429s_at_once_space_the_host_and_leave_its_ceiling() -> None:
    """A rate limiter's burst spent (nginx's limit_req, 429 naming no wait): of six sent at
    once, four refused. Fewer at once would not be served any faster, so the host is spaced,
    and its ceiling stays (read as load, they had held a 20/s host to one at a time)."""
    pace = HostPace(6)
    tickets = [pace.started(NOW + timedelta(milliseconds=5 * i), load=6) for i in range(6)]
    answered = NOW + timedelta(milliseconds=40)
    for ticket in tickets[:2]:
        pace.answered(200, None, answered, in_flight=6, ticket=ticket)
    for ticket in tickets[2:]:
        pace.answered(429, None, answered, in_flight=6, ticket=ticket)
    assert pace.ceiling == 6
    assert pace.rate.paced


def test_lone_429s_of_separate_bursts_never_lower_the_ceiling() -> None:
    """Pages that each answer 429 once (a per-page quota) cost dips and pauses, nothing more."""
    pace = HostPace(6)
    for second in range(0, 50, 5):
        burst = [pace.started() for _ in range(pace.limit)]
        pace.answered(429, 1.0, NOW + timedelta(seconds=second), len(burst), burst[0])
        for ticket in burst[1:] + [pace.started() for _ in range(20)]:
            pace.answered(200, None, NOW + timedelta(seconds=second + 2), ticket=ticket)
    assert pace.ceiling == 6 and pace.limit == 6


def test_503_leaves_the_ceiling_alone() -> None:
    """A 503 may be a passing failure: the limit dips, then recovers to --per-host."""
    pace = HostPace(6)
    pace.answered(503, 1.0, NOW, in_flight=6)
    for _ in range(50):
        pace.answered(200, None, NOW)
    assert pace.limit == 6


def test_long_retry_after_is_not_a_host_pause() -> None:
    """An hour's Retry-After is reported as it is, not waited for by the whole run."""
    pace = HostPace(6)
    pace.answered(429, 3600.0, NOW)
    assert pace.pause_left_s(NOW) == 0.0 and pace.pauses == 0


def test_limit_recovers_additively_to_the_ceiling() -> None:
    """After a pushback, each window of good answers raises the limit by one, up to --per-host."""
    pace = HostPace(6, opening=False)
    pace.answered(503, 1.0, NOW)  # 6 -> 3
    seen = []
    for _ in range(30):
        pace.answered(200, None, NOW)
        seen.append(pace.limit)
    assert seen[2] == 4  # a window of 3 answers at limit 3
    assert seen[6] == 5  # then a window of 4
    assert max(seen) == 6 and seen[-1] == 6


def test_a_shorter_pause_does_not_cut_a_longer_one() -> None:
    """Two refusals: the host stays paused until the later of the two moments."""
    pace = HostPace(6)
    pace.answered(429, 10.0, NOW, in_flight=6)
    pace.answered(429, 2.0, NOW + timedelta(seconds=1), in_flight=6)
    assert pace.pause_left_s(NOW) == 10.0


def test_a_later_request_served_ends_the_pause() -> None:
    """One page refused (503, Retry-After: 5) while a request sent after it is answered 200:
    the refusal was that page's own, so the host is not held for 5 s, and its limit goes back
    to where it was."""
    pace = HostPace(6, opening=False)
    refused, later = pace.started(), pace.started()
    pace.answered(503, 5.0, NOW, in_flight=2, ticket=refused)
    assert pace.pause_left_s(NOW) == 5.0 and pace.limit == 3
    assert pace.answered(200, None, NOW, in_flight=1, ticket=later) is True
    assert pace.pause_left_s(NOW) == 0.0
    assert pace.limit == 6


def test_a_refusal_already_disproved_does_not_pause() -> None:
    """The later request's 200 arrived first: the refusal, coming after it, pauses nothing."""
    pace = HostPace(6)
    refused, later = pace.started(), pace.started()
    pace.answered(200, None, NOW, in_flight=2, ticket=later)
    pace.answered(429, 5.0, NOW, in_flight=1, ticket=refused)
    assert pace.pause_left_s(NOW) == 0.0


def test_answers_to_earlier_requests_do_not_end_the_pause() -> None:
    """A rate-limited host: requests sent before the refusal still come back 200, but nothing
    sent after it has been served, so the whole host stays paused."""
    pace = HostPace(6)
    tickets = [pace.started() for _ in range(4)]
    pace.answered(429, 5.0, NOW, in_flight=4, ticket=tickets[2])
    for earlier in tickets[:2]:
        assert pace.answered(200, None, NOW, in_flight=2, ticket=earlier) is False
    assert pace.pause_left_s(NOW) == 5.0
    pace.answered(429, 5.0, NOW, in_flight=1, ticket=tickets[3])
    assert pace.pause_left_s(NOW) == 5.0


# --- The gate in a WebChecker -----------------------------------------------------------------


@dataclass
class CappedHost:
    """A host that answers 429 (Retry-After: 1) when more than ``cap`` requests overlap."""

    cap: int
    scripted: dict[str, list[int]] = field(default_factory=dict)
    """Per path, statuses to answer first (e.g. ``[429]`` then the default 200)."""
    in_flight: int = 0
    peak: int = 0
    provoked: int = 0
    log: list[tuple[str, datetime]] = field(default_factory=list)
    clock: list[datetime] = field(default_factory=lambda: [NOW])

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append((request.url.path, self.clock[0]))
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            for _ in range(5):
                await asyncio.sleep(0)  # overlap with every other task
            if self.in_flight > self.cap:
                self.provoked += 1
                return httpx.Response(429, headers={"Retry-After": "1"})
            script = self.scripted.get(request.url.path)
            if script:
                status = script.pop(0)
                return httpx.Response(status, headers={"Retry-After": "5"})
            return httpx.Response(200)
        finally:
            self.in_flight -= 1


def run_checks(
    host: CappedHost,
    urls: list[str],
    per_host: int,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> tuple[list[object], list[float]]:
    """Check ``urls`` against ``host``; the injected sleep advances the host's clock."""
    slept: list[float] = []

    async def advance(seconds: float) -> None:
        slept.append(seconds)
        host.clock[0] += timedelta(seconds=seconds)

    async def go() -> list[object]:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(host),
            event_hooks={"request": [RequestCounter().hook("web")]},
        ) as client:
            settings = Settings(per_host=per_host, retry_budget_s=60, allow_private=True)
            clocks = Clocks(lambda: host.clock[0], sleep or advance)
            checker = WebChecker(client, NetContext(settings, clocks))
            return list(await asyncio.gather(*(checker.check(u) for u in urls)))

    return asyncio.run(go()), slept


CHALLENGE = (
    b"<html><head><title>Just a moment...</title></head>"
    b"<body><script>window._cf_chl_opt={cType: 'managed'};</script></body></html>"
)


NGINX_503 = (
    b"<html><head><title>503 Service Temporarily Unavailable</title></head><body>"
    b"<center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center>"
    b"</body></html>"
)


@dataclass
class ChallengingHost(CappedHost):
    """Every other page refused with a bare 503 at any pace: Cloudflare's challenge (naming
    itself, ``cf-mitigated: challenge``), or with ``wall`` False nginx's plain error page;
    the rest served."""

    wall: bool = True
    status: int = 503
    page: bytes = CHALLENGE
    vendor_headers: dict[str, str] = field(
        default_factory=lambda: {"cf-mitigated": "challenge", "server": "cloudflare"}
    )

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append((request.url.path, self.clock[0]))
        if int(request.url.path.rsplit("/", 1)[1]) % 2:
            return httpx.Response(200)
        headers = {"content-type": "text/html"}
        if not self.wall:
            return httpx.Response(503, headers=headers, content=NGINX_503)
        headers |= self.vendor_headers
        return httpx.Response(self.status, headers=headers, content=self.page)


def test_a_bot_walls_challenge_neither_spaces_nor_pauses_its_host() -> None:
    """Half of a host's pages answer Cloudflare's challenge, a 503 naming no wait: a wall,
    refusing whoever asks at any pace, not a rate limit. Read as refusals, they spaced the
    host up to 10 s apart (40 links on a local server: 187 s); every page is asked once and
    at once, and the challenges are walls, not retried."""
    host = ChallengingHost(cap=10)
    urls = [f"https://walled.example.test/p/{i}" for i in range(40)]

    outcomes, slept = run_checks(host, urls, per_host=6)

    assert len(host.log) == 40
    assert all(when == NOW for _, when in host.log), slept
    statuses = [o.status_code for o in outcomes if isinstance(o, HttpFacts)]
    assert statuses == [503, 200] * 20


def test_a_vendors_own_rate_limit_still_spaces_its_host() -> None:
    """Cloudflare's rate limiting (error 1015: a bare 429, "Access denied", behind its server
    header but naming no challenge) is a limit like any other: the host is spaced. Read as
    a wall by its thin page, the pace had let 38 of 40 requests be refused. (Its page is
    reported as the vendor's wall, and not asked again.)"""
    page = b"<html><head><title>Access denied | example used Cloudflare</title></head></html>"
    host = ChallengingHost(cap=10, status=429, page=page, vendor_headers={"server": "cloudflare"})
    urls = [f"https://limited.example.test/p/{i}" for i in range(40)]

    run_checks(host, urls, per_host=6)

    assert host.log[-1][1] - NOW > timedelta(seconds=5)


def test_bare_503_error_pages_that_name_no_wall_still_space_their_host() -> None:
    """The same host answering nginx's own 503 page (its ``limit_req``'s): a refusal, so the
    host's requests are spaced and the refused pages asked again."""
    host = ChallengingHost(cap=10, wall=False)
    urls = [f"https://limited.example.test/p/{i}" for i in range(40)]

    run_checks(host, urls, per_host=6)

    assert len(host.log) > 40
    assert host.log[-1][1] - NOW > timedelta(seconds=5)


def test_a_host_refusing_every_request_even_seconds_apart_is_given_up() -> None:
    """Eight bare refusals in a row, nothing served, the last two sent 5 s or more after
    the request before them, going on for a minute and four more after it: the host
    refuses all (down for maintenance, or refusing us). Before that it is not (a limiter
    counting requests over a minute refuses every page until its window ends); nor once
    an answer is served, nor with the last two sent close together."""
    pace = HostPace(6)
    sent = NOW

    def refused_after(*gaps: float) -> None:
        nonlocal sent
        for gap in gaps:
            sent += timedelta(seconds=gap)
            pace.answered(503, None, sent, ticket=pace.started(sent))

    refused_after(*[0.0] * 6, 5.0)
    assert not pace.refuses_all  # 7 in a row, one of them slow
    refused_after(5.0)
    assert not pace.refuses_all  # 8 in a row, the last two slow, over 10 s
    refused_after(49.0, 5.0, 5.0, 5.0)
    assert not pace.refuses_all  # 74 s, three refused after the minute
    refused_after(5.0)
    assert pace.refuses_all
    sent += timedelta(seconds=1)
    pace.answered(200, None, sent, ticket=pace.started(sent))
    assert not pace.refuses_all
    refused_after(*[0.0] * 6, 60.0, 2.0, 2.0, 2.0, 2.0)  # slower than one every 2 s
    assert not pace.refuses_all


def test_retries_alone_refused_even_seconds_apart_do_not_give_a_host_up() -> None:
    """A host serving well, then eight pages refused again when asked a second time, seconds
    apart (dead pages whose retries had spaced the host and held its other pages back):
    those may all be the pages' own failures, and the host is not given up; its other pages
    were never asked. Eight first asks refused too, and it is."""
    pace = HostPace(6)
    sent = NOW
    for page in range(20):
        sent += timedelta(seconds=0.1)
        pace.answered(200, None, sent, ticket=pace.started(sent, page=f"/p/{page}"))
    for dead in range(8):
        sent += timedelta(seconds=6)
        retry = pace.started(sent, retry=1, page=f"/dead/{dead}")
        pace.answered(503, None, sent, ticket=retry)
    assert not pace.refuses_all
    for page in range(20, 27):
        sent += timedelta(seconds=6)
        pace.answered(503, None, sent, ticket=pace.started(sent, page=f"/p/{page}"))
    assert not pace.refuses_all  # seven first asks
    sent += timedelta(seconds=6)
    pace.answered(503, None, sent, ticket=pace.started(sent, page="/p/27"))
    assert pace.refuses_all


def test_a_few_dead_pages_refused_twice_each_in_a_row_do_not_give_a_host_up() -> None:
    """A host serving well, then four pages refused at their first ask and at their second,
    10 s apart, nothing served between (dead pages close together in its queue): eight
    refusals in a row over 70 s, but four first asks, and those four may all fail on their
    own; the host is not given up (it had been, and 23 live pages of 80 behind a 1/s
    limiter were never asked). Four more pages refused at their first ask, and it is."""
    pace = HostPace(6)
    sent = NOW
    for page in range(20):
        sent += timedelta(seconds=0.1)
        pace.answered(200, None, sent, ticket=pace.started(sent, page=f"/p/{page}"))
    for asked_before in (0, 1):
        for dead in range(4):
            sent += timedelta(seconds=10)
            ticket = pace.started(sent, retry=asked_before, page=f"/dead/{dead}")
            pace.answered(503, None, sent, ticket=ticket)
    assert not pace.refuses_all
    for page in range(20, 24):
        sent += timedelta(seconds=10)
        pace.answered(503, None, sent, ticket=pace.started(sent, page=f"/p/{page}"))
    assert pace.refuses_all


def refused_in_a_row_after(history: list[int], first_asks: int) -> HostPace:
    """A host that answered ``history`` (statuses of pages' first asks, 1 s apart), then
    ``first_asks`` pages refused at their first ask, 10 s apart, nothing served between."""
    pace = HostPace(6)
    sent = NOW
    for page, status in enumerate(history):
        sent += timedelta(seconds=1)
        pace.answered(status, None, sent, ticket=pace.started(sent, page=f"/p/{page}"))
    for page in range(first_asks):
        sent += timedelta(seconds=10)
        pace.answered(503, None, sent, ticket=pace.started(sent, page=f"/q/{page}"))
    return pace


def test_a_host_with_many_dead_pages_needs_a_longer_run_of_refusals_to_be_given_up() -> None:
    """Of a host's first 20 pages, 12 refused at their first ask (dead) and 8 served: eight
    of its pages refused in a row, over a minute and more, is what such pages give now and
    then by themselves (0.6 to the 8th: 1.7%), and given up so, the host's live pages further
    on were never asked. It takes 14 (0.6 to the 14th under 0.1%). A host whose first 20
    pages were served is given up as soon as the minute and the four refusals after it are
    over, at the tenth, as ever."""
    mostly_dead = [503, 200, 503, 503, 200] * 4
    assert not refused_in_a_row_after(mostly_dead, 13).refuses_all
    assert refused_in_a_row_after(mostly_dead, 14).refuses_all
    assert not refused_in_a_row_after([200] * 20, 9).refuses_all
    assert refused_in_a_row_after([200] * 20, 10).refuses_all


def test_a_minute_of_refusals_is_not_ended_by_a_few_requests() -> None:
    """Eight pages refused at their first ask within seconds, then retries refused 67-87 s
    after the first refusal (pages failing on their own, dead or failing once, the first
    requests as a window counted over a minute opens again): three such may all be the
    pages' own, and the host is not given up (given up at the first, a host behind 18
    requests a minute lost 106 live pages of 120; at the third, one behind 25 a minute lost
    10). A fourth refused after the minute, and it is (a host down for maintenance goes on
    refusing the retries of pages refused at the opening: not only once a page not yet
    asked comes, behind them, 197-303 s in)."""
    pace = HostPace(6)
    sent = NOW

    def refused_after(gap_s: float, page: int, asked_before: int = 0) -> None:
        nonlocal sent
        sent += timedelta(seconds=gap_s)
        ticket = pace.started(sent, retry=asked_before, page=f"/p/{page}")
        pace.answered(503, None, sent, ticket=ticket)

    for page, gap_s in enumerate([0.0] * 6 + [1.0, 1.0]):
        refused_after(gap_s, page)
    refused_after(65.0, 0, asked_before=2)
    assert not pace.refuses_all  # 67 s, one refused after the minute
    refused_after(10.0, 1, asked_before=1)
    refused_after(10.0, 2, asked_before=1)
    assert not pace.refuses_all  # three
    refused_after(10.0, 3, asked_before=1)
    assert pace.refuses_all


def test_a_link_whose_retry_is_not_sent_reports_its_own_answer() -> None:
    """A page refused (bare 503); while its retry waits, the host is found to refuse every
    request: the retry is not sent, and the link reports the 503 it got, not "not sent"."""
    host = DownHost(cap=10)
    checker: list[WebChecker] = []

    async def backoff(seconds: float) -> None:
        gate = checker[0].host_gate("down.example.test")
        for _ in range(8):  # other pages' refusals meanwhile, the last ones seconds apart
            host.clock[0] += timedelta(seconds=6)
            gate.pace.answered(503, None, host.clock[0], ticket=gate.pace.started(host.clock[0]))

    async def go() -> object:
        async with httpx.AsyncClient(transport=httpx.MockTransport(host)) as client:
            settings = Settings(per_host=6, retry_budget_s=60, allow_private=True)
            clocks = Clocks(lambda: host.clock[0], backoff)
            checker.append(WebChecker(client, NetContext(settings, clocks)))
            return await checker[0].check("https://down.example.test/p/0")

    outcome = asyncio.run(go())

    assert len(host.log) == 1
    assert isinstance(outcome, HttpFacts) and outcome.status_code == 503
    assert outcome.attempts == 1


@dataclass
class DownHost(CappedHost):
    """Every request answered a bare 503 (nginx's page), or, with a ``bucket``, whatever the
    bucket does not admit (a limiter slower than one request every few seconds)."""

    bucket: LeakyBucket | None = None

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append((request.url.path, self.clock[0]))
        if self.bucket is not None and self.bucket.admits(self.clock[0]):
            return httpx.Response(200)
        return httpx.Response(503, headers={"content-type": "text/html"}, content=NGINX_503)


def test_a_host_down_for_maintenance_is_given_up_not_spaced_ten_seconds_apart() -> None:
    """Every page answers a bare 503: spaced up to 10 s apart and asked three times each, 20
    links of such a host took 329 s (44 requests). Given up once it refuses even seconds
    apart for a minute and four requests more (eight pages of it), the links asked report
    their 503, the rest are not sent."""
    random.seed(0)  # the retries' jitter: 22-31 requests over 60 seeds, unseeded it flaked
    host = DownHost(cap=10)
    urls = [f"https://down.example.test/p/{i}" for i in range(20)]

    outcomes, _ = run_checks(host, urls, per_host=6)

    assert host.log[-1][1] - NOW < timedelta(seconds=120)  # 447 s without the rule
    assert len(host.log) < 30  # 60 without it
    asked = {path for path, _ in host.log}
    for url, outcome in zip(urls, outcomes, strict=True):
        if urlsplit(url).path in asked:
            assert isinstance(outcome, HttpFacts) and outcome.status_code == 503
        else:
            assert isinstance(outcome, FetchFailure) and outcome.kind is FailureKind.REFUSED
            assert "refused every request" in outcome.message


class DownBehindAProxy(DownHost):
    """A host down behind its proxy: a bare 503 to every request, a 502 to every third."""

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.log.append((request.url.path, self.clock[0]))
        if len(self.log) % 3 == 0:
            return httpx.Response(502, headers={"content-type": "text/html"}, content=b"<p>502")
        return httpx.Response(503, headers={"content-type": "text/html"}, content=NGINX_503)


def test_a_host_down_behind_a_proxy_answering_502s_too_is_given_up() -> None:
    """A server error serves no page: among a going-down host's 503s, its proxy's 502s do not
    end the run of refusals that gives it up. Taken for pages served, they kept it from ever
    being given up: 20 links, 395 s and 60 requests (all asked three times, up to 10 s
    apart)."""
    random.seed(1)  # the retries' jitter: 84-139 s over 60 seeds
    host = DownBehindAProxy(cap=10)
    urls = [f"https://down.example.test/p/{i}" for i in range(20)]

    run_checks(host, urls, per_host=6)

    assert host.log[-1][1] - NOW < timedelta(seconds=150)
    assert len(host.log) < 45


def test_broken_pages_between_a_shut_windows_refusals_do_not_give_a_host_up() -> None:
    """The other side: a limiter's window shut for a minute refuses every first ask, and the
    host's broken pages answer 500 between them. Counted through the server errors, those
    refusals do not give the host up: sent right behind a request each, none tells of a host
    refusing even when asked slowly."""
    pace = HostPace(6)
    sent = NOW
    for page in range(30):
        sent += timedelta(seconds=2.5)
        status = 503 if page % 2 == 0 else 500
        pace.answered(status, None, sent, ticket=pace.started(sent, page=f"/p/{page}"))
        assert not pace.refuses_all, page


def test_a_limiter_serving_one_request_every_eight_seconds_is_not_given_up() -> None:
    """A limiter admitting one request every 8 s, no burst: refused again and again, but
    one of two asked 5 s apart is served, and its host is never given up."""
    host = DownHost(cap=10, bucket=LeakyBucket(1 / 8, 0))
    urls = [f"https://slow.example.test/p/{i}" for i in range(8)]

    outcomes, _ = run_checks(host, urls, per_host=6)

    assert not [o for o in outcomes if isinstance(o, FetchFailure)]
    assert sum(isinstance(o, HttpFacts) and o.status_code == 200 for o in outcomes) >= 4


@pytest.mark.parametrize("per_host", [1, 2, 6])
def test_per_host_limit_is_never_exceeded(per_host: int) -> None:
    """Fifty pages of one host: at most --per-host in flight, so a cap of 6 is never provoked."""
    host = CappedHost(cap=6)
    urls = [f"https://busy.example.test/p/{i}" for i in range(50)]

    outcomes, _ = run_checks(host, urls, per_host)

    assert host.peak == per_host
    assert host.provoked == 0
    assert all(isinstance(o, HttpFacts) and o.status_code == 200 for o in outcomes)
    assert len(host.log) == 50  # one request per unique URL


def test_retry_after_pauses_the_whole_host() -> None:
    """One page answers 429 Retry-After: 5; pages of that host not yet sent wait the 5 s too."""
    host = CappedHost(cap=10, scripted={"/p/0": [429]})
    urls = [f"https://busy.example.test/p/{i}" for i in range(6)]

    outcomes, slept = run_checks(host, urls, per_host=1)

    assert all(isinstance(o, HttpFacts) and o.status_code == 200 for o in outcomes)
    sent_at = {path: when for path, when in host.log}
    first = host.log[0]
    assert first == ("/p/0", NOW)
    # Every other page was sent at least 5 s after the refusal, not right behind it.
    assert all(
        when >= NOW + timedelta(seconds=5) for path, when in sent_at.items() if path != "/p/0"
    )
    assert 5.0 in slept


def test_a_page_refused_alone_does_not_hold_its_host() -> None:
    """/p/0 answers 503 with Retry-After: 5 while pages sent after it are served: the refusal
    was that page's own, so the rest of the host goes on at once and only /p/0 waits its 5 s.
    (Waking requests already asleep in the pause: the HostGate test at the end.)"""
    host = CappedHost(cap=10, scripted={"/p/0": [503]})
    urls = [f"https://busy.example.test/p/{i}" for i in range(8)]

    async def patient_sleep(seconds: float) -> None:
        for _ in range(50):  # a pause that is ended early never gets to move the clock
            await asyncio.sleep(0)
        host.clock[0] += timedelta(seconds=seconds)

    outcomes, _ = run_checks(host, urls, per_host=4, sleep=patient_sleep)

    assert all(isinstance(o, HttpFacts) and o.status_code == 200 for o in outcomes)
    first_tries = {path: when for path, when in reversed(host.log)}
    assert all(first_tries[f"/p/{i}"] == NOW for i in range(1, 8))
    assert [when for path, when in host.log if path == "/p/0"] == [NOW, NOW + timedelta(seconds=5)]


def test_host_that_pushes_back_gets_fewer_requests_at_once() -> None:
    """A host whose real cap is 2 while --per-host is 6: after its 429s the limit comes down,
    and every page still ends ok through retries."""
    host = CappedHost(cap=2)
    urls = [f"https://small.example.test/p/{i}" for i in range(30)]

    outcomes, _ = run_checks(host, urls, per_host=6)

    assert all(isinstance(o, HttpFacts) and o.status_code == 200 for o in outcomes)
    assert 0 < host.provoked <= 6  # the first burst is refused, then the gate adapts


def after_a_loop_turn(
    response: httpx.Response,
) -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
    """A side effect answering ``response`` once the other tasks have had a turn: requests
    overlap, as they do on a network, instead of each finishing before the next starts."""

    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        return response

    return answer


def test_a_link_under_way_goes_before_first_requests() -> None:
    """With one slot, a redirect hop is sent before pages that have not started yet."""
    router = respx.Router(assert_all_called=False)
    redirect = httpx.Response(302, headers={"Location": "/a2"})
    router.get("https://one.example.test/a").mock(side_effect=after_a_loop_turn(redirect))
    router.get(host="one.example.test").mock(side_effect=after_a_loop_turn(httpx.Response(200)))

    async def go() -> None:
        async def sleep(_: float) -> None:
            return None

        async with httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler)) as client:
            settings = Settings(per_host=1, attempts=1, retry_budget_s=1, allow_private=True)
            checker = WebChecker(client, NetContext(settings, Clocks(lambda: NOW, sleep)))
            urls = [f"https://one.example.test/{p}" for p in ("a", "b", "c", "d")]
            await asyncio.gather(*(checker.check(u) for u in urls))

    asyncio.run(go())

    # One slot: a request is answered before the next is sent, so answers are in sending order.
    assert [call.request.url.path for call in router.calls] == ["/a", "/a2", "/b", "/c", "/d"]


def three_users_one_slot(cancel_as_slot_frees: bool) -> tuple[list[int], int, object]:
    """Users 1, 2, 3 of a one-slot host; 2 is cancelled while it waits, either before 1
    releases or in the very loop turn 1's slot comes free. Returns who got the slot, the
    count in flight at the end, and what user 2's task ended with."""
    from enricher.net.host_gate import HostGate

    async def go() -> tuple[list[int], int, object]:
        async def sleep(_: float) -> None:
            return None

        gate = HostGate(HostPace(1), sleep, lambda: NOW)
        order: list[int] = []
        hold = asyncio.Event()

        async def use(n: int) -> None:
            async with gate.slot():
                order.append(n)
                if n == 1:
                    await hold.wait()

        first = asyncio.create_task(use(1))
        for _ in range(3):
            await asyncio.sleep(0)
        doomed = asyncio.create_task(use(2))
        last = asyncio.create_task(use(3))
        for _ in range(3):
            await asyncio.sleep(0)
        if cancel_as_slot_frees:
            hold.set()
            asyncio.get_running_loop().call_soon(doomed.cancel)
        else:
            doomed.cancel()
            hold.set()
        results = await asyncio.gather(first, doomed, last, return_exceptions=True)
        return order, gate.in_flight, results[1]

    return asyncio.run(go())


def who_probes_the_load(served_well_at: int, retry_slowed_it: bool = False) -> list[str]:
    """A host of three slots, served well ``served_well_at`` at once (0: no load known),
    all three in flight; a page asked again and a first request wait. One request ends:
    who goes first. ``retry_slowed_it``: a retry's refusal slowed the host's spacing, and no
    first ask has tested it since."""
    from enricher.net.host_gate import HostGate

    async def go() -> list[str]:
        async def sleep(_: float) -> None:
            return None

        pace = HostPace(3)
        if served_well_at:
            serve_at_load(pace, served_well_at)
        if retry_slowed_it:
            pace.rate.refused(0.0, NOW)  # spaced
            pace._retry_moved = True
        gate = HostGate(pace, sleep, lambda: NOW)
        order: list[str] = []
        hold = [asyncio.Event() for _ in range(3)]

        async def under_way(n: int) -> None:
            async with gate.slot() as ticket:
                await hold[n].wait()
                gate.answered(ticket, 200, None)

        async def waiting(name: str, retry: int) -> None:
            async with gate.slot(follow_up=retry > 0, retry=retry, page=name) as ticket:
                order.append(name)
                gate.answered(ticket, 200, None)

        tasks = [asyncio.create_task(under_way(n)) for n in range(3)]
        for _ in range(3):
            await asyncio.sleep(0)
        tasks.append(asyncio.create_task(waiting("asked again", 1)))
        tasks.append(asyncio.create_task(waiting("first", 0)))
        for _ in range(3):
            await asyncio.sleep(0)
        hold[0].set()
        for _ in range(10):
            await asyncio.sleep(0)
        for event in hold[1:]:
            event.set()
        await asyncio.gather(*tasks)
        return order

    return asyncio.run(go())


def test_a_page_asked_again_is_not_the_one_to_probe_a_load_not_served_well() -> None:
    """Served well at two at once, the third slot probes the host's limit: it goes to a
    first request, not to a page already refused once (a connection limit of four on nginx
    refused such a page as the fifth at once, and it needed its last attempt). Within the
    load served well, or with none known, a page asked again goes first as ever."""
    assert who_probes_the_load(2) == ["first", "asked again"]
    assert who_probes_the_load(3) == ["asked again", "first"]
    assert who_probes_the_load(0) == ["asked again", "first"]


def test_a_spacing_a_retry_slowed_is_tested_by_a_page_not_asked_before() -> None:
    """Once a page asked again was refused and slowed the spacing, the next slot goes to a
    page not asked before: retries go first otherwise, and with several pages failing at
    every ask only their retries were sent for seconds, refused one after another (over 680
    draws of slow limiters with dead pages, 64 live pages lost against 39)."""
    assert who_probes_the_load(0, retry_slowed_it=True) == ["first", "asked again"]
    assert who_probes_the_load(0) == ["asked again", "first"]


def test_first_asks_waiting_for_the_runs_slot_count_as_pages_not_asked_yet() -> None:
    """A first ask holding the host's slot while it waits for the run's global slot (a busy
    run) is a page not asked yet, so a retry's refusal meanwhile waits for it to test the
    spacing; a retry so waiting is not one; started, neither waits any more."""
    from enricher.net.host_gate import HostGate

    async def go() -> list[bool]:
        async def sleep(_: float) -> None:
            return None

        gate = HostGate(HostPace(3), sleep, lambda: NOW)
        run_slot = asyncio.Semaphore(0)
        seen: list[bool] = []

        async def ask(retry: int) -> None:
            async with gate.slot(then=run_slot, retry=retry, page=f"/p/{retry}") as ticket:
                gate.answered(ticket, 200, None)

        asking_again = asyncio.create_task(ask(1))
        for _ in range(3):
            await asyncio.sleep(0)
        seen.append(gate.fresh_waiting)
        first = asyncio.create_task(ask(0))
        for _ in range(3):
            await asyncio.sleep(0)
        seen.append(gate.fresh_waiting)
        run_slot.release()
        run_slot.release()
        await asyncio.gather(asking_again, first)
        seen.append(gate.fresh_waiting)
        return seen

    assert asyncio.run(go()) == [False, True, False]


def test_a_cancelled_waiter_gives_its_place_back() -> None:
    """A stop while links wait for a host leaves the host usable: nothing is stuck."""
    order, in_flight, _ = three_users_one_slot(cancel_as_slot_frees=False)
    assert (order, in_flight) == ([1, 3], 0)


def test_a_waiter_cancelled_as_a_slot_comes_free_is_skipped() -> None:
    """A stop landing in the same loop turn as a release: the slot goes to the next waiter,
    and the count of requests in flight stays right."""
    order, in_flight, ended = three_users_one_slot(cancel_as_slot_frees=True)
    assert (order, in_flight) == ([1, 3], 0)
    assert isinstance(ended, asyncio.CancelledError)


def test_requests_waiting_out_a_pause_go_when_an_answer_ends_it() -> None:
    """A page is refused (Retry-After: 5) and the next request starts waiting out the pause;
    a request sent before it but after the refused one then comes back 200: the waiting one
    goes at once, not 5 s later."""
    from enricher.net.host_gate import HostGate

    async def go() -> tuple[list[float], bool, bool]:
        slept: list[float] = []

        async def sleep_until_cancelled(seconds: float) -> None:
            slept.append(seconds)
            await asyncio.get_running_loop().create_future()  # the clock never moves

        gate = HostGate(HostPace(4), sleep_until_cancelled, lambda: NOW)
        later_answered = asyncio.Event()
        entered = asyncio.Event()

        async def later_request() -> None:
            async with gate.slot() as ticket:
                await later_answered.wait()
                gate.answered(ticket, 200, None)

        async def next_request() -> None:
            async with gate.slot():
                entered.set()

        async with gate.slot() as refused:
            later = asyncio.create_task(later_request())
            await asyncio.sleep(0)
            gate.answered(refused, 503, 5.0)
        waiting = asyncio.create_task(next_request())
        for _ in range(5):
            await asyncio.sleep(0)
        held = not entered.is_set()
        later_answered.set()
        for _ in range(5):
            await asyncio.sleep(0)
        went = entered.is_set()
        waiting.cancel()
        await asyncio.gather(later, waiting, return_exceptions=True)
        return slept, held, went

    slept, held, went = asyncio.run(go())
    assert slept == [5.0] and held  # the pause was honoured while nothing disproved it
    assert went


def test_several_refusals_in_a_burst_make_the_pause_firm() -> None:
    """A later request was served first, then five pages are refused: more than one page
    refused is the host pushing back, so the host pauses and no answer ends it early."""
    pace = HostPace(6)
    tickets = [pace.started() for _ in range(6)]
    pace.answered(200, None, NOW, in_flight=6, ticket=tickets[5])
    for ticket in tickets[:5]:
        pace.answered(429, 5.0, NOW, in_flight=5, ticket=ticket)
    assert pace.pause_left_s(NOW) == 5.0
    assert pace.answered(200, None, NOW, in_flight=1, ticket=pace.started()) is False
    assert pace.pause_left_s(NOW) == 5.0


def test_pages_own_429s_at_a_load_served_well_are_disproved_by_a_later_answer() -> None:
    """Two pages with their own quota refused (429, Retry-After: 1) among six at once, on a
    host that has served six at once many times: a request sent after them and served ends
    the pause and gives the limit back, as for one page's refusal (up to the ceiling, which
    they lower all the same: a cap tightened mid-run refuses so too)."""
    pace = HostPace(6, opening=False)
    serve_at_load(pace, 6)
    refused = [pace.started(NOW, load=6) for _ in range(2)]
    for ticket in refused:
        pace.answered(429, 1.0, NOW, in_flight=6, ticket=ticket)
    assert pace.pause_left_s(NOW) == 1.0 and pace.limit == 3
    later = pace.started(NOW, load=1)
    assert pace.answered(200, None, NOW, in_flight=4, ticket=later) is True
    assert pace.pause_left_s(NOW) == 0.0 and pace.limit == pace.ceiling


def test_a_refusal_disproved_does_not_count_in_its_burst() -> None:
    """Early in a run (no load served well yet), one page refused (429, Retry-After: 1), a
    request sent after it served, then another page of the same burst refused: two pages'
    own, not a host capping its load. The ceiling stays and the second pause ends when a
    later request is served."""
    pace = HostPace(6)
    first, served, second = (pace.started(NOW, load=6) for _ in range(3))
    pace.answered(429, 1.0, NOW, in_flight=6, ticket=first)
    pace.answered(200, None, NOW, in_flight=5, ticket=served)
    pace.answered(429, 1.0, NOW, in_flight=4, ticket=second)
    assert pace.ceiling == 6 and pace.pause_left_s(NOW) == 1.0
    later = pace.started(NOW, load=1)
    assert pace.answered(200, None, NOW, in_flight=3, ticket=later) is True
    assert pace.pause_left_s(NOW) == 0.0 and pace.limit == 6


def test_refusals_over_a_load_never_served_well_keep_the_pause_firm() -> None:
    """The same two 429s on a host that has served only two at once: six at once may be over
    its cap, so the pause holds whatever answer comes."""
    pace = HostPace(6)
    serve_at_load(pace, 2)
    refused = [pace.started(NOW, load=6) for _ in range(2)]
    for ticket in refused:
        pace.answered(429, 1.0, NOW, in_flight=6, ticket=ticket)
    later = pace.started(NOW, load=1)
    assert pace.answered(200, None, NOW, in_flight=4, ticket=later) is False
    assert pace.pause_left_s(NOW) == 1.0


def test_a_bare_refusal_in_the_burst_does_not_freeze_the_host_for_a_pages_wait() -> None:
    """At a load served well, one page's 429 naming a long wait and a bare 503 (a bot wall)
    in one burst: a later request served still ends the pause, or the host would stand
    still for the page's wait (up to a minute) though it serves."""
    pace = HostPace(6)
    serve_at_load(pace, 6)
    first, second = pace.started(NOW, load=6), pace.started(NOW, load=6)
    pace.answered(429, 30.0, NOW, in_flight=6, ticket=first)
    pace.answered(503, None, NOW, in_flight=6, ticket=second)
    later = pace.started(NOW, load=1)
    assert pace.answered(200, None, NOW, in_flight=4, ticket=later) is True
    assert pace.pause_left_s(NOW) == 0.0


def test_a_server_error_does_not_disprove_a_pause() -> None:
    """A 502 to a later request shows nothing about the host serving: the 503's pause holds."""
    pace = HostPace(6)
    refused, later = pace.started(), pace.started()
    pace.answered(503, 5.0, NOW, in_flight=2, ticket=refused)
    assert pace.answered(502, None, NOW, in_flight=1, ticket=later) is False
    assert pace.pause_left_s(NOW) == 5.0


def test_a_firm_pause_does_not_make_later_lone_refusals_firm() -> None:
    """After a firm pause has run out, a lone per-page refusal can be disproved again."""
    pace = HostPace(6)
    burst = [pace.started() for _ in range(2)]
    for ticket in burst:
        pace.answered(503, 1.0, NOW, in_flight=2, ticket=ticket)
    later = NOW + timedelta(seconds=2)
    refused, served = pace.started(), pace.started()
    pace.answered(503, 5.0, later, in_flight=2, ticket=refused)
    assert pace.answered(200, None, later, in_flight=1, ticket=served) is True
    assert pace.pause_left_s(later) == 0.0


def test_a_refusal_never_dips_the_limit_below_a_load_served_well() -> None:
    """Ten requests served at four in flight, then one refused at five: the limit goes to
    four, which the host has shown it serves, not to half of six."""
    pace = HostPace(6)
    for _ in range(10):
        ticket = pace.started(NOW, load=4)
        pace.answered(200, None, NOW, in_flight=4, ticket=ticket)
    refused = pace.started(NOW, load=5)
    pace.answered(503, None, NOW, in_flight=5, ticket=refused)
    assert pace.limit == 4


def _settled_a_little_too_fast(refused: Callable[[int, datetime], bool], asks: int) -> HostPace:
    """A host settled 49 ms apart (its search done between 45 ms refused and 48.5 ms served
    well, as a 20/s bucket's burst can leave it), asked ``asks`` first asks at its spacing,
    one at a time; ``refused(i, now)``: whether the i-th is refused (a bare 503)."""
    pace = HostPace(6, opening=False)
    pace.rate = RatePace(interval_s=0.0485, too_fast_s=0.045, fast_enough_s=0.0485)
    pace.rate.interrupted(NOW)  # answers served at it are counted from now
    now = NOW
    for i in range(asks):
        now += timedelta(seconds=pace.rate.interval_s)
        ticket = pace.started(now, load=1, page=f"/p/{i}")
        status = 503 if refused(i, now) else 200
        pace.answered(status, None, now + LATENCY, in_flight=1, ticket=ticket)
    return pace


def test_a_bucket_refusing_evenly_at_the_spacing_in_force_slows_it_past_its_rate() -> None:
    """A 20/s bucket, its burst spent, behind a spacing of 49 ms refuses one request in
    every 67: too seldom for two among 20 answers, so it went on for the whole run (once a
    second on nginx at 47 ms). Once four refusals in a row come as evenly apart, they
    measure the bucket's rate, and the spacing goes past it: no refusal after."""
    bucket = LeakyBucket(20, 10, excess=9.5, last=NOW)
    refusals: list[int] = []

    def refused(i: int, now: datetime) -> bool:
        if bucket.admits(now):
            return False
        refusals.append(i)
        return True

    pace = _settled_a_little_too_fast(refused, 600)

    assert pace.rate.interval_s >= 0.05
    assert len(refusals) <= 5 and max(refusals) < 300, refusals


def test_pages_refused_once_unevenly_apart_leave_the_spacing() -> None:
    """Pages failing once, at the 40th, 70th, 120th and 150th asks (each more than 20
    answers apart, unevenly): no bucket refuses so, and the spacing stays."""
    pace = _settled_a_little_too_fast(lambda i, _: i in (40, 70, 120, 150), 200)
    assert pace.rate.interval_s < 0.05


def test_pages_failing_evenly_slow_the_host_once_not_again_and_again() -> None:
    """Every 20th page failing on its own looks like such a bucket, and keeps looking like
    one at any spacing: the host is slowed once, by the measure (about a tenth), not each
    time four more such refusals come (seven times over 600 pages, to 1.74 times it)."""
    pace = _settled_a_little_too_fast(lambda i, _: i % 20 == 10, 600)
    assert 0.05 < pace.rate.interval_s < 0.0485 * 1.2
