"""The stand-in answers slack_sdk's WebClient, over real HTTP, as Slack's Web API does."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sim.slack import DEFAULT_WORKSPACE, RecordedCall, SlackWebApiStandIn

CHANNEL = "C0ENIOPS"
OTHER_CHANNEL = "C0INCIDENTS"

BUTTONS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Detach* `eni-1`"}},
    {
        "type": "actions",
        "block_id": "decision",
        "elements": [
            {
                "type": "button",
                "action_id": "approve_request",
                "value": "42",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Approve"},
            }
        ],
    },
]


def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as info:
        call()
    return str(info.value.response["error"])


def test_auth_test_accepts_the_bot_token_only(stand_in: SlackWebApiStandIn) -> None:
    good = WebClient(token="xoxb-sim-bot-token", base_url=stand_in.api_url).auth_test()
    assert good["user_id"] == DEFAULT_WORKSPACE.bot_user_id
    assert good["bot_id"] == DEFAULT_WORKSPACE.bot_id
    bad = WebClient(token="xoxb-wrong", base_url=stand_in.api_url)
    assert error_of(bad.auth_test) == "invalid_auth"
    assert error_of(WebClient(base_url=stand_in.api_url).auth_test) == "not_authed"


def test_recorded_calls_never_hold_the_token(stand_in: SlackWebApiStandIn) -> None:
    client = WebClient(token="xoxb-sim-bot-token", base_url=stand_in.api_url)
    client.auth_test()
    client.api_call("api.test", params={"token": "xoxb-sim-bot-token", "x": "1"})
    assert "xoxb-sim-bot-token" not in repr(stand_in.calls())
    assert stand_in.calls("auth.test")[0].headers["Authorization"] == "Bearer [redacted]"
    assert "xoxb" not in repr(stand_in)


def test_post_message_returns_increasing_ts_and_stores_blocks_and_metadata(
    client: WebClient, stand_in: SlackWebApiStandIn
) -> None:
    first = client.chat_postMessage(
        channel=CHANNEL,
        text="fallback",
        blocks=BUTTONS,
        metadata={"event_type": "eni_bot_outbox", "event_payload": {"id": 7}},
        unfurl_links=False,
        unfurl_media=False,
    )
    second = client.chat_postMessage(channel=CHANNEL, text="second")
    assert first["ok"] and first["channel"] == CHANNEL
    assert float(second["ts"]) > float(first["ts"])
    assert len(first["ts"].split(".")[1]) == 6
    assert first["message"]["blocks"] == BUTTONS
    stored = stand_in.messages(CHANNEL)
    assert [m.text for m in stored] == ["fallback", "second"]
    assert stored[0].metadata == {"event_type": "eni_bot_outbox", "event_payload": {"id": 7}}
    assert stand_in.calls("chat.postMessage")[0].params["unfurl_links"] is False


def test_form_encoded_blocks_and_metadata_are_decoded(
    client: WebClient, stand_in: SlackWebApiStandIn
) -> None:
    client.api_call(
        "chat.postMessage",
        data={
            "channel": CHANNEL,
            "text": "form",
            "blocks": json.dumps(BUTTONS),
            "metadata": json.dumps({"event_type": "e", "event_payload": {"k": "v"}}),
        },
    )
    call = stand_in.calls("chat.postMessage")[0]
    assert call.params["blocks"] == BUTTONS
    assert call.params["metadata"]["event_payload"] == {"k": "v"}
    assert stand_in.messages(CHANNEL)[0].blocks == BUTTONS


def test_post_message_refusals(client: WebClient) -> None:
    assert error_of(lambda: client.chat_postMessage(channel="C0NOPE", text="x")) == (
        "channel_not_found"
    )
    assert error_of(lambda: client.api_call("chat.postMessage", json={"channel": CHANNEL})) == (
        "no_text"
    )
    assert error_of(lambda: client.chat_postMessage(channel=CHANNEL, text="x" * 40_001)) == (
        "msg_too_long"
    )
    bad_blocks = [{"type": "section"}]
    assert error_of(
        lambda: client.chat_postMessage(channel=CHANNEL, text="x", blocks=bad_blocks)
    ) == ("invalid_blocks")
    too_many = [{"type": "divider"}] * 51
    assert error_of(
        lambda: client.chat_postMessage(channel=CHANNEL, text="x", blocks=too_many)
    ) == ("invalid_blocks")
    long_button = [
        {
            "type": "actions",
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": "y" * 76}}],
        }
    ]
    assert error_of(
        lambda: client.chat_postMessage(channel=CHANNEL, text="x", blocks=long_button)
    ) == ("invalid_blocks")
    assert error_of(
        lambda: client.chat_postMessage(channel=CHANNEL, text="x", metadata={"event_payload": {}})
    ) == ("invalid_metadata_schema")


def test_any_channel_is_accepted_without_a_channel_list() -> None:
    with SlackWebApiStandIn() as open_world:
        client = WebClient(token="xoxb-sim-bot-token", base_url=open_world.api_url)
        assert client.chat_postMessage(channel="C0ANYTHING", text="hi")["ok"]


def test_thread_replies_and_parent_counters(
    client: WebClient, stand_in: SlackWebApiStandIn
) -> None:
    parent = client.chat_postMessage(channel=CHANNEL, text="card")["ts"]
    for word in ("Approved", "Detaching", "Available"):
        client.chat_postMessage(channel=CHANNEL, text=word, thread_ts=parent)
    assert [m.text for m in stand_in.thread(CHANNEL, parent)] == [
        "Approved",
        "Detaching",
        "Available",
    ]
    assert [m.text for m in stand_in.messages(CHANNEL)] == ["card"]
    stored_parent = stand_in.message(CHANNEL, parent)
    assert stored_parent is not None and stored_parent.reply_count == 3
    assert error_of(
        lambda: client.chat_postMessage(channel=CHANNEL, text="x", thread_ts="1.000001")
    ) == ("thread_not_found")


def test_update_replaces_text_and_blocks(client: WebClient, stand_in: SlackWebApiStandIn) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="pending", blocks=BUTTONS)["ts"]
    kept = client.chat_update(channel=CHANNEL, ts=ts, text="still pending")
    assert kept["message"]["blocks"] == BUTTONS
    done = client.chat_update(
        channel=CHANNEL,
        ts=ts,
        text="approved",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "Approved"}}],
    )
    assert done["ts"] == ts and done["text"] == "approved"
    message = stand_in.message(CHANNEL, ts)
    assert message is not None
    assert message.edits == 2 and message.blocks[0]["text"]["text"] == "Approved"
    assert error_of(lambda: client.chat_update(channel=CHANNEL, ts="1.000002", text="x")) == (
        "message_not_found"
    )


def test_post_ephemeral_is_recorded_for_that_user_only(
    client: WebClient, stand_in: SlackWebApiStandIn
) -> None:
    answer = client.chat_postEphemeral(channel=CHANNEL, user="U0REQUESTER", text="only you")
    assert answer["ok"] and answer["message_ts"]
    assert [e.text for e in stand_in.ephemerals("U0REQUESTER")] == ["only you"]
    assert stand_in.ephemerals("U0OTHER") == []
    assert stand_in.messages(CHANNEL) == []


MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "detach_modal",
    "private_metadata": '{"channel": "C0ENIOPS"}',
    "title": {"type": "plain_text", "text": "Detach ENI"},
    "submit": {"type": "plain_text", "text": "Request"},
    "blocks": [
        {
            "type": "input",
            "block_id": "reason",
            "label": {"type": "plain_text", "text": "Reason"},
            "element": {"type": "plain_text_input", "action_id": "reason"},
        }
    ],
}


def test_views_open_update_and_publish(client: WebClient, stand_in: SlackWebApiStandIn) -> None:
    opened = client.views_open(trigger_id="123.456.abc", view=MODAL)["view"]
    assert opened["id"].startswith("V") and opened["callback_id"] == "detach_modal"
    assert opened["private_metadata"] == MODAL["private_metadata"]
    assert error_of(lambda: client.views_open(trigger_id="", view=MODAL)) == "invalid_arguments"
    updated = client.views_update(view_id=opened["id"], view={**MODAL, "callback_id": "other"})
    assert updated["view"]["callback_id"] == "other"
    assert error_of(lambda: client.views_update(view_id="V0NOPE", view=MODAL)) == "not_found"
    assert error_of(
        lambda: client.views_update(view_id=opened["id"], view=MODAL, hash="stale")
    ) == ("hash_conflict")
    home = {"type": "home", "blocks": BUTTONS}
    first = client.views_publish(user_id="U0APPROVER1", view=home)["view"]
    again = client.views_publish(user_id="U0APPROVER1", view={"type": "home", "blocks": []})
    assert again["view"]["id"] == first["id"]
    published = stand_in.home("U0APPROVER1")
    assert published is not None and published.definition["blocks"] == []
    assert [v.type for v in stand_in.views()] == ["modal", "home"]


def test_strict_triggers_are_single_use() -> None:
    with SlackWebApiStandIn(strict_triggers=True) as strict:
        client = WebClient(token="xoxb-sim-bot-token", base_url=strict.api_url)
        trigger = strict.issue_trigger()
        assert client.views_open(trigger_id=trigger, view=MODAL)["ok"]
        assert error_of(lambda: client.views_open(trigger_id=trigger, view=MODAL)) == (
            "invalid_trigger_id"
        )


def test_usergroup_members_and_configured_refusals(
    client: WebClient, stand_in: SlackWebApiStandIn
) -> None:
    assert client.usergroups_users_list(usergroup="S0APPROVERS")["users"] == ["U0APPROVER1", "U0B"]
    assert error_of(lambda: client.usergroups_users_list(usergroup="S0NOPE")) == "no_such_subteam"
    stand_in.set_usergroups_error("plan_upgrade_required")
    assert error_of(lambda: client.usergroups_users_list(usergroup="S0APPROVERS")) == (
        "plan_upgrade_required"
    )
    stand_in.set_usergroups_error("missing_scope")
    with pytest.raises(SlackApiError) as info:
        client.usergroups_users_list(usergroup="S0APPROVERS")
    assert info.value.response["needed"] == "usergroups:read"


def test_users_info_is_minimal(client: WebClient) -> None:
    user = client.users_info(user="U0APPROVER1")["user"]
    assert user["id"] == "U0APPROVER1" and user["name"] == "avery"
    assert error_of(lambda: client.users_info(user="C0ENIOPS")) == "user_not_found"


def test_metadata_round_trips_through_replies_and_history(client: WebClient) -> None:
    meta = {"event_type": "eni_bot_outbox", "event_payload": {"outbox_id": 17}}
    parent = client.chat_postMessage(channel=CHANNEL, text="card", metadata=meta)["ts"]
    client.chat_postMessage(
        channel=CHANNEL,
        text="Detaching",
        thread_ts=parent,
        metadata={"event_type": "eni_bot_outbox", "event_payload": {"outbox_id": 18}},
    )
    replies = client.conversations_replies(channel=CHANNEL, ts=parent, include_all_metadata=True)
    assert [m["metadata"]["event_payload"]["outbox_id"] for m in replies["messages"]] == [17, 18]
    bare = client.conversations_replies(channel=CHANNEL, ts=parent)
    assert all("metadata" not in m for m in bare["messages"])
    history = client.conversations_history(channel=CHANNEL, include_all_metadata=True)
    assert [m["metadata"] for m in history["messages"]] == [meta]
    assert error_of(lambda: client.conversations_replies(channel=CHANNEL, ts="1.1")) == (
        "thread_not_found"
    )


def test_history_is_newest_first_with_oldest_and_limit(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel=CHANNEL, text=str(i))["ts"] for i in range(5)]
    client.chat_postMessage(channel=OTHER_CHANNEL, text="elsewhere")
    page = client.conversations_history(channel=CHANNEL, limit=2)
    assert [m["text"] for m in page["messages"]] == ["4", "3"] and page["has_more"]
    rest = client.conversations_history(
        channel=CHANNEL, cursor=page["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["2", "1", "0"]
    newer = client.conversations_history(channel=CHANNEL, oldest=stamps[2])
    assert [m["text"] for m in newer["messages"]] == ["4", "3"]


def test_unknown_method(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("chat.scheduleMessage")) == "unknown_method"


def test_response_url_posts_are_recorded_and_applied(
    client: WebClient, stand_in: SlackWebApiStandIn
) -> None:
    ephemeral_url = stand_in.new_response_url(channel=CHANNEL, user="U0REQUESTER")
    with httpx.Client() as http:
        answer = http.post(ephemeral_url, json={"text": "checking eni-1…"})
        assert answer.status_code == 200 and answer.text == "ok"
        in_channel = http.post(ephemeral_url, json={"response_type": "in_channel", "text": "hi"})
        assert in_channel.status_code == 200
        card = client.chat_postMessage(channel=CHANNEL, text="card", blocks=BUTTONS)["ts"]
        click_url = stand_in.new_response_url(channel=CHANNEL, user="U0X", message_ts=card)
        http.post(click_url, json={"replace_original": True, "text": "Approved"})
        assert http.post(f"{stand_in.base_url}/response/nope", json={}).status_code == 404
        for _ in range(4):
            http.post(ephemeral_url, json={"text": "again"})
        assert http.post(ephemeral_url, json={"text": "sixth"}).status_code == 404
    assert [r.text for r in stand_in.responses(ephemeral_url)][:2] == ["checking eni-1…", "hi"]
    assert stand_in.ephemerals("U0REQUESTER")[0].source == "response_url"
    assert [m.text for m in stand_in.messages(CHANNEL)] == ["hi", "Approved"]
    replaced = stand_in.message(CHANNEL, card)
    assert replaced is not None and replaced.blocks == []


def test_connections_are_kept_alive(stand_in: SlackWebApiStandIn) -> None:
    with httpx.Client() as http:
        for _ in range(3):
            http.post(
                stand_in.api_url + "auth.test",
                headers={"Authorization": "Bearer xoxb-sim-bot-token"},
            )
    peers = {c.peer for c in stand_in.calls("auth.test")}
    assert len(peers) == 1 and all(c.ok for c in stand_in.calls())


def test_listeners_see_every_call_and_cannot_break_the_server(
    client: WebClient, stand_in: SlackWebApiStandIn
) -> None:
    seen: list[RecordedCall] = []

    def broken(call: RecordedCall) -> None:
        raise RuntimeError("listener bug")

    stand_in.subscribe(broken)
    unsubscribe = stand_in.subscribe(seen.append)
    client.chat_postMessage(channel=CHANNEL, text="one")
    unsubscribe()
    client.chat_postMessage(channel=CHANNEL, text="two")
    assert [c.params["text"] for c in seen] == ["one"]
    assert len(stand_in.messages(CHANNEL)) == 2


def test_wait_for_wakes_on_a_call_from_another_thread(
    client: WebClient, stand_in: SlackWebApiStandIn
) -> None:
    started = threading.Event()

    def post_later() -> None:
        started.wait()
        client.chat_postMessage(channel=CHANNEL, text="late")

    worker = threading.Thread(target=post_later)
    worker.start()
    started.set()
    messages = stand_in.wait_for(lambda s: s.messages(CHANNEL), timeout=5)
    worker.join()
    assert messages[0].text == "late"
    with pytest.raises(TimeoutError):
        stand_in.wait_for(lambda s: s.messages(OTHER_CHANNEL), timeout=0.05)


def test_get_requests_with_query_parameters(stand_in: SlackWebApiStandIn) -> None:
    answer = httpx.get(
        stand_in.api_url + "users.info?user=U0REQUESTER",
        headers={"Authorization": "Bearer xoxb-sim-bot-token"},
    )
    assert answer.json()["user"]["name"] == "riley"
    assert stand_in.calls("users.info")[0].http_method == "GET"


def test_concurrent_posts_get_unique_ordered_timestamps(stand_in: SlackWebApiStandIn) -> None:
    def post_many(worker: int) -> None:
        client = WebClient(token="xoxb-sim-bot-token", base_url=stand_in.api_url)
        for i in range(20):
            client.chat_postMessage(channel=CHANNEL, text=f"{worker}-{i}")

    threads = [threading.Thread(target=post_many, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps = [m.ts for m in stand_in.messages(CHANNEL)]
    assert len(stamps) == len(set(stamps)) == 120
    assert stamps == sorted(stamps, key=float)
    assert len(stand_in.calls("chat.postMessage")) == 120
