"""Every /id/ view declares who may call each of its methods, and a view that does not refuses."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from userdata.permissions import AccessRule
from userdata.views import ApiView

HANDLERS = ("get", "post", "put", "patch", "delete")


def _id_views() -> list[tuple[str, type]]:
    found: list[tuple[str, type]] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith("id/"):
                    found.append((route, getattr(p.callback, "cls", None) or p.callback))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_id_view_declares_a_rule_for_each_of_its_methods():
    views = _id_views()
    assert len(views) >= 15
    for route, view in views:
        assert isinstance(view, type) and issubclass(view, ApiView), route
        rules = view.__dict__.get("access_rules")
        assert rules, f"{route}: {view.__name__} declares no access_rules"
        assert all(isinstance(rule, AccessRule) for rule in rules.values())
        for handler in HANDLERS:
            if hasattr(view, handler):
                assert handler.upper() in rules, f"{route}: {handler} has no rule"


def test_a_view_without_rules_refuses_every_caller(alice, bearer_client):
    class Forgetful(ApiView):
        def get(self, request: Request) -> None:
            raise AssertionError("reached a view that declares no rule")

    factory = APIRequestFactory()
    response = Forgetful.as_view()(factory.get("/id/forgetful"))
    assert response.status_code == 403
    assert response.data["code"] == "no_access_rule"


def test_only_the_schema_docs_and_404_views_are_public():
    public = {
        view.__name__
        for _, view in _id_views()
        if any(rule.public for rule in view.__dict__["access_rules"].values())
    }
    assert public == {"SchemaView", "DocsView", "UnknownPathView"}
