"""Block Kit renders to the terminal lines a reader expects (snapshots kept inline)."""

from __future__ import annotations

from typing import Any

from bot.sim.slack.render import (
    RULE,
    render_blocks,
    render_message,
    render_mrkdwn,
    render_view,
)

NAMES = {"U0REQUESTER": "riley", "C0ENIOPS": "eni-ops", "S0APPROVERS": "approvers"}

CARD: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Detach request 42"}},
    {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": "*Detach* `eni-1` from `i-1`\nRequested by <@U0REQUESTER>",
        },
        "fields": [
            {"type": "mrkdwn", "text": "*Region*\ncn-hangzhou"},
            {"type": "mrkdwn", "text": "*Reason*\nmove &lt;!channel&gt; &amp; co"},
        ],
    },
    {"type": "divider"},
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
            },
            {
                "type": "button",
                "action_id": "reject_request",
                "value": "42",
                "style": "danger",
                "text": {"type": "plain_text", "text": "Reject"},
            },
        ],
    },
    {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "Pending · expires in 30 min"},
            {"type": "plain_text", "text": "ID 42"},
        ],
    },
]


def test_approval_card_snapshot() -> None:
    assert render_blocks(CARD, NAMES) == [
        "# Detach request 42",
        "*Detach* `eni-1` from `i-1`",
        "Requested by @riley",
        "  *Region*",
        "  cn-hangzhou",
        "  *Reason*",
        "  move <!channel> & co",
        RULE,
        "[Approve (approve_request:42)]  [Reject (reject_request:42)]",
        "  Pending · expires in 30 min · ID 42",
    ]


def test_mentions_links_and_specials() -> None:
    assert render_mrkdwn("hi <@U0REQUESTER>") == "hi @U0REQUESTER"
    assert render_mrkdwn("hi <@U0REQUESTER>", NAMES) == "hi @riley"
    assert render_mrkdwn("hi <@U9|sam>") == "hi @sam"
    assert render_mrkdwn("in <#C0ENIOPS> and <#C1|general>", NAMES) == "in #eni-ops and #general"
    assert render_mrkdwn("<!channel> <!here> <!everyone>") == "@channel @here @everyone"
    assert render_mrkdwn("ping <!subteam^S0APPROVERS>", NAMES) == "ping @approvers"
    assert render_mrkdwn("ping <!subteam^S1|@ops>") == "ping @ops"
    assert render_mrkdwn("see <https://x.example/a?b=1&amp;c=2|the doc>") == (
        "see the doc (https://x.example/a?b=1&c=2)"
    )
    assert render_mrkdwn("<https://x.example>") == "https://x.example"
    assert render_mrkdwn("<!date^1732611111^{date}|Nov 26>") == "Nov 26"


def test_escaped_controls_show_literally_and_never_as_mentions() -> None:
    typed = "&lt;!channel&gt; &lt;@U1&gt; &lt;http://evil|safe&gt;"
    assert render_mrkdwn(typed) == "<!channel> <@U1> <http://evil|safe>"


def test_plain_text_is_not_interpreted() -> None:
    blocks = [{"type": "section", "text": {"type": "plain_text", "text": "<!channel> *x*"}}]
    assert render_blocks(blocks) == ["<!channel> *x*"]


def test_message_without_blocks_uses_text() -> None:
    assert render_message("Approved by <@U0REQUESTER>\nnext", None, NAMES) == [
        "Approved by @riley",
        "next",
    ]
    assert render_message("ignored fallback", CARD[:1]) == ["# Detach request 42"]
    assert render_message("", []) == [""]


def test_section_accessory_and_unknown_blocks() -> None:
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "Stuck: re-initiate, then restart the instance"},
            "accessory": {
                "type": "button",
                "action_id": "retry_request",
                "value": "42",
                "text": {"type": "plain_text", "text": "Retry"},
            },
        },
        {"type": "rich_text", "elements": []},
        {"type": "image", "image_url": "https://x.example/i.png", "alt_text": "graph"},
    ]
    assert render_blocks(blocks) == [
        "Stuck: re-initiate, then restart the instance",
        "  [Retry (retry_request:42)]",
        "[rich_text block]",
        "[image: graph]",
    ]


def test_modal_snapshot() -> None:
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Detach ENI"},
        "submit": {"type": "plain_text", "text": "Request"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "region",
                "label": {"type": "plain_text", "text": "Region"},
                "element": {
                    "type": "static_select",
                    "action_id": "region",
                    "placeholder": {"type": "plain_text", "text": "Choose"},
                },
            },
            {
                "type": "input",
                "block_id": "instance_id",
                "optional": True,
                "label": {"type": "plain_text", "text": "Instance"},
                "element": {"type": "plain_text_input", "action_id": "instance_id"},
            },
        ],
    }
    assert render_view(modal) == [
        "== Detach ENI ==",
        "Region: [Choose ▾ (region)]",
        "Instance (optional): [____ (instance_id)]",
        "[Cancel]  [Request]",
    ]
