"""Deep links and the backlink: `?client_id=…&redirect_uri=…` (or `return_url`) shows "Back to
<service>" on every screen, only for a URI registered for that service, never another."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from accounts.services.selfservice import PORTAL_CLIENT_ID
from tests.factories import ClientFactory
from tests.mypage.conftest import SCREENS, enter_portal
from tests.oidc.conftest import REDIRECT

OTHER = "https://other.example.com/callback"


def back_link(html: str) -> str | None:
    """The text of the backlink, or None."""
    if 'class="backlink"' not in html:
        return None
    part = html.split('class="backlink"', 1)[1].split("</p>", 1)[0]
    return part.split(">", 2)[2].split("</a>", 1)[0]


def deep(screen: str, **query: str) -> str:
    return f"/gui/mypage/{screen}?{urlencode(query)}"


def test_a_registered_redirect_uri_shows_back_to_the_service_on_every_screen(alice_portal, news):
    first = alice_portal.get(deep("manageemail", client_id=news.client_id, redirect_uri=REDIRECT))
    html = first.content.decode()
    assert back_link(html) == "Back to Nordic News"
    assert f'<a href="{REDIRECT}">' in html
    for screen in SCREENS:  # kept in the session while moving between screens
        page = alice_portal.get(f"/gui/mypage/{screen}").content.decode()
        assert back_link(page) == "Back to Nordic News", screen


@pytest.mark.parametrize(
    "query",
    [
        {"redirect_uri": "https://rp.example.com/elsewhere"},  # not registered
        {"redirect_uri": REDIRECT + "/"},  # not the exact string
        {"redirect_uri": OTHER},  # another service's URI
        {"redirect_uri": "javascript:alert(1)"},
        {"redirect_uri": "https://evil.example/"},
        {"client_id": "nobody", "redirect_uri": REDIRECT},  # an unknown service
        {"client_id": PORTAL_CLIENT_ID, "redirect_uri": "http://testserver/gui/mypage/callback"},
        {"client_id": "", "redirect_uri": REDIRECT},  # two services registered it
    ],
)
def test_anything_else_shows_no_backlink(alice_portal, news, query):
    ClientFactory(name="Other Service", redirect_uris=[OTHER, REDIRECT])
    query = {"client_id": news.client_id, **query}
    response = alice_portal.get(deep("overview", **query))
    assert response.status_code == 200
    html = response.content.decode()
    assert back_link(html) is None
    assert 'href="javascript:' not in html and 'href="https://evil.example' not in html


def test_a_disabled_service_gets_no_backlink(alice_portal, news):
    news.enabled = False
    news.save(update_fields=["enabled"])
    html = alice_portal.get(deep("overview", client_id=news.client_id, redirect_uri=REDIRECT))
    assert back_link(html.content.decode()) is None


def test_return_url_names_the_one_service_that_registered_it(alice_portal, news):
    html = alice_portal.get(deep("overview", return_url=REDIRECT)).content.decode()
    assert back_link(html) == "Back to Nordic News"


def test_return_url_is_also_bound_to_a_client_id(alice_portal, news):
    other = ClientFactory(name="Other Service", redirect_uris=[OTHER])
    wrong = alice_portal.get(deep("overview", client_id=other.client_id, return_url=REDIRECT))
    assert back_link(wrong.content.decode()) is None
    right = alice_portal.get(deep("overview", client_id=other.client_id, return_url=OTHER))
    assert back_link(right.content.decode()) == "Back to Other Service"


def test_an_invalid_backlink_keeps_the_one_chosen_and_a_valid_one_replaces_it(alice_portal, news):
    other = ClientFactory(name="Other Service", redirect_uris=[OTHER])
    alice_portal.get(deep("overview", client_id=news.client_id, redirect_uri=REDIRECT))
    ignored = alice_portal.get(deep("overview", client_id=news.client_id, redirect_uri=OTHER))
    assert back_link(ignored.content.decode()) == "Back to Nordic News"
    replaced = alice_portal.get(deep("overview", client_id=other.client_id, redirect_uri=OTHER))
    assert back_link(replaced.content.decode()) == "Back to Other Service"


def test_the_backlink_survives_the_sign_in_round_trip(alice, anon, news):
    screen = deep("managephone", client_id=news.client_id, redirect_uri=REDIRECT)
    final = enter_portal(anon, "alice@example.com", screen=screen)
    assert final.redirect_chain[-1][0] == screen  # the deep link, query and all
    assert back_link(final.content.decode()) == "Back to Nordic News"
    later = anon.get("/gui/mypage/security").content.decode()
    assert back_link(later) == "Back to Nordic News"


def test_gui_mypage_keeps_the_backlink_query(alice_portal, news):
    response = alice_portal.get(
        "/gui/mypage", {"client_id": news.client_id, "redirect_uri": REDIRECT}, follow=True
    )
    assert response.redirect_chain[-1][0].startswith("/gui/mypage/overview?client_id=")
    assert back_link(response.content.decode()) == "Back to Nordic News"


def test_signing_out_forgets_the_backlink(alice, alice_portal, portal, news):
    alice_portal.get(deep("overview", client_id=news.client_id, redirect_uri=REDIRECT))
    alice_portal.post("/gui/mypage/signout")
    again = enter_portal(alice_portal, "alice@example.com")
    assert back_link(again.content.decode()) is None
