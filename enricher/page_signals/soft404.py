"""Soft 404s: pages that say they do not exist, or that a dead link was sent to, whatever
their status; and the probe that settles a mere hint (see the package's docstring)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..models import HttpFacts, PageFacts, ProbeFacts, Status
from .text import (
    THIN_TEXT,
    Signal,
    comparable,
    is_home,
    names_a_page,
    norm,
    quote,
    says_it_is_content,
    site_of,
    title_parts,
    url_path,
)

ERROR_PHRASES = frozenset({
    # English
    "404", "error 404", "404 error", "404 not found", "not found 404", "404 page not found",
    "page not found", "page not found 404", "404 page", "404 this page could not be found",
    "this page could not be found", "the page could not be found", "page could not be found",
    "page cannot be found", "the page cannot be found", "this page cannot be found",
    "page does not exist", "this page does not exist", "the page does not exist",
    "page doesn t exist", "this page doesn t exist", "sorry this page isn t available",
    "this page isn t available", "page not available", "this page is not available",
    "oops page not found", "oops that page can t be found",
    "the page you requested could not be found", "the requested url was not found on this server",
    "file or directory not found", "404 file or directory not found",
    "the page you were looking for doesn t exist", "the page you are looking for doesn t exist",
    "the page you re looking for can t be found", "we can t find that page",
    "we couldn t find that page", "sorry we couldn t find that page", "content not found",
    "post not found", "article not found", "resource not found", "page no longer exists",
    "error page not found", "http 404", "http status 404 not found", "404 error page",
    "the resource cannot be found",
    # Other languages
    "seite nicht gefunden", "fehler 404", "404 seite nicht gefunden", "seite wurde nicht gefunden",
    "page introuvable", "erreur 404", "page non trouvée", "cette page n existe pas",
    "página no encontrada", "error 404 página no encontrada", "pagina no encontrada",
    "página não encontrada", "pagina não encontrada", "pagina non trovata", "errore 404",
    "pagina niet gevonden", "strona nie została znaleziona", "sidan kunde inte hittas",
    "страница не найдена", "ошибка 404", "sayfa bulunamadı", "trang không tồn tại",
    "halaman tidak ditemukan", "الصفحة غير موجودة", "הדף לא נמצא", "पेज नहीं मिला",
    "ページが見つかりません", "お探しのページは見つかりませんでした", "ページが見つかりませんでした",
    "404 ページが見つかりません", "页面未找到", "页面不存在", "找不到页面", "您访问的页面不存在",
    "抱歉 您访问的页面不存在", "頁面不存在", "找不到網頁", "페이지를 찾을 수 없습니다",
    "요청하신 페이지를 찾을 수 없습니다",
})  # fmt: skip
"""Whole titles, headings or title parts (normalised: see ``norm``) that are error messages."""

ERROR_TEXTS = (
    ("the page you were looking for in this blog does not exist", "Blogger"),
    ("this page could not be found", "Next.js"),
    ("the link you followed may be broken or the page may have been removed", "a site engine"),
    ("the requested url was not found on this server", "Apache"),
    # IIS: "...might have been removed, had its name changed, or is temporarily unavailable";
    # ASP.NET: "...could have been removed, had its name changed, or is temporarily ...".
    ("had its name changed or is temporarily unavailable", "IIS"),
    ("sorry this page isn t available", "Instagram"),
)  # fmt: skip
"""Sentences of error pages: they count only on a page with little text (kept whole in its
facts), wherever they stand in it (below a site's menu too)."""

SUSPENDED_PHRASES = ("account suspended", "this account has been suspended", "website suspended")
"""Whole titles or headings (or parts) of a host's page for an account it suspended; they
count on a page with little text (a help article about suspensions is not one)."""

WEAK_ERROR_WORDS = (
    "404", "not found", "error", "oops", "doesn t exist", "does not exist", "no longer available",
    "unavailable", "nicht gefunden", "introuvable", "no encontrad", "não encontrad", "non trovat",
    "見つかりません", "不存在", "找不到", "찾을 수 없", "не найден",
)  # fmt: skip
"""Words that make a title or heading worth a probe, and decide nothing alone."""

_WEAK_ERROR = re.compile(
    "|".join(
        rf"(?<!\w){re.escape(word)}(?!\d)" if word.isascii() else re.escape(word)
        for word in WEAK_ERROR_WORDS
    )
)
"""A weak word as a word ("terror" is not "error", "1404" not "404"); CJK ones anywhere."""

MAX_HINT_WORDS = 4
"""A weak word hints at an error page only in a title part this short ("Oops! Nothing here",
"Not Found – Vinyl LP"); in a longer one it is a headline or a tagline ("How to fix a 404
error", "Application Performance Monitoring & Error Tracking")."""

_HINT_PHRASES = tuple(phrase for phrase in ERROR_PHRASES if len(phrase.split()) > 1)
"""Error messages that hint wherever they stand in a title part ("404" alone is a number in
a longer one: "404 Media", "Room 404")."""

_ERROR_IN_PATH = re.compile(r"(?<![0-9])404(?![0-9])|not[-_]?found", re.I)
"""A link whose path names the error is a page about it (MDN's ``/Status/404``, Wikipedia's
``/wiki/HTTP_404``): its error title only hints."""

_SERVER_ERROR_TITLE = re.compile(r"^(?:http (?:status |error )?)?(4\d\d|5\d\d)\b")

_NOT_FOUND_SEGMENT = re.compile(
    r"(?:not-?found|page-?not-?found|pagenotfound|error-?404|404-?error|404-?page|page-?404)"
    r"(?:\.\w+)?|404\.(?:html?|php|aspx?|jsp)",
    re.I,
)
"""A path segment that names a site's not-found page: where dead links are sent."""

NOTICE_S = 30
"""A thin page refreshing to the home page within this many seconds is a dead link's notice
("Not found: taking you home in 10 s"); one waiting longer is an app's session timeout (a
30-minute refresh to ``/`` on an app shell)."""

NOT_FOUND_DEPTH = 2
"""How many segments a not-found page's path has at most (see ``_not_found_path``)."""


def find_soft_404(requested_url: str, facts: HttpFacts) -> Signal | None:
    page = facts.page
    moved = _redirected_away(requested_url, facts.final_url) if facts.redirects else None
    if moved:
        return Signal(Status.BROKEN, f"soft 404: {moved}")
    if page is None:
        return None
    thin = page.text_length < THIN_TEXT
    # A refresh to the home page is a dead link's notice; on a page with content of its own,
    # a news page's periodic reload, and one that waits long an app's session timeout.
    notice = page.refresh_delay_s is None or page.refresh_delay_s <= NOTICE_S
    if (
        thin
        and notice
        and page.refresh_url
        and (moved := _redirected_away(requested_url, page.refresh_url))
    ):
        return Signal(Status.BROKEN, f"soft 404: meta refresh, {moved.removeprefix('redirected ')}")
    if _about_itself(requested_url, facts):
        return _probed(requested_url, facts)  # an error title here is a hint: the probe decides
    for text in (page.html_title, page.heading):
        parts = title_parts(text)
        if not parts:
            continue
        server = _SERVER_ERROR_TITLE.match(parts[0])
        if server and server[1].startswith("5") and norm(text) in _server_titles(server[1]):
            return Signal(Status.UNREACHABLE, f"server error page ({text}) answered as 200")
        if _is_error_message(parts) and page.text_length < ARTICLE_TEXT:
            what = "title" if text is page.html_title else "heading"
            return Signal(Status.BROKEN, f"soft 404: the page's {what} says {quote(text)}")
        if thin and parts[0] in SUSPENDED_PHRASES:
            return Signal(Status.BROKEN, "hosting account suspended")
    start = norm(page.text) or ""
    if thin:
        for sentence, engine in ERROR_TEXTS:
            if sentence in start:
                return Signal(
                    Status.BROKEN, f"soft 404: the page says it does not exist ({engine})"
                )
    return _probed(requested_url, facts)


ARTICLE_TEXT = 4000
"""An error page says little, even with a site's menu and sidebar around it; a page with
this much text of its own whose title ends in "Page Not Found" is an article or a film
about one ("Page Not Found – Short Film | Festival"): its title only hints (the probe
decides)."""

MAX_SITE_NAME_WORDS = 5
"""The other parts of an error page's title are its site's name ("Page not found – My Blog");
a longer one is a headline ("404 Error - What It Means and How to Fix It")."""


def _is_error_message(parts: list[str]) -> bool:
    """Whether a title (its parts: see ``title_parts``) is an error message: whole, or as its
    first or last part beside nothing but a site's name. One in the middle is a question's
    subject ("django - Page not found (404) - Stack Overflow")."""
    whole, pieces = parts[0], parts[1:]
    if whole in ERROR_PHRASES:
        return True
    for end in {pieces[0], pieces[-1]} if len(pieces) >= 2 else ():
        others = [piece for piece in pieces if piece != end]
        if end in ERROR_PHRASES and all(
            len(other.split()) <= MAX_SITE_NAME_WORDS for other in others
        ):
            return True
    return False


def _about_itself(requested_url: str, facts: HttpFacts) -> bool:
    """Whether the page says it is a thing of its own (an article, a song, a product: see
    ``says_it_is_content``), or its link or its final URL names the error (MDN's
    ``/Status/404``, a question slug ``/questions/1/page-not-found-404``): then an error
    title is its subject."""
    return any(
        _ERROR_IN_PATH.search(url_path(url)) for url in (requested_url, facts.final_url)
    ) or says_it_is_content(facts.page or PageFacts())


def _probed(requested_url: str, facts: HttpFacts) -> Signal | None:
    """What the probe says of a page that hinted at an error: a soft 404 when the host
    answered a nonsense path with the same page."""
    if facts.probe is None or facts.page is None:
        return None
    same = _probe_agrees(requested_url, facts, facts.probe)
    if same is None:
        return None
    reason = f"soft 404: the site answers a random path with the same page ({quote(same)})"
    return Signal(Status.BROKEN, reason)


def _server_titles(code: str) -> frozenset[str]:
    return frozenset({
        f"{code} internal server error", f"{code} bad gateway", f"{code} service unavailable",
        f"{code} service temporarily unavailable", f"{code} gateway timeout",
        f"{code} gateway time out", f"http error {code}", f"error {code}",
    })  # fmt: skip


def _probe_agrees(requested_url: str, facts: HttpFacts, probe: ProbeFacts) -> str | None:
    """Whether the host answered a nonsense path as it answered the link: then the link's
    page is what the host says for anything it does not have. The agreement must be on what
    hinted at an error (many sites put their logo in every page's ``<h1>``, or one title on
    every page of a JavaScript app); returns what agreed (a title, a heading, a place)."""
    if probe.status_code is None or not 200 <= probe.status_code <= 299:
        return None  # a real 404 (or nothing): the site tells missing pages apart
    page = facts.page or PageFacts()
    title, heading = norm(page.html_title), norm(page.heading)
    probe_heading = norm(probe.heading)
    title_hint, heading_hint = hints(page.html_title), hints(page.heading)
    if not (title_hint or heading_hint) or not _same_text(page, probe):
        return None
    other_heading = heading is not None and probe_heading is not None and heading != probe_heading
    if title_hint and title == norm(probe.title) and not other_heading:
        return page.html_title
    if heading_hint and heading == probe_heading:
        return page.heading
    same_place = (
        facts.final_url != requested_url
        and probe.final_url is not None
        and comparable(facts.final_url) == comparable(probe.final_url)
    )
    return facts.final_url if same_place else None


SAME_TEXT = 0.8
"""How much of two whole texts must be shared, start and end, for them to be one page with
a word or two changed: an error page echoing the path it was asked for is ("'old-post' was
not found" and "'enricher-1f2e' was not found")."""

SAME_START = 80
"""How alike (rapidfuzz ``ratio``, 0-100) two texts kept only in part must be past their
shared start (a site's menu, its cookie banner)."""


def _same_text(page: PageFacts, probe: ProbeFacts) -> bool:
    """Whether two pages say the same, past the start every page of a site shares. A page
    with no text of its own (a script's shell) cannot be told from another (a site whose
    every page is one shell titled "Oops", its name, would otherwise be all soft 404s); nor
    can a page whose kept start (``PageFacts.text``) is all shared with the other."""
    mine, theirs = norm(page.text), norm(probe.text)
    if not mine or not theirs:
        return False
    start = _shared(mine, theirs)
    whole = page.text_length < THIN_TEXT and probe.text_length < THIN_TEXT
    if whole:  # both kept whole: the same but for a middle (the path echoed)?
        end = _shared(mine[start:][::-1], theirs[start:][::-1])
        return (start + end) / max(len(mine), len(theirs)) >= SAME_TEXT
    rest, other_rest = mine[start:].strip(), theirs[start:].strip()
    if not rest or not other_rest:
        return False  # one of them is all shared start, as far as it was kept
    from rapidfuzz import fuzz  # 13 ms to import; only a probed soft-404 hint gets here

    return fuzz.ratio(rest[:200], other_rest[:200]) >= SAME_START


def _shared(a: str, b: str) -> int:
    """How many characters two texts share from their start."""
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def hints(text: str | None) -> bool:
    """Whether a title or heading hints at an error page: a part with an error message in it
    ("Oops, we couldn't find that page!", see ``ERROR_PHRASES``), or a short part with a weak
    word in it (see ``MAX_HINT_WORDS``)."""
    return any(
        any(f" {phrase} " in f" {part} " for phrase in _HINT_PHRASES)
        or (len(part.split()) <= MAX_HINT_WORDS and _WEAK_ERROR.search(part) is not None)
        for part in title_parts(text)
    )


def _redirected_away(requested_url: str, final_url: str) -> str | None:
    """Why a deep link that ends at ``final_url`` is dead: sent to the site's home page or to
    its not-found page; None when that is not what happened."""
    before, after = urlsplit(requested_url), urlsplit(final_url)
    if site_of(before.hostname) != site_of(after.hostname):
        return None  # another site: a move, judged by the redirect rules
    if _not_found_path(after.path) and not _not_found_path(before.path):
        return f"redirected to a not-found page ({after.path})"
    if is_home(before.path) or not is_home(after.path) or names_a_page(after.query):
        return None
    if before.path.rstrip("/") == after.path.rstrip("/"):
        return None
    return "redirected to the site's home page"


def _not_found_path(path: str) -> bool:
    """A site's not-found page: a short path ending in one (``/404``, ``/en-us/page-not-found``,
    ``/errors/404.html``); deeper, a slug (``/questions/1/page-not-found``, Discourse's
    ``/t/some-topic/404``, a review of the band Not Found at ``/2024/05/not-found/``)."""
    segments = [segment for segment in path.split("/") if segment]
    if not segments or len(segments) > NOT_FOUND_DEPTH:
        return False
    last = segments[-1]
    return bool(_NOT_FOUND_SEGMENT.fullmatch(last)) or last == "404"
