"""From observed facts to an honest verdict. Pure: no I/O, no clock.

Reasons depend only on the facts, never on how many attempts it took, so a re-run that sees
the same world writes the same record.

The rule of thumb: ``broken`` only when the authority said the thing does not exist; anything
that merely failed to answer is ``unreachable`` or ``blocked``, because it may exist.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from .models import (
    ArxivTarget,
    FailureKind,
    FetchFailure,
    FetchOutcome,
    GithubTarget,
    HttpFacts,
    Paper,
    Repo,
    Status,
    Verdict,
)

BLOCKING_STATUSES = frozenset({401, 403, 407, 429, 451, 999})
"""Answers that mean "not for you": the page may exist. 999 is LinkedIn's bot wall."""

GONE_STATUSES = frozenset({404, 410})
"""The only HTTP answers that say the page does not exist."""

MAX_RETRY_AFTER_S = 60.0
"""Longest Retry-After we honour; a server asking for more is treated as refusing us now."""


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is true too
        return min(float(value), RETRY_AFTER_CEILING_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return min(max(0.0, (when - now).total_seconds()), RETRY_AFTER_CEILING_S)


RETRY_AFTER_CEILING_S = 366 * 86_400.0
"""Longer Retry-After values are read as a year: any such answer is "not now", and clamping
keeps a hostile ``Retry-After: 999...9`` from overflowing a date."""


def is_transient_status(code: int) -> bool:
    """408, 429 and 5xx (but 501 Not Implemented, which will not change) are worth a retry."""
    return code in (408, 429) or (500 <= code <= 599 and code != 501)


def is_transient(outcome: FetchOutcome) -> bool:
    """Whether another attempt could give a different answer. 404/410 never are."""
    if isinstance(outcome, FetchFailure):
        return outcome.kind.is_transient
    return is_transient_status(outcome.status_code)


def _failure_verdict(failure: FetchFailure, checked_at: datetime | None) -> Verdict:
    final = failure.redirects[-1].url if failure.redirects else None
    if failure.kind is FailureKind.PRIVATE:
        return Verdict(
            Status.SKIPPED, failure.message, final_url=final, checked_at=checked_at,
            redirects=failure.redirects,
        )  # fmt: skip
    if failure.kind in (
        FailureKind.REDIRECT_LOOP,
        FailureKind.TOO_MANY_REDIRECTS,
        FailureKind.BAD_REDIRECT,
    ):
        return Verdict(
            Status.BROKEN, failure.message, final_url=final, checked_at=checked_at,
            redirects=failure.redirects,
        )  # fmt: skip
    # Nothing answered, so nothing was observed: no checked_at. This also keeps re-runs
    # without a network from rewriting records just to change a timestamp.
    return Verdict(
        Status.UNREACHABLE,
        failure.message,
        final_url=final,
        redirects=failure.redirects,
        network_level_failure=failure.kind.is_network_level,
    )


def _http_verdict(
    status: Status,
    reason: str | None,
    facts: HttpFacts,
    checked_at: datetime | None,
    suggested_url: str | None = None,
) -> Verdict:
    return Verdict(
        status,
        reason,
        http_status=facts.status_code,
        final_url=facts.final_url,
        suggested_url=suggested_url,
        checked_at=checked_at,
        redirects=facts.redirects,
    )


def web_verdict(outcome: FetchOutcome, checked_at: datetime | None) -> Verdict:
    """Judge a web page from what its server answered (after redirects and retries)."""
    if isinstance(outcome, FetchFailure):
        return _failure_verdict(outcome, checked_at)
    code = outcome.status_code
    if 200 <= code <= 299:
        permanent = [hop for hop in outcome.redirects if hop.is_permanent]
        if permanent:
            reason = f"moved permanently ({permanent[0].status}) to {outcome.final_url}"
            return _http_verdict(
                Status.REDIRECTED, reason, outcome, checked_at, suggested_url=outcome.final_url
            )
        return _http_verdict(Status.OK, None, outcome, checked_at)
    if code in GONE_STATUSES:
        reason = "not found (404)" if code == 404 else "gone (410)"
        return _http_verdict(Status.BROKEN, reason, outcome, checked_at)
    if outcome.bot_challenge:
        reason = f"bot challenge (HTTP {code}); the page may exist"
        return _http_verdict(Status.BLOCKED, reason, outcome, checked_at)
    if code in BLOCKING_STATUSES:
        what = "rate limited (429)" if code == 429 else f"refused (HTTP {code})"
        return _http_verdict(Status.BLOCKED, f"{what}; the page may exist", outcome, checked_at)
    if 500 <= code <= 599:
        reason = f"server error (HTTP {code})"
        return _http_verdict(Status.UNREACHABLE, reason, outcome, checked_at)
    if 300 <= code <= 399:
        reason = f"redirect (HTTP {code}) without a usable Location"
        return _http_verdict(Status.UNREACHABLE, reason, outcome, checked_at)
    # Other 4xx (400, 405, 406...): the server refused this request, which says nothing
    # about whether the page exists.
    reason = f"refused (HTTP {code}); the page may exist"
    return _http_verdict(Status.BLOCKED, reason, outcome, checked_at)


def arxiv_verdict(target: ArxivTarget, paper: Paper | None, checked_at: datetime | None) -> Verdict:
    """A paper exists when the arXiv API returned it; a cited version must exist too."""
    if paper is None:
        return Verdict(
            Status.BROKEN, f"arXiv has no paper {target.id}", http_status=200, checked_at=checked_at
        )
    latest = paper.latest_version
    if target.version is not None and latest is not None and target.version > latest:
        return Verdict(
            Status.BROKEN,
            f"arXiv {target.id} has no version v{target.version} (latest is v{latest})",
            http_status=200,
            final_url=paper.abs_url,
            checked_at=checked_at,
            paper=paper,
        )
    return Verdict(
        Status.OK, None, http_status=200, final_url=paper.abs_url, checked_at=checked_at,
        paper=paper,
    )  # fmt: skip


def github_verdict(target: GithubTarget, repo: Repo | None, checked_at: datetime | None) -> Verdict:
    """A repository exists when the API returned it; a different ``full_name`` means it moved.

    GitHub answers a renamed or transferred repository with a 301 to its new home; names are
    case-insensitive, so only a real change of name counts as a move.
    """
    if repo is None:
        return Verdict(
            Status.BROKEN,
            f"no GitHub repository {target.id} (404; private repositories look the same)",
            http_status=404,
            checked_at=checked_at,
        )
    if repo.full_name.lower() != target.id.lower():
        return Verdict(
            Status.REDIRECTED,
            f"repository moved to {repo.full_name}",
            http_status=200,
            final_url=repo.html_url,
            suggested_url=repo.html_url,
            checked_at=checked_at,
            repo=repo,
        )
    reason = "repository is archived (read-only)" if repo.archived else None
    return Verdict(
        Status.OK, reason, http_status=200, final_url=repo.html_url, checked_at=checked_at,
        repo=repo,
    )  # fmt: skip


def unreachable(reason: str, *, network_level: bool = False) -> Verdict:
    """A verdict for a target nobody could answer for this run (API down, quota gone, offline)."""
    return Verdict(Status.UNREACHABLE, reason, network_level_failure=network_level)
