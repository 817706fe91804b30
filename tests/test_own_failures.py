"""OwnFailures: a host's pages judged to fail on their own, and how many refusals they raise
the count that moves its spacing to. Pure."""

from __future__ import annotations

from enricher.net.own_failures import OWN_WINDOW, OwnFailures

RATE_REFUSALS, RATE_WINDOW = 2, 20
"""Two bare refusals among the last 20 answers move a host's spacing (``host_pace``)."""


def asked(first_asks: int, failing: list[str]) -> OwnFailures:
    own = OwnFailures()
    for _ in range(first_asks):
        own.first_ask()
    for page in failing:
        own.failed(page)
    return own


def test_pages_failing_on_their_own_raise_the_refusals_that_move_the_spacing() -> None:
    """With none, two refusals among twenty answers move it. With one page in ten failing on
    its own, eight: seven or more among twenty such pages come by chance more often than one
    window in a thousand (about 0.2%), eight or more less (0.04%)."""
    assert asked(20, []).refusals_needed(RATE_REFUSALS, RATE_WINDOW) == 2
    assert asked(20, ["/a", "/b"]).refusals_needed(RATE_REFUSALS, RATE_WINDOW) == 8


def test_never_more_than_half_the_window() -> None:
    failing = [f"/dead/{n}" for n in range(40)]
    assert asked(10, failing).refusals_needed(RATE_REFUSALS, RATE_WINDOW) == RATE_WINDOW // 2


def test_a_page_served_when_asked_again_takes_back_its_own_mark() -> None:
    own = asked(10, ["/a", "/b"])
    own.served_again("/a")
    assert own.count == 1
    own.served_again("/never-marked")
    assert own.count == 1


def test_a_mark_gone_from_the_window_is_not_taken_from_another_page() -> None:
    own = OwnFailures()
    own.failed("/gone")
    for _ in range(OWN_WINDOW):
        own.first_ask()
    own.failed("/down")
    own.served_again("/gone")
    assert own.count == 1
