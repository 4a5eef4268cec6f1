"""Real-browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Never downloads a browser (`playwright install` is not used): Chromium must be at /usr/bin/chromium
(`apt-get install chromium`). Without it every test here fails with that message; none is skipped.
Nothing leaves the machine: the relying party's host (rp.example.com) is answered by Playwright
routing, and every other non-local request is aborted.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

from accounts.models import Client
from tests.factories import ClientFactory
from tests.servers import SmsGateway, SmtpServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
RP_ORIGIN = "https://rp.example.com"  # the relying party, played by Playwright routing
REDIRECT = f"{RP_ORIGIN}/callback"
GOODBYE = f"{RP_ORIGIN}/bye"
PASSWORD = "correct horse battery"  # the UserFactory default


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium per test module; `launch` gives it a fresh temporary user-data dir
    (deleted on close), and each test gets its own context (cookies, storage)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Browser tests need Debian's Chromium at {CHROMIUM}, which is missing: "
            "run `apt-get install chromium` (never `playwright install`).",
            pytrace=False,
        )
    # Playwright's sync API keeps an asyncio loop running on this thread, which makes Django
    # refuse ORM calls from the test ("async context"). Allow them for this module only, until
    # Playwright has stopped (after the last test's database teardown).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def live(live_server, settings) -> str:
    """The live server as this deployment's site and issuer (as tests/oidc/test_end_to_end)."""
    base = live_server.url
    settings.SITE_URL = base
    settings.ISSUER = f"{base}/oauth"
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": settings.ISSUER}
    settings.ALLOWED_HOSTS = ["*"]
    return base


@dataclass
class RelyingParty:
    """Playwright's stand-in for https://rp.example.com: records every visit but its home page.

    Its home page links to wherever the test sends the browser next, so that CONNECT ID is
    reached by following a link, as from a real relying party. (A `page.goto` whose response
    redirects to rp.example.com would bypass the routing, and fail on DNS: Chromium does not
    hand redirects of browser-initiated navigations to Playwright's routes.)
    """

    link: str = ""
    visits: list[str] = field(default_factory=list)

    def handle(self, route: Route) -> None:
        if urlsplit(route.request.url).path == "/":
            body = f'<a id="go" href="{html.escape(self.link)}">Sign in with CONNECT ID</a>'
        else:
            self.visits.append(route.request.url)
            body = "<h1>Relying party</h1>"
        route.fulfill(status=200, content_type="text/html", body=body)

    def send(self, page: Page, url: str) -> None:
        """Send the browser from the relying party to *url* (absolute) by a link."""
        self.link = url
        page.goto(f"{RP_ORIGIN}/")
        page.click("#go")

    @property
    def last_query(self) -> dict[str, str]:
        assert self.visits, "the browser never came back to the relying party"
        return {k: v[0] for k, v in parse_qs(urlsplit(self.visits[-1]).query).items()}


@pytest.fixture
def rp_site() -> RelyingParty:
    return RelyingParty()


@pytest.fixture
def context(chromium: Browser, live: str, rp_site: RelyingParty) -> Iterator[BrowserContext]:
    """A fresh browser profile (cookies, storage) per test."""
    context = chromium.new_context(base_url=live, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    live_host = urlsplit(live).hostname

    def offline(route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host in {live_host, "localhost", "127.0.0.1"}:
            route.fallback()
        else:
            route.abort()

    context.route("**/*", offline)
    context.route(f"{RP_ORIGIN}/**", rp_site.handle)  # later routes are tried first
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def rp(transactional_db: None) -> Client:
    """A confidential web client whose user-facing name is shown on the consent page."""
    return ClientFactory(
        name="Nordic News",
        description="Your daily news, read anywhere.",
        redirect_uris=[REDIRECT],
        post_logout_redirect_uris=[GOODBYE],
        allowed_scopes=["openid", "profile", "email", "phone", "id.user.read"],
        grant_types=["authorization_code", "refresh_token"],
    )


def authorize_url(
    live: str,
    client: Client,
    *,
    state: str,
    scope: str = "openid profile email phone",
    **extra: str,
) -> str:
    """The /oauth/authorize link a relying party sends the browser to."""
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": state,
        **extra,
    }
    return f"{live}/oauth/authorize?{urlencode(query)}"


def sign_in(page: Page, identifier: str, password: str = PASSWORD) -> None:
    """Type the identifier, then the password (a phone number asks for a password instead of
    an SMS code with the secondary button)."""
    expect(page).to_have_title("Sign in · CONNECT ID")
    page.get_by_label("Mobile number or email").fill(identifier)
    if "@" in identifier:
        page.get_by_role("button", name="Continue").click()
    else:
        page.get_by_role("button", name="Sign in with a password instead").click()
    expect(page).to_have_title("Enter your password · CONNECT ID")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


# --- Real mail and SMS: a local SMTP server and HTTP SMS gateway (tests/servers.py) ------------

SMS_TOKEN = "test-token"


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1; the live server mails through it with Django's SMTP
    backend, as in production."""
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 10
        yield server


@pytest.fixture
def sms_gateway(settings) -> Iterator[SmsGateway]:
    """A real HTTP SMS gateway on 127.0.0.1 that wants the Bearer token; the live server texts
    through accounts.sms.HttpGatewayBackend, as in production."""
    import accounts.sms

    with SmsGateway(token=SMS_TOKEN) as gateway:
        settings.SMS_BACKEND = "accounts.sms.HttpGatewayBackend"
        settings.SMS_GATEWAY_URL = gateway.url
        settings.SMS_GATEWAY_TOKEN = SMS_TOKEN
        settings.SMS_GATEWAY_USERNAME = settings.SMS_GATEWAY_PASSWORD = ""
        settings.SMS_GATEWAY_RETRY_PAUSE = 0.05
        settings.SMS_GATEWAY_TIMEOUT = 5.0
        accounts.sms._backend.cache_clear()  # the backend reads its settings once
        try:
            yield gateway
        finally:
            accounts.sms._backend.cache_clear()
