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
            # Every plural form keeps the placeholders of the English plural; the first form may
            # drop the count where the English singular does ("every month", not "every 1").
            for index, form in entry.msgstr_plural.items():
                allowed = [names(entry.msgid_plural)]
                if int(index) == 0:
                    allowed.append(names(entry.msgid))
                assert names(form) in allowed, entry.msgid
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


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """makemessages over a copy of the sources finds no msgid the committed catalogue lacks: a
    page whose strings were never extracted would be English in every language."""
    import shutil
    import subprocess
    import sys

    root = Path(settings.BASE_DIR)
    copy = tmp_path / "src"
    # The project's own files (tracked or new, not ignored), without the nb catalogue.
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],  # noqa: S607
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in listed:
        if name.endswith((".py", ".html", ".txt")) and not name.startswith("locale/"):
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, copy / name)
    (copy / "locale" / "nb" / "LC_MESSAGES").mkdir(parents=True)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "nb", "--no-obsolete", "--no-wrap"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    extracted = {e.msgid for e in polib.pofile(str(copy / "locale/nb/LC_MESSAGES/django.po"))}
    committed = {e.msgid for e in polib.pofile(str(LOCALE / "nb/LC_MESSAGES/django.po"))}
    missing = sorted(extracted - committed)
    assert missing == [], (
        f"{len(missing)} strings not in the catalogues; run makemessages: {missing[:10]}"
    )
