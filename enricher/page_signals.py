"""What a page's answer says beyond its status line: a wall, a parked domain, a soft 404.

Pure: ``HttpFacts`` (status, redirects, the few headers that matter, the facts of the HTML's
start: ``enricher.pages``) in, a ``Signal`` (status and reason) or None out. The web
authority asks ``judge_page`` before its status-line rules, so a wall answered 200 is
``blocked`` and an error page answered 200 is ``broken``.

Precision first: a false ``broken`` is worse than a missed soft 404. Strong signals only:
a title or heading that *is* an error message (not one that mentions one: "How to fix a 404
error" is an article), a vendor's challenge fingerprint on a page with no content of its
own, a deep link sent to the site's home page. Weak hints (a title that merely contains
"not found") decide nothing alone: they ask the host once for a random sibling path, as in
Bar-Yossef et al., "Sic Transit Gloria Telae" (WWW 2004), and the link is a soft 404 only
when the host answers that nonsense path with the same page.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from .models import HttpFacts, PageFacts, ProbeFacts, Status

__all__ = [
    "HTML_MARKERS",
    "SIGNAL_HEADERS",
    "Signal",
    "judge_page",
    "probe_path",
    "wants_probe",
]


@dataclass(frozen=True, slots=True)
class Signal:
    """A verdict the page's content decides, whatever its status line said."""

    status: Status
    reason: str


# --- Walls -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Wall:
    """A bot-protection vendor and the fingerprints of its challenge.

    ``challenge`` fingerprints appear only on a challenge (a header, a title, a token of the
    challenge script); ``present`` ones appear on every page the vendor protects, ordinary
    pages included (Hugging Face loads AWS WAF's script on every page), so they count only
    on an answer that is refused or has no content of its own.
    """

    name: str
    challenge_headers: tuple[tuple[str, str], ...] = ()
    """(header, value fragment); an empty fragment matches any value."""
    present_headers: tuple[tuple[str, str], ...] = ()
    challenge_markers: tuple[str, ...] = ()
    present_markers: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    """Whole titles (normalised: see ``_norm``) of its challenge pages."""


WALLS: tuple[Wall, ...] = (
    Wall(
        "Cloudflare",
        challenge_headers=(("cf-mitigated", "challenge"),),
        present_headers=(("server", "cloudflare"),),
        # Not "/cdn-cgi/challenge-platform/h/": JavaScript Detections inject
        # ".../h/b/scripts/jsd/<hash>/main.js" into ordinary pages; challenges "orchestrate".
        challenge_markers=("cf_chl_opt", "cf-browser-verification", "/orchestrate/chl_page/",
                           "/orchestrate/managed/", "/orchestrate/jsch/", "/orchestrate/captcha/"),
        present_markers=("/cdn-cgi/challenge-platform/",),
        titles=("just a moment", "attention required cloudflare", "please wait cloudflare"),
    ),
    Wall(
        "AWS WAF",
        challenge_headers=(("x-amzn-waf-action", ""),),
        challenge_markers=("gokuprops", "awswafintegration.checkforcerefresh"),
        present_markers=("awswaf.com",),
    ),
    Wall(
        "Akamai",
        challenge_markers=("/_sec/cp_challenge/", "sec-if-cpt-container"),
        present_headers=(("server", "akamaighost"),),
        # Its "Access Denied" page writes the reference link with entities.
        present_markers=("errors.edgesuite.net", "errors&#46;edgesuite&#46;net"),
    ),
    Wall(
        "DataDome",
        challenge_markers=("captcha-delivery.com",),
        present_headers=(("x-datadome", ""), ("server", "datadome"), ("x-dd-b", "")),
        present_markers=("js.datadome.co",),
    ),
    Wall(
        "Imperva",
        challenge_markers=("incapsula incident id", "_incapsula_resource?swudnsai"),
        present_headers=(("x-iinfo", ""), ("x-cdn", "imperva"), ("x-cdn", "incapsula")),
        present_markers=("/_incapsula_resource",),
    ),
    Wall(
        "PerimeterX",
        challenge_markers=("px-captcha", "captcha.px-cdn.net"),
        present_markers=("_pxappid",),
        titles=("access to this page has been denied",),
    ),
    Wall(
        "Radware",
        # Its captcha is served from validate.perfdrive.com; protected pages load its
        # connector from cdn.perfdrive.com.
        challenge_markers=("validate.perfdrive.com",),
        present_markers=("perfdrive.com",),
        titles=("radware bot manager captcha", "shieldsquare captcha"),
    ),
    Wall(
        "Sucuri",
        challenge_headers=(("x-sucuri-block", ""),),
        present_headers=(("x-sucuri-id", ""), ("server", "sucuri")),
        titles=("sucuri website firewall access denied",),
    ),
    Wall(
        "Vercel",
        challenge_headers=(("x-vercel-mitigated", ""),),  # "challenge" or "deny"
        titles=("vercel security checkpoint",),
    ),
    Wall(
        "Kasada",
        # Its token headers come with ordinary answers too: only a refused one is a wall.
        present_headers=(("x-kpsdk-ct", ""), ("x-kpsdk-cd", "")),
        present_markers=("kpsdk",),
    ),
    Wall(
        "DDoS-Guard",
        present_headers=(("server", "ddos-guard"),),
        titles=("ddos guard",),
    ),
    Wall(
        "Anubis",
        challenge_markers=("/.within.website/x/cmd/anubis/", "anubis_challenge"),
        titles=("making sure you re not a bot",),
    ),
    Wall(
        "go-away",
        challenge_markers=("/.well-known/.git.gammaspectra.live/git/go-away/",),
        titles=("checking you are not a bot",),
    ),
)  # fmt: skip

# --- Parked domains ------------------------------------------------------------------------

PARKING_SERVICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Sedo", ("sedoparking.com", "sedo.com/")),
    ("Bodis", ("bodis.com", "bodiscdn.com")),
    ("ParkingCrew", ("parkingcrew.net",)),
    ("GoDaddy", ("wsimg.com/parking-lander", "godaddy.com/domainsearch", "courtesy of godaddy")),
    ("Afternic", ("afternic.com",)),
    ("Dan.com", ("//dan.com", "www.dan.com", "undeveloped.com")),
    ("HugeDomains", ("hugedomains.com",)),
    ("Porkbun", ("porkbun.com",)),
    ("NameSilo", ("namesilo.com",)),
    ("Epik", ("epik.com",)),
    ("Namecheap", ("parkingpage.namecheap.com",)),
    ("Above.com", ("above.com/marketplace", "trafficanalysis.above.com")),
    ("Dynadot", ("dynadot.com",)),
)  # fmt: skip
"""Parking and domain-sale services, with what their landers load or link to."""

_PARKED_TITLE = re.compile(
    r"(?:(?:the )?(?:domain (?:name )?)?[\w-]+(?:\.[\w-]+)+ (?:is |may be )?for sale"
    r"|(?:this |the )?(?:domain|website) (?:name )?(?:is |may be )?(?:for sale|parked)"
    r"|buy this domain|parked domain|domain parked)[!.]*"
)
"""A whole title or title part (lower-cased, punctuation kept) that is a sale or parking
notice: "example.com is for sale", "Domain for sale", "This website is for sale!"; a thing for
sale that is not a domain name is a shop's page, a headline that starts so an article's."""

PARKING_SCRIPTS = (
    "sedoparking.com", "parkingcrew.net", "bodis.com", "bodiscdn.com", "wsimg.com/parking-lander",
    "parkingpage.namecheap.com", "above.com",
)  # fmt: skip
"""Hosts (with their subdomains; a path when given) whose scripts or frames only a parking
lander loads."""

PARKED_PHRASES = (
    "this domain is for sale", "this domain may be for sale", "buy this domain",
    "is parked free", "parked free courtesy of", "this domain is parked", "domain is parked",
    "make an offer on this domain", "the domain name is for sale", "this domain name is for sale",
    "this domain is registered at", "this domain has been registered",
    "this domain was recently registered", "domain is available for purchase",
)  # fmt: skip
"""Sentences of landers: they count on a page with little text of its own."""

EXPIRED_PHRASES = (
    "this domain has expired", "domain name has expired", "this domain name expired",
    "this domain expired", "this domain is pending renewal", "is pending renewal or deletion",
    "registration of this domain has expired", "domain registration has expired",
)  # fmt: skip
"""Sentences of registrars' notices for a registration that lapsed."""

EXPIRED_TITLES = frozenset({"domain expired", "this domain has expired", "expired domain"})
"""Whole titles or headings (or parts) of such notices."""

# --- Error pages (soft 404s) ---------------------------------------------------------------

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
"""Whole titles, headings or title parts (normalised: see ``_norm``) that are error messages."""

ERROR_TEXTS = (
    ("the page you were looking for in this blog does not exist", "Blogger"),
    ("this page could not be found", "Next.js"),
    ("the link you followed may be broken or the page may have been removed", "a site engine"),
    ("the requested url was not found on this server", "Apache"),
    # IIS: "...might have been removed, had its name changed, or is temporarily unavailable";
    # ASP.NET: "...could have been removed, had its name changed, or is temporarily ...".
    ("had its name changed or is temporarily unavailable", "IIS"),
)  # fmt: skip
"""Sentences of error pages that ordinary pages do not start with: they count only near the
start of a page with little text."""

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

CONTENT_TYPES = (
    "article", "posting", "product", "music", "video", "book", "movie", "recipe", "episode",
    "podcast", "event", "creativework", "report", "dataset", "software",
)  # fmt: skip
"""Fragments of ``og:type`` or JSON-LD ``@type`` values that say the page is a thing of its
own (a song called "404", a list called "500"): an error title then only hints."""

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

NOT_FOUND_DEPTH = 2
"""A bare ``404`` segment is a not-found page near the root (``/404``, ``/en-us/404``,
``/errors/404``); deeper it is a number (Discourse's ``/t/some-topic/404`` is topic 404)."""

_LOGIN_PATH = re.compile(
    r"(?:^|/)(?:log-?in|sign-?in|signin|servicelogin|authwall|accounts/login|users/sign_in|"
    r"session/new|account/login|user/login|oauth2?/authorize)(?:/|$|\.)",
    re.I,
)
"""A sign-in page's path."""

_AUTH_PATH = re.compile(r"(?:^|/)(?:auth|sso|cas|idp)(?:/|$)", re.I)
"""A path that may be a sign-in service's (``/auth/realms/...``) or a site's section about
authentication (``/docs/auth/``): sign-in only with a way back in its query."""

_RETURN_QUERY = re.compile(
    r"(?:^|&)(?:next|return|returnto|return_to|returnurl|redirect|redirect_uri|redirect_url|"
    r"redirectto|continue|callback|callbackurl|service|came_from|dest|destination|goto|target|"
    r"from|back|backurl|ru)=",
    re.I,
)
"""Where a sign-in page sends the reader back to: the page that wanted a session."""

LOGIN_TITLES = (
    "log in", "login", "sign in", "signin", "log on", "logon", "please log in", "please sign in",
    "member login", "anmelden", "einloggen", "connexion", "se connecter", "iniciar sesión",
    "inicia sesión", "entrar", "accedi", "inloggen", "войти", "вход", "ログイン", "登录", "登入",
    "로그인",
)  # fmt: skip
"""Whole titles (or title parts) of sign-in pages: "Snipplr - Login", "Sign in · GitLab"."""

LOGIN_TO = ("log in to", "login to", "log into", "sign in to", "signin to", "sign into")
"""How "Log in to <site>" titles start: "Login to Meetup | Meetup"; not "Sign in with
Apple", a feature's name."""

MAX_LOGIN_TO_WORDS = 6
"""A longer "Log in to ..." title is a sentence: an article's headline."""

CONSENT_TITLES = (
    "before you continue", "antes de ir a", "antes de continuar", "bevor sie zu",
    "bevor sie fortfahren", "avant d accéder à", "avant de continuer", "prima di continuare",
    "prima di accedere a", "voordat je verdergaat", "zanim przejdziesz do",
    "innan du fortsätter", "før du fortsætter", "ennen kuin jatkat",
)  # fmt: skip
"""How consent interstitials (Google's) start their title: "Before you continue to YouTube"."""

CONSENT_WHOLE_TITLES = frozenset({
    "we value your privacy", "cookie consent", "your privacy choices", "privacy consent",
})  # fmt: skip
"""Whole titles (or title parts) of consent managers' pages; as a title's start they are an
article's headline ("Cookie consent banners are getting worse")."""

CONSENT_MARKERS = ("consent.google.", "consent.youtube.com")
"""Where Google's consent forms post to."""

_SEPARATORS = re.compile(r"\s+[|\-–—•·:»‹›/]+\s+|\s*[|•·»]\s*")
"""Between a page's name and its site's: "Page not found – My Blog", "404 | Shop"."""

_PUNCTUATION = re.compile(r"[^\w\s]+")

HOME_PATHS = frozenset(
    {"", "/", "/index.html", "/index.htm", "/index.php", "/home", "/default.aspx"}
)

_LANGUAGES = (
    "ar|bg|bn|ca|cs|da|de|el|en|es|et|fa|fi|fr|he|hi|hr|hu|id|it|ja|ko|lt|lv|ms|nb|nl|no|pl|pt|"
    "ro|ru|sk|sl|sr|sv|th|tr|uk|vi|zh"
)
_LOCALE_ROOT = re.compile(rf"^/(?:{_LANGUAGES})(?:[-_][a-z]{{2,4}})?/?$", re.I)
"""``/en/``, ``/de-de``: a localised home page (known language codes only: ``/ok`` is not)."""

SIGNAL_HEADERS = frozenset(
    name for wall in WALLS for name, _ in wall.challenge_headers + wall.present_headers
)
"""Response headers the web checker keeps for these rules (the rest are not facts)."""

HTML_MARKERS: tuple[str, ...] = tuple(
    sorted(
        {m for wall in WALLS for m in wall.challenge_markers + wall.present_markers}
        | {m for _, markers in PARKING_SERVICES for m in markers}
        | set(CONSENT_MARKERS)
    )
)
"""Fingerprints ``enricher.pages`` looks for in the HTML it reads (lower-case)."""

THIN_TEXT = 1500
"""Visible text below this many characters: a page with no content of its own to speak of
(challenges, landers and error pages are a few sentences; articles are thousands)."""


def judge_page(requested_url: str, facts: HttpFacts) -> Signal | None:
    """The verdict the answer's content decides, or None to leave it to the status line.

    Walls first (whatever the status), then, for an answer that claims to be a page (2xx):
    a parked domain, then a soft 404.
    """
    wall = _wall(requested_url, facts)
    if wall is not None:
        return wall
    if not 200 <= facts.status_code <= 299:
        return None
    return _parked(facts) or _soft_404(requested_url, facts)


def wants_probe(requested_url: str, facts: HttpFacts) -> bool:
    """Whether the answer hints at an error page without saying so plainly (see the module's
    docstring): only then is the host asked for a random sibling path."""
    if not 200 <= facts.status_code <= 299 or facts.page is None:
        return False
    if judge_page(requested_url, facts) is not None:
        return False
    if _is_home(_path(requested_url)):
        return False  # a home page has no sibling to compare with
    return _hints(facts.page.html_title) or _hints(facts.page.heading)


def probe_path(requested_url: str, token: str) -> str:
    """A random sibling of the link: its directory, then a path nobody links to."""
    parts = urlsplit(requested_url)
    directory = parts.path.rsplit("/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}{directory}/{token}"


# --- The rules -------------------------------------------------------------------------------


def _wall(requested_url: str, facts: HttpFacts) -> Signal | None:
    page = facts.page or PageFacts()
    headers = {name: value.lower() for name, value in facts.headers}
    markers = set(page.markers)
    title = _norm(page.html_title)
    refused = facts.status_code >= 400 or facts.status_code == 202
    # A server error behind a vendor (an origin down behind Cloudflare) is not its wall.
    turned_away = refused and facts.status_code < 500
    thin = page.text_length < THIN_TEXT and not page.description
    for wall in WALLS:
        challenge = (
            _has_header(headers, wall.challenge_headers)
            or bool(markers.intersection(wall.challenge_markers))
            or (bool(title) and title in wall.titles and (refused or thin))
        )
        present = _has_header(headers, wall.present_headers) or bool(
            markers.intersection(wall.present_markers)
        )
        # A challenge on a page with content of its own is a script the page loads (or an
        # article quoting one): the page itself answered.
        if (challenge and (refused or thin)) or (
            present and turned_away and thin and _walled(page)
        ):
            return Signal(Status.BLOCKED, f"bot challenge ({wall.name}); the page may exist")
    if _is_consent(requested_url, facts, page):
        return Signal(Status.BLOCKED, "consent page; the page may exist")
    if _is_login(requested_url, facts, page):
        return Signal(Status.BLOCKED, "login required; the page may exist")
    return None


WALL_WORDS = ("denied", "blocked", "captcha", "security", "verif", "robot", "bot", "checking")
"""Words of a vendor's refusal page's title."""


def _walled(page: PageFacts) -> bool:
    """A refused answer from behind a vendor, whose page is the vendor's, not the site's: no
    title of its own, or a challenge-like one."""
    title = _norm(page.html_title)
    return not title or any(word in title for word in WALL_WORDS)


def _is_consent(requested_url: str, facts: HttpFacts, page: PageFacts) -> bool:
    """Sent to a ``consent.`` host, or a page titled as Google's interstitials are, with
    their form or nothing else to read."""
    if _host(facts.final_url).startswith("consent."):
        return not _host(requested_url).startswith("consent.")  # not a link to that site
    title = _norm(page.html_title) or ""
    titled = any(_starts_with(title, start) for start in CONSENT_TITLES) or any(
        part in CONSENT_WHOLE_TITLES for part in _title_parts(page.html_title)
    )
    thin = page.text_length < THIN_TEXT and not page.description
    return titled and (thin or any(marker in page.markers for marker in CONSENT_MARKERS))


def _is_login(requested_url: str, facts: HttpFacts, page: PageFacts) -> bool:
    if _LOGIN_PATH.search(_path(requested_url)) or _AUTH_PATH.search(_path(requested_url)):
        return False  # the link is the sign-in page itself
    if facts.redirects:
        final = urlsplit(facts.final_url)
        if _LOGIN_PATH.search(final.path) or (
            _AUTH_PATH.search(final.path) and _RETURN_QUERY.search(final.query)
        ):
            return True  # sent to sign in
    # "Login to Meetup | Meetup", "Snipplr - Login"; not "Sign in with Apple, now for all".
    titled = any(
        part in LOGIN_TITLES
        or (
            any(part.startswith(start + " ") for start in LOGIN_TO)
            and len(part.split()) <= MAX_LOGIN_TO_WORDS
        )
        for part in _title_parts(page.html_title)
    )
    return titled and (page.password_field or page.text_length < THIN_TEXT)


def _parked(facts: HttpFacts) -> Signal | None:
    page = facts.page
    if page is None:
        return None
    titles = [t for t in (page.html_title, page.title) if t]
    words = " ".join(filter(None, (*map(_norm, titles), _norm(page.heading), _norm(page.text))))
    service = _parking_service(page)
    thin = page.text_length < THIN_TEXT
    # GoDaddy sends a parked domain's every path to /lander; a link to a page called so is not.
    lander = bool(facts.redirects) and _path(facts.final_url).rstrip("/") == "/lander"
    titled = any(_PARKED_TITLE.fullmatch(part) for t in titles for part in _raw_parts(t))
    loads = any(
        _loads(resource, script) for resource in page.resources for script in PARKING_SCRIPTS
    )
    said = any(phrase in words for phrase in PARKED_PHRASES)
    if loads or (titled and (thin or service is not None)) or ((lander or said) and thin):
        return Signal(Status.BROKEN, f"domain parked / for sale ({service or 'parking page'})")
    expired = any(phrase in words for phrase in EXPIRED_PHRASES) or any(
        part in EXPIRED_TITLES for text in (*titles, page.heading) for part in _title_parts(text)
    )
    if expired and thin:
        return Signal(Status.BROKEN, f"domain expired ({service or 'registration notice'})")
    return None


def _loads(resource: str, script: str) -> bool:
    """Whether a ``host/path`` resource comes from ``script`` (a host, its subdomains, and
    the path when one is given): ``cdn.riseabove.com`` is not ``above.com``."""
    host, _, path = resource.partition("/")
    want_host, _, want_path = script.partition("/")
    return (host == want_host or host.endswith("." + want_host)) and path.startswith(want_path)


def _parking_service(page: PageFacts) -> str | None:
    """The service whose trace the page carries, or whose name is a part of its title
    ("example.com is for sale | HugeDomains")."""
    found = set(page.markers)
    for name, markers in PARKING_SERVICES:
        if found.intersection(markers):
            return name
    parts = {part.removesuffix(".com") for part in _raw_parts(page.html_title)}
    for name, _ in PARKING_SERVICES:
        if name.casefold().removesuffix(".com") in parts:
            return name
    return None


def _soft_404(requested_url: str, facts: HttpFacts) -> Signal | None:
    page = facts.page
    moved = _redirected_away(requested_url, facts.final_url) if facts.redirects else None
    if moved:
        return Signal(Status.BROKEN, f"soft 404: {moved}")
    if page is None:
        return None
    thin = page.text_length < THIN_TEXT
    # A refresh to the home page is a dead link's notice; on a page with content of its own,
    # a news page's periodic reload.
    if thin and page.refresh_url and (moved := _redirected_away(requested_url, page.refresh_url)):
        return Signal(Status.BROKEN, f"soft 404: meta refresh, {moved.removeprefix('redirected ')}")
    if _about_itself(requested_url, page):
        return _probed(requested_url, facts)  # an error title here is a hint: the probe decides
    for text in (page.html_title, page.heading):
        parts = _title_parts(text)
        if not parts:
            continue
        server = _SERVER_ERROR_TITLE.match(parts[0])
        if server and server[1].startswith("5") and _norm(text) in _server_titles(server[1]):
            return Signal(Status.UNREACHABLE, f"server error page ({text}) answered as 200")
        if any(part in ERROR_PHRASES for part in parts):
            what = "title" if text is page.html_title else "heading"
            return Signal(Status.BROKEN, f"soft 404: the page's {what} says {_quote(text)}")
        if thin and any(part in SUSPENDED_PHRASES for part in parts):
            return Signal(Status.BROKEN, "hosting account suspended")
    start = _norm(page.text) or ""
    if thin:
        for sentence, engine in ERROR_TEXTS:
            if sentence in start:
                return Signal(
                    Status.BROKEN, f"soft 404: the page says it does not exist ({engine})"
                )
    return _probed(requested_url, facts)


def _about_itself(requested_url: str, page: PageFacts) -> bool:
    """Whether the page says it is a thing of its own (an article, a song, a product: see
    ``CONTENT_TYPES``), or its link names the error: then an error title is its subject."""
    kind = (page.type or "").casefold()
    return (
        bool(_ERROR_IN_PATH.search(_path(requested_url)))
        or any(fragment in kind for fragment in CONTENT_TYPES)
        or page.published_at is not None
    )


def _probed(requested_url: str, facts: HttpFacts) -> Signal | None:
    """What the probe says of a page that hinted at an error: a soft 404 when the host
    answered a nonsense path with the same page."""
    if facts.probe is None or facts.page is None:
        return None
    same = _probe_agrees(requested_url, facts, facts.probe)
    if same is None:
        return None
    reason = f"soft 404: the site answers a random path with the same page ({_quote(same)})"
    return Signal(Status.BROKEN, reason)


def _server_titles(code: str) -> frozenset[str]:
    return frozenset({
        f"{code} internal server error", f"{code} bad gateway", f"{code} service unavailable",
        f"{code} service temporarily unavailable", f"{code} gateway timeout",
        f"{code} gateway time out", f"http error {code}", f"error {code}", code,
    })  # fmt: skip


def _probe_agrees(requested_url: str, facts: HttpFacts, probe: ProbeFacts) -> str | None:
    """Whether the host answered a nonsense path as it answered the link: then the link's
    page is what the host says for anything it does not have. The agreement must be on what
    hinted at an error (many sites put their logo in every page's ``<h1>``, or one title on
    every page of a JavaScript app); returns what agreed (a title, a heading, a place)."""
    if probe.status_code is None or not 200 <= probe.status_code <= 299:
        return None  # a real 404 (or nothing): the site tells missing pages apart
    page = facts.page or PageFacts()
    title, heading = _norm(page.html_title), _norm(page.heading)
    probe_heading = _norm(probe.heading)
    title_hint, heading_hint = _hints(page.html_title), _hints(page.heading)
    if not (title_hint or heading_hint):
        return None
    other_heading = heading is not None and probe_heading is not None and heading != probe_heading
    if title_hint and title == _norm(probe.title) and not other_heading:
        return page.html_title
    if heading_hint and heading == probe_heading:
        return page.heading
    same_place = (
        facts.final_url != requested_url
        and probe.final_url is not None
        and _strip(facts.final_url) == _strip(probe.final_url)
    )
    return facts.final_url if same_place else None


def _hints(text: str | None) -> bool:
    """Whether a title or heading hints at an error page: a part with an error message in it
    ("Oops, we couldn't find that page!", see ``ERROR_PHRASES``), or a short part with a weak
    word in it (see ``MAX_HINT_WORDS``)."""
    return any(
        any(f" {phrase} " in f" {part} " for phrase in _HINT_PHRASES)
        or (len(part.split()) <= MAX_HINT_WORDS and _WEAK_ERROR.search(part) is not None)
        for part in _title_parts(text)
    )


def _redirected_away(requested_url: str, final_url: str) -> str | None:
    """Why a deep link that ends at ``final_url`` is dead: sent to the site's home page or to
    its not-found page; None when that is not what happened."""
    before, after = urlsplit(requested_url), urlsplit(final_url)
    if _site(before.hostname) != _site(after.hostname):
        return None  # another site: a move, judged by the redirect rules
    if _not_found_path(after.path) and not _not_found_path(before.path):
        return f"redirected to a not-found page ({after.path})"
    if _is_home(before.path) or not _is_home(after.path):
        return None
    if before.path.rstrip("/") == after.path.rstrip("/"):
        return None
    return "redirected to the site's home page"


def _not_found_path(path: str) -> bool:
    segments = [segment for segment in path.split("/") if segment]
    return any(
        _NOT_FOUND_SEGMENT.fullmatch(segment) or (segment == "404" and depth < NOT_FOUND_DEPTH)
        for depth, segment in enumerate(segments)
    )


def _is_home(path: str) -> bool:
    """A site's home page: ``/``, ``/index.html``, a localised root (``/en/``)."""
    return path in HOME_PATHS or bool(_LOCALE_ROOT.match(path))


# --- Helpers --------------------------------------------------------------------------------


def _norm(text: str | None) -> str | None:
    """Case-, accent-width- and punctuation-insensitive form (apostrophes become spaces)."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_PUNCTUATION.sub(" ", text).split()) or None


def _raw_parts(text: str | None) -> list[str]:
    """A title, then its parts where sites join page name and site name ("Page not found –
    My Blog", "ページが見つかりません｜サイト"), lower-cased, punctuation kept."""
    if not text:
        return []
    whole = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    parts = [part for part in _SEPARATORS.split(whole) if part]
    return [whole, *(part for part in parts if part != whole)]


def _title_parts(text: str | None) -> list[str]:
    """The title and its parts (see ``_raw_parts``), normalised (see ``_norm``)."""
    parts: list[str] = []
    for part in map(_norm, _raw_parts(text)):
        if part and part not in parts:
            parts.append(part)
    return parts


def _starts_with(text: str, start: str) -> bool:
    return text == start or text.startswith(start + " ")


def _has_header(headers: dict[str, str], wanted: tuple[tuple[str, str], ...]) -> bool:
    return any(name in headers and fragment in headers[name] for name, fragment in wanted)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def _site(host: str | None) -> str:
    host = (host or "").lower()
    return host.removeprefix("www.")


def _strip(url: str) -> str:
    parts = urlsplit(url)
    return f"{_site(parts.hostname)}{parts.path.rstrip('/')}"


def _quote(text: str | None) -> str:
    return f"“{' '.join((text or '').split())[:80]}”"
