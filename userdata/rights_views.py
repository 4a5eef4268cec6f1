"""The /id/ endpoints of rights and subscriptions (spec §1.3, semantics in §4).

Decisions where the record is silent (see also rights.selectors for `?active=`):
- Collections are wrapped like the other /id/ collections, by the singular type:
  `{"right": [...]}`, `{"subscription": [...]}` (the 2014 client's shape, spec §1.0).
- `POST …/rights` takes one object (201, Location of the right) or an array of up to 100
  (201 with `{"right": [...]}` and no Location: there is no one created resource; each right
  carries its href). All of an array is granted, or none.
- Grantors (spec §4): a credential bound to no grantor cannot grant (403 `grantor_required`);
  a body naming another grantor is 403 `grantor_mismatch`. Rights are visible to every reader
  of the user's rights (service providers interact with rights), so changing or terminating
  another grantor's right is 403 `grantor_mismatch`; subscriptions are visible only to the
  grantor that created them, so another grantor's subscription is 404 like a missing one.
- `POST …/usage` with Basic needs `rights:write` and the right's grantor or service provider
  as the credential's grantor id (or a credential bound to no grantor: a service backend).
  Using a right twice is 409 `right_already_used`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from connect_id.errors import DomainError
from rights import selectors
from rights import services as rights_services
from rights.errors import GrantorRequired, RightNotFound, SubscriptionNotFound
from rights.models import Right, Subscription
from rights.validators.timespec import Interval, parse_instant, parse_interval, utc_now
from userdata import rights_serializers as rs
from userdata.permissions import basic_only, bearer_or_basic
from userdata.views import NO_BODY, RESOURCE_ID_RE, ApiView


class ActiveInvalid(DomainError):
    code = "active_invalid"
    message = "`active` is NOW or an ISO 8601 date and time with Z or an offset."


RIGHTS_FILTERS = [
    OpenApiParameter(
        "active",
        str,
        description="`NOW` (or an ISO 8601 instant): only rights ACTIVE then, with the instant "
        "inside their interval (start inclusive, end exclusive).",
    ),
    OpenApiParameter("sku", str, description="Only rights of this SKU."),
    OpenApiParameter("serviceProviderId", str, description="Only rights of this provider."),
]


def _interval(data: dict[str, Any], now: dt.datetime) -> Interval | None:
    key = "timeInterval" if "timeInterval" in data else "timeSpec"
    if key not in data:
        return None
    try:
        return parse_interval(data[key], now=now)
    except DomainError as exc:
        exc.field = key
        raise


class _RightsBase(ApiView):
    def grantor(self) -> str:
        """The grantor id of the calling API credential ("" when it is bound to none)."""
        credential = self.principal.credential
        return credential.grantor_id if credential is not None else ""

    def reader_grantor(self) -> str | None:
        """Whose subscriptions the caller sees: None (a bearer token: all of its user's)."""
        return None if self.principal.credential is None else self.grantor()

    def right(self, right_id: str) -> Right:
        found = None
        if RESOURCE_ID_RE.fullmatch(right_id):
            found = selectors.right_of_user(user_id=self.subject_id, right_id=right_id)
        if found is None:
            raise RightNotFound()
        return found

    def subscription(self, subscription_id: str) -> Subscription:
        found = None
        if RESOURCE_ID_RE.fullmatch(subscription_id):
            found = selectors.subscription_of_user(
                user_id=self.subject_id,
                subscription_id=subscription_id,
                grantor_id=self.reader_grantor(),
            )
        if found is None:
            raise SubscriptionNotFound()
        return found

    def many(self, serializer_class: type[serializers.Serializer]) -> list[dict[str, Any]]:
        serializer = serializer_class(
            data=self.request.data, many=True, max_length=rs.MAX_RIGHTS_PER_POST
        )
        serializer.is_valid(raise_exception=True)
        return [dict(item) for item in serializer.validated_data]


# --- Rights ----------------------------------------------------------------------------------


class RightsView(_RightsBase):
    access_rules = {
        "GET": bearer_or_basic("id.user.right.read", "rights:read"),
        "POST": basic_only("rights:write"),
    }

    @extend_schema(
        operation_id="rights_list",
        tags=["rights"],
        parameters=RIGHTS_FILTERS,
        responses=rs.RightListOut,
        summary="The user's rights; `?active=NOW` for those that give access now.",
    )
    def get(self, request: Request, connectId: str) -> Response:
        params = request.query_params
        now = dt.datetime.now(dt.UTC)  # one instant for the filter and the states shown
        active_at = None
        if "active" in params:
            value = params["active"]
            if value.upper() == "NOW":
                active_at = now
            else:
                try:
                    active_at = parse_instant(value)
                except DomainError:
                    raise ActiveInvalid(field="active") from None
        rows = selectors.right_rows_of_user(
            user_id=self.subject_id,
            now=now,
            active_at=active_at,
            sku=params.get("sku"),
            service_provider_id=params.get("serviceProviderId"),
        )
        if not rows:
            self.require_subject()  # an empty list, or no such user
        return Response({"right": [rs.right_row_json(row, self.base) for row in rows]})

    @extend_schema(
        operation_id="rights_create",
        tags=["rights"],
        request=rs.RightIn,
        responses={201: rs.RightOut},
        summary="Grant a right (or, with an array body, several: all or none).",
    )
    def post(self, request: Request, connectId: str) -> Response:
        grantor = self.grantor()
        if not grantor:
            raise GrantorRequired()
        many = isinstance(request.data, list)
        items = self.many(rs.RightIn) if many else [self.body(rs.RightIn)]
        now = utc_now()
        grants = []
        for item in items:
            rights_services.grantor_resolve(
                credential_grantor=grantor, requested=item.get("grantorId")
            )
            interval = _interval(item, now)
            assert interval is not None  # RightIn requires one
            grants.append(
                rights_services.RightGrant(
                    sku=item["sku"],
                    interval=interval,
                    grantor_context=item["grantorContext"],
                    service_provider_id=item["serviceProviderId"],
                    payload=item["payload"],
                )
            )
        created = rights_services.right_create_many(
            user=self.subject_row(), grantor_id=grantor, grants=grants, actor=self.principal.actor
        )
        out = [rs.right_json(r, self.base, now) for r in created]
        if many:
            return Response({"right": out}, status=201)
        return self.entity(out[0], created=True)


class RightView(_RightsBase):
    access_rules = {
        "GET": bearer_or_basic("id.user.right.read", "rights:read"),
        "PUT": basic_only("rights:write"),
        "DELETE": basic_only("rights:write"),
    }

    @extend_schema(operation_id="rights_get", tags=["rights"], responses=rs.RightOut)
    def get(self, request: Request, connectId: str, rightId: str) -> Response:
        return self.entity(rs.right_json(self.right(rightId), self.base, utc_now()))

    @extend_schema(
        operation_id="rights_update",
        tags=["rights"],
        request=rs.RightUpdateIn,
        responses=rs.RightOut,
        summary="Extend (new timeInterval), suspend or reactivate (state) a right; If-Match.",
    )
    def put(self, request: Request, connectId: str, rightId: str) -> Response:
        right = self.right(rightId)
        data = self.body(rs.RightUpdateIn)
        now = utc_now()
        state = data.get("state")
        updated = rights_services.right_update(
            right=right,
            actor=self.principal.actor,
            as_grantor=self.grantor(),
            interval=_interval(data, now),
            state="ACTIVE" if state == "CREATED" else state,
            precondition=self.precondition(data.get("generation")),
            now=now,
        )
        return self.entity(rs.right_json(updated, self.base, now))

    @extend_schema(operation_id="rights_delete", tags=["rights"], responses=NO_BODY)
    def delete(self, request: Request, connectId: str, rightId: str) -> Response:
        rights_services.right_terminate(
            right=self.right(rightId),
            actor=self.principal.actor,
            as_grantor=self.grantor(),
            precondition=self.precondition(),
        )
        return Response(status=204)


class RightUsageView(_RightsBase):
    access_rules = {
        "POST": bearer_or_basic("id.user.right.use", "rights:write", confidential_only=True)
    }
    extra_problem_statuses = {"409": "Already used, expired, or not active now."}

    @extend_schema(
        operation_id="rights_use",
        tags=["rights"],
        request=None,
        responses=rs.RightOut,
        summary="Record that the right was used: `used` becomes true, once, while ACTIVE.",
    )
    def post(self, request: Request, connectId: str, rightId: str) -> Response:
        right = self.right(rightId)
        credential = self.principal.credential
        party = credential.grantor_id or None if credential is not None else None
        now = utc_now()
        used = rights_services.right_use(
            right=right,
            actor=self.principal.actor,
            as_party=party,
            precondition=self.precondition(),
            now=now,
        )
        return self.entity(rs.right_json(used, self.base, now))


# --- Subscriptions ---------------------------------------------------------------------------


class SubsView(_RightsBase):
    access_rules = {
        "GET": bearer_or_basic("id.user.sub.read", "subs:read"),
        "POST": basic_only("subs:write"),
    }

    @extend_schema(
        operation_id="subs_list",
        tags=["subs"],
        responses=rs.SubscriptionListOut,
        summary="The user's subscriptions (with Basic: those the credential's grantor created).",
    )
    def get(self, request: Request, connectId: str) -> Response:
        subscriptions = selectors.subscriptions_of_user(
            user_id=self.subject_id, grantor_id=self.reader_grantor()
        )
        if not subscriptions:
            self.require_subject()
        now = utc_now()
        return Response(
            {"subscription": [rs.subscription_json(x, self.base, now) for x in subscriptions]}
        )

    @extend_schema(
        operation_id="subs_create",
        tags=["subs"],
        request=rs.SubscriptionIn,
        responses={201: rs.SubscriptionOut},
        summary="Subscribe the user: the rights of each period are generated up front.",
    )
    def post(self, request: Request, connectId: str) -> Response:
        grantor = self.grantor()
        if not grantor:
            raise GrantorRequired()
        data = self.body(rs.SubscriptionIn)
        rights_services.grantor_resolve(credential_grantor=grantor, requested=data.get("grantorId"))
        now = utc_now()
        try:
            subscription = rights_services.subscription_create(
                user=self.subject_row(),
                grantor_id=grantor,
                time_spec=data["timeSpec"],
                rights_spec=[dict(item) for item in data["rightsSpec"]],
                grantor_context=data["grantorContext"],
                actor=self.principal.actor,
                now=now,
            )
        except DomainError as exc:
            if exc.field is None and exc.code.startswith("time_"):
                exc.field = "timeSpec"
            raise
        return self.entity(rs.subscription_json(subscription, self.base, now), created=True)


class SubView(_RightsBase):
    access_rules = {
        "GET": bearer_or_basic("id.user.sub.read", "subs:read"),
        "PUT": basic_only("subs:write"),
        "DELETE": basic_only("subs:write"),
    }

    @extend_schema(operation_id="subs_get", tags=["subs"], responses=rs.SubscriptionOut)
    def get(self, request: Request, connectId: str, subId: str) -> Response:
        return self.entity(rs.subscription_json(self.subscription(subId), self.base, utc_now()))

    @extend_schema(
        operation_id="subs_update",
        tags=["subs"],
        request=rs.SubscriptionUpdateIn,
        responses=rs.SubscriptionOut,
        summary="Suspend (state SUSPENDED) or reactivate (state ACTIVE); honours If-Match.",
    )
    def put(self, request: Request, connectId: str, subId: str) -> Response:
        subscription = self.subscription(subId)
        data = self.body(rs.SubscriptionUpdateIn)
        now = utc_now()
        kwargs: dict[str, Any] = {
            "subscription": subscription,
            "actor": self.principal.actor,
            "as_grantor": self.grantor(),
            "precondition": self.precondition(data.get("generation")),
            "now": now,
        }
        state = data.get("state")
        if state == "SUSPENDED":
            subscription = rights_services.subscription_suspend(**kwargs)
        elif state == "ACTIVE":
            subscription = rights_services.subscription_reactivate(**kwargs)
        else:
            self.precondition(data.get("generation")).check(subscription.generation)
        return self.entity(rs.subscription_json(subscription, self.base, now))

    @extend_schema(
        operation_id="subs_delete",
        tags=["subs"],
        responses=NO_BODY,
        summary="Cancel: no more rights are generated; those already generated stay.",
    )
    def delete(self, request: Request, connectId: str, subId: str) -> Response:
        rights_services.subscription_cancel(
            subscription=self.subscription(subId),
            actor=self.principal.actor,
            as_grantor=self.grantor(),
            precondition=self.precondition(),
        )
        return Response(status=204)
