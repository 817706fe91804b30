"""Walls in front of a page, whatever status they answer with: a bot-protection vendor's
challenge (vendor named), a sign-in page, a consent interstitial."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..models import HttpFacts, PageFacts, Status
from .text import (
    THIN_TEXT,
    Signal,
    has_header,
    is_home,
    norm,
    site_of,
    starts_with,
    title_parts,
    url_host,
    url_path,
)


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
    """Whole titles (normalised: see ``norm``) of its challenge pages."""
    titled_2xx: bool = True
    """Whether its challenge page may come with a success status (Anubis's, AWS WAF's 202);
    a vendor that always refuses (Cloudflare's 403/503) is not recognised by a title on a
    page that answered: "Just a moment..." is then someone's post."""


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
        titled_2xx=False,
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
        titled_2xx=False,
    ),
    Wall(
        "DataDome",
        challenge_markers=("captcha-delivery.com",),
        present_headers=(("x-datadome", ""), ("server", "datadome"), ("x-dd-b", "")),
        present_markers=("js.datadome.co",),
        titled_2xx=False,
    ),
    Wall(
        "Imperva",
        # The block page frames "/_Incapsula_Resource?SWUDNSAI=..." (or CWUDNSAI) around its
        # incident id; ordinary pages load "/_Incapsula_Resource?SWJIYLWA=..." scripts.
        challenge_markers=("incapsula incident id", "_incapsula_resource?swudnsai",
                           "_incapsula_resource?cwudnsai"),
        present_headers=(("x-iinfo", ""), ("x-cdn", "imperva"), ("x-cdn", "incapsula")),
        present_markers=("/_incapsula_resource",),
    ),
    Wall(
        "PerimeterX",
        challenge_markers=("px-captcha", "captcha.px-cdn.net"),
        present_markers=("_pxappid",),
        titles=("access to this page has been denied",),
        titled_2xx=False,
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
        titled_2xx=False,
    ),
    Wall(
        "Vercel",
        challenge_headers=(("x-vercel-mitigated", ""),),  # "challenge" or "deny"
        titles=("vercel security checkpoint",),
        titled_2xx=False,
    ),
    Wall(
        "Kasada",
        # Its token headers come with ordinary answers too: only a refused one is a wall.
        present_headers=(("x-kpsdk-ct", ""), ("x-kpsdk-cd", "")),
        present_markers=("kpsdk",),
        titled_2xx=False,
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

_NEXT_QUERY = re.compile(r"(?:^|&)(?:next|return_?to|return_?url)=", re.I)
"""The return parameters of a sign-in form on a home page ("/?next=/dashboard/42"); not
``from=`` or ``ref=``, which a moved site's redirect carries too."""

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


def challenge_named(headers: tuple[tuple[str, str], ...]) -> bool:
    """Whether an answer's headers (as ``HttpFacts.headers`` keeps them) name a vendor's
    challenge (``cf-mitigated: challenge``...): on a refusal, a wall (``find_wall``), told
    without reading its page."""
    lowered = {name: value.lower() for name, value in headers}
    return any(has_header(lowered, wall.challenge_headers) for wall in WALLS)


def find_wall(requested_url: str, facts: HttpFacts) -> Signal | None:
    page = facts.page or PageFacts()
    headers = {name: value.lower() for name, value in facts.headers}
    markers = set(page.markers)
    title = norm(page.html_title)
    refused = facts.status_code >= 400 or facts.status_code == 202
    # A server error behind a vendor (an origin down behind Cloudflare) is not its wall, nor
    # is a rate limit that says when to come back.
    turned_away = (
        refused
        and facts.status_code < 500
        and not (facts.status_code == 429 and RETRY_AFTER in headers)
    )
    thin = page.text_length < THIN_TEXT and not page.description
    for wall in WALLS:
        present = has_header(headers, wall.present_headers) or bool(
            markers.intersection(wall.present_markers)
        )
        # A challenge's title counts on a refusal, or beside the vendor's trace: a thin page
        # titled "Just a moment..." is someone's post.
        titled = bool(title) and title in wall.titles and (refused or (present and wall.titled_2xx))
        challenge = (
            has_header(headers, wall.challenge_headers)
            or bool(markers.intersection(wall.challenge_markers))
            or titled
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
        return Signal(Status.BLOCKED, LOGIN_REQUIRED)
    return None


RETRY_AFTER = "retry-after"
"""A 429 with it is a rate limit, which a retry honours, not a wall."""

WALL_WORDS = ("denied", "blocked", "captcha", "security", "verif", "robot", "bot", "checking")
"""Words of a vendor's refusal page's title."""


def _walled(page: PageFacts) -> bool:
    """A refused answer from behind a vendor, whose page is the vendor's, not the site's: no
    title of its own, or a challenge-like one."""
    title = norm(page.html_title)
    return not title or any(word in title for word in WALL_WORDS)


def _is_consent(requested_url: str, facts: HttpFacts, page: PageFacts) -> bool:
    """Sent to a ``consent.`` host, or a page titled as Google's interstitials are, with
    their form or nothing else to read."""
    if url_host(facts.final_url).startswith("consent."):
        return not url_host(requested_url).startswith("consent.")  # not a link to that site
    title = norm(page.html_title) or ""
    thin = page.text_length < THIN_TEXT and not page.description
    google = any(starts_with(title, start) for start in CONSENT_TITLES)
    if google and (thin or any(marker in page.markers for marker in CONSENT_MARKERS)):
        return True
    # A consent manager's generic title ("Your Privacy Choices") is its own page too, when
    # linked: an interstitial is where a link was sent.
    generic = any(part in CONSENT_WHOLE_TITLES for part in title_parts(page.html_title))
    return generic and thin and bool(facts.redirects)


LOGIN_REQUIRED = "login required; the page may exist"
"""The reason a sign-in wall gives (here, and for a page sending its reader to sign in)."""


def is_login_path(path: str) -> bool:
    """Whether ``path`` is a sign-in page's (``/login``, ``/users/sign_in``, ``/auth/``...)."""
    return bool(_LOGIN_PATH.search(path) or _AUTH_PATH.search(path))


def _is_login(requested_url: str, facts: HttpFacts, page: PageFacts) -> bool:
    if is_login_path(url_path(requested_url)):
        return False  # the link is the sign-in page itself
    if facts.redirects:
        final = urlsplit(facts.final_url)
        sent_home = (
            is_home(final.path)
            and site_of(final.hostname) == site_of(urlsplit(requested_url).hostname)
            and _NEXT_QUERY.search(final.query) is not None
        )
        if (
            _LOGIN_PATH.search(final.path)
            or (_AUTH_PATH.search(final.path) and _RETURN_QUERY.search(final.query))
            or sent_home
        ):
            return True  # sent to sign in (or home, to sign in there: "/?next=/dashboard/42")
    # "Login to Meetup | Meetup", "Snipplr - Login"; not "Sign in with Apple, now for all".
    titled = any(
        part in LOGIN_TITLES
        or (
            any(part.startswith(start + " ") for start in LOGIN_TO)
            and len(part.split()) <= MAX_LOGIN_TO_WORDS
        )
        for part in title_parts(page.html_title)
    )
    # A page titled so without a password field is one about signing in (a docs page
    # "Login – Flask Documentation"), or a sign-in page drawn by script: not a wall we can
    # tell apart.
    return titled and page.password_field
