"""LoadLedger: which load (requests at once) a host's answers show it refuses for being
that load, told apart from a rate limiter's too-fast gaps and pages failing on their own.
Pure: counts in, answers out."""

from __future__ import annotations

from enricher.net.load_ledger import LOAD_ANSWERS, LoadLedger

GAP = 0.05
"""Requests sent 50 ms apart: a spacing every load below was served at."""


def _served(ledger: LoadLedger, load: int, times: int, gap: float = GAP) -> None:
    for _ in range(times):
        ledger.served(load, gap, spaced_first_ask=False)


def _refused(ledger: LoadLedger, load: int, times: int, gap: float = GAP) -> None:
    for _ in range(times):
        ledger.refused(load, gap, tells_of_load=True)


def test_a_connection_limit_refusing_the_fifth_is_found_at_five() -> None:
    ledger = LoadLedger()
    for load in range(1, 5):
        _served(ledger, load, 10)
    _served(ledger, 5, 1)  # a quick page's answer come and not read yet: counted at five
    _refused(ledger, 5, 4)
    _refused(ledger, 6, 4)
    assert ledger.load_refused_often(5, ceiling=6) == 5
    assert ledger.load_refused_often(5, ceiling=4) == 5  # one over the ceiling at most
    assert ledger.served_well(7) == 4


def test_pages_refusing_at_every_load_are_no_limit() -> None:
    """A page's own refusals come at whatever load it is sent: as often below five as at
    five and above, they name no load."""
    ledger = LoadLedger()
    for load in range(1, 7):
        _served(ledger, load, 6)
        _refused(ledger, load, 3)  # each load a third refused
    assert ledger.load_refused_often(2, ceiling=6) is None


def test_a_refusal_at_a_gap_no_lower_load_was_served_at_waits_to_count() -> None:
    """A rate limiter's refusals come at its too-fast gaps, whatever load those put in
    flight: one at three, 10 ms behind the request before, counts at three only once a
    lower load was served as fast."""
    ledger = LoadLedger()
    _served(ledger, 1, LOAD_ANSWERS)
    _served(ledger, 2, LOAD_ANSWERS)
    ledger.refused(3, 0.01, tells_of_load=True)
    assert ledger.refused_exactly(3) == 0
    ledger.served(2, 0.01, spaced_first_ask=False)
    ledger.refused(3, 0.5, tells_of_load=False)  # any later refusal counts the waiting ones
    assert ledger.refused_exactly(3) == 1


def test_refusals_that_tell_nothing_of_load_are_not_counted_at_it() -> None:
    ledger = LoadLedger()
    _served(ledger, 1, 10)
    for _ in range(5):
        ledger.refused(2, GAP, tells_of_load=False)
    assert ledger.refused_exactly(2) == 0
    assert not ledger.refused_under(3)


def test_a_load_a_quarter_refused_is_not_served_well() -> None:
    ledger = LoadLedger()
    _served(ledger, 1, LOAD_ANSWERS)
    _served(ledger, 2, LOAD_ANSWERS)
    assert ledger.served_well(3) == 2
    assert ledger.at_a_load_served_well(2)
    _refused(ledger, 2, 3)  # 3 in 11: more than a quarter
    assert ledger.served_well(3) == 1
    assert not ledger.at_a_load_served_well(2)
    assert LoadLedger().at_a_load_served_well(1)  # one at a time always is, even unserved


def _spaced_answers(ledger: LoadLedger, low: int) -> None:
    """Spaced first asks served at loads 1 to 3, ``low`` times each at 1 and 2."""
    for load, times in ((1, low), (2, low), (3, 1)):
        for _ in range(times):
            ledger.served(load, GAP, spaced_first_ask=True)


def test_live_pages_refused_only_at_a_load_the_host_seldom_reaches_make_an_edge() -> None:
    """Three live pages refused at four at once, none below, while almost every spaced
    answer came at one and two: chance does not put all three there."""
    ledger = LoadLedger()
    _spaced_answers(ledger, low=20)
    pages = [f"https://host.test/{n}" for n in range(3)]
    for page in pages:
        ledger.refused_spaced(4, GAP, page)
    assert [ledger.refused_live(page) for page in pages] == [None, None, 4]
    assert ledger.is_edge(4)


def test_live_pages_refused_at_the_load_most_answers_came_at_make_no_edge() -> None:
    ledger = LoadLedger()
    for _ in range(30):
        ledger.served(4, GAP, spaced_first_ask=True)
    pages = [f"https://host.test/{n}" for n in range(3)]
    for page in pages:
        ledger.refused_spaced(4, GAP, page)
    assert [ledger.refused_live(page) for page in pages] == [None, None, None]
    assert not ledger.is_edge(4)


def test_a_page_refused_below_the_load_spoils_its_edge() -> None:
    ledger = LoadLedger()
    _spaced_answers(ledger, low=20)
    ledger.refused_spaced(2, GAP, "https://host.test/below")
    pages = [f"https://host.test/{n}" for n in range(3)]
    for page in pages:
        ledger.refused_spaced(4, GAP, page)
    assert [ledger.refused_live(page) for page in pages] == [None, None, None]


def test_first_asks_refused_naming_no_wait_are_told_by_their_lowest_load() -> None:
    ledger = LoadLedger()
    assert ledger.first_asks_refused_from() == (0, 0)
    ledger.first_ask_answered(5, bare_refusal=True, served=False, left_spaced=False)
    ledger.first_ask_answered(3, bare_refusal=True, served=False, left_spaced=True)
    ledger.first_ask_answered(4, bare_refusal=False, served=True, left_spaced=True)
    ledger.first_ask_answered(2, bare_refusal=False, served=True, left_spaced=True)
    assert ledger.first_asks_refused_from() == (3, 2)
    assert ledger.first_asks_left_spaced_from(3) == (1, 1)
