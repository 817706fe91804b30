"""End to end, in process: the sample digests against fake APIs and a stand-in web."""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from enricher.authorities import classify
from enricher.digest import decode_digest, parse_digest
from enricher.models import Status
from enricher.pipeline import run
from tests.conftest import Apis, FakeClock, WebRecorder
from tests.fakes import paper_title

EXPECTED_ENTRIES = {"000": 19, "001": 14, "002": 15, "003": 0, "004": 15}


def sample_arxiv_ids(folder: Path) -> set[str]:
    ids: set[str] = set()
    for path in folder.glob("*.txt"):
        text, _ = decode_digest(path.read_bytes(), str(path))
        for entry in parse_digest(text, str(path)).entries:
            target = classify(entry.url) if entry.url else None
            if target is not None and target.kind == "arxiv" and hasattr(target, "version"):
                ids.add(target.id)  # type: ignore[union-attr]
    return ids


def records(folder: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name[:3]: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.enriched.json"))
    }


def schema() -> dict[str, Any]:
    text = resources.files("enricher").joinpath("record.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@pytest.fixture
def world(apis: Apis, digests: Path) -> Apis:
    """Every sample paper and repository exists; joaomdmoura/crewAI was renamed."""
    apis.arxiv.known = sample_arxiv_ids(digests)
    apis.github.add("Portkey-AI/gateway")
    apis.github.add("QwenLM/Qwen-VL")
    apis.github.add("intelligent-machine-learning/dlrover")
    apis.github.rename("joaomdmoura/crewAI", "crewAIInc/crewAI")
    apis.hub.add("model", "mistral-community/Mixtral-8x22B-v0.1-4bit")
    apis.crossref.add(
        "10.1126/science.adj1817",
        title=["Automated self-optimization, intensification, and scale-up of photocatalysis "
               "in flow"],
    )  # fmt: skip
    return apis


def test_samples_give_five_schema_valid_records(
    world: Apis, digests: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """One record per digest, entry counts as written, the URL-less entry invalid."""
    summary = run(settings_for(digests), clocks=clock.clocks(), web_transport=web.transport())

    found = records(digests)
    assert sorted(found) == sorted(EXPECTED_ENTRIES)
    for prefix, record in found.items():
        jsonschema.Draft202012Validator(schema()).validate(record)
        assert len(record["links"]) == EXPECTED_ENTRIES[prefix] == record["summary"]["links"]
    missing = [link for link in found["002"]["links"] if link["url"] is None]
    assert [(m["line"], m["label"], m["status"]) for m in missing] == [
        (8, "Lumiere专题介绍", "invalid")
    ]
    assert "URL is missing" in missing[0]["reason"]
    assert summary.counts[Status.INVALID] == 1
    assert summary.counts[Status.REDIRECTED] == 1
    assert summary.counts[Status.OK] == 61
    assert summary.exit_code == 1  # only because of the URL-less entry
    originals = {p.name: p.read_bytes() for p in digests.glob("*.txt")}
    assert all(
        originals[p.name] == (Path(__file__).parent.parent / "sources" / p.name).read_bytes()
        for p in digests.glob("*.txt")
    )


def test_arxiv_metadata_lands_in_records(
    world: Apis, digests: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """Titles (whitespace normalised), authors and abstracts come from the arXiv API."""
    run(settings_for(digests), clocks=clock.clocks(), web_transport=web.transport())

    medusa = next(link for link in records(digests)["002"]["links"] if link["label"] == "MEDUSA")
    assert medusa["status"] == "ok"
    assert medusa["kind"] == "arxiv" and medusa["id"] == "2401.10774"
    paper = medusa["arxiv"]
    assert paper["title"] == " ".join(paper_title("2401.10774").split())
    assert paper["authors"] and all(isinstance(a, str) and a for a in paper["authors"])
    assert len(paper["abstract"]) > 100 and "\n" not in paper["abstract"]
    assert paper["abs_url"] == "https://arxiv.org/abs/2401.10774"
    assert paper["latest_version"] == 2 and paper["version"] is None
    assert paper["categories"] and paper["primary_category"]


def test_arxiv_ids_cost_one_request_per_hundred(
    world: Apis, digests: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """45 distinct ids across five digests (one cited twice as /pdf/) cost one API request."""
    ids = sample_arxiv_ids(digests)
    run(settings_for(digests), clocks=clock.clocks(), web_transport=web.transport())
    assert len(world.arxiv.requests) == math.ceil(len(ids) / 100) == 1
    assert sorted(world.arxiv.requests[0]) == sorted(ids)


def test_250_ids_cost_three_batched_requests(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """ceil(N/100) requests, none over 100 ids, each id asked once even when cited twice."""
    ids = [f"2401.{n:05d}" for n in range(1, 251)]
    apis.arxiv.known = set(ids)
    digest = tmp_path / "big.txt"
    lines = [f"[P{n}] https://arxiv.org/abs/{i}" for n, i in enumerate(ids)]
    lines += [f"[again] https://arxiv.org/pdf/{ids[0]}v1.pdf"]
    digest.write_text("\n".join(lines) + "\n", encoding="utf-8")

    summary = run(settings_for(digest), clocks=clock.clocks())

    assert len(apis.arxiv.requests) == 3
    assert [len(batch) for batch in apis.arxiv.requests] == [100, 100, 50]
    assert summary.counts[Status.OK] == 251


def test_renamed_repository_is_redirected(
    world: Apis, digests: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """A 301 from the GitHub API means the link works but should point to the new home."""
    run(settings_for(digests), clocks=clock.clocks(), web_transport=web.transport())
    crew = next(link for link in records(digests)["000"]["links"] if link["label"] == "CrewAI")
    assert crew["status"] == "redirected"
    assert crew["suggested_url"] == "https://github.com/crewAIInc/crewAI"
    assert crew["id"] == "joaomdmoura/crewAI"
    assert crew["github"]["full_name"] == "crewAIInc/crewAI"
    assert crew["github"]["license"] == "MIT" and crew["github"]["stars"] > 0


def test_missing_paper_and_repository_are_broken(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """Only the authority saying "no such thing" makes a link broken."""
    apis.arxiv.known = {"2401.10774"}
    apis.github.add("QwenLM/Qwen-VL")
    digest = tmp_path / "d.txt"
    digest.write_text(
        "[MEDUSA] https://arxiv.org/abs/2401.10774\n"
        "[Ghost paper] https://arxiv.org/abs/2401.99999\n"
        "[Qwen] https://github.com/QwenLM/Qwen-VL/tree/main/eval\n"
        "[Ghost repo] https://github.com/nobody-here/nothing-here\n",
        encoding="utf-8",
    )
    summary = run(settings_for(digest), clocks=clock.clocks())
    links = {
        link["label"]: link
        for link in json.loads((tmp_path / "d.enriched.json").read_text())["links"]
    }
    assert links["MEDUSA"]["status"] == "ok"
    assert links["Ghost paper"]["status"] == "broken"
    assert links["Ghost paper"]["arxiv"] is None
    assert links["Qwen"]["status"] == "ok" and links["Qwen"]["id"] == "QwenLM/Qwen-VL"
    assert links["Ghost repo"]["status"] == "broken"
    assert summary.exit_code == 1


def test_second_run_sends_nothing_and_rewrites_nothing(
    world: Apis, digests: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """Within the TTLs a re-run is pure local work and leaves every file byte-identical."""
    settings = settings_for(digests)
    first = run(settings, clocks=clock.clocks(), web_transport=web.transport())
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in digests.glob("*.enriched.json")}
    sent = (len(world.arxiv.requests), len(world.github.requests), len(world.hub.requests),
            len(world.crossref.asked), len(world.datacite.asked), len(web.urls))  # fmt: skip
    assert sum(first.requests.values()) == sum(sent) > 0

    clock.advance(hours=2)
    second = run(settings, clocks=clock.clocks(), web_transport=web.transport())

    assert (len(world.arxiv.requests), len(world.github.requests), len(world.hub.requests),
            len(world.crossref.asked), len(world.datacite.asked), len(web.urls)) == sent  # fmt: skip
    assert sum(second.requests.values()) == 0
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in digests.glob("*.enriched.json")}
    assert after == before
    assert not any(d.written for d in second.digests)
    assert second.counts == first.counts


def test_each_url_is_checked_once_across_digests(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """Two digests citing the same page (one with a #fragment) cost one request."""
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(
            "[Page] https://example.org/page#intro\n[Same] https://EXAMPLE.org/page\n",
            encoding="utf-8",
        )
    run(settings_for(tmp_path), clocks=clock.clocks(), web_transport=web.transport())
    assert web.urls == ["https://example.org/page"]


def test_stale_github_entry_revalidates_with_etag(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """After the TTL, GitHub is asked with If-None-Match; a 304 keeps the metadata."""
    apis.github.add("QwenLM/Qwen-VL")
    digest = tmp_path / "d.txt"
    digest.write_text("[Qwen] https://github.com/QwenLM/Qwen-VL\n", encoding="utf-8")
    settings = settings_for(digest)
    run(settings, clocks=clock.clocks())
    clock.advance(days=2)
    run(settings, clocks=clock.clocks())

    assert apis.github.requests[0]["if-none-match"] == ""
    assert apis.github.requests[1]["if-none-match"].startswith('W/"')
    link = json.loads((tmp_path / "d.enriched.json").read_text())["links"][0]
    assert link["status"] == "ok" and link["github"]["full_name"] == "QwenLM/Qwen-VL"
    assert link["checked_at"] == "2026-11-24T09:00:00Z"


def test_token_goes_to_the_github_api_only(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """GITHUB_TOKEN is sent to the API host and never to a web page."""
    apis.github.add("QwenLM/Qwen-VL")
    seen: list[httpx.Request] = []

    def page(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    digest = tmp_path / "d.txt"
    digest.write_text(
        "[Qwen] https://github.com/QwenLM/Qwen-VL\n[Web] https://example.org/\n", encoding="utf-8"
    )
    run(
        settings_for(digest, github_token="ghp_secret"),
        clocks=clock.clocks(),
        web_transport=httpx.MockTransport(page),
    )
    assert apis.github.requests[0]["authorization"] == "Bearer ghp_secret"
    assert seen and all("authorization" not in r.headers for r in seen)


def test_network_down_means_unreachable_not_broken(
    digests: Path, settings_for: Any, clock: FakeClock
) -> None:
    """With nothing answering, no link is broken, and the run says the network looks down."""

    def no_network(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    closed = "http://127.0.0.1:9"  # discard port: nothing listens, connection refused
    settings = settings_for(
        digests, arxiv_api_url=f"{closed}/api/query", github_api_url=closed, hf_api_url=closed,
        crossref_api_url=closed, datacite_api_url=closed,
    )  # fmt: skip
    summary = run(settings, clocks=clock.clocks(), web_transport=httpx.MockTransport(no_network))

    assert summary.counts[Status.BROKEN] == 0
    assert summary.counts[Status.UNREACHABLE] == 62
    # A paper's code links are extras: once nothing answers anyone, they are not asked.
    assert summary.requests.get("paper-links", 0) < len(sample_arxiv_ids(digests)) == 45
    assert summary.counts[Status.INVALID] == 1
    assert summary.network_unavailable
    assert summary.exit_code == 1
    relaxed = settings_for(
        digests,
        arxiv_api_url=f"{closed}/api/query",
        github_api_url=closed,
        hf_api_url=closed,
        crossref_api_url=closed,
        datacite_api_url=closed,
        fail_on=frozenset({Status.BROKEN}),
    )
    clock.advance(minutes=5)
    again = run(relaxed, clocks=clock.clocks(), web_transport=httpx.MockTransport(no_network))
    assert again.exit_code == 0
    assert not any(d.written for d in again.digests)  # nothing changed, nothing rewritten


def test_offline_uses_the_cache_and_sends_nothing(
    world: Apis, digests: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """--offline answers from the cache, even stale, and calls the rest unreachable."""
    run(settings_for(digests), clocks=clock.clocks(), web_transport=web.transport())
    (digests / "new.txt").write_text("[New] https://example.net/fresh\n", encoding="utf-8")
    sent = len(web.urls) + len(world.arxiv.requests) + len(world.github.requests)
    sent += len(world.hub.requests) + len(world.crossref.asked) + len(world.datacite.asked)
    clock.advance(days=90)

    summary = run(
        settings_for(digests, offline=True), clocks=clock.clocks(), web_transport=web.transport()
    )

    assert sum(map(len, (web.urls, world.arxiv.requests, world.github.requests,
                         world.hub.requests, world.crossref.asked,
                         world.datacite.asked))) == sent  # fmt: skip
    new = json.loads((digests / "new.enriched.json").read_text())["links"][0]
    assert new["status"] == "unreachable" and "offline" in new["reason"]
    assert summary.counts[Status.OK] == 61


def test_corrupt_cache_is_set_aside_and_rebuilt(
    world: Apis,
    digests: Path,
    settings_for: Any,
    clock: FakeClock,
    web: WebRecorder,
    tmp_path: Path,
) -> None:
    """A damaged cache file costs requests, never the run."""
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / "enricher.sqlite3").write_bytes(b"this is not a database\x00" * 200)
    summary = run(settings_for(digests), clocks=clock.clocks(), web_transport=web.transport())
    assert summary.exit_code == 1 and summary.counts[Status.OK] == 61
    assert list(cache_dir.glob("enricher.sqlite3.corrupt-*"))


def test_no_write_leaves_the_folder_alone(
    world: Apis, digests: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """--no-write checks and reports but writes no record."""
    summary = run(
        settings_for(digests, write=False), clocks=clock.clocks(), web_transport=web.transport()
    )
    assert summary.total_links == 63
    assert not list(digests.glob("*.json"))


def test_arxiv_outage_is_retried_then_recovers(
    world: Apis, digests: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """A 503 from the arXiv API is retried (with a recorded, not real, wait)."""
    world.arxiv.fail_first = 1
    summary = run(settings_for(digests), clocks=clock.clocks(), web_transport=web.transport())
    assert len(world.arxiv.requests) == 2
    assert clock.slept and clock.slept[0] >= 1.0
    assert summary.counts[Status.OK] == 61


def test_malformed_arxiv_id_is_never_sent(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock
) -> None:
    """One bad id would make arXiv reject the whole batch: it is invalid and left out."""
    apis.arxiv.known = {"2401.10774"}
    digest = tmp_path / "d.txt"
    digest.write_text(
        "[Good] https://arxiv.org/abs/2401.10774\n[Bad] https://arxiv.org/abs/2401.1\n",
        encoding="utf-8",
    )
    run(settings_for(digest), clocks=clock.clocks())
    assert apis.arxiv.requests == [["2401.10774"]]
    links = json.loads((tmp_path / "d.enriched.json").read_text())["links"]
    assert [link["status"] for link in links] == ["ok", "invalid"]
    assert "malformed arXiv id" in links[1]["reason"]


def test_excluded_and_private_links_are_skipped(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """--exclude and private addresses give `skipped` and send nothing."""
    digest = tmp_path / "d.txt"
    digest.write_text(
        "[Local] http://127.0.0.1:8080/admin\n[Meta] http://169.254.169.254/\n"
        "[Ex] https://linkedin.com/in/someone\n",
        encoding="utf-8",
    )
    summary = run(
        settings_for(digest, exclude=("linkedin\\.com",)),
        clocks=clock.clocks(),
        web_transport=web.transport(),
    )
    assert summary.counts[Status.SKIPPED] == 3
    assert web.urls == []


def test_unwritable_record_exits_three_and_keeps_the_rest(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """A record that cannot be written is an error (exit 3); other records are still written."""
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("[Page] https://example.org/\n", encoding="utf-8")
    (tmp_path / "a.enriched.json").mkdir()  # a folder where the record should go
    summary = run(settings_for(tmp_path), clocks=clock.clocks(), web_transport=web.transport())
    assert summary.exit_code == 3
    assert any("a.enriched.json" in error for error in summary.errors)
    assert (tmp_path / "b.enriched.json").is_file()
    assert not list(tmp_path.glob(".*.tmp"))
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "[Page] https://example.org/\n"


def test_records_are_valid_even_for_odd_input(
    apis: Apis, tmp_path: Path, settings_for: Any, clock: FakeClock, web: WebRecorder
) -> None:
    """BOM, CRLF, bad UTF-8, unsupported schemes: the record is still schema-valid."""
    digest = tmp_path / "odd.txt"
    digest.write_bytes(
        b"\xef\xbb\xbfProse \xff\xfe here.\r\n"
        b"[FTP] ftp://example.org/file\r\n"
        b"[No scheme] www.example.org\r\n"
        b"[Page] https://example.org/a.\r\n"
    )
    run(settings_for(digest), clocks=clock.clocks(), web_transport=web.transport())
    record = json.loads((tmp_path / "odd.enriched.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema()).validate(record)
    assert record["problems"][0]["line"] == 1
    assert [(link["line"], link["status"]) for link in record["links"]] == [
        (2, "invalid"), (3, "invalid"), (4, "ok"),
    ]  # fmt: skip
    assert record["links"][2]["url"] == "https://example.org/a"
