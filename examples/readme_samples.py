"""Produce the README's sample `text` and `markdown` reports: the bundled digests, checked by
the real pipeline against fake arXiv and GitHub APIs on 127.0.0.1 and a stand-in web.

    .venv/bin/python examples/readme_samples.py        (needs the test extras: pip install '.[test]')

Nothing leaves the machine: the APIs are a local server, web pages an httpx MockTransport.
The web answers are scripted so that the sample shows each kind of finding.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import httpx
from pytest_httpserver import HTTPServer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from enricher.config import Settings  # noqa: E402
from enricher.pipeline import run  # noqa: E402
from enricher.report import format_markdown, format_text  # noqa: E402
from tests.fakes import FakeArxiv, FakeGithub  # noqa: E402
from tests.test_pipeline import sample_arxiv_ids  # noqa: E402

WEB_ANSWERS = {
    "https://www.coze.cn": httpx.Response(404),
    "https://platform.openai.com/docs/models/gpt-4-turbo-and-gpt-4": httpx.Response(403),
    "https://lumiere-video.github.io": httpx.Response(
        301, headers={"Location": "https://lumiere-video.github.io/lumiere/"}
    ),
}


def web(request: httpx.Request) -> httpx.Response:
    return WEB_ANSWERS.get(str(request.url).rstrip("/"), httpx.Response(200))


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        shutil.copytree(ROOT / "sources", work / "sources",
                        ignore=shutil.ignore_patterns("*.enriched.json"))  # fmt: skip
        arxiv, github = FakeArxiv(), FakeGithub()
        arxiv.known = sample_arxiv_ids(work / "sources") - {"2401.14351"}  # one paper "gone"
        for repo in (
            "Portkey-AI/gateway",
            "QwenLM/Qwen-VL",
            "intelligent-machine-learning/dlrover",
        ):
            github.add(repo)
        github.rename("joaomdmoura/crewAI", "crewAIInc/crewAI")
        server = HTTPServer()
        server.expect_request("/api/query").respond_with_handler(arxiv.handler)
        server.expect_request(re.compile(r"^/(repos|repositories)/.+")).respond_with_handler(
            github.handler
        )
        server.start()
        try:
            os.chdir(work)
            settings = Settings(
                arxiv_api_url=server.url_for("/api/query"),
                github_api_url=server.url_for("").rstrip("/"),
                arxiv_delay_s=0.0,
                cache_dir=work / "cache",
            )
            summary = run(settings, web_transport=httpx.MockTransport(web))
        finally:
            server.stop()
    print("=== text ===")
    print(format_text(summary), end="")
    print("=== markdown ===")
    print(format_markdown(summary), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
