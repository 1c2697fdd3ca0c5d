"""Forged, stale and altered requests of every kind get 401 and change nothing anywhere.

tests/slack/test_surface_signatures.py covers each forgery on a slash command and three of them
on a click and an event, with the workers off. Here every forgery is tried on every kind of
request (command, click on a real pending card, modal submission, event) against the whole bot
with its workers running, and "nothing" is checked everywhere: the row count of every table,
every Slack call, every ECS request.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from security_stack import APPROVER, ENI_APP, ENI_DB, REQUESTER, Stack, full_stack, wire

from bot.sim.slack import payloads
from bot.sim.slack.sender import Delivery
from bot.sim.slack.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, Forgery, sign
from bot.slack.ids import ActionId, ModalField
from bot.slack.server import EVENTS_PATH

from support.waiting import wait_until

FORM = payloads.FORM
JSON = payloads.JSON


def _modal_values() -> dict[str, dict[str, dict[str, Any]]]:
    return {
        ModalField.REGION.value: {
            ModalField.REGION.value: payloads.static_select_value("cn-hangzhou")
        },
        ModalField.ENI.value: {ModalField.ENI.value: payloads.plain_text_value(ENI_DB)},
        ModalField.INSTANCE.value: {ModalField.INSTANCE.value: payloads.plain_text_value(None)},
        ModalField.REASON.value: {ModalField.REASON.value: payloads.plain_text_value("moving it")},
    }


def _snapshot(bot: Stack) -> tuple[dict[str, int], int, int]:
    return bot.row_counts(), len(bot.slack.calls()), len(wire(bot).wire())


def test_every_forgery_of_every_kind_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    with full_stack(f"sqlite:///{tmp_path / 'sig.db'}") as bot:
        # A real pending request with its card, and an open modal: things a forgery could change.
        rid = bot.request_detach(ENI_APP, "moving app traffic")
        card = bot.card(rid)
        assert bot.command("detach").status_code == 200
        (view,) = bot.slack.wait_for(lambda s: s.views(kind="modal"))
        wait_until(lambda: bot.undelivered() == 0)
        before = _snapshot(bot)

        answers: dict[tuple[str, str], int] = {}
        for forgery in Forgery:
            how = Delivery(forgery=forgery)
            sent = {
                "command": bot.command(f"detach {ENI_DB} moving it", delivery=how),
                "click": bot.sender.click(card, ActionId.APPROVE, user_id=APPROVER, delivery=how),
                "view_submission": bot.sender.submit_view(
                    view.id, _modal_values(), user_id=REQUESTER, delivery=how
                ),
                "event": bot.sender.app_home_opened(APPROVER, delivery=how),
            }
            for kind, response in sent.items():
                answers[(kind, forgery.value)] = response.status_code
        assert answers == dict.fromkeys(answers, 401)

        # A valid request after the forgeries: once it is answered, any listener a forgery had
        # started would have had its turn too.
        assert bot.command(f"status #{rid}").status_code == 200
        bot.slack.wait_for(lambda s: any(f"#{rid}" in r.text for r in s.responses()))
        wait_until(lambda: bot.undelivered() == 0)
        rows, _, ecs_requests = _snapshot(bot)
        assert rows == before[0]
        new_calls = [c.method for c in bot.slack.calls()[before[1] :]]
        assert new_calls == ["response_url"]  # the status answer, nothing else
        assert ecs_requests == before[2]
        assert bot.request(rid).status == "pending"
        shown = bot.slack.view(view.id)
        assert shown is not None and not shown.closed


def _post_signed(bot: Stack, body: bytes, content_type: str, *, signed: bool) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if signed:
        secret = bot.settings.slack_signing_secret
        assert secret is not None
        now = int(time.time())
        headers[TIMESTAMP_HEADER] = str(now)
        headers[SIGNATURE_HEADER] = sign(body, now, secret.get_secret_value())
    return httpx.post(bot.server.url + EVENTS_PATH, content=body, headers=headers, timeout=5)


# Bodies Slack never sends; an attacker can send them without knowing the signing secret.
MALFORMED = [
    pytest.param(b"\xff\xfe\x00text=detach", FORM, id="not-utf8"),
    pytest.param(b"payload=%7Bnot-json", FORM, id="payload-not-json"),
    pytest.param(b"payload=%5B1%2C2%5D", FORM, id="payload-a-list"),
    pytest.param(b"payload=7", FORM, id="payload-a-number"),
    pytest.param(b"{bad", JSON, id="json-invalid"),
    pytest.param(b"[1, 2, 3]", JSON, id="json-a-list"),
]


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
def test_an_unsigned_malformed_body_gets_401(
    tmp_path: Path, body: bytes, content_type: str
) -> None:
    with full_stack(f"sqlite:///{tmp_path / 'bytes.db'}", workers=False) as bot:
        before = bot.row_counts()
        response = _post_signed(bot, body, content_type, signed=False)
        assert response.status_code == 401
        assert bot.row_counts() == before


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        *MALFORMED,
        # Verified, then a listener matcher does event.get on a number.
        pytest.param(b'{"type": "event_callback", "event": 7}', JSON, id="event-a-number"),
    ],
)
def test_a_signed_malformed_body_is_not_a_server_error(
    tmp_path: Path, body: bytes, content_type: str
) -> None:
    with full_stack(f"sqlite:///{tmp_path / 'bytes.db'}", workers=False) as bot:
        before = bot.row_counts()
        response = _post_signed(bot, body, content_type, signed=True)
        assert response.status_code < 500
        assert bot.row_counts() == before


def test_signed_odd_but_parseable_bodies_are_not_server_errors(tmp_path: Path) -> None:
    with full_stack(f"sqlite:///{tmp_path / 'odd.db'}", workers=False) as bot:
        before = bot.row_counts()
        bodies = [
            (b"", FORM),
            (b"command=%2Feni&text=detach&user_id=", FORM),
            (b"payload=%7B%22type%22%3A%22block_actions%22%7D", FORM),
            (b'{"type": "url_verification"}', JSON),
        ]
        answers = {
            body: _post_signed(bot, body, ct, signed=True).status_code for body, ct in bodies
        }
        assert all(code < 500 for code in answers.values()), answers
        assert bot.row_counts() == before
