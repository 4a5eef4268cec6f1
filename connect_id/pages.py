"""What only the pages for people need: their language and a strict Content-Security-Policy.

The protocol's hot paths (token, userinfo, introspection, /id/) are JSON for machines; these
middlewares return at once for them (one string test), so they pay nothing for the pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_vary_headers

PAGE_PREFIXES = ("/gui/", "/oauth/authorize", "/oauth/logout", "/i18n/")


def is_page(path: str) -> bool:
    return path == "/" or path.startswith(PAGE_PREFIXES)


class PageCSPMiddleware(CSPMiddleware):
    """django-csp's policy (settings.CONTENT_SECURITY_POLICY) on the pages only."""

    def process_request(self, request: HttpRequest) -> None:
        if is_page(request.path):
            super().process_request(request)

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not is_page(request.path):
            return response
        return super().process_response(request, response)


# BCP 47 tags (and CONNECT's Java-style "nb_NO") that name one of our languages otherwise.
_ALIASES = {
    "no": "nb",
    "nn": "nb",
    "zh": "zh-hans",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "sr": "sr-latn",
    "sr-latn-rs": "sr-latn",
    "sr-me": "cnr",
    "sr-latn-me": "cnr",
    "cnr-latn": "cnr",
    "cnr-latn-me": "cnr",
    "cnr-me": "cnr",
    "ur-pk": "ur",
    "ms-my": "ms",
    "id-id": "id",
    "in": "id",  # Java's old code for Indonesian
}


def language_of_tag(tag: str) -> str | None:
    """Our language code for a BCP 47 tag or a Java locale string, or None."""
    codes = {code for code, _name in settings.LANGUAGES}
    tag = tag.strip().replace("_", "-").lower()
    while tag:
        if tag in codes:
            return tag
        if tag in _ALIASES:
            return _ALIASES[tag]
        tag = tag.rpartition("-")[0]
    return None


def ui_locales_language(ui_locales: str) -> str | None:
    """The first supported language of an OIDC `ui_locales` list (Core §3.1.2.1)."""
    for tag in ui_locales.split()[:10]:
        language = language_of_tag(tag)
        if language:
            return language
    return None


def _ui_locales(request: HttpRequest) -> str:
    """ui_locales of this authorization request, or of the one the sign-in pages serve."""
    if "ui_locales" in request.GET:
        return request.GET["ui_locales"]
    target = request.GET.get("next") or ""
    if not target and hasattr(request, "session"):
        target = (request.session.get("connect_flow") or {}).get("next", "")
    if "ui_locales" in target:
        return (parse_qs(urlsplit(target).query).get("ui_locales") or [""])[0]
    return ""


def page_language(request: HttpRequest) -> str:
    """The person's language: one they chose with the switcher, then `ui_locales`, then their
    account's language, then Accept-Language, then LANGUAGE_CODE (spec §7.4)."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen and language_of_tag(chosen):
        return language_of_tag(chosen) or settings.LANGUAGE_CODE
    from_request = ui_locales_language(_ui_locales(request))
    if from_request:
        return from_request
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and language_of_tag(user.language or ""):
        return language_of_tag(user.language) or settings.LANGUAGE_CODE
    for tag in request.META.get("HTTP_ACCEPT_LANGUAGE", "").split(","):
        language = language_of_tag(tag.split(";")[0])
        if language:
            return language
    return settings.LANGUAGE_CODE


class PageLocaleMiddleware:
    """Activate the person's language on the pages (after the auth middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_page(request.path):
            return self.get_response(request)
        language = page_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


def decorate(*decorators: Any) -> Any:
    """Apply *decorators* to a view as if stacked in this order (a list shared by pages)."""

    def wrap(view: Any) -> Any:
        for decorator in reversed(decorators):
            view = decorator(view)
        return view

    return wrap
