"""The terminal rendering of what the bot says: cards, threads, edits, ephemerals, the world."""

from __future__ import annotations

import io
from typing import Any

from bot.console.render import Renderer, request_id_of, with_emoji
from bot.console.users import DEFAULT_USER, console_workspace
from bot.sim.ecs.fixture import demo_world
from bot.sim.slack.records import RESPONSE_URL_METHOD, RecordedCall

CHANNEL = "C0ENIOPS"


def _renderer(color: bool | None = None) -> tuple[Renderer, io.StringIO]:
    out = io.StringIO()
    ws = console_workspace()
    return Renderer(out, names=ws.users, channel_names=ws.channels, color=color), out


def _call(
    method: str, params: dict[str, Any], response: dict[str, Any] | None = None
) -> RecordedCall:
    return RecordedCall(
        method=method,
        params=params,
        headers={},
        time=0.0,
        response={"ok": True, **(response or {})},
    )


def _card_blocks(request_id: int, status: str, *, buttons: bool) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Detach request #{request_id}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"Status: {status}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "asked by <@U0ALICE>"}]},
    ]
    if buttons:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "approve_request",
                        "value": str(request_id),
                        "text": {"type": "plain_text", "text": "Approve"},
                    },
                    {
                        "type": "button",
                        "action_id": "reject_request",
                        "value": str(request_id),
                        "text": {"type": "plain_text", "text": "Reject"},
                    },
                ],
            }
        )
    return blocks


def _post_card(renderer: Renderer, request_id: int = 3, ts: str = "100.000001") -> None:
    renderer.slack_call(
        _call(
            "chat.postMessage",
            {
                "channel": CHANNEL,
                "text": "card",
                "blocks": _card_blocks(request_id, "Pending", buttons=True),
            },
            {"ts": ts},
        )
    )


def test_a_card_is_framed_with_its_channel_and_request_number() -> None:
    renderer, out = _renderer()
    _post_card(renderer)
    text = out.getvalue()
    assert "╭─ #eni-ops · eni-bot · request #3" in text
    assert "│ *Detach request #3*" in text
    assert "asked by @alice" in text
    # Brackets print as typed: nothing is taken for markup.
    assert "[Approve (approve_request:3)]  [Reject (reject_request:3)]" in text


def test_thread_replies_are_indented_under_their_cards_number() -> None:
    renderer, out = _renderer()
    _post_card(renderer, 3, "100.000001")
    _post_card(renderer, 4, "100.000002")
    renderer.slack_call(
        _call(
            "chat.postMessage",
            {
                "channel": CHANNEL,
                "thread_ts": "100.000001",
                "text": ":white_check_mark: Available\nENI is free",
            },
            {"ts": "101.0"},
        )
    )
    lines = out.getvalue().splitlines()
    assert "   ↳ #3 thread · ✅ Available" in lines
    assert "     ENI is free" in lines


def test_a_card_update_shows_what_changed_and_lost_buttons() -> None:
    renderer, out = _renderer()
    _post_card(renderer)
    renderer.slack_call(
        _call(
            "chat.update",
            {
                "channel": CHANNEL,
                "ts": "100.000001",
                "text": "card",
                "blocks": _card_blocks(3, "Approved by <@U0LEAD>", buttons=False),
            },
        )
    )
    text = out.getvalue()
    assert "   ✎ #3 card updated (buttons removed)" in text
    assert "     Status: Approved by @lead" in text
    # Unchanged lines are not repeated.
    assert text.count("asked by @alice") == 1


def test_ephemerals_name_the_one_person_who_sees_them() -> None:
    renderer, out = _renderer()
    renderer.slack_call(
        _call(
            "chat.postEphemeral",
            {"channel": CHANNEL, "user": "U0LEAD", "text": ":no_entry: Not yours"},
        )
    )
    renderer.remember_response_url("http://127.0.0.1:1/response/tok1", "U0ALICE", channel=CHANNEL)
    renderer.slack_call(
        _call(RESPONSE_URL_METHOD, {"token": "tok1", "text": "Request *#3* is waiting"})
    )
    text = out.getvalue()
    assert "(only @lead sees this) ⛔ Not yours" in text
    assert "(only @alice sees this) Request *#3* is waiting" in text


def test_a_response_url_replace_is_shown_as_an_edit_of_the_clicked_card() -> None:
    renderer, out = _renderer()
    _post_card(renderer)
    renderer.remember_response_url(
        "http://x/response/tok2", "U0LEAD", channel=CHANNEL, message_ts="100.000001"
    )
    renderer.slack_call(
        _call(
            RESPONSE_URL_METHOD,
            {
                "token": "tok2",
                "replace_original": True,
                "blocks": _card_blocks(3, "Rejected", buttons=False),
            },
        )
    )
    assert "✎ #3 card updated (buttons removed)" in out.getvalue()
    assert "Status: Rejected" in out.getvalue()


def test_failed_and_read_only_calls_print_nothing() -> None:
    renderer, out = _renderer()
    renderer.slack_call(_call("conversations.replies", {"channel": CHANNEL, "ts": "1.0"}))
    renderer.slack_call(_call("auth.test", {}))
    failed = RecordedCall(
        "chat.postMessage", {"channel": CHANNEL, "text": "x"}, {}, 0.0, status=429
    )
    renderer.slack_call(failed)
    assert out.getvalue() == ""


def test_the_command_answer_is_an_ephemeral_and_empty_acks_print_nothing() -> None:
    renderer, out = _renderer()
    renderer.ack("U0ALICE", {})
    renderer.ack("U0ALICE", {"text": "*How to use* `/eni`"})
    assert out.getvalue() == "   (only @alice sees this) *How to use* `/eni`\n"


def test_modals_and_app_home_are_summarised() -> None:
    renderer, out = _renderer()
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Detach an ENI"}, "blocks": []}
    renderer.slack_call(_call("views.open", {"view": view}))
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Pending: 1"}}],
    }
    renderer.slack_call(_call("views.publish", {"user_id": "U0LEAD", "view": home}))
    text = out.getvalue()
    assert "▢ modal opened" in text
    assert "== Detach an ENI ==" in text
    assert "⌂ App Home of @lead" in text
    assert "Pending: 1" in text


def test_no_colour_codes_unless_asked() -> None:
    plain, plain_out = _renderer()
    plain.error("boom")
    coloured, coloured_out = _renderer(color=True)
    coloured.error("boom")
    assert "\x1b[" not in plain_out.getvalue()
    assert "\x1b[" in coloured_out.getvalue()


def test_echo_and_narration() -> None:
    renderer, out = _renderer()
    renderer.echo(DEFAULT_USER, "/eni list")
    renderer.narrate("Next, a failure.")
    assert "@alice › /eni list" in out.getvalue()
    assert "── Next, a failure." in out.getvalue()


def test_the_world_lists_ids_per_region_with_notes() -> None:
    renderer, out = _renderer()
    world = demo_world()
    regions = list(world.regions)
    renderer.world(
        regions,
        {r: world.instances(r) for r in regions},
        {r: world.network_interfaces(r) for r in regions},
        ["ecs.t5-lc1m1.small"],
    )
    text = out.getvalue()
    assert text.index("cn-hangzhou") < text.index("cn-shanghai")
    assert "primary: cannot be detached" in text
    assert "will stick in Detaching (1x)" in text
    assert "(no ENI hot-plug: stop it before detaching)" in text
    assert "(not attached)" in text
    for eni in world.network_interfaces("cn-shanghai"):
        assert eni.eni_id in text


def test_request_id_comes_from_buttons_then_text() -> None:
    assert request_id_of(_card_blocks(9, "x", buttons=True)) == 9
    assert request_id_of([], "Request #12 detached") == 12
    assert request_id_of([], "nothing here") is None


def test_known_emoji_become_characters_unknown_stay() -> None:
    assert with_emoji(":x: :made_up: done") == "❌ :made_up: done"
