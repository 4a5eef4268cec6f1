"""Every language of spec §7.4 has a complete catalogue, compiled and committed."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import translation
from django.utils.translation import to_locale

LOCALE = Path(settings.BASE_DIR) / "locale"
OTHERS = [code for code, _name in settings.LANGUAGES if code != "en"]


@pytest.mark.parametrize("language", OTHERS)
def test_the_catalogue_is_complete_and_its_compiled_form_matches(language):
    folder = LOCALE / to_locale(language) / "LC_MESSAGES"
    po = polib.pofile(str(folder / "django.po"))
    untranslated = [entry.msgid for entry in po if not entry.translated()]
    assert untranslated == [], f"{language}: {len(untranslated)} untranslated"
    assert not [entry.msgid for entry in po.fuzzy_entries()]
    mo = {entry.msgid: entry.msgstr for entry in polib.mofile(str(folder / "django.mo"))}
    assert mo == {entry.msgid: entry.msgstr for entry in po if entry.msgid}, (
        f"{language}: django.mo is stale; run manage.py compilemessages"
    )


@pytest.mark.parametrize("language", OTHERS)
def test_placeholders_survive_translation(language):
    folder = LOCALE / to_locale(language) / "LC_MESSAGES"
    import re

    def names(text: str) -> list[str]:
        return sorted(set(re.findall(r"%\(\w+\)[sd]", text)))

    for entry in polib.pofile(str(folder / "django.po")):
        if entry.msgid_plural:
            # Every plural form keeps the placeholders of the English plural.
            for form in entry.msgstr_plural.values():
                assert names(form) == names(entry.msgid_plural), entry.msgid
        else:
            assert names(entry.msgstr) == names(entry.msgid), entry.msgid


@pytest.mark.parametrize("language", OTHERS)
def test_django_uses_the_catalogue(language):
    with translation.override(language):
        assert translation.gettext("Sign in or create your CONNECT ID") != (
            "Sign in or create your CONNECT ID"
        )


@pytest.mark.django_db
def test_the_sign_in_page_renders_in_every_language():
    for code, _name in settings.LANGUAGES:
        http = HttpClient(HTTP_ACCEPT_LANGUAGE=code)
        page = http.get("/gui/signin")
        assert page.status_code == 200 and f'lang="{code}"'.encode() in page.content
