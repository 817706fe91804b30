"""Issue 13 end to end, in process: records keep what they knew through outages, each link's
history, ``--fail-after``, the changes since the last run, and the notify command."""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from enricher.cache import CACHE_FILE
from enricher.models import Change, Status
from enricher.pipeline import run
from enricher.report import format_json
from tests.conftest import Apis, FakeClock, WebRecorder, enricher
from tests.fakes import paper_title

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused
MEDUSA = "2401.10774"


def no_network(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)


def record_links(digest: Path) -> list[dict[str, Any]]:
    record = json.loads(digest.with_name(digest.stem + ".enriched.json").read_text("utf-8"))
    links: list[dict[str, Any]] = record["links"]
    return links


@pytest.fixture
def papers(apis: Apis, tmp_path: Path) -> Path:
    """A digest citing one paper and one repository, both known to the fake APIs."""
    apis.arxiv.known = {MEDUSA}
    apis.github.add("QwenLM/Qwen-VL")
    digest = tmp_path / "week.txt"
    digest.write_text(
        f"[MEDUSA] https://arxiv.org/abs/{MEDUSA}\n[Qwen] https://github.com/QwenLM/Qwen-VL\n",
        encoding="utf-8",
    )
    return digest


def test_an_outage_after_expiry_keeps_the_last_known_metadata(
    papers: Path, settings_for: Any, clock: FakeClock
) -> None:
    """Past every TTL, with both APIs unreachable, the verdict is today's (unreachable) and the
    paper's title, authors and abstract and the repository stay, dated by observed_at."""
    first_seen = clock.now
    run(settings_for(papers), clocks=clock.clocks())
    before = {link["kind"]: link for link in record_links(papers)}
    assert before["arxiv"]["arxiv"]["title"] == " ".join(paper_title(MEDUSA).split())
    assert before["arxiv"]["arxiv"]["observed_at"] == "2026-11-22T09:00:00Z"

    clock.advance(days=40)  # past the arXiv (30 d) and GitHub (1 d) TTLs
    # A new digest cites the paper too: it has no record yet, the cache remembers for it.
    later = papers.with_name("later.txt")
    later.write_text(f"[Again] https://arxiv.org/abs/{MEDUSA}v1\n", encoding="utf-8")
    down = settings_for(papers, later, arxiv_api_url=f"{CLOSED}/api/query", github_api_url=CLOSED)
    summary = run(down, clocks=clock.clocks())
    again = record_links(later)[0]
    assert again["status"] == "unreachable" and again["arxiv"]["version"] == 1
    assert again["arxiv"]["title"] == before["arxiv"]["arxiv"]["title"]
    assert again["arxiv"]["observed_at"] == "2026-11-22T09:00:00Z"

    after = {link["kind"]: link for link in record_links(papers)}
    paper, repo = after["arxiv"], after["github"]
    assert paper["status"] == repo["status"] == "unreachable"
    assert paper["checked_at"] is None
    for key in ("title", "authors", "abstract"):
        assert paper["arxiv"][key] == before["arxiv"]["arxiv"][key] and paper["arxiv"][key]
    assert paper["arxiv"]["observed_at"] == "2026-11-22T09:00:00Z"  # yesterday's, and says so
    assert repo["github"]["full_name"] == "QwenLM/Qwen-VL"
    assert repo["github"]["observed_at"] == "2026-11-22T09:00:00Z"
    # The history: first seen at the first run, failing since this one, last ok the first.
    assert paper["first_seen_at"] == paper["last_ok_at"] == "2026-11-22T09:00:00Z"
    assert paper["failing_since"] == "2027-01-01T09:00:00Z"
    links = [link for digest in summary.digests for link in digest.links]
    assert [link.consecutive_failures for link in links] == [1, 1, 1]
    assert first_seen < clock.now


def test_a_lost_cache_still_keeps_what_the_record_knew(
    papers: Path, settings_for: Any, clock: FakeClock
) -> None:
    """The cache deleted (a new machine, a corrupt file), then an outage: the record itself
    remembers the metadata and the dates."""
    settings = settings_for(papers)
    run(settings, clocks=clock.clocks())
    shutil.rmtree(settings.cache_dir)
    clock.advance(days=1)
    down = settings_for(papers, arxiv_api_url=f"{CLOSED}/api/query", github_api_url=CLOSED)
    run(down, clocks=clock.clocks())

    paper, repo = record_links(papers)
    assert paper["status"] == "unreachable"
    assert paper["arxiv"]["abstract"] and paper["arxiv"]["observed_at"] == "2026-11-22T09:00:00Z"
    assert repo["github"]["full_name"] == "QwenLM/Qwen-VL"
    assert paper["first_seen_at"] == "2026-11-22T09:00:00Z"  # seeded from the record
    assert paper["last_ok_at"] == "2026-11-22T09:00:00Z"


def test_a_broken_link_keeps_what_was_known_of_it(
    apis: Apis, papers: Path, settings_for: Any, clock: FakeClock
) -> None:
    """A repository deleted since: broken today, its last known description kept and dated."""
    run(settings_for(papers), clocks=clock.clocks())
    apis.github.known.clear()
    clock.advance(days=2)
    run(settings_for(papers), clocks=clock.clocks())
    repo = record_links(papers)[1]
    assert repo["status"] == "broken"
    assert repo["github"]["full_name"] == "QwenLM/Qwen-VL"
    assert repo["github"]["observed_at"] == "2026-11-22T09:00:00Z"


def test_fail_after_two_passes_one_fresh_failure_and_fails_the_second(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """--fail-after 2: the first 404 is reported (with its count) but passes; the next run
    checks it again although ``broken`` is cached, and fails."""
    digest = tmp_path / "week.txt"
    digest.write_text("[Gone] https://example.org/gone\n[Fine] https://example.org/\n", "utf-8")
    web.statuses["https://example.org/gone"] = 404
    settings = settings_for(digest, fail_after=2)

    first = run(settings, clocks=clock.clocks(), web_transport=web.transport())
    gone = first.digests[0].links[0]
    assert gone.verdict.status is Status.BROKEN and gone.consecutive_failures == 1
    assert first.exit_code == 0
    assert "[1 failing check in a row; fails the run at 2]" in format_text_of(first)
    assert gone.change is None  # spared: not news yet (no notification either)

    clock.advance(hours=1)  # within the web TTL: only the unconfirmed failure is asked again
    second = run(settings, clocks=clock.clocks(), web_transport=web.transport())
    assert web.urls.count("https://example.org/gone") == 2
    assert web.urls.count("https://example.org/") == 1
    assert second.digests[0].links[0].consecutive_failures == 2
    assert second.digests[0].links[0].change is Change.NEWLY_FAILING  # news when it counts
    assert second.exit_code == 1

    clock.advance(hours=1)  # confirmed: now the cache is trusted again
    third = run(settings, clocks=clock.clocks(), web_transport=web.transport())
    assert web.urls.count("https://example.org/gone") == 2
    assert third.exit_code == 1


def format_text_of(summary: Any) -> str:
    from enricher.report import format_text

    return format_text(summary)


def test_changes_across_runs_ok_broken_broken_ok(
    tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """The changes lists follow a link that breaks, stays broken and comes back; the record's
    failing_since stays put while it is broken."""
    digest = tmp_path / "week.txt"
    digest.write_text("[Page] https://example.org/page\n[Other] https://example.org/\n", "utf-8")
    settings = settings_for(digest, refresh=True)
    page = "https://example.org/page"

    def once(status: int) -> dict[str, list[str]]:
        web.statuses[page] = status
        clock.advance(hours=6)
        summary = run(settings, clocks=clock.clocks(), web_transport=web.transport())
        report = json.loads(format_json(summary))
        return {
            change: [link["url"] for link in links] for change, links in report["changes"].items()
        }

    nothing: dict[str, list[str]] = {"newly_failing": [], "recovered": [], "still_failing": []}
    assert once(200) == nothing
    assert once(404) == {**nothing, "newly_failing": [page]}
    since = record_links(digest)[0]["failing_since"]
    assert since is not None
    assert once(404) == {**nothing, "still_failing": [page]}
    assert record_links(digest)[0]["failing_since"] == since
    assert once(200) == {**nothing, "recovered": [page]}
    assert record_links(digest)[0]["failing_since"] is None
    assert record_links(digest)[0]["last_ok_at"] == "2026-11-23T09:00:00Z"


def test_an_outage_does_not_make_a_broken_link_recover(
    tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """broken, then unreachable (nobody answered: no news, so it has not recovered), then
    broken: still failing throughout, never 'recovered' then 'newly broken'."""
    digest = tmp_path / "week.txt"
    digest.write_text("[Page] https://example.org/page\n", "utf-8")
    settings = settings_for(digest, refresh=True)
    web.statuses["https://example.org/page"] = 404
    run(settings, clocks=clock.clocks(), web_transport=web.transport())
    clock.advance(hours=6)
    down = run(settings, clocks=clock.clocks(), web_transport=httpx.MockTransport(no_network))
    assert down.digests[0].links[0].change is Change.STILL_FAILING
    clock.advance(hours=6)
    back = run(settings, clocks=clock.clocks(), web_transport=web.transport())
    assert back.digests[0].links[0].change is Change.STILL_FAILING
    assert back.digests[0].links[0].consecutive_failures == 3


def test_the_notify_command_gets_the_report_only_when_something_changed(
    tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    digest = tmp_path / "week.txt"
    digest.write_text("[Page] https://example.org/page\n", "utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    command = f"cat > {shlex.quote(str(inbox))}/$(date +%s%N).json"
    settings = settings_for(digest, refresh=True, notify_command=command)

    web.statuses["https://example.org/page"] = 404
    run(settings, clocks=clock.clocks(), web_transport=web.transport())
    sent = sorted(inbox.iterdir())
    assert len(sent) == 1
    report = json.loads(sent[0].read_text("utf-8"))
    assert [link["url"] for link in report["changes"]["newly_failing"]] == [
        "https://example.org/page"
    ]
    clock.advance(hours=6)
    run(settings, clocks=clock.clocks(), web_transport=web.transport())  # still failing
    assert len(list(inbox.iterdir())) == 1


@pytest.mark.parametrize("command", ["echo no >&2; exit 9", "sleep 5"])
@pytest.mark.slow  # the hanging command is stopped at its (real-clock) time limit
def test_a_failing_or_hanging_notify_command_changes_nothing(
    command: str, tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    digest = tmp_path / "week.txt"
    digest.write_text("[Page] https://example.org/page\n", "utf-8")
    web.statuses["https://example.org/page"] = 404
    quiet = run(settings_for(digest), clocks=clock.clocks(), web_transport=web.transport())
    expected = (digest.with_name("week.enriched.json").read_bytes(), quiet.exit_code)
    (digest.with_name("week.enriched.json")).unlink()
    shutil.rmtree(tmp_path / "cache")

    noisy = settings_for(digest, notify_command=command, notify_timeout_s=0.3)
    summary = run(noisy, clocks=clock.clocks(), web_transport=web.transport())
    assert (digest.with_name("week.enriched.json").read_bytes(), summary.exit_code) == expected
    assert summary.errors == ()
    assert any("notify command" in r.message and r.levelname == "WARNING" for r in caplog.records)
    assert (tmp_path / "cache" / CACHE_FILE).is_file()


def test_history_prints_one_links_checks_newest_first(site: dict[str, str], tmp_path: Path) -> None:
    """``enricher history URL`` after two runs: both checks, newest first; JSON too; exit 2 for
    a URL never checked."""
    assert enricher(site["FOLDER"], "--allow-private", cwd=tmp_path, env=site).returncode == 0
    assert enricher(site["FOLDER"], "--allow-private", "--refresh", cwd=tmp_path,
                    env=site).returncode == 0  # fmt: skip
    url = "https://github.com/QwenLM/Qwen-VL"

    text = enricher("history", url, cwd=tmp_path, env=site)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == f"{url} (github:qwenlm/qwen-vl)"
    assert "2 checks kept, newest first:" in lines
    checks = [line for line in lines if line.startswith("  20")]
    assert len(checks) == 2 and all(" ok " in line for line in checks)
    assert checks[0] >= checks[1]  # newest first (ISO times sort as text)

    doc = json.loads(enricher("history", url, "--format", "json", cwd=tmp_path, env=site).stdout)
    assert doc["key"] == "github:qwenlm/qwen-vl" and doc["failing_since"] is None
    assert [c["status"] for c in doc["checks"]] == ["ok", "ok"]
    assert doc["checks"][0]["checked_at"] >= doc["checks"][1]["checked_at"]

    never = enricher("history", "https://example.org/never", cwd=tmp_path, env=site)
    assert never.returncode == 2 and "never checked" in never.stderr
    bad = enricher("history", "ftp://example.org/x", cwd=tmp_path, env=site)
    assert bad.returncode == 2 and "not a link enricher checks" in bad.stderr


def test_a_cache_from_a_newer_enricher_is_refused_untouched(
    site: dict[str, str], tmp_path: Path
) -> None:
    """Exit 3 with a message saying why, the cache's bytes unchanged, no record written."""
    import sqlite3

    cache = Path(site["ENRICHER_CACHE_DIR"])
    cache.mkdir()
    db = sqlite3.connect(cache / CACHE_FILE)
    db.execute("CREATE TABLE future (x)")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    before = (cache / CACHE_FILE).read_bytes()

    result = enricher(site["FOLDER"], "--allow-private", cwd=tmp_path, env=site)
    assert result.returncode == 3
    assert "written by a newer enricher (cache schema 99" in result.stderr
    assert (cache / CACHE_FILE).read_bytes() == before
    assert not list(Path(site["FOLDER"]).glob("*.enriched.json"))
    last = json.loads((cache / "status.json").read_text("utf-8"))["last_run"]
    assert (last["outcome"], last["exit_code"]) == ("incomplete", 3)  # refused, not a crash


def test_a_cache_of_the_previous_release_is_used_and_upgraded(
    site: dict[str, str], tmp_path: Path
) -> None:
    """The committed schema-1 cache: its facts answer an --offline run (whatever today's date),
    and a normal run then adds history to it."""
    cache = Path(site["ENRICHER_CACHE_DIR"])
    cache.mkdir()
    shutil.copyfile(Path(__file__).parent / "fixtures/caches/v1" / CACHE_FILE, cache / CACHE_FILE)
    result = enricher(site["FOLDER"], "--allow-private", "--offline", "--format", "json",
                      cwd=tmp_path, env=site)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sum(json.loads(result.stdout)["requests"].values()) == 0
    medusa = record_links(Path(site["FOLDER"]) / "week.txt")[0]
    assert medusa["arxiv"]["title"].startswith("Medusa: Simple LLM Inference Acceleration")
    assert medusa["arxiv"]["observed_at"] == "2026-11-30T08:00:00Z"
    # No history yet, but the fact says when it was seen: the dates start there, not blank.
    assert medusa["first_seen_at"] == medusa["last_ok_at"] == "2026-11-30T08:00:00Z"
    assert enricher(site["FOLDER"], "--allow-private", cwd=tmp_path, env=site).returncode == 0
    history = enricher("history", "https://github.com/QwenLM/Qwen-VL", cwd=tmp_path, env=site)
    assert history.returncode == 0, history.stderr


def test_a_stopped_run_holds_its_news_for_the_next_run(
    tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """A run stopped after the page broke caches what it learned but announces nothing; the
    next complete run still reports (and would notify) the link as newly broken."""
    from enricher.ops.stopping import StopRequest

    digest = tmp_path / "week.txt"
    digest.write_text("[Page] https://example.org/page\n[Other] https://example.org/\n", "utf-8")
    settings = settings_for(digest, refresh=True)
    run(settings, clocks=clock.clocks(), web_transport=web.transport())

    stop = StopRequest()
    web.statuses["https://example.org/page"] = 404

    def answer_then_stop(request: httpx.Request) -> httpx.Response:
        stop.request("test")  # the stop arrives while the run is checking
        return web.answer(request)

    web.page.side_effect = answer_then_stop
    clock.advance(hours=6)
    stopped = run(settings, clocks=clock.clocks(), web_transport=web.transport(), stop=stop)
    assert stopped.interrupted
    assert all(link.change is None for d in stopped.digests for link in d.links)

    web.page.side_effect = web.answer
    clock.advance(hours=6)
    after = run(settings, clocks=clock.clocks(), web_transport=web.transport())
    page = after.digests[0].links[0]
    assert page.verdict.status is Status.BROKEN
    assert page.change is Change.NEWLY_FAILING


def test_an_upgrade_keeps_the_dates_and_announces_nothing_old(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """The previous release's cache, every fact stale: the first run with history starts each
    link's dates at its cached observation, and a paper arXiv already said was missing is
    still failing, not news."""
    settings = settings_for(tmp_path / "week.txt")
    settings.cache_dir.mkdir()
    shutil.copyfile(Path(__file__).parent / "fixtures/caches/v1" / CACHE_FILE,
                    settings.cache_dir / CACHE_FILE)  # fmt: skip
    (tmp_path / "week.txt").write_text(
        f"[MEDUSA] https://arxiv.org/abs/{MEDUSA}\n[Ghost] https://arxiv.org/abs/2401.99999\n",
        encoding="utf-8",
    )
    apis.arxiv.known = {MEDUSA}
    clock.advance(days=60)  # past the fixture's observations (2026-11-30) and the arXiv TTL
    summary = run(settings, clocks=clock.clocks())

    medusa, ghost = summary.digests[0].links
    assert medusa.verdict.status is Status.OK and ghost.verdict.status is Status.BROKEN
    assert ghost.change is Change.STILL_FAILING
    medusa_record, ghost_record = record_links(tmp_path / "week.txt")
    assert medusa_record["first_seen_at"] == "2026-11-30T08:00:00Z"
    assert ghost_record["first_seen_at"] == ghost_record["failing_since"] == "2026-11-30T08:00:00Z"


def test_without_the_cache_the_report_says_changes_are_unknown(
    tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """--no-cache keeps no history: the JSON report's changes are null (not empty lists that
    read as "nothing changed"), and each link says whether it failed the run."""
    digest = tmp_path / "week.txt"
    digest.write_text("[Page] https://example.org/page\n", "utf-8")
    web.statuses["https://example.org/page"] = 404
    summary = run(settings_for(digest, use_cache=False), clocks=clock.clocks(),
                  web_transport=web.transport())  # fmt: skip
    report = json.loads(format_json(summary))
    assert report["changes"] is None
    assert report["links"][0]["fails_run"] is True and report["fail_on"] == ["broken", "invalid"]
    assert "changes since last run: not known" in format_text_of(summary)


def test_history_only_reads_the_cache(site: dict[str, str], tmp_path: Path) -> None:
    """``history`` never migrates, creates or moves a cache: an older enricher sharing the
    folder keeps working, and a damaged file stays for the next run to deal with."""
    cache = Path(site["ENRICHER_CACHE_DIR"])
    cache.mkdir()
    old = Path(__file__).parent / "fixtures/caches/v1" / CACHE_FILE
    shutil.copyfile(old, cache / CACHE_FILE)
    url = f"https://arxiv.org/abs/{MEDUSA}"
    result = enricher("history", url, cwd=tmp_path, env=site)
    assert result.returncode == 2 and "predates the history" in result.stderr
    assert (cache / CACHE_FILE).read_bytes() == old.read_bytes()

    (cache / CACHE_FILE).write_bytes(b"not a database, " * 100)
    damaged = enricher("history", url, cwd=tmp_path, env=site)
    assert damaged.returncode == 3 and "cannot read the cache" in damaged.stderr
    assert sorted(p.name for p in cache.iterdir()) == [CACHE_FILE]


def test_what_a_gone_repository_was_is_kept_for_every_url_and_run(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """A repository deleted: its last description stays through a --check-only run (which
    writes records without objects), and reaches a new digest citing it by another URL."""
    digest = tmp_path / "week.txt"
    digest.write_text("[Qwen] https://github.com/QwenLM/Qwen-VL\n", encoding="utf-8")
    apis.github.add("QwenLM/Qwen-VL")
    run(settings_for(digest), clocks=clock.clocks())
    apis.github.known.clear()
    for changes in ({}, {"metadata": False}, {}):  # broken; --check-only; broken again
        clock.advance(days=2)
        run(settings_for(digest, **changes), clocks=clock.clocks())
    (repo,) = record_links(digest)
    assert repo["status"] == "broken"
    assert repo["github"]["full_name"] == "QwenLM/Qwen-VL"
    assert repo["github"]["observed_at"] == "2026-11-22T09:00:00Z"

    later = tmp_path / "later.txt"
    later.write_text("[Code] https://github.com/qwenlm/qwen-vl/tree/main\n", encoding="utf-8")
    clock.advance(days=2)
    run(settings_for(digest, later), clocks=clock.clocks())
    (again,) = record_links(later)
    assert again["status"] == "broken" and again["github"]["full_name"] == "QwenLM/Qwen-VL"


def test_an_earlier_record_answers_for_every_url_of_the_same_paper(
    papers: Path, settings_for: Any, clock: FakeClock
) -> None:
    """Cache lost, arXiv down: a new digest citing the paper's PDF gets the object the
    existing record holds for its abstract page."""
    settings = settings_for(papers)
    run(settings, clocks=clock.clocks())
    shutil.rmtree(settings.cache_dir)
    pdf = papers.with_name("pdf.txt")
    pdf.write_text(f"[PDF] https://arxiv.org/pdf/{MEDUSA}\n", encoding="utf-8")
    clock.advance(days=1)
    down = settings_for(papers, pdf, arxiv_api_url=f"{CLOSED}/api/query", github_api_url=CLOSED)
    run(down, clocks=clock.clocks())
    (link,) = record_links(pdf)
    assert link["status"] == "unreachable"
    assert link["arxiv"]["title"] and link["arxiv"]["observed_at"] == "2026-11-22T09:00:00Z"
    assert link["first_seen_at"] == "2026-11-22T09:00:00Z"


def test_a_lost_cache_is_no_news_under_fail_after(
    tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """A link failing for three runs, then the cache lost: with --fail-after 2 the next run
    does not announce it as newly broken (the record said it was failing)."""
    digest = tmp_path / "week.txt"
    digest.write_text("[Page] https://example.org/page\n", "utf-8")
    web.statuses["https://example.org/page"] = 404
    settings = settings_for(digest, refresh=True, fail_after=2)
    changes = []
    for _ in range(3):
        clock.advance(hours=6)
        summary = run(settings, clocks=clock.clocks(), web_transport=web.transport())
        changes.append(summary.digests[0].links[0].change)
    assert changes == [None, Change.NEWLY_FAILING, Change.STILL_FAILING]
    shutil.rmtree(settings.cache_dir)
    clock.advance(hours=6)
    after = run(settings, clocks=clock.clocks(), web_transport=web.transport())
    assert after.digests[0].links[0].change is Change.STILL_FAILING


def test_remembering_prefers_the_same_url_then_the_newest_record(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """Two digests cite one paper, one of them as v1; the second was re-checked later. With
    the cache lost and arXiv down, each keeps its own version and the newest dates."""
    apis.arxiv.known = {MEDUSA}
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text(f"[Latest] https://arxiv.org/abs/{MEDUSA}\n", "utf-8")
    second.write_text(f"[First] https://arxiv.org/abs/{MEDUSA}v1\n", "utf-8")
    run(settings_for(first, second), clocks=clock.clocks())
    clock.advance(days=40)
    run(settings_for(second), clocks=clock.clocks())  # only b.txt: its record is newer
    shutil.rmtree(tmp_path / "cache")
    clock.advance(days=1)
    down = settings_for(first, second, arxiv_api_url=f"{CLOSED}/api/query")
    run(down, clocks=clock.clocks())
    (a_link,), (b_link,) = record_links(first), record_links(second)
    assert a_link["arxiv"]["version"] is None and b_link["arxiv"]["version"] == 1
    assert b_link["arxiv"]["observed_at"] == "2027-01-01T09:00:00Z"
    assert b_link["first_seen_at"] == "2026-11-22T09:00:00Z"
    assert b_link["last_ok_at"] == "2027-01-01T09:00:00Z"


def test_a_redirect_to_a_private_address_is_no_check(
    tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """Skipped (the guard refused to follow it): nothing was looked at, so no history."""

    def moved(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://10.0.0.1/admin"})

    digest = tmp_path / "week.txt"
    digest.write_text("[Page] https://example.org/p\n", "utf-8")
    summary = run(settings_for(digest), clocks=clock.clocks(),
                  web_transport=httpx.MockTransport(moved))  # fmt: skip
    link = summary.digests[0].links[0]
    assert link.verdict.status is Status.SKIPPED
    assert link.history is None and record_links(digest)[0]["first_seen_at"] is None


def test_a_cache_that_cannot_be_written_tells_no_changes(
    tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Its history did not move: telling (and notifying) the same change every run would be
    wrong; the run says it cannot know, and exits 3 for the cache."""
    from enricher.cache import Cache
    from enricher.errors import CacheError

    def refuse(*args: object, **kwargs: object) -> None:
        raise CacheError("cache/enricher.sqlite3: cannot write the cache: disk I/O error")

    monkeypatch.setattr(Cache, "save", refuse)
    digest = tmp_path / "week.txt"
    digest.write_text("[Page] https://example.org/page\n", "utf-8")
    web.statuses["https://example.org/page"] = 404
    inbox = tmp_path / "inbox.json"
    settings = settings_for(digest, notify_command=f"cat > {shlex.quote(str(inbox))}")
    summary = run(settings, clocks=clock.clocks(), web_transport=web.transport())
    assert summary.exit_code == 3 and summary.digests[0].links[0].change is None
    assert json.loads(format_json(summary))["changes"] is None
    assert not inbox.exists()


def test_history_reads_a_cache_a_killed_run_left_mid_write(
    site: dict[str, str], tmp_path: Path
) -> None:
    """A run killed inside a cache transaction leaves a hot journal: ``history`` rolls it
    back (as any SQLite reader must) and answers, instead of failing until the next run."""
    import subprocess
    import sys

    assert enricher(site["FOLDER"], "--allow-private", cwd=tmp_path, env=site).returncode == 0
    cache = Path(site["ENRICHER_CACHE_DIR"]) / CACHE_FILE
    killed = subprocess.run([sys.executable, "-c", (
        "import os, signal, sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('PRAGMA cache_size = 1')\n"  # dirty pages spill into the file: a hot journal
        "db.execute('BEGIN IMMEDIATE')\n"
        "db.execute('DELETE FROM checks')\n"
        "db.execute('DELETE FROM link_states')\n"
        "db.executemany('INSERT INTO facts VALUES (?, ?, NULL, ?)',\n"
        "               [(f'web:x{n}', '2026-01-01', 'x' * 3000) for n in range(300)])\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    ), str(cache)], check=False)  # fmt: skip
    assert killed.returncode == -9
    assert Path(f"{cache}-journal").exists(), "the kill left no journal: nothing is tested"
    result = enricher("history", "https://github.com/QwenLM/Qwen-VL", cwd=tmp_path, env=site)
    assert result.returncode == 0, result.stderr
    assert "1 check kept" in result.stdout


def test_sigterm_during_the_notify_command_stops_it_and_exits_143(
    site: dict[str, str], tmp_path: Path, apis: Apis
) -> None:
    """The run's work is done and reported; the hook is stopped at once; the exit says the
    process was asked to stop."""
    import signal
    import subprocess
    import sys
    import time

    apis.server.expect_request("/gone").respond_with_data("", status=404)
    digest = Path(site["FOLDER"]) / "week.txt"
    digest.write_text(
        digest.read_text("utf-8") + f"[Gone] {apis.server.url_for('/gone')}\n", "utf-8"
    )
    started = tmp_path / "started"
    command = f"touch {shlex.quote(str(started))}; sleep 30"
    proc = subprocess.Popen(
        [sys.executable, "-m", "enricher", site["FOLDER"], "--allow-private",
         "--notify-command", command],
        cwd=tmp_path, env={**__import__("os").environ, **site},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert started.exists(), "the notify command never started"
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 143, err
    assert time.monotonic() - sent < 5
    assert "changes since last run: 1 newly broken" in out
    assert "notify command stopped: enricher was asked to stop" in err


@pytest.mark.parametrize("move", ["to-another-digest", "respelled-in-place"])
def test_a_lost_cache_keeps_what_records_knew_of_moved_or_respelled_links(
    papers: Path, settings_for: Any, clock: FakeClock, move: str
) -> None:
    """Cache lost, both APIs down: lines moved from one digest to another, or the same
    paper and repository linked by other URLs (``/pdf/ID``, ``/tree/main``), keep the
    objects and dates any record of the run held for them."""
    settings = settings_for(papers)
    run(settings, clocks=clock.clocks())
    shutil.rmtree(settings.cache_dir)
    if move == "to-another-digest":
        target = papers.with_name("moved.txt")
        target.write_text(papers.read_text("utf-8"), encoding="utf-8")
        papers.write_text("Nothing linked this week.\n", encoding="utf-8")
    else:
        target = papers
        target.write_text(
            f"[MEDUSA] https://arxiv.org/pdf/{MEDUSA}v1\n"
            "[Qwen] https://github.com/QwenLM/Qwen-VL/tree/main\n",
            encoding="utf-8",
        )
    clock.advance(days=1)
    down = settings_for(papers, target, arxiv_api_url=f"{CLOSED}/api/query", github_api_url=CLOSED)
    run(down, clocks=clock.clocks())
    paper, repo = record_links(target)
    assert paper["status"] == repo["status"] == "unreachable"
    assert paper["arxiv"]["title"] and paper["arxiv"]["observed_at"] == "2026-11-22T09:00:00Z"
    assert repo["github"]["full_name"] == "QwenLM/Qwen-VL"
    assert paper["first_seen_at"] == repo["first_seen_at"] == "2026-11-22T09:00:00Z"
