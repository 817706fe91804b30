"""Work run aside (``enricher.net.aside``): on a daemon thread, waited for with a bound, at
most ``AT_ONCE`` at a time; and the web checker parsing big pages there, off the event loop."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

import enricher.net.checker as checker
from enricher.net.aside import AT_ONCE, Aside
from tests.conftest import FakeClock
from tests.test_page_reading import check, script_heavy_head


def test_work_runs_on_a_thread_of_its_own_and_gives_its_result() -> None:
    loop_thread = threading.current_thread()

    async def main() -> tuple[str, threading.Thread]:
        ran_on: list[threading.Thread] = []

        def work() -> str:
            ran_on.append(threading.current_thread())
            return "facts"

        return (await Aside().run(work, 5.0)) or "", ran_on[0]

    result, thread = asyncio.run(main())
    assert result == "facts" and thread is not loop_thread and thread.daemon


def test_work_that_raises_gives_none() -> None:
    def work() -> str:
        raise ValueError("a page no parser could read")

    async def main() -> str | None:
        return await Aside().run(work, 5.0)

    assert asyncio.run(main()) is None


@pytest.mark.slow
def test_work_past_its_bound_gives_none_and_keeps_its_slot_until_it_ends() -> None:
    """The link goes on without what the work would have given; the thread, which cannot be
    stopped, holds its slot until it ends, so stuck work never makes more threads."""
    release = threading.Event()
    started = threading.Semaphore(0)

    def stuck() -> str:
        started.release()
        release.wait(10)
        return "late"

    async def main() -> tuple[list[str | None], bool]:
        aside = Aside()
        late = [await aside.run(stuck, 0.1) for _ in range(AT_ONCE)]
        waited = await aside.run(lambda: "never started", 0.1)  # no slot left
        release.set()
        await asyncio.sleep(0.2)  # the stuck threads end and give their slots back
        return [*late, waited], (await aside.run(lambda: "after", 1.0)) == "after"

    results, freed = asyncio.run(main())
    assert results == [None] * (AT_ONCE + 1) and freed
    assert all(started.acquire(timeout=1) for _ in range(AT_ONCE))


MARKUP_HEAVY = "<html><head><title>Deep</title>" + "<ul>" * 250_000
"""A head that never ends, of nested markup the parser's time grows with the square of."""


def test_a_page_heavy_with_markup_is_parsed_off_the_event_loop_and_others_on_it(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    where: dict[int, str] = {}
    real = checker.page_facts

    def spy(body: bytes, content_type: str | None, base_url: str) -> Any:
        where[len(body)] = threading.current_thread().name
        return real(body, content_type, base_url)

    monkeypatch.setattr(checker, "page_facts", spy)
    deep = MARKUP_HEAVY
    httpserver.expect_request("/deep").respond_with_data(deep, content_type="text/html")
    assert check(httpserver, tmp_path, settings_for, clock, "/deep")["page"]["title"] == "Deep"
    long = script_heavy_head("A long head")
    httpserver.expect_request("/page").respond_with_data(long, content_type="text/html")
    assert check(httpserver, tmp_path, settings_for, clock)["page"]["title"] == "A long head"
    small = "<html><head><title>Short</title></head><body>x</body></html>"
    httpserver.expect_request("/small").respond_with_data(small, content_type="text/html")
    assert check(httpserver, tmp_path, settings_for, clock, "/small")["page"]["title"] == "Short"
    assert sorted(where.values()) == ["MainThread", "MainThread", "enricher-aside"]
    assert where[len(long.encode())] == where[len(small)] == "MainThread"


@pytest.mark.slow
def test_a_page_the_parser_is_stuck_on_is_judged_without_its_facts(
    httpserver: HTTPServer, tmp_path: Path, settings_for: Any, clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Whatever markup the read rules miss: the link gets its verdict after ``PARSE_S``,
    and the run does not wait for the parse."""
    release = threading.Event()
    monkeypatch.setattr(checker, "PARSE_S", 0.2)
    monkeypatch.setattr(checker, "page_facts", lambda *_: release.wait(10))
    httpserver.expect_request("/page").respond_with_data(MARKUP_HEAVY, content_type="text/html")
    try:
        link = check(httpserver, tmp_path, settings_for, clock)
    finally:
        release.set()
    assert (link["status"], link["page"]) == ("ok", None)
