"""Shapes of the rights and subscriptions of the /id/ API (spec §1.3): input serializers, the
output dicts (built by hand for the hot read path) and their schema serializers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers

from rights.models import Right, Subscription
from rights.selectors import RightRow
from rights.validators.timespec import format_interval
from userdata.representations import user_href
from userdata.serializers import LinkOut

MAX_RIGHTS_PER_POST = 100


# --- Output ----------------------------------------------------------------------------------


def right_json(right: Right, base: str, now: dt.datetime) -> dict[str, Any]:
    """The right object; its state is the one at *now* (CREATED before the interval,
    EXPIRED after it), so that a read is right at any moment."""
    user = user_href(base, right.user_id)
    links = []
    if right.subscription_id is not None:
        links.append(
            {
                "rel": "creator",
                "type": "subscription",
                "idref": right.subscription_id,
                "href": f"{user}/subs/{right.subscription_id}",
            }
        )
    return {
        "rightId": right.pk,
        "generation": str(right.generation),
        "href": f"{user}/rights/{right.pk}",
        "state": right.state_at(now),
        "userId": right.user_id,
        "link": links,
        "grantorId": right.grantor_id,
        "grantorContext": right.grantor_context,
        "serviceProviderId": right.service_provider_id,
        "timeInterval": format_interval(right.start, right.end),
        "sku": right.sku,
        "payload": right.payload,
        "used": right.used,
    }


def right_row_json(row: RightRow, base: str) -> dict[str, Any]:
    """right_json for a list row (rights.selectors.right_rows_of_user): the same object."""
    user = user_href(base, row.user_id)
    links = []
    if row.subscription_id is not None:
        links.append(
            {
                "rel": "creator",
                "type": "subscription",
                "idref": row.subscription_id,
                "href": f"{user}/subs/{row.subscription_id}",
            }
        )
    return {
        "rightId": row.id,
        "generation": str(row.generation),
        "href": f"{user}/rights/{row.id}",
        "state": row.state,
        "userId": row.user_id,
        "link": links,
        "grantorId": row.grantor_id,
        "grantorContext": row.grantor_context,
        "serviceProviderId": row.service_provider_id,
        "timeInterval": row.time_interval,
        "sku": row.sku,
        "payload": row.payload,
        "used": row.used,
    }


def subscription_json(subscription: Subscription, base: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "subscriptionId": subscription.pk,
        "href": f"{user_href(base, subscription.user_id)}/subs/{subscription.pk}",
        "generation": str(subscription.generation),
        "userId": subscription.user_id,
        "grantorId": subscription.grantor_id,
        "grantorContext": subscription.grantor_context,
        "origTimeSpec": subscription.orig_time_spec,
        "effectiveTimeSpec": subscription.effective_time_spec,
        "state": subscription.state_at(now),
        "rightsSpec": subscription.rights_spec,
    }


class RightOut(serializers.Serializer):
    rightId = serializers.CharField()
    generation = serializers.CharField()
    href = serializers.URLField()
    state = serializers.ChoiceField(choices=Right.State.values)
    userId = serializers.CharField()
    link = LinkOut(many=True, help_text="`creator`: the subscription that generated it.")
    grantorId = serializers.CharField()
    grantorContext = serializers.CharField(allow_blank=True)
    serviceProviderId = serializers.CharField(allow_blank=True)
    timeInterval = serializers.CharField(help_text="ISO 8601 `start/end` in UTC; end exclusive.")
    sku = serializers.CharField()
    payload = serializers.CharField(allow_blank=True)
    used = serializers.BooleanField()


class RightListOut(serializers.Serializer):
    right = RightOut(many=True)


class RightsSpecItem(serializers.Serializer):
    sku = serializers.CharField(max_length=100)
    timeSpec = serializers.CharField(
        required=False, help_text="ISO 8601 duration of each right; the period by default."
    )
    serviceProviderId = serializers.CharField(required=False, max_length=200)
    payload = serializers.CharField(required=False, max_length=4000)


class SubscriptionOut(serializers.Serializer):
    subscriptionId = serializers.CharField()
    href = serializers.URLField()
    generation = serializers.CharField()
    userId = serializers.CharField()
    grantorId = serializers.CharField()
    grantorContext = serializers.CharField(allow_blank=True)
    origTimeSpec = serializers.CharField()
    effectiveTimeSpec = serializers.CharField()
    state = serializers.ChoiceField(choices=Subscription.State.values)
    rightsSpec = RightsSpecItem(many=True)


class SubscriptionListOut(serializers.Serializer):
    subscription = SubscriptionOut(many=True)


# --- Input -----------------------------------------------------------------------------------

TIME_SPEC_HELP = (
    "ISO 8601: `start/end`, `start/P2D`, or `P2D` (from now); times with Z or an offset."
)


class _TimeIn(serializers.Serializer):
    timeSpec = serializers.CharField(required=False, max_length=200, help_text=TIME_SPEC_HELP)
    timeInterval = serializers.CharField(
        required=False, max_length=200, help_text="Same as timeSpec (the name rights carry)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "timeSpec" in attrs and "timeInterval" in attrs:
            raise serializers.ValidationError(
                "Send timeSpec or timeInterval, not both.", code="time_spec_twice"
            )
        return attrs


class RightIn(_TimeIn):
    grantorId = serializers.CharField(
        required=False, max_length=100, help_text="If sent, the credential's own grantor id."
    )
    grantorContext = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )
    sku = serializers.CharField(max_length=100)
    serviceProviderId = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )
    payload = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, default="", trim_whitespace=False
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if "timeSpec" not in attrs and "timeInterval" not in attrs:
            raise serializers.ValidationError(
                {"timeSpec": ["A right needs a timeSpec or timeInterval."]}, code="required"
            )
        return attrs


class RightUpdateIn(_TimeIn):
    """PUT body: a new interval extends (or moves) the right; `state` suspends or
    reactivates. Read-only fields of the right object (a client may PUT back what it got) are
    ignored; `CREATED` means ACTIVE (a right not started yet)."""

    state = serializers.ChoiceField(required=False, choices=["ACTIVE", "SUSPENDED", "CREATED"])
    generation = serializers.CharField(
        required=False,
        max_length=20,
        help_text="The generation the change is based on; 409 if it is no longer current.",
    )


class SubscriptionIn(serializers.Serializer):
    grantorId = serializers.CharField(required=False, max_length=100)
    grantorContext = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )
    timeSpec = serializers.CharField(
        max_length=200,
        help_text="A repeating ISO 8601 interval: `R/start/P1M`, `Rn/start/P1M` or `R//P1M` "
        "(from now).",
    )
    rightsSpec = RightsSpecItem(many=True, allow_empty=False, max_length=20)


class SubscriptionUpdateIn(serializers.Serializer):
    """PUT body: `state` SUSPENDED suspends (the current rights too), ACTIVE reactivates (the
    rights of later periods); other fields of the subscription object are ignored."""

    state = serializers.ChoiceField(required=False, choices=["ACTIVE", "SUSPENDED"])
    generation = serializers.CharField(required=False, max_length=20)
