"""The data that flows through a run, one type per stage.

Written (``LinkEntry``), understood (a ``Target``: ``ArxivTarget`` / ``GithubTarget`` /
``WebTarget``), observed (``Observed`` holding a fact: ``HttpFacts`` / ``FetchFailure`` /
``Paper`` / ``Repo``; or ``Unanswered``) and judged (``Verdict``, then ``CheckedLink``) are
different types, so a raw URL can never be mistaken for a checked one. Which authority answers
for which target is decided in ``enricher.authorities``; this module only names the shapes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from .label_match import LabelMatch as LabelMatch


class Status(StrEnum):
    """One verdict per link, from a fixed vocabulary that users' scripts depend on."""

    OK = "ok"
    REDIRECTED = "redirected"
    BROKEN = "broken"
    BLOCKED = "blocked"
    UNREACHABLE = "unreachable"
    INVALID = "invalid"
    SKIPPED = "skipped"

    @property
    def is_cacheable(self) -> bool:
        """Whether the facts behind this verdict may be reused on a later run.

        Blocked and unreachable outcomes are never cached: caching failures hides recoveries
        (lychee learned this), and both may be temporary.
        """
        return self in (Status.OK, Status.REDIRECTED, Status.BROKEN)

    @property
    def works(self) -> bool:
        """The link worked when checked (``last_ok_at``; a failing link recovers on one)."""
        return self in (Status.OK, Status.REDIRECTED)

    @property
    def is_failure(self) -> bool:
        """The link did not work when checked: what ``failing_since`` and
        ``consecutive_failures`` count (whatever ``--fail-on`` says; ``skipped`` is no check)."""
        return self in (Status.BROKEN, Status.BLOCKED, Status.UNREACHABLE, Status.INVALID)


FailOn = frozenset[Status | LabelMatch]
"""What fails a run (``--fail-on``): statuses, and ``mismatch`` for a label that does not
name what its link leads to."""


class Change(StrEnum):
    """How a link's standing under the ``--fail-on`` policy moved since the previous run."""

    NEWLY_FAILING = "newly_failing"
    RECOVERED = "recovered"
    STILL_FAILING = "still_failing"


@dataclass(frozen=True, slots=True)
class Problem:
    """Bad input found while reading a digest; printed as ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class LinkEntry:
    """One link as written in a digest."""

    path: str
    """The digest file, as the user named it (relative paths stay relative)."""
    line: int
    """1-based line of the entry."""
    label: str | None
    """The bracketed title, or None for a bare URL."""
    url: str | None
    """The URL as written, trimmed; None when the entry has a title but no URL."""
    note: str | None = None
    """Why the entry is unusable as written, when the parser already knows."""


@dataclass(frozen=True, slots=True)
class SkippedLink:
    """A link target in a Markdown or HTML digest that is not a web link to check: a relative
    path without ``--base-url``, a ``#section``, a ``mailto:``."""

    path: str
    line: int
    target: str
    """As written."""
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.target}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ParsedDigest:
    """A digest file after parsing: its links in order and any input problems."""

    path: str
    entries: tuple[LinkEntry, ...]
    problems: tuple[Problem, ...] = ()
    skipped: tuple[SkippedLink, ...] = ()
    """Targets that are not web links (Markdown and HTML only), in order."""


@dataclass(frozen=True, slots=True)
class ArxivTarget:
    """An arXiv paper, however it was linked."""

    id: str
    """Identifier without version, e.g. ``2401.10774`` or ``hep-th/9901001``."""
    version: int | None = None
    """The version the link names (``v2`` -> 2), or None for the latest."""

    kind = "arxiv"

    @property
    def key(self) -> str:
        """Deduplication and cache key: one check per paper per run."""
        return f"arxiv:{self.id}"


@dataclass(frozen=True, slots=True)
class GithubTarget:
    """A GitHub repository, however deep the link pointed into it."""

    owner: str
    repo: str

    kind = "github"

    @property
    def id(self) -> str:
        """``OWNER/REPO`` as written in the link."""
        return f"{self.owner}/{self.repo}"

    @property
    def key(self) -> str:
        """GitHub names are case-insensitive, so the key is lower-cased."""
        return f"github:{self.id.lower()}"


@dataclass(frozen=True, slots=True)
class WebTarget:
    """Any other http(s) page."""

    url: str
    """Normalised URL: lower-case scheme and host, no fragment (fragments are never sent)."""
    host: str

    kind = "web"

    @property
    def id(self) -> None:
        """Web pages have no canonical id beyond their URL."""
        return None

    @property
    def key(self) -> str:
        return f"web:{self.url}"


@dataclass(frozen=True, slots=True)
class InvalidTarget:
    """An entry that cannot be checked at all; the reason says why."""

    reason: str
    kind: str = "web"
    """The authority that recognised the URL and refused it (a malformed arXiv id is
    ``arxiv``); ``web`` for a URL no authority could read."""


class Target(Protocol):
    """Something an authority can look up: one check per ``key`` per run."""

    @property
    def key(self) -> str:
        """Deduplication and cache key, ``<kind>:<identity>``."""
        ...

    @property
    def id(self) -> str | None:
        """The authority's own name for the thing (paper id, ``owner/repo``), if any."""
        ...

    @property
    def kind(self) -> str:
        """The name of the authority that answers for it (``arxiv``, ``github``, ``web``)."""
        ...


@dataclass(frozen=True, slots=True)
class Redirect:
    """One hop of a redirect chain."""

    status: int
    url: str
    """Where the hop pointed (absolute)."""

    @property
    def is_permanent(self) -> bool:
        """301 and 308 say "update your link"; 302, 303 and 307 do not."""
        return self.status in (301, 308)


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What an HTML page says about itself (``enricher.pages``); any field may be missing."""

    title: str | None = None
    description: str | None = None
    site_name: str | None = None
    image: str | None = None
    canonical_url: str | None = None
    lang: str | None = None
    type: str | None = None
    published_at: str | None = None
    author: str | None = None
    doi: str | None = None
    arxiv_id: str | None = None
    # Evidence for judging the page (``enricher.page_signals``), kept in the cache but not in
    # the record: a re-run re-derives verdicts from these under new rules, without the body.
    html_title: str | None = None
    """The ``<title>`` itself (``title`` prefers OpenGraph, which error pages rarely set)."""
    heading: str | None = None
    """The first ``<h1>``."""
    text: str | None = None
    """The visible text of the body: all of a thin page's, the start of a longer one's."""
    text_length: int = 0
    """How much visible text the body read holds (counted up to 16,000 characters): walls
    and error pages have little."""
    resources: tuple[str, ...] = ()
    """Where its scripts, frames and forms come from (``host/path``, no query), first ones."""
    password_field: bool = False
    scripted: bool = False
    """It runs a script (inline or not; JSON-LD is data): a page drawn or sent on by
    script."""
    refresh_url: str | None = None
    """Where a ``<meta http-equiv=refresh>`` sends the reader (http or https only)."""
    refresh_delay_s: int | None = None
    """After how many seconds it does (a reload's too); None when the page has no refresh,
    or its facts were cached before this was kept."""
    markers: tuple[str, ...] = ()
    """Fingerprints of walls and parking services found in the HTML (``page_signals``)."""


PAGE_RECORD_FIELDS = (
    "title", "description", "site_name", "image", "canonical_url", "lang", "type",
    "published_at", "author", "doi", "arxiv_id",
)  # fmt: skip
"""The fields of ``PageFacts`` a record's ``page`` object shows, in its order."""


@dataclass(frozen=True, slots=True)
class ProbeFacts:
    """How a host answered a random path next to a link's (the soft-404 check)."""

    url: str
    status_code: int | None
    """None when the probe got no HTTP answer."""
    final_url: str | None = None
    title: str | None = None
    heading: str | None = None
    text: str | None = None
    """Its visible text (``PageFacts.text``: whole for a thin page): one page, or another?"""
    text_length: int = 0


@dataclass(frozen=True, slots=True)
class HttpFacts:
    """What a web server answered, after following redirects."""

    status_code: int
    final_url: str
    redirects: tuple[Redirect, ...] = ()
    retry_after_s: float | None = None
    """Parsed Retry-After of the last answer, used to pace retries."""
    attempts: int = 1
    page: PageFacts | None = None
    """What the final answer's HTML says about itself; None when it is not HTML (or its body
    could not be read)."""
    headers: tuple[tuple[str, str], ...] = ()
    """The final answer's headers that name a wall (``page_signals.SIGNAL_HEADERS``)."""
    probe: ProbeFacts | None = None
    """The host's answer to a random sibling path, asked only when the page looked like an
    error page without saying so plainly."""


class FailureKind(StrEnum):
    """Why no usable HTTP answer was obtained."""

    TIMEOUT = "timeout"
    """No connection in time (connect or pool timeout), or the link's whole deadline spent."""
    NO_ANSWER = "no_answer"
    """Connected and asked, but the server sent no answer in time (read timeout, headers
    dripping past the whole-request deadline)."""
    CONNECT = "connect"
    """DNS or TCP connection failure."""
    NO_SUCH_HOST = "no_such_host"
    """The resolver says the name does not exist (EAI_NONAME): asking again will not help."""
    TLS = "tls"
    PROTOCOL = "protocol"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    REDIRECT_LOOP = "redirect_loop"
    BAD_REDIRECT = "bad_redirect"
    """A redirect to an unsupported scheme or an unparseable Location: the server answered."""
    PRIVATE = "private"
    """A redirect led to a loopback, private or link-local address, which is not followed."""
    REFUSED = "refused"
    """Not sent: the host refused every request in a row this run, naming no wait, even when
    asked seconds apart (``HostPace.refuses_all``)."""

    @property
    def is_transient(self) -> bool:
        """Worth another attempt: the same request may succeed a moment later."""
        # A server that took the request and stayed silent for the whole timeout rarely
        # answers a second time either, and every retry of a hang costs another timeout:
        # NO_ANSWER is reported (unreachable) after one attempt.
        return self in (FailureKind.TIMEOUT, FailureKind.CONNECT, FailureKind.PROTOCOL)

    @property
    def is_network_level(self) -> bool:
        """Nothing answered at all: the sign of a missing network when every link shows it."""
        return self in (FailureKind.TIMEOUT, FailureKind.CONNECT, FailureKind.NO_SUCH_HOST)


@dataclass(frozen=True, slots=True)
class FetchFailure:
    """No HTTP answer we can judge: a value, never an exception."""

    kind: FailureKind
    message: str
    redirects: tuple[Redirect, ...] = ()
    attempts: int = 1


FetchOutcome = HttpFacts | FetchFailure


@dataclass(frozen=True, slots=True)
class Paper:
    """arXiv metadata, as the API returned it."""

    id: str
    latest_version: int | None
    title: str
    authors: tuple[str, ...]
    abstract: str
    published: str | None
    updated: str | None
    primary_category: str | None
    categories: tuple[str, ...]
    doi: str | None
    journal_ref: str | None
    comment: str | None
    abs_url: str
    pdf_url: str | None


@dataclass(frozen=True, slots=True)
class Repo:
    """GitHub repository metadata, as the REST API returned it."""

    full_name: str
    html_url: str
    description: str | None
    stars: int
    forks: int
    open_issues: int
    topics: tuple[str, ...]
    license: str | None
    """SPDX id, e.g. ``MIT``; None when GitHub knows no license."""
    language: str | None
    archived: bool
    fork: bool
    created_at: str | None
    pushed_at: str | None
    homepage: str | None
    default_branch: str | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judgement on one target: derived once per target from its fact, under the current
    rules (see each authority's ``verdict``)."""

    status: Status
    reason: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    suggested_url: str | None = None
    checked_at: datetime | None = None
    """When the underlying fact was observed (not when this run started), so cached facts
    produce identical records."""
    redirects: tuple[Redirect, ...] = ()
    network_level_failure: bool = False
    """True when nothing answered at all (used to tell "network down" from "site down")."""


Metadata = tuple[str, dict[str, Any] | None]
"""The object an authority adds to a link's record: its key (``arxiv``, ``github``) and its
value, None when nothing is known (the thing does not exist, or nobody answered)."""


@dataclass(frozen=True, slots=True)
class CachedFact:
    """One stored observation."""

    key: str
    observed_at: datetime
    payload: dict[str, Any]
    etag: str | None = None


@dataclass(frozen=True, slots=True)
class Observed:
    """A fact about one target and when it was seen on the network (or read from the cache)."""

    fact: Any
    """The authority's own fact type (``Paper | None``, ``Repo | None``, ``FetchOutcome``):
    only that authority reads it."""
    observed_at: datetime
    etag: str | None = None
    """For conditional revalidation (GitHub's ``If-None-Match``)."""


@dataclass(frozen=True, slots=True)
class Unanswered:
    """A lookup that got no usable answer this run (API down, quota spent, offline): a value,
    never an exception. Nothing was observed, so nothing is cached."""

    reason: str
    network_level: bool = False
    """Nothing answered at all (DNS, connection, timeout): a sign the network may be down."""
    asked: bool = True
    """False when the thing itself was never asked about, for a limit of ours (the API quota
    spent): no check of the link, so its history does not count it as a failure."""


LookupResult = Observed | Unanswered
"""What looking up one target gives."""


@dataclass(frozen=True, slots=True)
class Settled:
    """An entry judged without asking anyone: invalid, excluded or private."""

    kind: str | None
    """The authority that claimed its URL; None for an entry without a URL."""
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A copy of a page in the Wayback Machine (``archive``)."""

    url: str
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class CheckedLink:
    """A digest entry with its verdict: what one line of a record says."""

    entry: LinkEntry
    kind: str | None
    """The authority that answered for it; None for an entry without a URL."""
    id: str | None
    verdict: Verdict
    metadata: Metadata | None = None
    """The authority's object for the record, or None for kinds that add none (web)."""
    history: LinkState | None = None
    """The target's history as of this run; None for an entry never checked (invalid,
    skipped) or a run without the cache."""
    change: Change | None = None
    """How its standing under ``--fail-on`` moved since the previous run."""
    label_match: LabelMatch = LabelMatch.UNKNOWN
    """Whether the digest's label names what the link leads to (``label_match``)."""
    archive: Snapshot | None = None
    """A dead link's Wayback Machine snapshot, or None (none, not dead, not looked up)."""
    recent: tuple[Status, ...] = ()
    """The statuses of its target's last checks, oldest first, this run's included (at most
    ``history.HISTORY_CELLS``): filled only for the HTML report's strip, never recorded."""

    @property
    def consecutive_failures(self) -> int:
        """Failing checks in a row, this run's included (0 when it works)."""
        return self.history.consecutive_failures if self.history is not None else 0


@dataclass(frozen=True, slots=True)
class Check:
    """One check of a target on the network, as the history keeps it."""

    key: str
    checked_at: datetime
    status: Status
    http_status: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class LinkState:
    """What the history says about one target as of its latest check (``history`` rules)."""

    first_seen_at: datetime
    last_checked_at: datetime
    last_status: Status
    last_ok_at: datetime | None = None
    failing_since: datetime | None = None
    """Start of the current run of failing checks; None when the latest check worked."""
    consecutive_failures: int = 0
    failing: bool = False
    """Its standing under ``--fail-on`` at the latest check that said anything (a check that
    is neither a failure under the policy nor working, e.g. ``unreachable`` by default, keeps
    the standing): what ``changes`` compares against."""


class Progress(Protocol):
    """Where the pipeline reports progress (a rich bar on a terminal, nothing otherwise)."""

    def start(self, total: int) -> None: ...
    def advance(self, label: str, status: Status) -> None: ...
    def stop(self) -> None: ...


class NoProgress:
    """Progress nobody watches: a cron job, CI, a pipe."""

    def start(self, total: int) -> None:
        pass

    def advance(self, label: str, status: Status) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class DigestResult:
    """One digest after checking, and what happened to its record file."""

    path: str
    record_path: str | None
    links: tuple[CheckedLink, ...]
    problems: tuple[Problem, ...] = ()
    written: bool = False
    """The record file was (re)written this run; False when unchanged or with --no-write."""


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Everything a report needs about a finished run."""

    digests: tuple[DigestResult, ...]
    counts: dict[Status, int]
    problems: tuple[Problem, ...]
    exit_code: int
    network_unavailable: bool = False
    requests: dict[str, int] = field(default_factory=dict)
    """Network requests sent per service (``web``, ``arxiv``, ``github``)."""
    refusals: dict[str, int] = field(default_factory=dict)
    """Per host, web answers refusing a request (429/503: a limit's or a failing page's; a
    bot wall's named by its headers is not counted)."""
    started_at: datetime | None = None
    duration_s: float = 0.0
    errors: tuple[str, ...] = ()
    """Run-level failures (a record that could not be written, a cache that could not open)."""
    interrupted: bool = False
    """Asked to stop (a signal) before the end: records not yet written were left as they were."""
    fail_on: FailOn = frozenset({Status.BROKEN, Status.INVALID})
    """The statuses that failed the run (``--fail-on``): reports mark those as errors."""
    fail_after: int = 1
    """Failing checks in a row before a link fails the run (``--fail-after``)."""
    history_known: bool = True
    """False for a run without a usable cache: it cannot tell what changed."""

    @property
    def total_links(self) -> int:
        return sum(self.counts.values())


@dataclass
class Plan:
    """Each entry's target (or its settled verdict), and the unique targets to look up."""

    decisions: dict[LinkEntry, Target | Settled] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    """One per key, across every digest: each thing is checked once per run."""
    companions: set[str] = field(default_factory=set)
    """Keys of targets looked up for another's record (an arXiv paper's code links): cached
    like any, but not links: no verdict shown, no history."""

    @functools.cached_property
    def citations(self) -> dict[str, list[LinkEntry]]:
        """The entries citing each target, by key, in digest order (settled entries cite
        none). Built when first asked for: the plan is complete by then."""
        cited: dict[str, list[LinkEntry]] = {}
        for entry, decision in self.decisions.items():
            if not isinstance(decision, Settled):
                cited.setdefault(decision.key, []).append(entry)
        return cited
