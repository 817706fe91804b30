"""What a page's answer says beyond its status line (issue 14, part 2): bot walls with their
vendor named, login walls, consent interstitials, parked and expired domains, soft 404s, and
the random-path probe for weak hints, judged the way users see them (``web_verdict``).

Every page here is a small one made for its test, in the shape real sites send. Precision
first: each group ends with the ordinary pages its rules must leave ``ok``."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from enricher.authorities.web import web_verdict
from enricher.models import HttpFacts, ProbeFacts, Redirect
from enricher.page_signals import SIGNAL_HEADERS, probe_path, wants_probe
from enricher.pages import page_facts

HTML = "text/html; charset=utf-8"
LINK = "https://example.com/blog/2024/05/a-post"
HOME = "https://example.com/"

LONG_TEXT = (
    "<p>" + "The model was trained on public data and evaluated on held-out tasks. " * 40 + "</p>"
)
"""An article's body: thousands of characters of text of its own."""


def html(title: str | None = None, body: str = "", head: str = "") -> str:
    tag = f"<title>{title}</title>" if title is not None else ""
    return f"<!doctype html><html><head>{tag}{head}</head><body>{body}</body></html>"


def facts(
    body: str | None,
    status: int = 200,
    *,
    url: str = LINK,
    final: str | None = None,
    hops: tuple[tuple[int, str], ...] = (),
    headers: Mapping[str, str] | None = None,
    probe: ProbeFacts | None = None,
) -> HttpFacts:
    """An answer as the web checker records it: the page read from the final URL, only the
    headers the rules ask for, the hops followed."""
    final = final or (hops[-1][1] if hops else url)
    kept = {name.lower(): value for name, value in (headers or {}).items()}
    return HttpFacts(
        status_code=status,
        final_url=final,
        redirects=tuple(Redirect(code, to) for code, to in hops),
        page=page_facts(body.encode(), HTML, final) if body is not None else None,
        headers=tuple(sorted((n, v[:200]) for n, v in kept.items() if n in SIGNAL_HEADERS)),
        probe=probe,
    )


def judged(answer: HttpFacts, url: str = LINK) -> tuple[str, str | None]:
    verdict = web_verdict(answer, None, url)
    return verdict.status.value, verdict.reason


def wall(vendor: str) -> tuple[str, str]:
    return "blocked", f"bot challenge ({vendor}); the page may exist"


LOGIN = ("blocked", "login required; the page may exist")
CONSENT = ("blocked", "consent page; the page may exist")
OK = ("ok", None)


# --- Bot walls ------------------------------------------------------------------------------

CF_MANAGED = html(
    "Just a moment...",
    '<div class="main-wrapper" role="main"><div class="main-content">'
    '<h1 class="zone-name-title h1">example.com</h1>'
    '<h2 id="challenge-running">Verifying you are human. This may take a few seconds.</h2>'
    "<noscript>Enable JavaScript and cookies to continue</noscript></div></div>"
    "<script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'example.com',cType: 'managed',"
    "cRay: '8a1b2c3d4e5f6789'};var a=document.createElement('script');"
    "a.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8a1b2c3d4e5f6789';"
    "document.getElementsByTagName('head')[0].appendChild(a);}());</script>",
    '<meta name="robots" content="noindex,nofollow">',
)
CF_UNDER_ATTACK = html(
    "Just a moment...",
    '<table width="100%" height="100%"><tr><td align="center" valign="middle">'
    '<div class="cf-browser-verification cf-im-under-attack"><noscript><h1>Please turn '
    'JavaScript on and reload the page.</h1></noscript><div id="cf-content">'
    "<h1>Checking your browser before accessing example.com.</h1><p>This process is automatic. "
    "Your browser will redirect to your requested content shortly.</p></div>"
    '<form id="challenge-form" action="/blog/2024/05/a-post?__cf_chl_jschl_tk__=pmd_abc" '
    'method="POST"><input type="hidden" name="r" value="def"></form></div></td></tr></table>'
    '<script>(function(){window._cf_chl_opt={cvId: "2",cType: "non-interactive",'
    'cNounce: "12345"};}());</script>',
)
CF_BLOCKED = html(
    "Attention Required! | Cloudflare",
    '<div id="cf-wrapper"><h1 data-translate="block_headline">Sorry, you have been blocked</h1>'
    "<h2>You are unable to access example.com</h2>"
    "<p>This website is using a security service to protect itself from online attacks.</p>"
    "<p>Cloudflare Ray ID: <strong>8a1b2c3d4e5f6789</strong></p></div>",
)
AWS_CHALLENGE = html(
    None,
    '<div id="challenge-container"></div><script>AwsWafIntegration.saveReferrer();'
    "AwsWafIntegration.checkForceRefresh().then((forceRefresh) => { if (forceRefresh) {"
    " AwsWafIntegration.forceRefreshToken().then(() => { window.location.reload(true); }); }"
    " else { AwsWafIntegration.getToken().then(() => { window.location.reload(true); }); }"
    " });</script><noscript><h1>JavaScript is disabled</h1></noscript>",
    "<script>window.awsWafCookieDomainList = [];window.gokuProps = {"
    '"key":"AQIDAHjcYu/GjX+QlghicBgQ/7bFaQZ+m5FKCMDnO+vTbNg96AH","iv":"D549xAMBXAAAAQdb",'
    '"context":"nN0mMmhmF6jRhBbH"};</script><script src="https://3e3378af7cd0.6f2a547c'
    '.eu-north-1.token.awswaf.com/3e3378af7cd0/b8f8ae018166/challenge.js"></script>',
)
AWS_CAPTCHA = html(
    "Human Verification",
    '<div id="captcha-container"></div><script>window.addEventListener("load", function() {'
    ' AwsWafCaptcha.renderCaptcha(document.getElementById("captcha-container"), {'
    " apiKey: window.gokuProps.key, onSuccess: () => window.location.reload(true) });"
    " });</script>",
    '<script>window.gokuProps = {"key":"AQIDAHjc","iv":"D549xA","context":"nN0mMm"};</script>'
    '<script src="https://3e3378af7cd0.eu-north-1.captcha-sdk.awswaf.com/3e3378af7cd0/jsapi.js">'
    "</script>",
)
AKAMAI_DENIED = (
    "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \n"
    'You don\'t have permission to access "http&#58;&#47;&#47;example&#46;com&#47;blog&#47;" '
    "on this server.<P>\nReference&#32;&#35;18&#46;2f8f3e17&#46;1718035121&#46;5d2a1b3\n"
    "<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;2f8f3e17&#46;1718035121"
    "&#46;5d2a1b3</P>\n</BODY>\n</HTML>\n"
)
AKAMAI_DENIED_PLAIN = html(
    "Access Denied",
    "<h1>Access Denied</h1>You don't have permission to access this resource on this server."
    "<p>Reference #18.2f8f3e17.1718035121.5d2a1b3</p>"
    "<p>https://errors.edgesuite.net/18.2f8f3e17.1718035121.5d2a1b3</p>",
)
DATADOME = html(
    "example.com",
    '<p id="cmsg">Please enable JS and disable any ad blocker</p>'
    "<script data-cfasync=\"false\">var dd={'rt':'c','cid':'AHrlqAAAAAMAx','hsh':'2013457AD',"
    "'t':'fe','s':43337,'e':'e0e7','host':'geo.captcha-delivery.com'}</script>"
    '<script data-cfasync="false" src="https://ct.captcha-delivery.com/c.js"></script>',
    "<style>#cmsg{animation: A 1.5s;}</style>",
)
IMPERVA = (
    '<html style="height:100%"><head><META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW">'
    '<meta name="format-detection" content="telephone=no"></head>'
    '<body style="margin:0px;height:100%"><iframe id="main-iframe" '
    'src="/_Incapsula_Resource?CWUDNSAI=24&xinfo=5-1234-0%200NNN&incident_id=877000340076520331'
    '-35416880236234371&edet=15&cinfo=04000000&rpinfo=0&mth=GET" frameborder=0 width="100%" '
    'height="100%">Request unsuccessful. Incapsula incident ID: 877000340076520331-'
    "35416880236234371</iframe></body></html>"
)
PERIMETERX = html(
    "Access to this page has been denied.",
    '<div class="px-captcha-container"><div class="px-captcha-header">Before we continue...</div>'
    '<div class="px-captcha-message">Press &amp; Hold to confirm you are a human (and not a bot).'
    '</div><div id="px-captcha"></div></div>'
    "<script>window._pxAppId = 'PXu6b0qd2S';window._pxJsClientSrc = '/u6b0qd2S/init.js';"
    '</script><script src="/u6b0qd2S/captcha/captcha.js?a=c&m=0"></script>',
)
RADWARE = html(
    "Radware Bot Manager Captcha",
    "<div><h1>We apologize for the inconvenience...</h1><p>...but your activity and behavior on "
    "this site made us think that you are a bot.</p></div>"
    '<script src="https://validate.perfdrive.com/captcha/radware.js"></script>',
)
SUCURI = html(
    "Sucuri WebSite Firewall - Access Denied",
    '<div id="main-container"><h1>Access Denied - Sucuri Website Firewall</h1>'
    "<p>If you are the site owner (or you manage this site), please whitelist your IP.</p>"
    "<table><tr><td>Block reason:</td><td>Access from your Country was disabled by the "
    "administrator.</td></tr></table></div>",
)
VERCEL = html(
    "Vercel Security Checkpoint",
    '<div class="container"><noscript>Please enable JavaScript to continue.</noscript>'
    '<p id="header-text">We\'re verifying your browser</p></div>'
    '<script src="/.well-known/vercel/security/static/challenge.v2.min.js" async></script>',
)
KASADA = html(
    None,
    "<script>window.KPSDK={};KPSDK.now=typeof performance!=='undefined'&&performance.now?"
    "performance.now.bind(performance):Date.now.bind(Date);KPSDK.start=KPSDK.now();</script>"
    '<script src="/149e9513-01fa-4fb0-aad4-566afd725d1b/2d206a39-8ed7-437e-a3be-862e0f06eea3'
    '/ips.js?tkrm_alpekz_s1.3=0abc"></script>',
)
ANUBIS = html(
    "Making sure you&#39;re not a bot!",
    '<main><h1 id="title">Making sure you&#39;re not a bot!</h1><p id="status">Loading...</p>'
    "<details><summary>Why am I seeing this?</summary><p>You are seeing this because the "
    "administrator of this website has set up Anubis to protect the server against the "
    "scourge of AI companies aggressively scraping websites.</p></details>"
    "<footer><p>Protected by Anubis From Techaro.</p></footer></main>"
    '<script id="anubis_challenge" type="application/json">{"rules":{"difficulty":4}}</script>'
    '<script async type="module" src="/.within.website/x/cmd/anubis/static/js/main.mjs">'
    "</script>",
)
GO_AWAY = html(
    "Checking you are not a bot",
    '<main><center><h1 id="title">Checking you are not a bot</h1></center>'
    '<p id="status">Loading challenge <em>js-pow-sha256</em>...</p><details><summary>Why am I '
    "seeing this?</summary><p>You are seeing this because the administrator of this website "
    'has set up <a href="https://git.gammaspectra.live/git/go-away">go-away</a>.</p>'
    "</details></main>",
    '<link rel="stylesheet" href="/.well-known/.git.gammaspectra.live/git/go-away/cmd/go-away'
    '/assets/static/anubis/style.css?cacheBust=ZoAb7RP">',
)
DDOS_GUARD = html(
    "DDoS-Guard",
    '<div id="ddg-l"><h1>Checking your browser before accessing example.com</h1>'
    "<p>This process is automatic. Your browser will redirect to your requested content "
    "shortly.</p></div>",
)


@pytest.mark.parametrize(
    ("status", "headers", "body", "vendor"),
    [
        pytest.param(403, {"cf-mitigated": "challenge", "server": "cloudflare"}, CF_MANAGED,
                     "Cloudflare", id="cloudflare-403-managed"),
        pytest.param(403, {"server": "cloudflare"}, CF_MANAGED, "Cloudflare",
                     id="cloudflare-403-no-header"),
        pytest.param(403, {"cf-mitigated": "challenge"}, None, "Cloudflare",
                     id="cloudflare-403-header-only"),
        pytest.param(503, {"server": "cloudflare"}, CF_UNDER_ATTACK, "Cloudflare",
                     id="cloudflare-503-under-attack"),
        pytest.param(403, {"server": "cloudflare"}, CF_BLOCKED, "Cloudflare",
                     id="cloudflare-403-attention-required"),
        pytest.param(202, {"x-amzn-waf-action": "challenge"}, AWS_CHALLENGE, "AWS WAF",
                     id="aws-waf-202-challenge"),
        pytest.param(202, {}, AWS_CHALLENGE, "AWS WAF", id="aws-waf-202-no-header"),
        pytest.param(405, {"x-amzn-waf-action": "captcha"}, AWS_CAPTCHA, "AWS WAF",
                     id="aws-waf-405-captcha"),
        pytest.param(403, {"server": "AkamaiGHost"}, AKAMAI_DENIED, "Akamai",
                     id="akamai-403-access-denied"),
        pytest.param(403, {}, AKAMAI_DENIED, "Akamai", id="akamai-403-entities-no-header"),
        pytest.param(403, {}, AKAMAI_DENIED_PLAIN, "Akamai", id="akamai-403-plain-no-header"),
        pytest.param(403, {"x-datadome": "protected", "server": "DataDome"}, DATADOME,
                     "DataDome", id="datadome-403"),
        pytest.param(403, {}, DATADOME, "DataDome", id="datadome-403-no-header"),
        pytest.param(200, {"x-iinfo": "5-1234-0 0NNN RT(1718035121 0)", "x-cdn": "Imperva"},
                     IMPERVA, "Imperva", id="imperva-200"),
        pytest.param(403, {"x-cdn": "Imperva"}, IMPERVA, "Imperva", id="imperva-403"),
        pytest.param(403, {}, PERIMETERX, "PerimeterX", id="perimeterx-403"),
        pytest.param(200, {}, RADWARE, "Radware", id="radware-200-captcha"),
        pytest.param(403, {"server": "Sucuri/Cloudproxy", "x-sucuri-id": "18012",
                           "x-sucuri-block": "CTY01"}, SUCURI, "Sucuri", id="sucuri-403"),
        pytest.param(403, {}, SUCURI, "Sucuri", id="sucuri-403-title-only"),
        pytest.param(429, {"x-vercel-mitigated": "challenge", "server": "Vercel"}, VERCEL,
                     "Vercel", id="vercel-429"),
        pytest.param(429, {}, VERCEL, "Vercel", id="vercel-429-title-only"),
        pytest.param(429, {"x-kpsdk-ct": "0abcDEF", "x-kpsdk-r": "1-A"}, KASADA, "Kasada",
                     id="kasada-429"),
        pytest.param(200, {}, ANUBIS, "Anubis", id="anubis-200"),
        pytest.param(200, {}, html(None, '<iframe id="main-iframe" src="/_Incapsula_Resource?'
                     'CWUDNSAI=9&xinfo=5-1234" frameborder=0>Request unsuccessful.</iframe>'),
                     "Imperva", id="imperva-200-cwudnsai-frame"),
        pytest.param(200, {}, GO_AWAY, "go-away", id="go-away-200"),
        pytest.param(403, {"server": "ddos-guard"}, DDOS_GUARD, "DDoS-Guard",
                     id="ddos-guard-403"),
        pytest.param(200, {"server": "ddos-guard"}, DDOS_GUARD, "DDoS-Guard",
                     id="ddos-guard-200-check"),
    ],
)  # fmt: skip
def test_a_bot_wall_is_blocked_with_its_vendor_named(
    status: int, headers: dict[str, str], body: str | None, vendor: str
) -> None:
    answer = facts(body, status, headers=headers)
    assert judged(answer) == wall(vendor)
    assert not wants_probe(LINK, answer)


def test_a_radware_wall_at_its_own_host_is_blocked_not_a_move() -> None:
    """ShieldSquare sends the reader to validate.perfdrive.com: a wall, not a redirect."""
    captcha = "https://validate.perfdrive.com/?ssa=5f1e&ssb=26&ssc=" + LINK
    answer = facts(RADWARE, hops=((302, captcha),))
    assert judged(answer) == wall("Radware")


AWS_SDK = (
    '<script src="https://a1b2c3d4e5f6.edge.sdk.awswaf.com/a1b2c3d4e5f6/0f9e8d7c6b5a/'
    'challenge.js" defer></script>'
)
CF_JSD = (
    "<script>(function(){function c(){var b=a.contentDocument||a.contentWindow.document;"
    "if(b){var d=b.createElement('script');d.innerHTML=\"window.__CF$cv$params={r:'8a1b2c3d',"
    "t:'MTcxODAzNTEyMQ=='};var a=document.createElement('script');a.nonce='';"
    "a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';"
    "document.getElementsByTagName('head')[0].appendChild(a);\";"
    "b.getElementsByTagName('head')[0].appendChild(d)}}}());</script>"
)
CF_JSD_OLD = CF_JSD.replace("/scripts/jsd/main.js", "/h/b/scripts/jsd/13c98df4ef2d/main.js")


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [
        pytest.param(200, {}, html("meta-llama/Llama-3.1-8B · Hugging Face",
                                   "<h1>meta-llama/Llama-3.1-8B</h1>" + LONG_TEXT,
                                   '<meta name="description" content="Model card.">' + AWS_SDK),
                     OK, id="hugging-face-loads-aws-waf-sdk"),
        pytest.param(200, {}, html("Spaces - Hugging Face", "", AWS_SDK), OK,
                     id="thin-js-app-loads-aws-waf-sdk"),
        pytest.param(200, {"server": "cloudflare"},
                     html("Release notes | Acme", LONG_TEXT + CF_JSD),
                     OK, id="cloudflare-js-detections"),
        pytest.param(200, {"server": "cloudflare"},
                     html("Acme app", "<div id=root></div>" + CF_JSD_OLD),
                     OK, id="cloudflare-js-detections-old-path-thin-page"),
        pytest.param(200, {"x-datadome": "protected", "x-datadome-cid": "AHrlqA"},
                     html("Le Monde - Actualités", LONG_TEXT,
                          '<script src="https://js.datadome.co/tags.js" async></script>'),
                     OK, id="datadome-protected-ordinary-page"),
        pytest.param(200, {"x-kpsdk-ct": "0abcDEF"}, html("Shop", '<div id="app"></div>'), OK,
                     id="kasada-token-on-an-ordinary-thin-page"),
        pytest.param(200, {}, html("Just a Moment (Live) - Band | Music", LONG_TEXT), OK,
                     id="song-called-just-a-moment"),
        pytest.param(200, {}, html("How Cloudflare's challenge works | Blog",
                                   "<p>Its page sets <code>window._cf_chl_opt</code> first.</p>",
                                   '<meta name="description" content="A teardown.">'), OK,
                     id="short-article-quoting-a-challenge-token"),
        pytest.param(200, {}, html("Acme Store", '<div id="app"></div>',
                                   '<script src="https://cdn.perfdrive.com/aperture/aperture.js">'
                                   "</script>"), OK, id="radware-connector-on-a-thin-app"),
        pytest.param(503, {"server": "cloudflare"}, None,
                     ("unreachable", "server error (HTTP 503)"),
                     id="origin-503-behind-cloudflare-no-html"),
        pytest.param(502, {"server": "cloudflare"},
                     html("example.com | 502: Bad gateway", "<h1>Bad gateway</h1>"),
                     ("unreachable", "server error (HTTP 502)"), id="cloudflare-502-error-page"),
        pytest.param(403, {"server": "cloudflare"},
                     html("403 Forbidden | Acme", "<h1>Forbidden</h1>"),
                     ("blocked", "refused (HTTP 403); the page may exist"),
                     id="site-s-own-403-behind-cloudflare"),
        pytest.param(403, {}, html("Forbidden", "<h1>Forbidden</h1>"),
                     ("blocked", "refused (HTTP 403); the page may exist"),
                     id="plain-403-names-no-vendor"),
    ],
)  # fmt: skip
def test_vendor_traces_on_a_page_that_answered_are_not_a_wall(
    status: int, headers: dict[str, str], body: str | None, expected: tuple[str, str | None]
) -> None:
    assert judged(facts(body, status, headers=headers)) == expected


# --- Login walls and consent pages ----------------------------------------------------------

PASSWORD_FORM = (
    '<form action="/session" method="post"><label>Email<input type="email" name="email">'
    '</label><label>Password<input type="password" name="password"></label>'
    "<button>Log in</button></form><p>Not a member yet? Sign up</p>"
)


@pytest.mark.parametrize(
    ("body", "hops", "expected"),
    [
        pytest.param(html("Login to Meetup | Meetup", "<h1>Log in</h1>" + PASSWORD_FORM), (),
                     LOGIN, id="login-to-x-with-password"),
        pytest.param(html("Snipplr - Login", "<h1>Login to Your Account</h1>" + PASSWORD_FORM),
                     (), LOGIN, id="site-dash-login-with-password"),
        pytest.param(html("Acme"), ((302, "https://example.com/?next=/dashboard/42"),), LOGIN,
                     id="redirect-home-to-sign-in-there"),
        pytest.param(html("Sign in to your account", "<div id=root></div>"),
                     ((302, "https://login.microsoftonline.com/common/oauth2/authorize?client_id=x"),),
                     LOGIN, id="redirect-to-microsoft-sign-in"),
        pytest.param(html("ログイン | サイト", PASSWORD_FORM), (), LOGIN, id="login-japanese"),
        pytest.param(html("Log in | Acme", PASSWORD_FORM),
                     ((302, "https://example.com/login?next=/blog/2024/05/a-post"),), LOGIN,
                     id="redirect-to-login-next"),
        pytest.param(html("Acme"), ((302, "https://example.com/users/sign_in"),), LOGIN,
                     id="redirect-to-users-sign-in"),
        pytest.param(html("Sign in - Google Accounts"),
                     ((302, "https://accounts.google.com/v3/signin/identifier?continue=" + LINK),),
                     LOGIN, id="redirect-to-google-sign-in"),
        pytest.param(html("Sign in to Acme"),
                     ((302, "https://sso.example.com/auth/realms/acme/protocol/openid-connect/auth"
                            "?client_id=web&redirect_uri=https%3A%2F%2Fexample.com%2F"),),
                     LOGIN, id="redirect-to-keycloak-auth"),
        pytest.param(html("Sign Up | LinkedIn"),
                     ((302, "https://www.linkedin.com/authwall?trk=gf&sessionRedirect=" + LINK),),
                     LOGIN, id="redirect-to-linkedin-authwall"),
    ],
)  # fmt: skip
def test_a_login_wall_is_blocked(
    body: str, hops: tuple[tuple[int, str], ...], expected: tuple[str, str]
) -> None:
    answer = facts(body, hops=hops)
    assert judged(answer) == expected
    assert not wants_probe(LINK, answer)


@pytest.mark.parametrize(
    ("url", "body", "hops"),
    [
        pytest.param(LINK, html("Sign in with Apple is now available to all developers",
                                LONG_TEXT), (), id="article-sign-in-with-apple"),
        pytest.param(LINK, html("Sign in with Apple | Apple Developer Documentation",
                                '<div id="app"></div>'), (), id="docs-sign-in-with-apple-thin"),
        pytest.param(LINK, html("Log in to the future: passkeys explained", "<p>Short.</p>"), (),
                     id="article-log-in-to-the-future"),
        pytest.param("https://example.com/login", html("Log in | Acme", PASSWORD_FORM), (),
                     id="the-link-is-the-sign-in-page"),
        pytest.param("https://docs.example.com/guides/authentication",
                     html("Auth | Docs", LONG_TEXT),
                     ((301, "https://docs.example.com/guides/auth/"),), id="docs-section-auth"),
        pytest.param(LINK, html("Connexion Wi-Fi dans les trains : ce qui change", LONG_TEXT), (),
                     id="french-article-connexion"),
        # A sign-in page only drawn by script, served in place, cannot be told apart from a
        # docs page that a big inline SVG made look empty: not called a wall (precision first).
        pytest.param(LINK, html("Login – Flask Documentation (3.0.x)", "<svg>" + "<path/>" * 4000
                                + "</svg><p>Login views</p>"), (), id="docs-page-titled-login"),
        pytest.param(LINK, html("Sign in - Google Accounts", "<div id=initialView></div>"), (),
                     id="script-drawn-sign-in-in-place"),
    ],
)  # fmt: skip
def test_pages_about_signing_in_are_not_login_walls(
    url: str, body: str, hops: tuple[tuple[int, str], ...]
) -> None:
    status, _ = judged(facts(body, url=url, hops=hops), url)
    assert status in ("ok", "redirected")


@pytest.mark.parametrize(
    ("url", "body", "hops"),
    [
        pytest.param("https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                     html("Before you continue to YouTube",
                          '<form action="https://consent.youtube.com/save" method="POST">'
                          "<button>Reject all</button><button>Accept all</button></form>"), (),
                     id="youtube-before-you-continue"),
        pytest.param("https://www.google.es/maps/place/Madrid",
                     html("Antes de ir a Google Maps",
                          '<form action="https://consent.google.es/save" method="POST"></form>'),
                     (), id="google-maps-antes-de-ir-a"),
        pytest.param("https://www.google.com/search?q=llm",
                     html("Before you continue to Google Search", "<div id=cm></div>"), (),
                     id="google-search-thin"),
        pytest.param("https://www.youtube.com/watch?v=dQw4w9WgXcQ", html("YouTube"),
                     ((302, "https://consent.youtube.com/m?continue=https%3A%2F%2Fwww.youtube.com"
                            "%2Fwatch%3Fv%3DdQw4w9WgXcQ&gl=DE&m=0&pc=yt&hl=de&src=1"),),
                     id="redirect-to-consent-youtube"),
        pytest.param("https://news.yahoo.com/some-story", html("Yahoo is part of the Yahoo family"),
                     ((302, "https://consent.yahoo.com/v2/collectConsent?sessionId=3_cc-session"),),
                     id="redirect-to-consent-yahoo"),
    ],
)  # fmt: skip
def test_a_consent_interstitial_is_blocked(
    url: str, body: str, hops: tuple[tuple[int, str], ...]
) -> None:
    assert judged(facts(body, url=url, hops=hops), url) == CONSENT


@pytest.mark.parametrize(
    ("url", "body"),
    [
        pytest.param(LINK, html("Cookie consent banners are getting worse, study finds",
                                "<p>Dark patterns are everywhere.</p>"),
                     id="article-cookie-consent"),
        pytest.param(LINK, html("Before you continue reading: the case for long context",
                                "<p>An essay.</p>",
                                '<meta name="description" content="An essay.">'),
                     id="essay-before-you-continue"),
        pytest.param("https://consent.example.org/docs/api",
                     html("API | Consent Manager", LONG_TEXT),
                     id="a-consent-product-s-own-site"),
    ],
)  # fmt: skip
def test_pages_about_consent_are_not_consent_walls(url: str, body: str) -> None:
    assert judged(facts(body, url=url), url) == OK


# --- Parked and expired domains ---------------------------------------------------------------

DOMAIN = "https://example-ai.com/research/paper"


@pytest.mark.parametrize(
    ("body", "hops", "service"),
    [
        pytest.param(html("example-ai.com",
                          '<iframe src="https://sedoparking.com/frmpark/example-ai.com/IT_Parking"'
                          ' width="100%" height="100%"></iframe>'), (), "Sedo", id="sedo-frame"),
        pytest.param(html("example-ai.com",
                          '<div id="target"></div><script src="https://bodiscdn.com/assets/js/'
                          'parking.js"></script>'), (), "Bodis", id="bodis-script"),
        pytest.param(html("example-ai.com", '<script src="//www.parkingcrew.net/px.js?ch=1">'
                                            "</script><div id=\"wrap\"></div>"), (),
                     "ParkingCrew", id="parkingcrew-script"),
        pytest.param(html("example-ai.com", '<div id="root"></div><script src="https://img1.wsimg'
                                            '.com/parking-lander/static/js/main.d4f.chunk.js">'
                                            "</script>"), (), "GoDaddy", id="godaddy-lander"),
        pytest.param(html("example-ai.com is for sale | Afternic",
                          '<h1>example-ai.com</h1><p>This domain is for sale!</p><a href="https://'
                          'www.afternic.com/domain/example-ai.com">Buy now</a>'), (), "Afternic",
                     id="afternic"),
        pytest.param(html("The domain name example-ai.com is for sale",
                          '<a href="https://dan.com/buy-domain/example-ai.com">Buy now</a>'), (),
                     "Dan.com", id="dan-com"),
        pytest.param(html("Example-AI.com is for sale | HugeDomains",
                          '<img src="https://static.hugedomains.com/images/logo.png">'
                          + LONG_TEXT), (), "HugeDomains", id="hugedomains-long-page"),
        pytest.param(html("example-ai.com",
                          "<h1>example-ai.com</h1><p>This domain is registered at "
                          '<a href="https://porkbun.com">Porkbun</a>. It may be for sale.</p>'),
                     (), "Porkbun", id="porkbun"),
        pytest.param(html("example-ai.com",
                          "<p>This domain is parked free of charge with "
                          '<a href="https://www.namesilo.com">NameSilo.com</a>.</p>'), (),
                     "NameSilo", id="namesilo"),
        pytest.param(html("example-ai.com",
                          "<h1>This domain may be for sale</h1>"
                          '<a href="https://www.epik.com/?domain=example-ai.com">'
                          "Make an offer</a>"),
                     (), "Epik", id="epik"),
        pytest.param(html("Domain for sale", "<h1>Make an offer</h1>"), (), "parking page",
                     id="domain-for-sale-title-thin"),
        pytest.param(html("example-ai.com - This website is for sale! - example-ai Resources and "
                          "Information.", "<div id=\"pk\"></div>"), (), "parking page",
                     id="this-website-is-for-sale"),
        pytest.param(html("example-ai.com", '<div id="root"></div>'),
                     ((302, "https://example-ai.com/lander"),), "parking page",
                     id="lander-redirect"),
        pytest.param(html("example-ai.com", '<script>window.park = "eyJ1dWlkIjoiYWJjIn0=";'
                          '</script><script src="/bNHqGwBsd.js"></script>'), (), "Bodis",
                     id="bodis-inline-lander"),
        pytest.param(html("example-ai.com", "<script>var s = document.createElement('script');"
                          "s.src = 'https://img.sedoparking.com/templates/js/lander.js';</script>"),
                     (), "Sedo", id="sedo-script-written-by-script"),
        pytest.param(html("example-ai.com", "<p>This domain is for sale. Make an offer on this "
                          "domain.</p>", '<script type="application/ld+json">{"@context": '
                          '"https://schema.org", "@type": "Product", "name": "example-ai.com", '
                          '"offers": {"@type": "Offer", "price": "2500"}}</script>'),
                     (), "parking page", id="marketplace-lander-described-as-a-product"),
    ],
)  # fmt: skip
def test_a_parked_domain_is_broken_with_its_service_named(
    body: str, hops: tuple[tuple[int, str], ...], service: str
) -> None:
    answer = facts(body, url=DOMAIN, hops=hops)
    assert judged(answer, DOMAIN) == ("broken", f"domain parked / for sale ({service})")
    assert not wants_probe(DOMAIN, answer)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            html(
                "example-ai.com",
                "<h1>example-ai.com</h1><p>This domain name expired on"
                " 2025-01-15 and is pending renewal or deletion.</p>",
            ),
            id="pending-renewal-or-deletion",
        ),
        pytest.param(
            html(
                "Domain Expired",
                "<p>The registration of this domain has expired. Renew it at your registrar.</p>",
            ),
            id="domain-expired-title",
        ),
    ],
)
def test_an_expired_registration_is_broken(body: str) -> None:
    assert judged(facts(body, url=DOMAIN), DOMAIN) == (
        "broken",
        "domain expired (registration notice)",
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(html("This vintage car is for sale | Classic Motors",
                          "<h1>1967 Mustang</h1><p>Low mileage.</p>"), id="a-car-for-sale"),
        pytest.param(html("How to buy a domain name that is already taken",
                          "<h1>How to buy a taken domain</h1><p>If the domain is for sale, make "
                          "an offer on this domain through a broker.</p>"
                          '<a href="https://sedo.com/search/">Sedo</a> or '
                          '<a href="https://www.afternic.com/">Afternic</a>.' + LONG_TEXT,
                          '<meta name="description" content="A guide.">'),
                     id="article-about-buying-domains"),
        pytest.param(html("RTX 5090 launches today | GPU News",
                          "<p>The RTX 5090 is available for purchase from 9am.</p>"),
                     id="short-news-is-available-for-purchase"),
        pytest.param(html("Expired domain names are a security risk | Security Weekly",
                          "<p>Expired domain names get bought by spammers.</p>"),
                     id="short-news-about-expired-domains"),
        pytest.param(html("Parked domain monetization in 2024 | Domain Blog",
                          "<p>Parked domain revenue fell again.</p>"),
                     id="short-news-about-parked-domains"),
        pytest.param(html("Rise Above | Mental health charity", LONG_TEXT,
                          '<script src="https://cdn.riseabove.com/app.js"></script>'),
                     id="host-ending-in-above-com"),
        pytest.param(html("Parked domain | Glossary | Registrar", "<h1>Parked domain</h1>"
                          + LONG_TEXT, '<meta name="description" content="Definition.">'),
                     id="glossary-entry-parked-domain"),
        pytest.param(html("Landing pages that convert | Acme", LONG_TEXT),
                     id="no-redirect-to-lander"),
        pytest.param(html("Our old site is gone | Jo's blog",
                          "<p>The old address now says 'this domain is for sale'.</p>",
                          '<meta property="og:type" content="article">'),
                     id="short-post-quoting-a-sale-lander"),
        pytest.param(html("Moving on | Jo's blog",
                          "<p>It shows 'This domain is parked free, courtesy of GoDaddy.com'.</p>",
                          '<meta property="article:published_time" content="2026-03-01">'),
                     id="dated-post-quoting-a-godaddy-lander"),
        pytest.param(html("Link rot, again | Notes",
                          "<p>The project page now reads: 'This domain has expired'.</p>",
                          '<script type="application/ld+json">{"@context": "https://schema.org", '
                          '"@type": "BlogPosting", "headline": "Link rot, again"}</script>'),
                     id="short-post-quoting-an-expiry-notice"),
    ],
)  # fmt: skip
def test_pages_about_selling_or_domains_are_not_parked(body: str) -> None:
    assert judged(facts(body, url=DOMAIN), DOMAIN) == OK


def test_a_page_at_lander_that_was_linked_is_not_a_parking_redirect() -> None:
    url = "https://example.com/lander"
    assert judged(facts(html("Lander - landing page builder", "<p>Build.</p>"), url=url), url) == OK


# --- Soft 404s ------------------------------------------------------------------------------

NGINX_404 = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found"
    "</h1></center>\r\n<hr><center>nginx/1.25.1</center>\r\n</body>\r\n</html>\r\n"
)
APACHE_404 = (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found'
    "</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this "
    "server.</p>\n<hr>\n<address>Apache/2.4.41 (Ubuntu) Server at example.com Port 443</address>"
    "\n</body></html>\n"
)
IIS_404 = html(
    "404 - File or directory not found.",
    '<div id="header"><h1>Server Error</h1></div><div id="content"><div class="content-container">'
    "<fieldset><h2>404 - File or directory not found.</h2><h3>The resource you are looking for "
    "might have been removed, had its name changed, or is temporarily unavailable.</h3>"
    "</fieldset></div></div>",
)
ASPNET_404 = html(
    "The resource cannot be found.",
    "<span><H1>Server Error in '/' Application.<hr width=100% size=1 color=silver></H1>"
    "<h2> <i>The resource cannot be found.</i> </h2></span><b> Description: </b>HTTP 404. The "
    "resource you are looking for (or one of its dependencies) could have been removed, had its "
    "name changed, or is temporarily unavailable.",
)
TOMCAT_404 = html(
    "HTTP Status 404 – Not Found",
    '<h1>HTTP Status 404 – Not Found</h1><hr class="line" /><p><b>Type</b> Status Report</p>'
    "<p><b>Description</b> The origin server did not find a current representation for the "
    'target resource.</p><hr class="line" /><h3>Apache Tomcat/9.0.65</h3>',
)
WORDPRESS_404 = html(
    "Page not found – My Blog",
    '<header><p class="site-title">My Blog</p><nav>Home About Contact</nav></header>'
    '<main><section class="error-404 not-found"><h1 class="page-title">Oops! That page can’t be'
    " found.</h1><p>It looks like nothing was found at this location. Maybe try a search?</p>"
    "</section></main><aside><h2>Recent Posts</h2><ul>"
    + "".join(f"<li>Post number {n} about models and data</li>" for n in range(60))
    + "</ul></aside>",
    '<meta property="og:title" content="Page not found - My Blog">'
    '<meta property="og:site_name" content="My Blog">'
    '<meta name="description" content="Notes on machine learning.">',
)
BLOGGER_404 = html(
    "My Blog",
    '<div class="status-msg-wrap"><div class="status-msg-body">Sorry, the page you were looking '
    "for in this blog does not exist.</div></div>",
)
NEXTJS_404 = html(
    "404: This page could not be found.",
    '<div style="font-family:system-ui"><div><h1 class="next-error-h1">404</h1><div>'
    "<h2>This page could not be found.</h2></div></div></div>",
)
NEXTJS_404_TEXT_ONLY = html(
    "Acme",
    '<div style="font-family:system-ui"><div><span class="next-error-h1">404</span><div>'
    "<h2>This page could not be found.</h2></div></div></div>",
)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(WORDPRESS_404, "the page's title says “Page not found – My Blog”",
                     id="wordpress"),
        pytest.param(html("Page not found – My Blog", "<h1>Oops! That page can’t be found.</h1>"),
                     "the page's title says “Page not found – My Blog”", id="wordpress-short"),
        pytest.param(BLOGGER_404, "the page says it does not exist (Blogger)", id="blogger"),
        pytest.param(html("My Blog", "<nav>" + "<a href='/l'>Label</a> " * 120 + "</nav>"
                          + BLOGGER_404.split("<body>")[1]),
                     "the page says it does not exist (Blogger)", id="blogger-below-its-menu"),
        pytest.param(html("Instagram", "<nav>Home Search Explore Reels</nav><main><span>Sorry, "
                          "this page isn't available.</span></main>"),
                     "the page says it does not exist (Instagram)", id="instagram-sentence"),
        pytest.param(NEXTJS_404, "the page's title says “404: This page could not be found.”",
                     id="nextjs"),
        pytest.param(NEXTJS_404_TEXT_ONLY, "the page says it does not exist (Next.js)",
                     id="nextjs-text-only"),
        pytest.param(NGINX_404, "the page's title says “404 Not Found”", id="nginx-200"),
        pytest.param(APACHE_404, "the page's title says “404 Not Found”", id="apache-200"),
        pytest.param(IIS_404, "the page's title says “404 - File or directory not found.”",
                     id="iis-200"),
        pytest.param(ASPNET_404, "the page's title says “The resource cannot be found.”",
                     id="aspnet-200"),
        pytest.param(html("Server Error", IIS_404.split("<body>")[1]),
                     "the page says it does not exist (IIS)", id="iis-text-only"),
        pytest.param(TOMCAT_404, "the page's title says “HTTP Status 404 – Not Found”",
                     id="tomcat-200"),
        pytest.param(html("404 Not Found – Shop", '<h1>Page not found</h1><p>The page you were '
                          'looking for does not exist.</p><a href="/collections/all">Continue '
                          "shopping</a>", '<meta property="og:type" content="website">'),
                     "the page's title says “404 Not Found – Shop”", id="shopify"),
        pytest.param(html("Page not found", '<section class="error-content"><h1>404</h1><p>Page '
                          'not found</p><a href="/">Go to the front page →</a></section>'),
                     "the page's title says “Page not found”", id="ghost"),
        pytest.param(html("Home | My Site", "<h1>This Page Isn’t Available</h1><p>The link may be "
                          "broken, or the page may have been removed.</p>"),
                     "the page's heading says “This Page Isn’t Available”", id="wix-heading"),
        pytest.param(html("Medium", "<h1>404</h1><p>Out of nothing, something.</p>"),
                     "the page's heading says “404”", id="medium-heading"),
        pytest.param(html("Page not found • Instagram", "<h2>Sorry, this page isn't available."
                          "</h2><p>The link you followed may be broken, or the page may have been "
                          "removed.</p>"), "the page's title says “Page not found • Instagram”",
                     id="instagram"),
        pytest.param(html("Instagram", "<div><span>Sorry, this page isn't available.</span><span>"
                          "The link you followed may be broken, or the page may have been "
                          "removed.</span></div>"), "the page says it does not exist (a site "
                          "engine)", id="instagram-text-only"),
        pytest.param(html("ページが見つかりません | サイト", "<h1>ページが見つかりません</h1>"),
                     "the page's title says “ページが見つかりません | サイト”", id="japanese"),
        pytest.param(html("ページが見つかりません｜サイト"),
                     "the page's title says “ページが見つかりません｜サイト”",
                     id="japanese-full-width-bar"),
        pytest.param(html("页面不存在 - 网站"), "the page's title says “页面不存在 - 网站”",
                     id="chinese"),
        pytest.param(html("사이트", "<h1>페이지를 찾을 수 없습니다</h1>"),
                     "the page's heading says “페이지를 찾을 수 없습니다”", id="korean-heading"),
        pytest.param(html("Seite nicht gefunden – Firma GmbH"),
                     "the page's title says “Seite nicht gefunden – Firma GmbH”", id="german"),
        pytest.param(html("Page introuvable - Le Site"),
                     "the page's title says “Page introuvable - Le Site”", id="french"),
        pytest.param(html("Página no encontrada | El Sitio"),
                     "the page's title says “Página no encontrada | El Sitio”", id="spanish"),
    ],
)  # fmt: skip
def test_an_error_page_answered_200_is_a_soft_404(body: str, reason: str) -> None:
    answer = facts(body)
    assert judged(answer) == ("broken", f"soft 404: {reason}")
    assert not wants_probe(LINK, answer)


def test_a_suspended_hosting_account_is_broken() -> None:
    body = html("Account Suspended", "<h1>This Account has been suspended.</h1><p>Contact your "
                "hosting provider for more information.</p>",
                '<link rel="stylesheet" href="/cgi-sys/images/styles.css">')  # fmt: skip
    assert judged(facts(body)) == ("broken", "hosting account suspended")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(html("502 Bad Gateway", "<center><h1>502 Bad Gateway</h1></center><hr>"
                          "<center>nginx</center>"), "server error page (502 Bad Gateway) "
                          "answered as 200", id="nginx-502"),
        pytest.param(html("503 Service Unavailable", "<h1>Service Unavailable</h1><p>The server is"
                          " temporarily unable to service your request.</p>"),
                     "server error page (503 Service Unavailable) answered as 200",
                     id="apache-503"),
    ],
)  # fmt: skip
def test_a_server_error_page_answered_200_is_unreachable(body: str, reason: str) -> None:
    assert judged(facts(body)) == ("unreachable", reason)


@pytest.mark.parametrize(
    ("hops", "reason"),
    [
        pytest.param(((301, HOME),), "redirected to the site's home page", id="301-to-root"),
        pytest.param(((302, HOME),), "redirected to the site's home page", id="302-to-root"),
        pytest.param(((301, "https://www.example.com/"),), "redirected to the site's home page",
                     id="301-to-www-root"),
        pytest.param(((302, "https://example.com/en/"),), "redirected to the site's home page",
                     id="302-to-locale-root"),
        pytest.param(((301, "https://example.com/index.php"),),
                     "redirected to the site's home page", id="301-to-index-php"),
        pytest.param(((301, "https://example.com/blog/2024/05/a-post/"),
                      (302, "https://example.com/page-not-found")),
                     "redirected to a not-found page (/page-not-found)", id="to-page-not-found"),
        pytest.param(((302, "https://example.com/404.html"),),
                     "redirected to a not-found page (/404.html)", id="to-404-html"),
        pytest.param(((302, "https://example.com/en-us/404"),),
                     "redirected to a not-found page (/en-us/404)", id="to-locale-404"),
        pytest.param(((302, "https://example.com/errors/404?from=/blog"),),
                     "redirected to a not-found page (/errors/404)", id="to-errors-404"),
    ],
)  # fmt: skip
def test_a_deep_link_sent_home_or_to_a_not_found_page_is_a_soft_404(
    hops: tuple[tuple[int, str], ...], reason: str
) -> None:
    answer = facts(html("Example — Home", LONG_TEXT), hops=hops)
    assert judged(answer) == ("broken", f"soft 404: {reason}")


@pytest.mark.parametrize(
    "refresh",
    ["0; url=/", "0;URL='https://example.com/'", "5; url=https://www.example.com/index.html",
     "10; https://example.com/"],
)  # fmt: skip
def test_a_meta_refresh_to_the_home_page_is_a_soft_404(refresh: str) -> None:
    body = html("Redirecting…", "<p>Redirecting you to the home page.</p>",
                f'<meta http-equiv="refresh" content="{refresh}">')  # fmt: skip
    assert judged(facts(body)) == (
        "broken",
        "soft 404: meta refresh, to the site's home page",
    )


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(facts(html("Portal", '<div id="app"></div><script src="/app.js"></script>',
                                '<meta http-equiv="refresh" content="1800; url=/">')),
                     id="app-shell-home-after-a-session-timeout"),
        pytest.param(facts(html("A post", LONG_TEXT), hops=((302, "https://example.com/?p=42"),)),
                     id="redirect-to-a-post-by-its-number"),
    ],
)  # fmt: skip
def test_the_home_path_naming_a_page_or_a_long_wait_is_no_soft_404(answer: HttpFacts) -> None:
    assert judged(answer) == OK


@pytest.mark.parametrize(
    ("url", "hops", "expected"),
    [
        pytest.param("http://example.com/blog/post", ((301, "https://example.com/blog/post"),),
                     ("redirected", "moved permanently (301) to https://example.com/blog/post"),
                     id="http-to-https"),
        pytest.param("https://www.example.com/blog/post", ((301, "https://example.com/blog/post"),),
                     ("redirected", "moved permanently (301) to https://example.com/blog/post"),
                     id="www-to-apex"),
        pytest.param("https://example.com/blog/post", ((302, "https://example.com/blog/post/"),),
                     OK, id="trailing-slash"),
        pytest.param("https://example.com/products/widget", ((301, "https://shop.example.net/"),),
                     ("redirected", "moved permanently (301) to https://shop.example.net/"),
                     id="to-another-host-root"),
        pytest.param("https://blog.example.com/post/1", ((302, "https://example.com/"),), OK,
                     id="subdomain-to-parent-root"),
        pytest.param("https://example.com/ok", ((302, "https://example.com/go"),), OK,
                     id="short-paths-ok-to-go"),
        pytest.param("https://example.com/ai", ((302, "https://example.com/ok"),), OK,
                     id="short-paths-ai-to-ok"),
        pytest.param("https://example.com/en", ((302, "https://example.com/"),), OK,
                     id="locale-root-to-root"),
        pytest.param("https://example.com/index.html", ((301, "https://example.com/"),),
                     ("redirected", "moved permanently (301) to https://example.com/"),
                     id="index-html-to-root"),
        pytest.param("https://example.com/docs/page-not-found-errors",
                     ((301, "https://example.com/docs/page-not-found-errors/"),),
                     ("redirected",
                      "moved permanently (301) to https://example.com/docs/page-not-found-errors/"),
                     id="article-about-not-found-slash"),
        pytest.param("https://forum.example.com/t/why-is-my-loss-nan",
                     ((301, "https://forum.example.com/t/why-is-my-loss-nan/404"),),
                     ("redirected", "moved permanently (301) to "
                                    "https://forum.example.com/t/why-is-my-loss-nan/404"),
                     id="discourse-topic-number-404"),
        pytest.param("https://github.com/org/repo/issues/404",
                     ((301, "https://github.com/org/repo/pull/404"),),
                     ("redirected",
                      "moved permanently (301) to https://github.com/org/repo/pull/404"),
                     id="github-issue-404-is-a-pull"),
    ],
)  # fmt: skip
def test_redirects_that_are_moves_are_not_soft_404s(
    url: str, hops: tuple[tuple[int, str], ...], expected: tuple[str, str | None]
) -> None:
    assert judged(facts(html("A page | Example", LONG_TEXT), url=url, hops=hops), url) == expected


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(html("Live scores | Sports", LONG_TEXT, '<meta http-equiv="refresh" '
                          'content="300; url=/">'), id="article-that-reloads-home-every-5-min"),
        pytest.param(html("Moved", "<p>This post moved.</p>", '<meta http-equiv="refresh" '
                          'content="0; url=/blog/2024/05/new-post">'), id="refresh-to-a-deep-page"),
    ],
)  # fmt: skip
def test_a_meta_refresh_elsewhere_than_home_is_not_a_soft_404(body: str) -> None:
    assert judged(facts(body)) == OK


# --- Pages that only send the reader on (a meta refresh) --------------------------------------


@pytest.mark.parametrize(
    ("target", "script"),
    [
        # x.com's shell for a post: a host name for a title, no text, an inline script, a
        # refresh to a migration endpoint whose token changes at every ask.
        pytest.param("https://twitter.com/x/migrate?tok=7b22653a2f7374617475732f313233",
                     "<script>window.__INITIAL_STATE__ = {}</script>", id="x-com-shell"),
        pytest.param("https://twitter.com/x/migrate", '<script src="/app.js"></script>',
                     id="a-script-page-sending-to-a-plain-url"),
        pytest.param("https://twitter.com/x/migrate?session=8f3a", "",
                     id="a-bare-refresh-to-a-url-with-a-token"),
        pytest.param("https://twitter.com/x/migrate?next=7b2265223a222f70657065706", "",
                     id="a-bare-refresh-to-a-url-with-an-opaque-value"),
    ],
)  # fmt: skip
def test_an_empty_page_that_only_refreshes_elsewhere_is_not_taken_for_the_link(
    target: str, script: str
) -> None:
    shell = html("x.com", "", f'<meta http-equiv="refresh" content="0; url = {target}">{script}')
    url = "https://twitter.com/someone/status/123"
    assert judged(facts(shell, url=url), url) == (
        "blocked",
        "an empty page sends the reader on (meta refresh to https://twitter.com/x/migrate), "
        "not followed; the page may exist",
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(html("Redirecting&hellip;",
                          '<h1>Redirecting&hellip;</h1><a href="https://example.org/papers/new">'
                          "Click here if you are not redirected.</a>",
                          '<link rel="canonical" href="https://example.org/papers/new">'
                          '<meta http-equiv="refresh" content="0; url=https://example.org/papers/'
                          'new">'), id="jekyll-redirect-from"),
        pytest.param(html("https://example.org/papers/new", "",
                          '<link rel="canonical" href="https://example.org/papers/new">'
                          '<meta name="robots" content="noindex">'
                          '<meta http-equiv="refresh" content="0; url=https://example.org/papers/'
                          'new">'), id="hugo-alias"),
        pytest.param(html(None, "", '<meta http-equiv="refresh" content="0; url=https://example.'
                          'org/papers/new">'), id="sphinx-redirect-stub"),
        pytest.param(html("Moved", "", '<link rel="canonical" href="https://example.org/papers/'
                          'new">' '<meta http-equiv="refresh" content="0; url=http://example.org/'
                          'papers/new?sid=8f3a">'), id="canonical-suggested-not-the-session-url"),
    ],
)  # fmt: skip
def test_a_redirect_page_moved_the_link_to_its_target(body: str) -> None:
    verdict = web_verdict(facts(body), None, LINK)
    assert (verdict.status.value, verdict.reason, verdict.suggested_url) == (
        "redirected",
        "moved (meta refresh) to https://example.org/papers/new",
        "https://example.org/papers/new",
    )


@pytest.mark.parametrize(
    "target",
    ["/login?next=/blog/2024/05/a-post", "https://sso.example.net/auth/?service=blog"],
)
def test_an_empty_page_sending_its_reader_to_sign_in_is_a_login_wall(target: str) -> None:
    stub = html(None, "", f'<meta http-equiv="refresh" content="0; url={target}">')
    assert judged(facts(stub)) == ("blocked", "login required; the page may exist")


@pytest.mark.parametrize(
    ("target", "shown"),
    [
        pytest.param("/blog/", "https://example.com/blog/", id="to-the-section-above-the-link"),
        pytest.param("https://other.example.org/", "https://other.example.org/",
                     id="to-another-site-s-home"),
    ],
)  # fmt: skip
def test_a_bare_stub_to_no_place_a_link_can_move_to_is_not_a_move(target: str, shown: str) -> None:
    stub = html(None, "", f'<meta http-equiv="refresh" content="0; url={target}">')
    assert judged(facts(stub)) == (
        "blocked",
        f"an empty page sends the reader on (meta refresh to {shown}), not followed; "
        "the page may exist",
    )


@pytest.mark.parametrize(
    "target",
    [
        "https://example.org/papers/new?utm_source=old-site",
        "https://example.com/index.php?p=42",  # the home path naming a post: no soft 404
    ],
)
def test_a_bare_stub_to_a_page_with_a_plain_query_moved_there(target: str) -> None:
    stub = html(None, "", f'<meta http-equiv="refresh" content="0; url={target}">')
    verdict = web_verdict(facts(stub), None, LINK)
    assert (verdict.status.value, verdict.suggested_url) == ("redirected", target)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(html("A post", "", '<meta http-equiv="refresh" content="0; url=/blog/2024/'
                          '05/a-post?cookie_check=1">'), id="empty-page-bouncing-back-to-itself"),
        pytest.param(html("A post", "<p>This post moved.</p>",
                          '<meta http-equiv="refresh" content="0; url=/blog/new">'),
                     id="a-notice-with-text-and-no-canonical"),
        pytest.param(html("A post", LONG_TEXT,
                          '<link rel="canonical" href="https://example.com/blog/new">'
                          '<meta http-equiv="refresh" content="600; url=/blog/new">'),
                     id="an-article-with-text-of-its-own"),
        pytest.param(html("Portal", '<div id="app"></div><script src="/app.js"></script>',
                          '<meta http-equiv="refresh" content="1800; url=/account/login">'),
                     id="app-shell-with-a-session-timeout"),
        pytest.param(html("A post", '<div id="root"></div><script src="/app.js"></script>',
                          '<noscript><meta http-equiv="refresh" content="0; url=/no-js"></noscript>'),
                     id="app-shell-sending-readers-without-scripts-away"),
        pytest.param(html("A post", "", '<meta http-equiv="refresh" content="0; url=/blog/2024/'
                          '05/a-post/index.html">'), id="refresh-deeper-into-its-own-path"),
        pytest.param(html("A post", "", f'<link rel="canonical" href="{LINK}">'
                          '<meta http-equiv="refresh" content="5; url=/blog/">'),
                     id="canonical-names-the-link"),
        pytest.param(html("A post", "", '<meta http-equiv="refresh" content="0; url=javascript:'
                          'void(0)">'), id="refresh-to-a-script-url"),
        pytest.param(html("A post", "", '<link rel="canonical" href="https://example.org/new">'
                          '<meta http-equiv="refresh" content="600; url=https://example.org/new">'),
                     id="redirect-page-that-waits-ten-minutes"),
    ],
)  # fmt: skip
def test_a_refresh_to_the_page_itself_or_on_a_page_with_text_leaves_it_ok(body: str) -> None:
    assert judged(facts(body)) == OK


@pytest.mark.parametrize(
    ("url", "target"),
    [
        pytest.param(HOME, "/en/", id="a-site-root-to-its-language"),
        pytest.param("https://proj.example.io/proj/", "latest/", id="docs-root-to-latest"),
    ],
)  # fmt: skip
def test_a_link_routing_its_readers_deeper_is_not_a_move(url: str, target: str) -> None:
    body = html(None, "", f'<meta http-equiv="refresh" content="0; url={target}">')
    assert judged(facts(body, url=url), url) == OK


def test_a_redirect_page_to_the_home_page_is_still_a_soft_404() -> None:
    alias = html(HOME, "", f'<link rel="canonical" href="{HOME}">'
                 f'<meta http-equiv="refresh" content="0; url={HOME}">')  # fmt: skip
    assert judged(facts(alias)) == ("broken", "soft 404: meta refresh, to the site's home page")


# --- Ordinary pages that mention errors -------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body"),
    [
        pytest.param(LINK, html("How to fix a 404 Not Found error",
                                "<h1>How to fix a 404 Not Found error</h1><p>A 404 not found error"
                                " means the page was not found. Not found? 404!</p>" + LONG_TEXT),
                     id="article-about-404"),
        pytest.param(LINK, html("How to fix a 404 Not Found error | WP Guides",
                                "<h1>How to fix a 404 Not Found error</h1><p>Page not found is the"
                                " most common error.</p>"), id="short-article-about-404"),
        pytest.param("https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/404",
                     html("404 Not Found - HTTP | MDN", "<h1>404 Not Found</h1>" + LONG_TEXT,
                          '<meta name="description" content="The HTTP 404 Not Found status.">'),
                     id="mdn-404-reference"),
        pytest.param("https://en.wikipedia.org/wiki/HTTP_404",
                     html("HTTP 404 - Wikipedia", "<h1>HTTP 404</h1>" + LONG_TEXT),
                     id="wikipedia-http-404"),
        pytest.param("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
                     html("404 - song and lyrics by Band | Spotify", "<h1>404</h1>",
                          '<meta property="og:type" content="music.song">'
                          '<meta property="og:title" content="404">'),
                     id="a-song-called-404"),
        pytest.param(LINK, html("Page Not Found: a novel | Books",
                                "<h1>Page Not Found: a novel</h1>" + LONG_TEXT),
                     id="a-novel-page-not-found-colon"),
        pytest.param(LINK, html("Account suspended? Here is what to do | Help Center",
                                "<h1>Account suspended</h1>" + LONG_TEXT,
                                '<meta name="description" content="Help.">'),
                     id="help-article-account-suspended"),
        pytest.param(LINK, html("500 | Fortune", "<h1>500</h1>" + LONG_TEXT,
                                '<meta property="og:type" content="article">'
                                '<meta property="article:published_time" content="2024-06-03">'),
                     id="fortune-500-list"),
        pytest.param(LINK, html("Terror in the skies | Film review", LONG_TEXT),
                     id="terror-is-not-error"),
        pytest.param(LINK, html("Next.js: This page could not be found? | Blog",
                                "<p>Why does Next.js say this page could not be found after "
                                "deploy?</p>" + LONG_TEXT), id="question-about-nextjs-404"),
    ],
)  # fmt: skip
def test_pages_that_talk_about_errors_are_ok(url: str, body: str) -> None:
    assert judged(facts(body, url=url), url) == OK


# --- The random-path probe --------------------------------------------------------------------

OOPS = html("Oops! Nothing here | Site", "<h1>Sorry</h1><p>Try the search.</p>")
NOT_FOUND_HEADING = html("Site", "<h1>Not found</h1><p>Try the search.</p>")
VINYL = html("Not Found – Vinyl LP | Records Shop", "<h1>Not Found</h1><p>12-inch LP, 1999.</p>")


def probed(status: int | None, title: str | None = None, heading: str | None = None,
           final: str | None = None, text: str | None = None) -> ProbeFacts:  # fmt: skip
    url = probe_path(LINK, "enricher-0123456789abcdef")
    return ProbeFacts(url, status, final or url if status else None, title, heading, text)


@pytest.mark.parametrize(
    ("url", "body", "wanted"),
    [
        pytest.param(LINK, OOPS, True, id="weak-title"),
        pytest.param(LINK, NOT_FOUND_HEADING, True, id="weak-heading"),
        pytest.param(LINK, VINYL, True, id="product-called-not-found"),
        pytest.param(LINK, html("Leider nicht gefunden | Shop"), True, id="german-weak"),
        pytest.param("https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/404",
                     html("404 Not Found - HTTP | MDN", "<h1>404 Not Found</h1>"), True,
                     id="error-title-on-a-page-about-404"),
        pytest.param(HOME, OOPS, False, id="home-page-never"),
        pytest.param("https://example.com/en/", OOPS, False, id="locale-home-page-never"),
        pytest.param(LINK, WORDPRESS_404, False, id="strong-title-decides-alone"),
        pytest.param(LINK, html("Medusa, explained", "<h1>Medusa</h1>"), False, id="ordinary"),
        pytest.param(LINK, html("Oops, we couldn't find that page! | Site"), True,
                     id="error-message-in-a-longer-part"),
        pytest.param(LINK, html("Error handling in distributed training, explained"), False,
                     id="long-title-with-a-weak-word"),
        pytest.param(LINK, html("Terror in the skies | Film review"), False,
                     id="terror-is-not-error"),
        pytest.param(LINK, html("Room 1404 | Hotel"), False, id="1404-is-not-404"),
        pytest.param(LINK, html("Sentry - Application Performance Monitoring & Error Tracking"),
                     False, id="brand-tagline-with-error"),
    ],
)  # fmt: skip
def test_only_a_weak_hint_asks_for_a_probe(url: str, body: str, wanted: bool) -> None:
    assert wants_probe(url, facts(body, url=url)) is wanted


def test_nothing_but_a_page_answered_2xx_asks_for_a_probe() -> None:
    assert not wants_probe(LINK, facts(OOPS, 403))
    assert not wants_probe(LINK, facts(None))


@pytest.mark.parametrize(
    ("body", "probe", "expected"),
    [
        pytest.param(OOPS, probed(200, "Oops! Nothing here | Site", "Sorry",
                                  text="Sorry Try the search."),
                     ("broken", "soft 404: the site answers a random path with the same page "
                                "(“Oops! Nothing here | Site”)"), id="same-title-200"),
        pytest.param(NOT_FOUND_HEADING, probed(200, "Site", "Not found",
                                               text="Not found Try the search."),
                     ("broken", "soft 404: the site answers a random path with the same page "
                                "(“Not found”)"), id="same-hinting-heading-200"),
        pytest.param(OOPS, probed(302, "Oops! Nothing here | Site"), OK, id="probe-redirect"),
        pytest.param(OOPS, probed(404, "Oops! Nothing here | Site", "Sorry"), OK,
                     id="probe-404"),
        pytest.param(OOPS, probed(None), OK, id="probe-no-answer"),
        pytest.param(VINYL, probed(404, "404 Not Found"), OK, id="product-probe-404"),
        pytest.param(VINYL, probed(200, "Records Shop – Page not found", "404"), OK,
                     id="product-probe-200-different-title"),
        pytest.param(html("Error handling in Rust", "<h1>Error handling in Rust</h1>"),
                     probed(200, "Page not found | TechNews", "TechNews"), OK,
                     id="different-title-200"),
        pytest.param(html("Error budgets | TechNews", "<h1>TechNews</h1>"),
                     probed(200, "Page not found | TechNews", "TechNews"), OK,
                     id="logo-in-every-h1"),
        pytest.param(html("TechNews", "<h1>Error handling in Rust</h1>"),
                     probed(200, "TechNews", "Page not found"), OK,
                     id="constant-title-different-heading"),
        pytest.param(html("Oops Studio", "<h1>Our new game</h1>"),
                     probed(200, "Oops Studio", "Page not found"), OK,
                     id="same-brand-title-different-heading"),
        # Same title and heading as the probe's, but a page of its own: the site's every page
        # is titled by its name ("Not Found", a band), and its unknown paths answer 200.
        pytest.param(html("Tour | Not Found", "<h1>Not Found</h1>" + LONG_TEXT),
                     probed(200, "Tour | Not Found", "Not Found", text="Not Found Home Music"),
                     OK, id="same-title-another-text"),
        # A script's shell, the same for every path: nothing to tell pages apart by.
        pytest.param(html("Oops", '<div id="root"></div>'),
                     probed(200, "Oops", None, text=None), OK, id="same-empty-shell"),
        pytest.param(html("Medusa, explained | TechNews", "<h1>TechNews</h1>"),
                     probed(200, "Medusa, explained | TechNews", "TechNews"), OK,
                     id="no-hint-no-verdict-from-a-probe"),
    ],
)  # fmt: skip
def test_the_probe_decides_a_weak_hint(
    body: str, probe: ProbeFacts, expected: tuple[str, str | None]
) -> None:
    assert judged(facts(body, probe=probe)) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [("Oops! Nothing here | Site", "broken"), ("Blog | Site", "ok")],
    ids=["hinted", "no-hint"],
)
def test_a_link_and_a_random_path_sent_to_the_same_place(title: str, expected: str) -> None:
    """A site that sends every unknown path to one page (here the blog's index): a soft 404
    when the link's page hinted at an error and the probe was sent there too."""
    index = "https://example.com/blog/"
    answer = facts(html(title, "<h1>Blog</h1>"), hops=((302, index),),
                   probe=probed(200, "Blog | Site", final=index, text="Blog"))  # fmt: skip
    assert judged(answer)[0] == expected


def test_a_strong_title_on_a_page_about_404_waits_for_the_probe() -> None:
    """A title that is an error message on a page whose link names the error: the probe says
    whether the site tells pages apart."""
    url = "https://http.example.org/status/404"
    body = html("404 Not Found", "<h1>404 Not Found</h1>")
    sibling = ProbeFacts(probe_path(url, "enricher-x"), 200, probe_path(url, "enricher-x"),
                         "404 Not Found", "404 Not Found", "404 Not Found")  # fmt: skip
    assert judged(facts(body, url=url), url) == OK
    assert judged(facts(body, url=url, probe=sibling), url)[0] == "broken"


def test_the_probe_is_a_sibling_of_the_link() -> None:
    assert probe_path(LINK, "enricher-x") == "https://example.com/blog/2024/05/enricher-x"
    assert (
        probe_path("https://example.com/post?id=3", "enricher-x")
        == "https://example.com/enricher-x"
    )


# --- Traps found in review: each was judged wrongly once --------------------------------------


@pytest.mark.parametrize(
    ("url", "status", "body", "hops", "headers", "expected"),
    [
        pytest.param("https://stackoverflow.com/a/111/222", 200,
                     html("django - Page not found (404) - Stack Overflow", LONG_TEXT),
                     ((302, "https://stackoverflow.com/questions/111/django-page-not-found-404"),),
                     {}, OK, id="question-about-a-404-reached-by-a-share-link"),
        pytest.param(LINK, 200, html("django - Page not found (404) - Stack Overflow", LONG_TEXT),
                     (), {}, OK, id="error-phrase-in-the-middle-of-a-title"),
        pytest.param(LINK, 200, html("404 Error - What It Means and How to Fix It", LONG_TEXT),
                     (), {}, OK, id="how-to-article-headed-by-404-error"),
        pytest.param("https://example.com/q/333", 200, html("Page not found? | Q&A", LONG_TEXT),
                     ((301, "https://example.com/questions/333/page-not-found"),), {}, ("redirected", None),
                     id="redirect-to-a-slug-named-page-not-found"),
        pytest.param("https://example.com/?p=123", 200, html("Not Found, live | Music", LONG_TEXT),
                     ((301, "https://example.com/2024/05/not-found/"),), {}, ("redirected", None),
                     id="shortlink-to-a-review-of-the-band-not-found"),
        pytest.param("https://example.com/en/index.html", 200, html("Example"),
                     ((301, "https://example.com/en/"),), {}, ("redirected", None),
                     id="home-by-another-name-en-index"),
        pytest.param("https://example.com/home/", 200, html("Example"),
                     ((301, "https://example.com/"),), {}, ("redirected", None),
                     id="home-by-another-name-home"),
        pytest.param("https://example.com/Index.shtml", 200, html("Example"),
                     ((302, "https://example.com/"),), {}, OK, id="home-by-another-name-shtml"),
        pytest.param("http://example.com/lander", 200, html("Spring sale", "<p>Up to 30% off.</p>"),
                     ((301, "https://example.com/lander"),), {}, ("redirected", None),
                     id="a-real-lander-page-through-https"),
        pytest.param(LINK, 429, html(None, ""), (), {"Server": "cloudflare", "Retry-After": "2"},
                     ("blocked", "rate limited (429); the page may exist"),
                     id="rate-limit-with-retry-after-behind-cloudflare"),
        pytest.param(LINK, 200, html("Just a moment...", "<p>Be right back.</p>"), (), {}, OK,
                     id="a-post-titled-just-a-moment"),
        pytest.param(LINK, 200, html("500", "<p>The Fortune 500 list.</p>"), (), {}, OK,
                     id="a-page-titled-500"),
        pytest.param(LINK, 200, html("Website For Sale | Flippa", "<p>A bakery blog with 10k "
                                     "readers, asking $2,000.</p>"), (), {}, OK,
                     id="a-listing-of-a-website-for-sale"),
        pytest.param(LINK, 200, html("Account Suspended | X Help", "<p>Why accounts are "
                                     "suspended.</p>"), (), {}, OK,
                     id="a-help-page-about-suspended-accounts"),
        pytest.param(LINK, 200, html("Your Privacy Choices | Example", "<p>Opt out.</p>"), (), {},
                     OK, id="a-privacy-choices-page-linked-directly"),
    ],
)  # fmt: skip
def test_review_traps_keep_their_honest_verdict(
    url: str, status: int, body: str, hops: tuple[tuple[int, str], ...],
    headers: dict[str, str], expected: tuple[str, str | None],
) -> None:  # fmt: skip
    status_, reason = judged(facts(body, status, url=url, hops=hops, headers=headers), url)
    if expected[0] == "redirected":
        assert status_ == "redirected"
    else:
        assert (status_, reason) == expected


# --- Traps of the second review ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status", "body", "hops", "headers", "expected"),
    [
        pytest.param(LINK, 200, html("App", '<div id="root"></div><script>window.parkingConfig = '
                     '{spots: 3}; window.parkTimer();</script>'), (), {}, OK,
                     id="a-script-whose-names-start-with-window-park"),
        pytest.param(LINK, 200, html("Just a moment...", "<p>Be right back.</p>"), (),
                     {"Server": "cloudflare"}, OK, id="a-post-titled-just-a-moment-on-cloudflare"),
        pytest.param(LINK, 200, html("Page Not Found – Short Film | Festival", LONG_TEXT * 2),
                     (), {}, OK, id="a-film-called-page-not-found-with-its-own-text"),
        pytest.param("https://example.com/2023/old-post", 200, html("Example"),
                     ((301, "https://new.example.org/?from=oldblog"),), {}, ("redirected", None),
                     id="a-moved-blog-sent-home-with-from"),
        pytest.param("https://example.com/index", 200, html("Example"),
                     ((301, "https://example.com/"),), {}, ("redirected", None),
                     id="home-by-another-name-index"),
        pytest.param("https://example.com/Home.aspx", 200, html("Example"),
                     ((302, "https://example.com/"),), {}, OK, id="home-by-another-name-aspx"),
    ],
)  # fmt: skip
def test_second_review_traps_keep_their_honest_verdict(
    url: str, status: int, body: str, hops: tuple[tuple[int, str], ...],
    headers: dict[str, str], expected: tuple[str, str | None],
) -> None:  # fmt: skip
    status_, reason = judged(facts(body, status, url=url, hops=hops, headers=headers), url)
    if expected[0] == "redirected":
        assert status_ == "redirected"
    else:
        assert (status_, reason) == expected


MENU = "<nav>" + " ".join(f"<a href='/s{n}'>Section {n}</a>" for n in range(60)) + "</nav>"


def test_a_shared_menu_is_not_what_makes_two_pages_one() -> None:
    """The probe's page and the link's share the site's menu (the first 400 characters of
    both); past it, one is a tour page, the other an error: not a soft 404."""
    body = html("Tour | Not Found", MENU + "<h1>Not Found</h1>" + LONG_TEXT)
    page = facts(body).page
    assert page is not None and page.text is not None
    error = facts(html("Tour | Not Found", MENU + "<h1>Not Found</h1><p>No such page.</p>")).page
    assert error is not None
    probe = ProbeFacts(probe_path(LINK, "enricher-x"), 200, probe_path(LINK, "enricher-x"),
                       "Tour | Not Found", "Not Found", error.text, error.text_length)  # fmt: skip
    assert judged(facts(body, probe=probe)) == OK
    same = ProbeFacts(probe.url, 200, probe.final_url, "Tour | Not Found", "Not Found",
                      page.text, page.text_length)  # fmt: skip
    thin = html("Tour | Not Found", MENU + "<h1>Not Found</h1><p>'old-post' is not here.</p>")
    thin_page = facts(thin).page
    assert thin_page is not None
    echo = ProbeFacts(probe.url, 200, probe.final_url, "Tour | Not Found", "Not Found",
                      (thin_page.text or "").replace("old-post", "enricher-x"),
                      thin_page.text_length)  # fmt: skip
    assert judged(facts(thin, probe=echo))[0] == "broken"
    assert judged(facts(body, probe=same)) == OK  # kept text all menu: cannot tell, so ok
