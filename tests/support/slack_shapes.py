"""Slack's payloads as hypothesis strategies, each with one part broken (for the HTTP fuzz).

Slack's own shapes (slash command forms, interactions in a `payload` field, Events API JSON),
where each object is mostly the object Slack sends (so a signed request gets past the shape
check into Bolt and the listeners) with leaves of any JSON, and sometimes anything at all: an
action without `action_id`, a view state that is a string, a button value of 5,000 digits.
`bodies` draws (the content type Slack sends with it, body bytes). Used by http_fuzz.py.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import strategies as st

from bot.slack.ids import COMMAND, ActionId, CallbackId, EventType, ModalField

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["1", "#1", "0", "-1", "1" * 5000, "9" * 30, "<!channel>", "eni-1", ""]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def mostly(usual: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`usual` seven times in eight (one_of does not weight a branch given twice)."""
    # Not 0 or 7: hypothesis draws the ends of a range more often than the middle.
    return st.integers(0, 7).flatmap(lambda k: other if k == 5 else usual)


# A value where Slack sends an object: mostly the object (so the request gets past the shape
# check into the listeners, with its leaves broken), sometimes anything at all.
def _object_or_not(
    fields: dict[str, Any], required: dict[str, Any] | None = None
) -> st.SearchStrategy[Any]:
    return mostly(st.fixed_dictionaries(required or {}, optional=fields), json_values)


# Never a URL that refuses connections: slack_sdk would retry it with jitter from the global
# `random`, and hypothesis (rightly) objects to that state changing while it draws.
_response_urls = st.sampled_from(["", "not a url", "https://"])
_people = st.sampled_from(["U0REQUESTER", "U0APPROVER1", "U0APPROVER2", "U0OUTSIDER"])
ids = st.one_of(
    st.sampled_from(["U0REQUESTER", "U0APPROVER1", "U0APPROVER2", "C0ENIOPS", "", "W1"]),
    st.text(max_size=20),
    json_values,
)
user = _object_or_not(
    {"username": st.text(max_size=10), "team_id": ids}, required={"id": mostly(_people, ids)}
)
action = _object_or_not(
    {
        "value": st.one_of(st.sampled_from(["1", "2", "#1", "1" * 5000, "-3"]), json_values),
        "block_id": st.text(max_size=10),
        "type": st.sampled_from(["button", "static_select", "x"]),
    },
    required={
        "action_id": st.one_of(st.sampled_from([a.value for a in ActionId]), st.text(max_size=10))
    },
)
container = _object_or_not(
    {
        "type": st.sampled_from(["message", "view", "x"]),
        "channel_id": ids,
        "message_ts": st.text(max_size=20),
        "view_id": ids,
    }
)
view_state = _object_or_not(
    {
        "values": _object_or_not(
            {
                f.value: _object_or_not(
                    {
                        f.value: _object_or_not(
                            {
                                "type": st.sampled_from(["plain_text_input", "static_select"]),
                                "value": st.one_of(st.text(max_size=600), json_values),
                                "selected_option": _object_or_not({"value": json_values}),
                            }
                        )
                    }
                )
                for f in ModalField
            }
        )
    }
)
view = _object_or_not(
    {
        "id": ids,
        "private_metadata": st.one_of(
            st.just('{"channel":"C0ENIOPS"}'), st.text(max_size=40), json_values.map(json.dumps)
        ),
        "state": view_state,
    },
    required={
        "type": st.sampled_from(["modal", "home"]),
        "callback_id": st.one_of(
            st.sampled_from([c.value for c in CallbackId]), st.text(max_size=10)
        ),
    },
)
# Mostly one of the types Slack sends, sometimes anything.
_interaction_type = st.sampled_from(
    ["block_actions", "view_submission", "view_closed", "shortcut", "message_action"]
)
interaction = st.fixed_dictionaries(
    {"type": mostly(_interaction_type, json_values), "user": user},
    optional={
        "team": _object_or_not({"id": ids}),
        "actions": st.one_of(st.lists(action, min_size=1, max_size=3), json_values),
        "container": container,
        "channel": _object_or_not({"id": ids}),
        "message": _object_or_not({"ts": st.text(max_size=20), "blocks": json_values}),
        "view": view,
        "response_url": _response_urls,
        "trigger_id": st.text(max_size=20),
        "callback_id": st.text(max_size=10),
    },
)
event = _object_or_not(
    {
        "user": ids,
        "tab": st.one_of(st.sampled_from(["home", "messages"]), json_values),
        "channel": ids,
        "bot_id": ids,
    },
    required={
        "type": st.one_of(
            st.sampled_from([e.value for e in EventType] + ["message", "app_mention"]),
            json_values,
        ),
    },
)
_envelope_type = st.sampled_from(["event_callback", "url_verification", "app_rate_limited"])
envelope = st.fixed_dictionaries(
    {"type": mostly(_envelope_type, json_values)},
    optional={
        "event": event,
        "challenge": st.one_of(st.text(max_size=40), json_values),
        "token": st.text(max_size=10),
        "team_id": ids,
        "api_app_id": ids,
        "event_id": st.text(max_size=10),
        "authorizations": st.one_of(st.lists(_object_or_not({"team_id": ids})), json_values),
    },
)

# ---------------------------------------------------------------------------- bodies

_command_text = st.one_of(
    st.sampled_from(
        [
            "help",
            "list",
            "list mine",
            "status 1",
            "status #" + "9" * 5000,
            "cancel 1",
            "retry 1",
            "detach",
            "detach eni-bp1d7r2k9m4x6c3v5n see http://evil.example <!channel>",
        ]
    ),
    st.text(max_size=200),
)
slash_fields = st.fixed_dictionaries(
    {
        "command": mostly(st.just(COMMAND), st.text(max_size=10)),
        "user_id": mostly(_people, st.text(max_size=40)),
        "channel_id": mostly(st.just("C0ENIOPS"), st.text(max_size=40)),
    },
    optional={
        "text": _command_text,
        "team_id": st.text(max_size=12),
        "trigger_id": st.text(max_size=20),
        "response_url": _response_urls,
        "ssl_check": st.sampled_from(["1", "0", "x"]),
        "payload": st.text(max_size=40),
    },
)


def _form(fields: dict[str, Any]) -> bytes:
    return urlencode({k: str(v) for k, v in fields.items()}).encode()


def _payload_form(value: Any) -> bytes:
    return b"payload=" + quote(json.dumps(value, allow_nan=True), safe="").encode()


def _broken(text: str, cut: int) -> bytes:
    return b"payload=" + quote(text[: max(1, len(text) - cut)], safe="").encode()


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# (the content type Slack would send with it, body)
_slack_shaped = st.one_of(
    slash_fields.map(lambda f: (FORM, _form(f))),
    interaction.map(lambda i: (FORM, _payload_form(i))),
    interaction.map(lambda i: (FORM, _payload_form(i))),
    st.tuples(interaction.map(json.dumps), st.integers(1, 40)).map(lambda p: (FORM, _broken(*p))),
    envelope.map(lambda e: (JSON, json.dumps(e, allow_nan=True).encode())),
    envelope.map(lambda e: (JSON, json.dumps(e, allow_nan=True).encode())),
)
_anything = st.one_of(
    st.binary(max_size=512),
    st.text(max_size=300).map(str.encode),
    json_values.map(lambda v: json.dumps(v, allow_nan=True).encode()),
    st.just(b"[" * 100_000),  # deeper than any JSON parser recurses
    st.just(b"payload=" + b"%5B" * 50_000),
    st.integers(1, 900).map(lambda k: _form({"command": COMMAND, "text": "x" * (k * 1024)})),
    st.just(b'{"type":"event_callback","event":' + b"1" * 5000 + b"}"),
).map(lambda body: (FORM, body))
# Mostly Slack's shapes, so most signed requests get past the parse into Bolt and listeners.
bodies = mostly(_slack_shaped, _anything)
