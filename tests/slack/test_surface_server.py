"""The HTTP endpoint: health, readiness, metrics, routing, keep-alive; and the manifest."""

from __future__ import annotations

import http.client
import re
from pathlib import Path
from typing import Any

import yaml
from slack_harness import Harness, HarnessFactory

from bot.bootstrap import EcsFactory, build_runtime
from bot.config import Settings
from bot.runtime import Runtime
from bot.sim.slack import payloads
from bot.slack.ids import COMMAND, ActionId, CallbackId, EventType

from support.stack import build_stack

MANIFEST = Path(__file__).resolve().parents[2] / "app_manifest.yml"


def get(harness: Harness, path: str) -> tuple[int, str, str]:
    server = harness.server
    assert server is not None
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read().decode()
    finally:
        conn.close()


def test_healthz_and_readyz(harness: Harness) -> None:
    assert get(harness, "/healthz")[0] == 200
    status, _, body = get(harness, "/readyz")
    assert (status, body.strip()) == (200, "ok")


def test_readyz_is_503_with_the_reason_before_migrations(tmp_path: Path) -> None:
    def unmigrated(settings: Settings, ecs: EcsFactory | None) -> Runtime:
        return build_runtime(settings, migrate=False, ecs=ecs)

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with build_stack(url, settings={"approvers": "U0APPROVER1"}, runtime=unmigrated) as bare:
        status, _, body = get(bare, "/readyz")
        assert status == 503
        assert "migrations not at head" in body
        assert get(bare, "/healthz")[0] == 200


def test_metrics_are_prometheus_text(harness: Harness) -> None:
    harness.command("help")
    status, content_type, body = get(harness, "/metrics")
    assert status == 200
    assert content_type.startswith("text/plain")
    assert "# TYPE" in body


def test_unknown_paths_and_wrong_methods(harness: Harness) -> None:
    assert get(harness, "/nope")[0] == 404
    assert get(harness, "/slack/events")[0] == 405


def test_connections_are_kept_alive(harness: Harness) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", harness.server.port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        first = conn.getresponse()
        first.read()
        sock = conn.sock
        assert not first.will_close
        body = payloads.form_body(
            payloads.slash_command_fields(
                harness.sender.workspace,
                command="/eni",
                text="help",
                user_id="U0REQUESTER",
                channel_id="C0ENIOPS",
                response_url=harness.slack.new_response_url(channel="C0ENIOPS"),
                trigger_id="1.2.3",
            )
        )
        signed = harness.sender.prepare(body, payloads.FORM)
        conn.request("POST", "/slack/events", body=signed.body, headers=signed.headers)
        second = conn.getresponse()
        assert second.status == 200 and "How to use" in second.read().decode()
        assert conn.sock is sock  # the same TCP connection served both
    finally:
        conn.close()


def test_url_verification_handshake(harness: Harness) -> None:
    response = harness.sender.url_verification("challenge-123")
    assert response.status_code == 200
    assert "challenge-123" in response.text


# ---------------------------------------------------------------------------- manifest


def manifest() -> tuple[dict[str, Any], dict[str, set[str]]]:
    text = MANIFEST.read_text()
    parsed = yaml.safe_load(text)
    listed: dict[str, set[str]] = {}
    for kind in ("action_ids", "callback_ids"):
        match = re.search(rf"^# eni-bot {kind}: (.+)$", text, re.MULTILINE)
        assert match, f"app_manifest.yml lacks its '# eni-bot {kind}:' line"
        listed[kind] = {part.strip() for part in match.group(1).split(",")}
    return parsed, listed


def test_manifest_names_exactly_what_the_listeners_handle() -> None:
    parsed, listed = manifest()
    commands = {c["command"] for c in parsed["features"]["slash_commands"]}
    assert commands == {COMMAND}
    assert set(parsed["settings"]["event_subscriptions"]["bot_events"]) == set(EventType)
    assert listed["action_ids"] == {a.value for a in ActionId}
    assert listed["callback_ids"] == {c.value for c in CallbackId}
    scopes = set(parsed["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "commands",
        "chat:write",
        "chat:write.public",
        "usergroups:read",
        "users:read",
        # find_posted: conversations.history / .replies in public and private channels
        "channels:history",
        "groups:history",
    }
    assert parsed["settings"]["socket_mode_enabled"] is True
    assert parsed["features"]["app_home"]["home_tab_enabled"] is True
    assert parsed["settings"]["interactivity"]["is_enabled"] is True
    assert "usage_hint" in parsed["features"]["slash_commands"][0]
    assert "https://YOUR-HOST/slack/events" in MANIFEST.read_text()


def _button_message(action_id: str) -> dict[str, Any]:
    return {
        "type": "message",
        "ts": "1700000000.000100",
        "text": "x",
        "blocks": [
            {
                "type": "actions",
                "block_id": "b",
                "elements": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "value": "1",
                        "text": {"type": "plain_text", "text": "x"},
                    }
                ],
            }
        ],
    }


def test_every_manifest_id_has_a_listener_and_nothing_else_does(harness: Harness) -> None:
    parsed, listed = manifest()
    sender = harness.sender
    for command in (c["command"] for c in parsed["features"]["slash_commands"]):
        assert sender.command("help", user_id="U0REQUESTER", command=command).status_code == 200
    # Bolt answers 404 to a request no listener matched.
    assert sender.command("help", user_id="U0REQUESTER", command="/other").status_code == 404
    for action_id in listed["action_ids"]:
        response = sender.click(_button_message(action_id), action_id, user_id="U0OUTSIDER")
        assert response.status_code == 200, action_id
    assert (
        sender.click(_button_message("unknown"), "unknown", user_id="U0OUTSIDER").status_code == 404
    )
    for callback_id in listed["callback_ids"]:
        view = {"id": "V1", "type": "modal", "callback_id": callback_id, "blocks": []}
        response = sender.submit_view(view, {}, user_id="U0OUTSIDER")
        assert response.status_code == 200, callback_id
    other_view = {"id": "V2", "type": "modal", "callback_id": "other", "blocks": []}
    assert sender.submit_view(other_view, {}, user_id="U0OUTSIDER").status_code == 404
    for event in parsed["settings"]["event_subscriptions"]["bot_events"]:
        response = sender.event({"type": event, "user": "U0OUTSIDER", "tab": "home"})
        assert response.status_code == 200, event
    assert sender.event({"type": "reaction_added", "user": "U0OUTSIDER"}).status_code == 404


def test_make_harness_accepts_overrides(make_harness: HarnessFactory) -> None:
    harness = make_harness(default_region="cn-shanghai")
    assert harness.runtime.settings.default_region == "cn-shanghai"
