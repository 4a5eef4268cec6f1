"""Every page for people, in English, Norwegian and Urdu (right to left), at 1280 and 360 px:
axe-core finds no serious or critical problem, the page says its language and direction, and
nothing needs sideways scrolling on a phone.

Each test walks one way through the pages (as a person would: typing, clicking, reading the
SMS from the gateway and the link from the mail), checking each page it reaches at both widths;
a problem is collected and the walk goes on, so one failure lists every page's problems.
With SCREENSHOTS_DIR set, each check also saves `<page>-<lang>-<width>.png` there (`make
screenshots`).

The pages are driven by ids and form actions, not by their words, since the words differ in
every language.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import Client
from tests.browser.conftest import REDIRECT, RelyingParty, authorize_url
from tests.factories import UserFactory
from tests.servers import SmsGateway, SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = {"en": "ltr", "nb": "ltr", "ur": "rtl"}
WIDTHS = (1280, 360)
HEIGHT = 800
SERIOUS = {"serious", "critical"}
NEW_PASSWORD = "blue fjord morning 42"
AXE = Axe()
# Each phone number shown in the text ("+47 91 23 45 67"): does its "+" come first, on the left?
# A right-to-left sentence that does not isolate it shows "67 45 23 91 +47".
REVERSED_NUMBERS = r"""() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const reversed = [];
  for (let node; (node = walker.nextNode()); ) {
    for (const match of node.data.matchAll(/\+\d[\d ]*\d/g)) {
      const at = (i) => { const r = document.createRange(); r.setStart(node, i);
                          r.setEnd(node, i + 1); return r.getBoundingClientRect(); };
      const first = at(match.index), last = at(match.index + match[0].length - 1);
      if (first.width && first.top === last.top && first.left > last.left) reversed.push(match[0]);
    }
  }
  return reversed;
}"""


def _screenshots() -> Path | None:
    folder = os.environ.get("SCREENSHOTS_DIR")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}: {node['html'][:160]}")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


class Pages:
    """Checks each page a walk reaches, at every width, and keeps the problems found."""

    def __init__(self, page: Page, language: str) -> None:
        self.page, self.language = page, language
        self.problems: list[str] = []
        self.folder = _screenshots()

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state()
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            where = f"{name} ({self.language}, {width} px, {page.url})"
            html = page.locator("html")
            lang, direction = html.get_attribute("lang"), html.get_attribute("dir")
            if lang != self.language or direction != LANGUAGES[self.language]:
                self.problems.append(f"{where}: <html lang={lang!r} dir={direction!r}>")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                self.problems.append(f"{where}: {overflow} px wider than the window")
            reversed_numbers = page.evaluate(REVERSED_NUMBERS)
            if reversed_numbers:
                self.problems.append(f"{where}: numbers shown right to left: {reversed_numbers}")
            results = AXE.run(page).response
            serious = [v for v in results["violations"] if v["impact"] in SERIOUS]
            if serious:
                self.problems.append(f"{where}: axe-core found\n{_describe(serious)}")
            if self.folder is not None:
                page.screenshot(
                    path=self.folder / f"{name}-{self.language}-{width}.png", full_page=True
                )

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture(params=list(LANGUAGES))
def language(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def pages(context: BrowserContext, page: Page, live: str, language: str) -> Iterator[Pages]:
    """The browser in *language*, set as the language switcher sets it (its cookie)."""
    context.add_cookies([{"name": "connect_language", "value": language, "url": live}])
    checker = Pages(page, language)
    yield checker
    if checker.problems:  # shown with the error when the walk stopped before its end
        print("\n".join(checker.problems))


# --- How a walk moves on, in any language -----------------------------------------------------


def submit(page: Page) -> None:
    """The page's main (primary) button."""
    page.locator("main form button.primary").first.click()


def type_identifier(page: Page, identifier: str, *, password: bool = False) -> None:
    page.locator("#id_identifier").fill(identifier)
    if password:
        page.locator("button[name=with][value=password]").click()
    else:
        submit(page)


def enter(page: Page, selector: str, value: str) -> None:
    page.locator(selector).fill(value)


def wrong(pin: str) -> str:
    return f"{(int(pin) + 1) % 10 ** len(pin):0{len(pin)}d}"


# --- The walks --------------------------------------------------------------------------------


def test_public_pages(pages: Pages, page: Page, rp: Client, rp_site: RelyingParty, live: str):
    page.goto("/")
    pages.check("front")
    # The first Tab shows the skip link, inside the window, at its start side.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    box, window = skip.bounding_box(), page.viewport_size
    assert box and window and box["width"] > 20, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= window["width"], (box, window)
    if LANGUAGES[pages.language] == "rtl":
        assert box["x"] > window["width"] / 2, (box, window)  # on the right
    page.goto("/gui/connect/tnc")
    pages.check("terms")
    page.goto("/gui/signin")
    pages.check("signin")
    type_identifier(page, "")
    expect(page.locator("#error-summary")).to_be_visible()
    pages.check("signin-error")

    rp_site.send(page, authorize_url(live, rp, state="st-pages"))
    page.wait_for_url(f"{live}/gui/signin?next=**")
    pages.check("signin-authorize")

    unknown = {"response_type": "code", "client_id": "nobody", "redirect_uri": REDIRECT}
    page.goto(f"/oauth/authorize?{urlencode({**unknown, 'scope': 'openid'})}")
    page.locator("details summary").click()  # the developers' details, opened
    expect(page.locator("code[data-error]")).to_be_visible()
    pages.check("authorize-error")
    page.goto("/oauth/logout?client_id=nobody")
    page.locator("details summary").click()  # the developers' details, opened
    expect(page.locator("code[data-error]")).to_be_visible()
    pages.check("logout-error")
    page.goto("/gui/signup?token=not-a-token")
    pages.check("link-invalid")
    response = page.goto("/gui/no-such-page")
    assert response and response.status == 404
    pages.check("not-found")

    # A form sent after its CSRF cookie is gone (cookies cleared; the language chosen again).
    page.goto("/gui/signin")
    context = page.context
    context.clear_cookies()
    context.add_cookies([{"name": "connect_language", "value": pages.language, "url": live}])
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        type_identifier(page, "kari@example.com")
    assert posted.value.status == 403
    pages.check("form-expired")
    pages.assert_clean()


def test_email_account_pages(
    pages: Pages, page: Page, rp: Client, rp_site: RelyingParty, live: str, smtp_server: SmtpServer
):
    UserFactory(email="kari@example.com", phone="4798765432", realname="Kari Nordmann")
    rp_site.send(page, authorize_url(live, rp, state="st-email"))
    type_identifier(page, "kari@example.com")
    expect(page.locator("#id_password")).to_be_visible()
    pages.check("password")
    enter(page, "#id_password", "not the password")
    submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    pages.check("password-error")

    page.locator("form[action$='/signin/forgot'] button").click()
    page.wait_for_url(f"{live}/gui/signin/email-sent?what=reset")
    pages.check("email-sent-reset")
    page.goto(smtp_server.wait_for_link("kari@example.com"))
    expect(page.locator("#id_password2")).to_be_visible()
    pages.check("reset-link")
    enter(page, "#id_password", NEW_PASSWORD)
    enter(page, "#id_password2", NEW_PASSWORD + "!")
    submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    pages.check("reset-link-error")
    enter(page, "#id_password", NEW_PASSWORD)
    enter(page, "#id_password2", NEW_PASSWORD)
    submit(page)
    expect(page.locator(".notice")).to_be_visible()
    pages.check("password-changed")
    pages.assert_clean()


def test_email_sign_up_pages(
    pages: Pages, page: Page, rp: Client, rp_site: RelyingParty, live: str, smtp_server: SmtpServer
):
    rp_site.send(page, authorize_url(live, rp, state="st-new-email"))
    type_identifier(page, "nora@example.com")
    page.locator("form[action$='/signin/signup-email'] button").click()
    page.wait_for_url(f"{live}/gui/signin/email-sent?what=signup")
    pages.check("email-sent-signup")
    page.goto(smtp_server.wait_for_link("nora@example.com"))
    expect(page.locator("#id_password2")).to_be_visible()
    pages.check("signup-link")
    pages.assert_clean()


def test_phone_account_pages(
    pages: Pages,
    page: Page,
    rp: Client,
    rp_site: RelyingParty,
    live: str,
    sms_gateway: SmsGateway,
    smtp_server: SmtpServer,
):
    # A new number: the PIN, then sign-up.
    rp_site.send(page, authorize_url(live, rp, state="st-phone"))
    type_identifier(page, "+47 912 34 567")
    page.wait_for_url(f"{live}/gui/signin/pin")
    pages.check("pin")
    pin = sms_gateway.wait_for_pin("+4791234567")
    enter(page, "#id_pin", wrong(pin))
    submit(page)
    expect(page.locator("#id_pin-error")).to_be_visible()
    pages.check("pin-error")
    enter(page, "#id_pin", pin)
    submit(page)
    page.wait_for_url(f"{live}/gui/signin/signup")
    pages.check("signup-phone")
    enter(page, "#id_name", "Nora Nordmann")
    submit(page)
    expect(page.locator("#id_terms-error")).to_be_visible()
    pages.check("signup-phone-error")
    page.locator("#id_terms").check()
    submit(page)

    # Signed in: the consent page.
    expect(page.locator("button[name=allow]")).to_be_visible()
    pages.check("consent")
    page.locator("button[name=allow]").click()
    page.wait_for_url(f"{REDIRECT}?**")

    # The pages that add an essential email or phone, and the email's verification link.
    page.goto("/gui/signin/add-email?next=/")
    pages.check("add-email")
    enter(page, "#id_email", "nora@example.com")
    submit(page)
    expect(page.locator(".identifier")).to_have_text("nora@example.com")
    pages.check("email-sent-verify")
    page.goto(smtp_server.wait_for_link("nora@example.com"))
    expect(page.locator("main form button.primary")).to_be_visible()
    pages.check("verify-email")
    page.goto("/gui/signin/add-phone?next=/")
    pages.check("add-phone")
    enter(page, "#id_phone", "+47 412 34 567")
    submit(page)
    expect(page.locator("#id_pin")).to_be_visible()
    pages.check("add-phone-pin")

    # Signing out: the confirmation (no id_token_hint), then the signed-out page.
    page.goto(f"/oauth/logout?{urlencode({'client_id': rp.client_id})}")
    expect(page.locator("form[action$='/signout']")).to_be_visible()
    pages.check("logout-confirm")
    submit(page)
    page.wait_for_url(f"{live}/**")
    expect(page.locator("form[action$='/signout']")).to_have_count(0)
    pages.check("logged-out")
    pages.assert_clean()


def test_phone_reset_pages(
    pages: Pages, page: Page, rp: Client, rp_site: RelyingParty, live: str, sms_gateway: SmsGateway
):
    UserFactory(phone="4798765432", email=None)
    rp_site.send(page, authorize_url(live, rp, state="st-reset"))
    type_identifier(page, "+47 987 65 432", password=True)
    expect(page.locator("form[action$='/signin/pin/start']")).to_be_visible()
    pages.check("password-phone")
    page.locator("form[action$='/signin/forgot'] button").click()
    page.wait_for_url(f"{live}/gui/signin/pin")
    pages.check("pin-reset")
    enter(page, "#id_pin", sms_gateway.wait_for_pin("+4798765432"))
    submit(page)
    page.wait_for_url(f"{live}/gui/signin/new-password")
    pages.check("new-password")
    pages.assert_clean()


def test_portal_pages(pages: Pages, page: Page, live: str, rp: Client, smtp_server: SmtpServer):
    """My CONNECT account: every screen (with a service's backlink), a form with errors, and
    the pages after actions."""
    from accounts.models import Consent, Email
    from accounts.services import email_add, phone_add
    from tests.factories import TEST_ACTOR
    from tests.mypage.conftest import SCREENS

    kari = UserFactory(email="kari@example.com", phone="4798765432", realname="Kari Nordmann")
    email_add(user=kari, address="kari@work.example", actor=TEST_ACTOR)
    phone_add(user=kari, number="4741234567", actor=TEST_ACTOR)
    Consent.objects.create(user=kari, client=rp, scopes=["openid", "profile", "email"])
    from rights.services import subscription_create

    subscription_create(
        user=kari,
        grantor_id="nordic.news",
        time_spec="R//P1M",
        rights_spec=[{"sku": "NEWS-PLUS-M", "serviceProviderId": "nordic.news"}],
        actor=TEST_ACTOR,
    )
    # Sent from Nordic News with a backlink: "Back to Nordic News" on every screen.
    page.goto(
        f"/gui/mypage/overview?{urlencode({'client_id': rp.client_id, 'redirect_uri': REDIRECT})}"
    )
    type_identifier(page, "kari@example.com")
    enter(page, "#id_password", "correct horse battery")
    submit(page)
    page.wait_for_url(f"{live}/gui/mypage/overview?**")
    expect(page.locator(".backlink a")).to_have_attribute("href", REDIRECT)
    for screen in SCREENS:
        page.goto(f"/gui/mypage/{screen}")
        pages.check(f"mypage-{screen}")
    page.goto("/gui/mypage/manageemail")
    enter(page, "#id_email", "not an address")
    submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    pages.check("mypage-manageemail-error")
    page.goto("/gui/mypage/changepassword")
    submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    pages.check("mypage-changepassword-error")
    unverified = Email.objects.get(address="kari@work.example")
    page.goto("/gui/mypage/manageemail")
    page.locator(f"form[action$='/manageemail/{unverified.pk}/resend'] button").click()
    expect(page.locator(".messages")).to_be_visible()
    pages.check("mypage-manageemail-sent")
    phone = kari.phones.get(number="4741234567")
    page.goto(f"/gui/mypage/managephone/{phone.pk}/verify")
    pages.check("mypage-phone-verify")
    page.goto("/gui/mypage/overview?action=logout")
    pages.check("mypage-signout")
    page.goto("/gui/mypage/security")
    page.locator("form[action$='/security/wasnt-me'] button").click()
    page.wait_for_url(f"{live}/gui/mypage/security/wasnt-me")
    pages.check("mypage-locked-down")
    pages.assert_clean()
