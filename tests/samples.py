"""Metadata values shared by the unit tests (real-looking, with non-ASCII text)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from enricher.models import Paper, Repo

PAPER = Paper(
    id="2401.10774",
    latest_version=3,
    title="Medusa: Simple LLM Inference Acceleration Framework",
    authors=("Tianle Cai", "Yuhong Li"),
    abstract="Speculative decoding... 中文摘要",
    published="2024-01-19T18:48:36Z",
    updated="2024-06-14T17:02:35Z",
    primary_category="cs.LG",
    categories=("cs.LG", "cs.CL"),
    doi=None,
    journal_ref=None,
    comment=None,
    abs_url="https://arxiv.org/abs/2401.10774",
    pdf_url="https://arxiv.org/pdf/2401.10774v3",
)

REPO = Repo(
    full_name="QwenLM/Qwen-VL",
    html_url="https://github.com/QwenLM/Qwen-VL",
    description="通义千问-VL",
    stars=5000,
    forks=400,
    open_issues=100,
    topics=("llm", "vision"),
    license="NOASSERTION",
    language="Python",
    archived=False,
    fork=False,
    created_at="2023-08-21T00:00:00Z",
    pushed_at="2024-01-02T03:04:05Z",
    homepage=None,
    default_branch="master",
)


def paper(**changes: Any) -> Paper:
    return replace(PAPER, **changes)


def repo(**changes: Any) -> Repo:
    return replace(REPO, **changes)
