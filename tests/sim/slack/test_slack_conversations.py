"""Where the bot may not post or read, and how read methods take their arguments, as in Slack."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sim.slack import SlackWebApiStandIn

CHANNEL = "C0ENIOPS"


def error_of(call: Any) -> str:
    with pytest.raises(SlackApiError) as info:
        call()
    return str(info.value.response["error"])


# Each read method with arguments that work, and what Slack answers when it sees none.
READS: dict[str, tuple[dict[str, str], str]] = {
    "conversations.history": ({"channel": CHANNEL}, "channel_not_found"),
    "conversations.replies": ({"channel": CHANNEL, "ts": "<parent>"}, "channel_not_found"),
    "conversations.info": ({"channel": CHANNEL}, "channel_not_found"),
    "users.info": ({"user": "U0REQUESTER"}, "user_not_found"),
    "usergroups.users.list": ({"usergroup": "S0APPROVERS"}, "invalid_arguments"),
}


@pytest.mark.parametrize("method", sorted(READS))
def test_read_methods_ignore_a_json_body_and_take_form_parameters(
    client: WebClient, method: str
) -> None:
    parent = str(client.chat_postMessage(channel=CHANNEL, text="parent")["ts"])
    args, error_without_arguments = READS[method]
    args = {k: parent if v == "<parent>" else v for k, v in args.items()}
    assert error_of(lambda: client.api_call(method, json=args)) == error_without_arguments
    assert client.api_call(method, params=args)["ok"]  # form-encoded, as slack_sdk sends it


def test_write_methods_still_take_json(client: WebClient, stand_in: SlackWebApiStandIn) -> None:
    client.api_call("chat.postMessage", json={"channel": CHANNEL, "text": "hello"})
    assert [m.text for m in stand_in.messages(CHANNEL)] == ["hello"]


def test_a_private_channel_without_the_bot_is_not_found_by_any_method(
    client: WebClient, stand_in: SlackWebApiStandIn
) -> None:
    stand_in.add_conversation("G0SECRET", kind="private", bot_member=False)
    assert error_of(lambda: client.chat_postMessage(channel="G0SECRET", text="x")) == (
        "channel_not_found"
    )
    assert (
        error_of(
            lambda: client.chat_postEphemeral(channel="G0SECRET", user="U0REQUESTER", text="x")
        )
        == "channel_not_found"
    )
    assert error_of(lambda: client.conversations_history(channel="G0SECRET")) == (
        "channel_not_found"
    )
    assert error_of(lambda: client.conversations_info(channel="G0SECRET")) == "channel_not_found"
    stand_in.add_conversation("G0SECRET", kind="private", bot_member=True)  # invited
    assert client.chat_postMessage(channel="G0SECRET", text="x")["ok"]
    assert client.conversations_info(channel="G0SECRET")["channel"]["is_private"] is True


def test_an_archived_channel_refuses_writes_and_still_reads(
    client: WebClient, stand_in: SlackWebApiStandIn
) -> None:
    ts = str(client.chat_postMessage(channel=CHANNEL, text="before")["ts"])
    stand_in.add_conversation(CHANNEL, archived=True)
    assert error_of(lambda: client.chat_postMessage(channel=CHANNEL, text="x")) == "is_archived"
    assert error_of(lambda: client.chat_update(channel=CHANNEL, ts=ts, text="y")) == "is_archived"
    assert (
        error_of(lambda: client.chat_postEphemeral(channel=CHANNEL, user="U0REQUESTER", text="x"))
        == "is_archived"
    )
    assert client.conversations_history(channel=CHANNEL)["messages"][0]["ts"] == ts
    assert client.conversations_info(channel=CHANNEL)["channel"]["is_archived"] is True


def test_a_public_channel_without_the_bot_takes_posts_but_not_ephemerals_or_reads(
    client: WebClient, stand_in: SlackWebApiStandIn
) -> None:
    stand_in.add_conversation("C0PUBLIC", bot_member=False)
    assert client.chat_postMessage(channel="C0PUBLIC", text="x")["ok"]  # chat:write.public
    assert (
        error_of(
            lambda: client.chat_postEphemeral(channel="C0PUBLIC", user="U0REQUESTER", text="x")
        )
        == "not_in_channel"
    )
    assert error_of(lambda: client.conversations_history(channel="C0PUBLIC")) == "not_in_channel"


def test_a_dm_between_people_is_not_found_and_the_apps_dm_follows_its_messages_tab(
    client: WebClient, stand_in: SlackWebApiStandIn
) -> None:
    stand_in.add_conversation("D0PEOPLE", kind="im", bot_member=False)
    assert error_of(lambda: client.chat_postMessage(channel="D0PEOPLE", text="x")) == (
        "channel_not_found"
    )
    assert client.chat_postMessage(channel="U0REQUESTER", text="to you")["ok"]
    assert [m.text for m in stand_in.messages("U0REQUESTER")] == ["to you"]
    assert error_of(lambda: client.chat_postMessage(channel="U0SIMBOT", text="x")) == (
        "cannot_dm_bot"
    )
    stand_in.set_messages_tab(False)
    assert error_of(lambda: client.chat_postMessage(channel="U0REQUESTER", text="x")) == (
        "messages_tab_disabled"
    )
