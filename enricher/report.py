"""Run reports: pure functions from a ``RunSummary`` to text. No I/O, no colour."""

from __future__ import annotations

import json
import posixpath
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from .models import Change, CheckedLink, DigestResult, LabelMatch, RunSummary, Status
from .records import archive_json, iso, status_counts
from .report_words import NETWORK_DOWN_NOTE, mismatch_note, policy_words, refusals_words, streak
from .summary import changed, changes_line, fails_run

REPORT_SCHEMA_VERSION = 1

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """Text safe to print on a terminal: control characters shown as ``\\x1b``-style escapes.

    A digest is anyone's input; a label or URL holding ESC sequences would otherwise recolour
    the editor's terminal, rewrite its title or hide lines of the report, and bidirectional
    overrides (U+202E) would show a line's text in another order than it has.
    """
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def non_ok(summary: RunSummary) -> list[tuple[DigestResult, CheckedLink]]:
    """Every link that is not ``ok``, in digest and line order."""
    return [
        (digest, link)
        for digest in summary.digests
        for link in digest.links
        if link.verdict.status is not Status.OK
    ]


def mismatches(summary: RunSummary) -> list[tuple[DigestResult, CheckedLink]]:
    """Every link whose label does not name what it leads to, in digest and line order."""
    return [
        (digest, link)
        for digest in summary.digests
        for link in digest.links
        if link.label_match is LabelMatch.MISMATCH
    ]


def mismatch_line(path: str, link: CheckedLink) -> str:
    """``path:line: label mismatch: label url (the label does not match “…”)``."""
    parts = [f"{path}:{link.entry.line}: label mismatch:", link.entry.label or "",
             link.entry.url or "", f"({mismatch_note(link)})"]  # fmt: skip
    return " ".join(part for part in parts if part)


def link_line(path: str, link: CheckedLink, summary: RunSummary | None = None) -> str:
    """``path:line: status: label url (reason) -> suggested [streak]``: what an editor jumps
    to."""
    verdict = link.verdict
    parts = [f"{path}:{link.entry.line}: {verdict.status.value}:"]
    if link.entry.label:
        parts.append(link.entry.label)
    if link.entry.url is not None:
        parts.append(link.entry.url)
    if verdict.reason:
        parts.append(f"({verdict.reason})")
    if verdict.suggested_url and verdict.status is Status.REDIRECTED:
        parts.append(f"-> {verdict.suggested_url}")
    elif link.archive is not None:
        parts.append(f"-> archived copy {link.archive.url}")
    count = streak(link, summary) if summary is not None else None
    if count:
        parts.append(f"[{count}]")
    return " ".join(parts)


def _counts_line(summary: RunSummary) -> str:
    return ", ".join(f"{status.value} {summary.counts.get(status, 0)}" for status in Status)


def _requests_line(summary: RunSummary) -> str:
    sent = sum(summary.requests.values())
    if not sent:
        return "no network requests"
    detail = ", ".join(f"{service} {n}" for service, n in sorted(summary.requests.items()) if n)
    refused = refusals_words(summary.refusals)
    return f"{sent} network requests ({detail})" + (f"; {refused}" if refused else "")


def format_text(summary: RunSummary, *, brief: bool = False) -> str:
    """The human report: errors, input problems, counts, then every link that is not ok.

    ``brief`` (``-q``) leaves out the opening line about time, requests and records.
    """
    lines: list[str] = [visible(f"error: {error}") for error in summary.errors]
    lines += [visible(str(problem)) for problem in summary.problems]
    if not brief:
        written = sum(1 for d in summary.digests if d.written)
        lines.append(
            f"Checked {summary.total_links} links in {len(summary.digests)} digests in "
            f"{summary.duration_s:.1f} s; {_requests_line(summary)}; "
            f"{written} record{'s' if written != 1 else ''} written."
        )
    lines.append(f"Summary: {_counts_line(summary)}")
    if summary.network_unavailable:
        lines.append(f"warning: {NETWORK_DOWN_NOTE}")
    lines.append(changes_line(summary))
    lists = changed(summary)
    for change, title in ((Change.NEWLY_FAILING, "newly broken"), (Change.RECOVERED, "recovered")):
        lines += [
            visible(f"  {title}: {link_line(digest.path, link, summary)}")
            for digest, link in lists[change]
        ]
    lines += [visible(link_line(digest.path, link, summary)) for digest, link in non_ok(summary)]
    lines += [visible(mismatch_line(digest.path, link)) for digest, link in mismatches(summary)]
    return "\n".join(lines) + "\n"


def _link_json(path: str, link: CheckedLink, summary: RunSummary) -> dict[str, Any]:
    verdict = link.verdict
    return {
        "file": path,
        "line": link.entry.line,
        "label": link.entry.label,
        "url": link.entry.url,
        "kind": link.kind,
        "status": verdict.status.value,
        "reason": verdict.reason,
        "http_status": verdict.http_status,
        "suggested_url": verdict.suggested_url,
        "consecutive_failures": link.consecutive_failures,
        "failing_since": iso(link.history.failing_since) if link.history else None,
        "change": link.change.value if link.change else None,
        "label_match": link.label_match.value,
        "archive": archive_json(link),
        "fails_run": fails_run(summary, link),
    }


def format_json(summary: RunSummary) -> str:
    """The machine report: totals, per-file totals, timing, and each link that is not ok."""
    report = {
        "report_version": REPORT_SCHEMA_VERSION,
        "started_at": iso(summary.started_at),
        "duration_s": round(summary.duration_s, 3),
        "exit_code": summary.exit_code,
        "network_unavailable": summary.network_unavailable,
        "requests": dict(sorted(summary.requests.items())),
        "refusals": dict(sorted(summary.refusals.items())),
        "totals": status_counts(
            [link.verdict.status for digest in summary.digests for link in digest.links]
        ),
        "files": [
            {
                "file": digest.path,
                "record": digest.record_path,
                "written": digest.written,
                "totals": status_counts([link.verdict.status for link in digest.links]),
            }
            for digest in summary.digests
        ],
        "problems": [
            {"file": p.path, "line": p.line, "message": p.message} for p in summary.problems
        ],
        "errors": list(summary.errors),
        "fail_on": policy_words(summary),
        "label_mismatches": len(mismatches(summary)),
        "fail_after": summary.fail_after,
        "changes": {
            change.value: [_link_json(digest.path, link, summary) for digest, link in links]
            for change, links in changed(summary).items()
        }
        if summary.history_known
        else None,
        "links": [
            _link_json(digest.path, link, summary)
            for digest in summary.digests
            for link in digest.links
            if link.verdict.status is not Status.OK or link.label_match is LabelMatch.MISMATCH
        ],
    }
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


# GitHub Actions workflow commands --------------------------------------------------------

WARNING_STATUSES = frozenset({Status.REDIRECTED, Status.BLOCKED, Status.UNREACHABLE})
"""Shown as warnings in CI when the fail policy does not already make them errors."""


def escape_data(text: str) -> str:
    """A workflow command's message, as GitHub's toolkit escapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (``file=``, ``title=``): also ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, message: str, **properties: str | int) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return visible(f"::{kind}{' ' + props if props else ''}::{escape_data(message)}")


def _link_message(link: CheckedLink, summary: RunSummary) -> str:
    verdict = link.verdict
    parts = [link.entry.label or "", link.entry.url or "(no URL)"]
    text = " ".join(p for p in parts if p)
    if verdict.reason:
        text += f": {verdict.reason}"
    if verdict.suggested_url and verdict.status is Status.REDIRECTED:
        text += f"; now at {verdict.suggested_url}"
    elif link.archive is not None:
        text += f"; archived copy at {link.archive.url}"
    count = streak(link, summary)
    if count:
        text += f" ({count})"
    return text


def in_workspace(path: str, cwd: PurePath, workspace: PurePath | None) -> str:
    """``path`` (as the run was given it, from ``cwd``) relative to the repository's root,
    ``workspace`` (``GITHUB_WORKSPACE``), where GitHub reads an annotation's ``file=``;
    as given when there is no workspace or the file is outside it."""
    if workspace is None:
        return path
    full = PurePath(posixpath.normpath((cwd / path).as_posix()))
    try:
        return full.relative_to(workspace).as_posix()
    except ValueError:
        return path


def format_github(summary: RunSummary, file_of: Callable[[str], str] = str) -> str:
    """Annotations on the digest lines of a pull request: ``::error`` for links that fail the
    run, ``::warning`` for redirected, blocked and unreachable ones and for failing ones that
    ``--fail-after`` still spares; newly failing links first; then one plain line. Each
    ``file=`` is ``file_of`` the digest's path (``in_workspace``)."""
    lines = [_command("error", f"enricher: {error}") for error in summary.errors]
    lines += [
        _command("warning", problem.message, file=file_of(problem.path), line=problem.line,
                 title="enricher: input problem")
        for problem in summary.problems
    ]  # fmt: skip
    if summary.network_unavailable:
        lines.append(_command("warning", f"enricher: {NETWORK_DOWN_NOTE}"))
    ordered = sorted(non_ok(summary), key=lambda pair: pair[1].change is not Change.NEWLY_FAILING)
    for digest, link in ordered:
        status = link.verdict.status
        if fails_run(summary, link):
            kind = "error"
        elif status in WARNING_STATUSES or status in summary.fail_on:
            kind = "warning"
        else:
            continue
        title = f"{status.value} link"
        if link.change is Change.NEWLY_FAILING:
            title = f"newly {title}"
        lines.append(
            _command(kind, _link_message(link, summary), file=file_of(digest.path),
                     line=link.entry.line, title=title)
        )  # fmt: skip
    for digest, link in mismatches(summary):
        kind = "error" if LabelMatch.MISMATCH in summary.fail_on else "warning"
        message = " ".join(p for p in (link.entry.label, link.entry.url) if p)
        lines.append(
            _command(kind, f"{message}: {mismatch_note(link)}", file=file_of(digest.path),
                     line=link.entry.line, title="label mismatch")
        )  # fmt: skip
    lines.append(f"enricher: {summary.total_links} links; {_counts_line(summary)}")
    lines.append(f"enricher: {changes_line(summary)}")
    return "\n".join(lines) + "\n"


# JUnit XML ----------------------------------------------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Text XML 1.0 can hold: control characters (an ESC pasted into a label) and the lone
    surrogates of a file name that is not UTF-8 become U+FFFD."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def format_junit(summary: RunSummary) -> str:
    """JUnit XML: a testsuite per digest, a testcase per link; links whose status is in the
    fail policy are ``<failure>``, skipped ones ``<skipped>``; other non-ok ones pass with
    their status in ``<system-out>``."""
    suites = ET.Element("testsuites", name="enricher")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for digest in summary.digests:
        suite = ET.SubElement(suites, "testsuite", name=_xml_text(digest.path))
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for link in digest.links:
            verdict = link.verdict
            name = f"line {link.entry.line}: {link.entry.label or link.entry.url or ''}".rstrip()
            case = ET.SubElement(
                suite, "testcase", name=_xml_text(name), classname=_xml_text(digest.path),
                file=_xml_text(digest.path), line=str(link.entry.line), time="0.000",
            )  # fmt: skip
            counts["tests"] += 1
            message = _xml_text(f"{verdict.status.value}: {_link_message(link, summary)}")
            mismatched = link.label_match is LabelMatch.MISMATCH
            if mismatched:
                message += _xml_text(f"; label mismatch: {mismatch_note(link)}")
            if fails_run(summary, link):
                counts["failures"] += 1
                kind = verdict.status.value
                if verdict.status not in summary.fail_on and mismatched:
                    kind = LabelMatch.MISMATCH.value
                failure = ET.SubElement(case, "failure", message=message, type=kind)
                failure.text = _xml_text(link_line(digest.path, link, summary))
            elif verdict.status is Status.SKIPPED:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=message)
            elif verdict.status is not Status.OK or mismatched:
                ET.SubElement(case, "system-out").text = message
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
        suite.set("time", "0.000")  # links are checked together, not per digest
    if summary.errors:
        # Run-level failures (a record or the cache not written) as errors of their own suite,
        # so that every count adds up.
        run = ET.SubElement(suites, "testsuite", name="enricher run", tests=str(len(summary.errors)),
                            failures="0", skipped="0", errors=str(len(summary.errors)), time="0.000")  # fmt: skip
        for number, error in enumerate(summary.errors, 1):
            case = ET.SubElement(run, "testcase", name=f"run error {number}",
                                 classname="enricher run", time="0.000")  # fmt: skip
            ET.SubElement(case, "error", message=_xml_text(error), type="run-error")
        totals["tests"] += len(summary.errors)
    for key, value in totals.items():
        suites.set(key, str(value))
    suites.set("errors", str(len(summary.errors)))
    suites.set("time", f"{summary.duration_s:.3f}")
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


# Markdown -----------------------------------------------------------------------------------


_MARKDOWN = re.compile(r"([\[\]*_~`])")
"""Characters that would make a page's title a link, an image, emphasis or code in a PR
comment (titles are quoted in reasons: anyone's text)."""


def _cell(text: str | None) -> str:
    """Table-cell text: one line, control characters shown as escapes (``visible``), ``|``
    and Markdown's punctuation escaped, ``<``/``>``/``&`` as entities so that a label like
    ``Vec<T>`` or ``<think>`` shows instead of vanishing as HTML, and ``@`` kept from being
    a mention (``@team`` in a page's title must not notify a team)."""
    if not text:
        return ""
    flat = visible(" ".join(text.split()))
    # A URL in a reason ("moved permanently (301) to https://medium.com/@ann/a_post") is left
    # as written: GitHub links it whole, and escapes inside it would break the link.
    pieces = _URL_IN_TEXT.split(flat)
    return "".join(
        piece.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
        if number % 2
        else _escape_cell_text(piece)
        for number, piece in enumerate(pieces)
    )


_URL_IN_TEXT = re.compile(r"(https?://[^\s<>\"]+)")


def _escape_cell_text(text: str) -> str:
    flat = text.replace("\\", "\\\\")
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = _MARKDOWN.sub(r"\\\1", flat).replace("@", "@&#8203;")
    return flat.replace("|", "\\|")


def _md_link(url: str | None) -> str:
    """An autolink ``<url>``; ``|`` percent-encoded so it cannot split the table row."""
    if not url:
        return ""
    if any(c in url for c in " <>"):
        return _cell(url)
    return "<" + url.replace("|", "%7C") + ">"


def _code_span(text: str) -> str:
    """``text`` as inline code, fenced by more backticks than it holds."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_streak(link: CheckedLink, summary: RunSummary) -> str:
    """The failing-checks cell: ``3``, or ``1 (fails the run at 2)`` while spared."""
    count = link.consecutive_failures
    if not count:
        return ""
    if link.verdict.status in summary.fail_on and not fails_run(summary, link):
        return f"{count} (fails the run at {summary.fail_after})"
    return str(count)


def _suggestion(link: CheckedLink) -> str | None:
    """Where to point the link instead: its new URL, or a dead page's archived copy."""
    if link.verdict.suggested_url:
        return link.verdict.suggested_url
    return link.archive.url if link.archive is not None else None


def _md_item(path: str, link: CheckedLink) -> str:
    """``- `path:line` label <url> (status)``: one link of a changes list."""
    parts = [_code_span(visible(f"{path}:{link.entry.line}")), _cell(link.entry.label),
             _md_link(link.entry.url), f"({link.verdict.status.value})"]  # fmt: skip
    return "- " + " ".join(part for part in parts if part)


def format_markdown(summary: RunSummary) -> str:
    """A report a person reads (a PR comment, a job summary): totals, then per digest a
    table of the links that are not ok."""
    fails = any(fails_run(summary, link) for digest in summary.digests for link in digest.links)
    verdict = "failed" if fails else "passed"
    policy = ", ".join(policy_words(summary)) or "never"
    lines = [
        "## enricher link report",
        "",
        f"**{summary.total_links} links** in {len(summary.digests)} digests: **{verdict}** "
        f"(fail on: {policy}).",
        "",
        "| " + " | ".join(s.value for s in Status) + " |",
        "|" + "---:|" * len(Status),
        "| " + " | ".join(str(summary.counts.get(s, 0)) for s in Status) + " |",
    ]
    if summary.network_unavailable:
        lines += ["", f"> **Warning:** {NETWORK_DOWN_NOTE}."]
    for error in summary.errors:
        lines += ["", f"> **Error:** {_cell(error)}"]
    lines += ["", f"**{changes_line(summary).capitalize()}.**"]
    lists = changed(summary)
    for change, title in ((Change.NEWLY_FAILING, "Newly broken"), (Change.RECOVERED, "Recovered")):
        if lists[change]:
            lines += ["", f"{title}:", ""]
            lines += [_md_item(digest.path, link) for digest, link in lists[change]]
    by_digest: dict[str, list[CheckedLink]] = {}
    for digest, link in non_ok(summary):
        by_digest.setdefault(digest.path, []).append(link)
    for path, links in by_digest.items():
        lines += [
            "",
            f"### {_code_span(visible(path))}",
            "",
            "| line | label | link | status | reason | suggested URL | failing checks in a row |",
            "|---:|---|---|---|---|---|---:|",
        ]
        for link in links:
            verdict_ = link.verdict
            status = verdict_.status.value
            if fails_run(summary, link):
                status = f"**{status}**"
            lines.append(
                f"| {link.entry.line} | {_cell(link.entry.label)} | {_md_link(link.entry.url)} "
                f"| {status} | {_cell(verdict_.reason)} | {_md_link(_suggestion(link))} "
                f"| {_md_streak(link, summary)} |"
            )
    mismatched = mismatches(summary)
    if mismatched:
        lines += ["", "### Label mismatches (likely the wrong link)", ""]
        lines += [
            f"{_md_item(digest.path, link)}: {_cell(mismatch_note(link))}"
            for digest, link in mismatched
        ]
    if not by_digest and not mismatched:
        lines += ["", "Every link is ok."]
    return "\n".join(lines) + "\n"


# HTML -------------------------------------------------------------------------------------


def format_html(summary: RunSummary) -> str:
    """One self-contained page a person reads (``report_html``: its view and its template).
    Imported here on first use: Jinja2 is loaded by the first HTML report, not at start-up."""
    from .report_html import format_html as render_html

    return render_html(summary)


FORMATTERS = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
    "junit": format_junit,
    "markdown": format_markdown,
    "html": format_html,
}
