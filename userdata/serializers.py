"""Shapes of the /id/ API: input serializers (checked here, decided by services) and the output
shapes of CONNECT's objects (spec §1.2), used for the OpenAPI schema; the views build the output
dicts in userdata.representations for speed, and the schemathesis test holds the two together."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

PRIORITY_MIN, PRIORITY_MAX = 0, 2**31 - 1
ATTRIBUTES_MAX_BYTES = 8192


@extend_schema_field(
    {"type": "object", "additionalProperties": True, "description": "Free key/value map."}
)
class AttributesField(serializers.Field):
    """CONNECT's free key/value map (e.g. {"user-locale": "no"}), bounded in size."""

    default_error_messages = {
        "not_object": "Expected an object.",
        "too_large": f"At most {ATTRIBUTES_MAX_BYTES} bytes of JSON.",
        "bad_text": "Text must be valid Unicode without NUL characters.",
    }

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail("not_object")
        try:
            # allow_nan=False: 1e999 parses as inf, which jsonb cannot store.
            encoded = json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (UnicodeEncodeError, ValueError, TypeError):
            self.fail("bad_text")
        if len(encoded) > ATTRIBUTES_MAX_BYTES:
            self.fail("too_large")
        # PostgreSQL's jsonb cannot store U+0000.
        if b"\\u0000" in encoded:
            self.fail("bad_text")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


def _priority() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=PRIORITY_MIN, max_value=PRIORITY_MAX)


# --- Input -----------------------------------------------------------------------------------


class UserCreateIn(serializers.Serializer):
    username = serializers.CharField(
        max_length=254, help_text="An email address, or a phone number as E.164 digits."
    )
    username_verified = serializers.BooleanField(required=False, default=False)
    password = serializers.CharField(
        required=False, write_only=True, max_length=128, trim_whitespace=False
    )
    realname = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=200
    )
    birthdate = serializers.DateField(required=False, allow_null=True)
    attributes = AttributesField(required=False)


class UserUpdateIn(serializers.Serializer):
    """PUT body: the fields sent are changed, the others kept; read-only fields of the user
    object (a client may PUT back what it got) are ignored."""

    realname = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=200
    )
    birthdate = serializers.DateField(required=False, allow_null=True)
    attributes = AttributesField(required=False)
    generation = serializers.CharField(
        required=False,
        max_length=20,
        help_text="The generation the change is based on; 409 if it is no longer current.",
    )


class MailIn(serializers.Serializer):
    address = serializers.CharField(max_length=254)
    verified = serializers.BooleanField(required=False, default=False)
    priority = _priority()


class PhoneIn(serializers.Serializer):
    number = serializers.CharField(
        max_length=32, help_text="E.164 digits without the leading +, e.g. 4791231231."
    )
    verified = serializers.BooleanField(required=False, default=False)
    priority = _priority()
    type = serializers.CharField(required=False, allow_blank=True, max_length=32, default="")


class PhoneVerifyIn(serializers.Serializer):
    verificationCode = serializers.CharField(max_length=16)


class AccountIn(serializers.Serializer):
    type = serializers.CharField(max_length=64, help_text="The third party's id (its BuID).")
    userid = serializers.CharField(max_length=128, help_text="The third party's customer id.")
    msisdn = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=32)


# --- Output (schema) -------------------------------------------------------------------------


class LinkOut(serializers.Serializer):
    rel = serializers.CharField()
    href = serializers.URLField()
    type = serializers.CharField(allow_null=True)
    idref = serializers.CharField(allow_null=True)


class UserOut(serializers.Serializer):
    id = serializers.CharField()
    href = serializers.URLField()
    generation = serializers.CharField()
    username = serializers.CharField(allow_null=True)
    username_verified = serializers.BooleanField()
    active = serializers.BooleanField(help_text="The user has created a password.")
    realname = serializers.CharField(allow_null=True)
    birthdate = serializers.DateField(allow_null=True)
    attributes = AttributesField()
    pinAuthenticationAllowed = serializers.BooleanField()
    authenticationExpiry = serializers.IntegerField(help_text="Epoch milliseconds; 0 means none.")
    rights_href = serializers.URLField()
    link = LinkOut(many=True)


class MailOut(serializers.Serializer):
    id = serializers.CharField()
    href = serializers.URLField()
    generation = serializers.CharField()
    address = serializers.CharField()
    verified = serializers.BooleanField()
    verificationCode = serializers.CharField(allow_null=True)
    priority = serializers.IntegerField()
    link = LinkOut(many=True)


class PhoneOut(serializers.Serializer):
    id = serializers.CharField()
    href = serializers.URLField()
    generation = serializers.CharField()
    number = serializers.CharField()
    type = serializers.CharField(allow_null=True)
    verified = serializers.BooleanField()
    verificationCode = serializers.CharField(allow_null=True)
    priority = serializers.IntegerField()
    link = LinkOut(many=True)


class AccountOut(serializers.Serializer):
    id = serializers.CharField()
    href = serializers.URLField()
    generation = serializers.CharField()
    type = serializers.CharField()
    userid = serializers.CharField()
    msisdn = serializers.CharField(allow_null=True)


class MailListOut(serializers.Serializer):
    mail = MailOut(many=True)


class PhoneListOut(serializers.Serializer):
    phone = PhoneOut(many=True)


class AccountListOut(serializers.Serializer):
    account = AccountOut(many=True)


class ProblemFieldError(serializers.Serializer):
    pointer = serializers.CharField(help_text="RFC 6901 JSON pointer into the request body.")
    detail = serializers.CharField()
    code = serializers.CharField()


class Problem(serializers.Serializer):
    """RFC 9457 problem details, with a stable `code`."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = ProblemFieldError(many=True, required=False)
    error = serializers.CharField(required=False, help_text="RFC 6750 error code.")
    error_description = serializers.CharField(required=False)
