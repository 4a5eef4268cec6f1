"""The /id/ API's orjson renderer writes exactly the bytes DRF's JSON renderer writes."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer as DrfRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from userdata.media import JsonRenderer

ours, drf = JsonRenderer(), DrfRenderer()

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.text()  # any code point, U+2028 and U+2029 included
    | st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=2))]))
    | st.dates()
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.uuids()
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_any_document_renders_as_drf_renders_it(document):
    assert ours.render(document) == drf.render(document)


def test_what_the_api_sends_renders_as_drf_renders_it():
    document = ReturnDict(
        {
            "id": "8216863998230560167",
            "created": dt.datetime(2026, 12, 2, 13, 4, 25, 703593, tzinfo=dt.UTC),
            "start": dt.datetime(2026, 12, 2, 13, 4, 25, tzinfo=dt.UTC),
            "name": "Åse \u2028 Ørjan \u2029 日本",
            "detail": gettext_lazy("No such email address on this user."),
            "amount": decimal.Decimal("100.00"),
            "key": uuid.UUID(int=7),
            "rights": ReturnList([{"used": False, "generation": 3}], serializer=None),
        },
        serializer=None,
    )
    rendered = ours.render(document)
    assert rendered == drf.render(document)
    assert b'"created":"2026-12-02T13:04:25.703593Z"' in rendered  # DRF's UTC form, "Z"
    assert b"\\u2028" in rendered and b"\\u2029" in rendered


def test_what_orjson_cannot_encode_takes_drf_path():
    for document in ({"big": 2**70}, {1: "non-string key"}):
        assert ours.render(document) == drf.render(document)


def test_an_indented_answer_is_drf_own():
    document = {"a": [1, 2]}
    media = "application/json; indent=2"
    assert (
        ours.render(document, media)
        == drf.render(document, media)
        == b'{\n  "a": [\n    1,\n    2\n  ]\n}'
    )
