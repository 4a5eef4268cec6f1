"""The protocol's hot paths: endpoints for machines that authenticate every request themselves.

The token, UserInfo, introspection, tokeninfo and revocation endpoints and the /id/ and
/event/queue/ APIs take HTTP Basic or Bearer credentials only (RFC 6749 §2.3, RFC 6750), never
the browser's cookies: every view there is csrf_exempt and none reads `request.session`,
`request.user` or messages. The cookie middlewares (sessions, authentication, messages) are
wrapped by `pages_only` so that they step aside on those paths: saves building a session store,
a lazy user and two message storages per request. Everything else (host validation, security
headers, X-Frame-Options, CSRF, which returns at once for csrf_exempt views and which
`check --deploy` wants by name, metrics, audit context, NUL checks) runs for them as before.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import http_date
from django.utils.module_loading import import_string

# Exact paths of the OAuth endpoints for machines; /oauth/authorize and /oauth/logout (pages,
# cookies) are not among them.
API_PATHS = frozenset(
    {"/oauth/token", "/oauth/userinfo", "/oauth/introspect", "/oauth/tokeninfo", "/oauth/revoke"}
)
# Whole trees of Basic/Bearer-only APIs (DRF views, all csrf_exempt).
API_PREFIXES = ("/id/", "/event/queue/")


def is_api_path(path: str) -> bool:
    """True for the Basic/Bearer-only endpoints, which no cookie middleware serves."""
    return path in API_PATHS or path.startswith(API_PREFIXES)


def pages_only(dotted_path: str) -> type:
    """A subclass of the middleware at *dotted_path* that steps aside on the API paths.

    A subclass, so that Django's checks (admin.E408-E410 look for the session, auth and
    messages middlewares by class) and anything testing isinstance still find it.
    """
    middleware = import_string(dotted_path)

    class PagesOnly(middleware):  # type: ignore[misc, valid-type]
        def __call__(self, request: HttpRequest) -> HttpResponse:
            if is_api_path(request.path):
                return self.get_response(request)
            return super().__call__(request)

    # Django looks the view hook up with hasattr(): override it only where the middleware has it.
    if hasattr(middleware, "process_view"):

        def process_view(
            self: Any, request: HttpRequest, view: Any, args: Any, kwargs: Any
        ) -> HttpResponse | None:
            if is_api_path(request.path):
                return None
            return super(PagesOnly, self).process_view(request, view, args, kwargs)

        PagesOnly.process_view = process_view

    PagesOnly.__name__ = PagesOnly.__qualname__ = middleware.__name__
    PagesOnly.__doc__ = f"{dotted_path}, skipped on the API paths (connect_id.hotpath)."
    return PagesOnly


SessionMiddleware = pages_only("django.contrib.sessions.middleware.SessionMiddleware")
AuthenticationMiddleware = pages_only("django.contrib.auth.middleware.AuthenticationMiddleware")
MessageMiddleware = pages_only("django.contrib.messages.middleware.MessageMiddleware")


# What add_never_cache_headers writes on a response with neither header: patch_cache_control
# parses and rebuilds the header twice per call, a few hundredths of a millisecond per request.
_NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


def never_cache(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Django's never_cache, the same headers (test_never_cache_writes_what_django_writes),
    written directly when the view set neither Cache-Control nor Expires."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if "Cache-Control" in response or "Expires" in response:
            add_never_cache_headers(response)  # merge with what the view set
        else:
            response.headers["Expires"] = http_date(time.time())
            response.headers["Cache-Control"] = _NEVER_CACHE
        return response

    return wrapper
