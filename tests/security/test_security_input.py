"""Hostile text in commands and modal fields: no 5xx, no live markup, nothing stored if invalid.

tests/slack/test_surface_command_fuzz.py generates `/eni` lines (workers off) and checks the ack
and what is stored. Here the workers run, so every card, thread reply, card update, ephemeral,
response_url answer, modal and App Home the bot renders from that text is checked too: the only
`<…>` sequences Slack would act on are the ones the bot wrote itself (mentions of the people
involved, its own channels and links), never one a person typed. Modal values are generated too
(10 KB reasons, control characters, unicode, Slack markup in every field).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from security_stack import (
    APPROVER,
    APPROVER_GROUP,
    CHANNEL,
    ENI_APP,
    ENI_DB,
    GROUP_APPROVER,
    INCIDENTS,
    INSTANCE_WEB1,
    REQUESTER,
    Stack,
    full_stack,
    posted_blocks,
    posting_calls,
    readable_texts,
)

from bot.regions import PUBLIC_REGIONS
from bot.requests.commands import DetachCommand, parse_command
from bot.sim.slack import payloads
from bot.sim.slack.blockcheck import auto_parsed, mrkdwn_objects
from bot.slack.ids import ModalField

from support.waiting import wait_until

# Markup a person might type to ping, impersonate or disguise a link. None of these IDs or URLs
# belongs to the bot's world, so any of them found live in a rendered text came from input.
MARKUP = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0EVIL>",
    "<@U123>",
    "<@U0EVIL|the boss>",
    "<#C0EVIL>",
    "<http://x|y>",
    "<https://evil.example/login|https://slack.com>",
    "<mailto:a@evil.example|mail>",
    # Bare, Slack links these itself unless the text object is verbatim.
    "http://evil.example/login",
    "www.evil.example",
    "boss@evil.example",
    "#general",
    "@here",
    "&lt;!channel&gt;",
    "<",
    ">",
    "&",
    "*bold* _it_ ~s~ `code` ```block```",
    "\u202eevil",
    "\x00\x01\x1b[31m\x7f",
    "\r\n\t",
    "😀 é 中文 \u200b",
]
KNOWN_USERS = {REQUESTER, APPROVER, GROUP_APPROVER}
# The approval policy's rule line names approvers, user groups included (CONTRACT.md).
KNOWN_GROUPS = {APPROVER_GROUP}
KNOWN_CHANNELS = {CHANNEL, INCIDENTS}
_ANGLE = re.compile(r"<([^<>]*)>")
_DATE = re.compile(r"!date\^\d+\^[^|<>]*\|[^|<>]*")
# Placeholders the bot itself writes unescaped (a display bug, not user input): see
# test_bot_written_placeholders_are_escaped below, which fails until they are escaped.
BOT_PLACEHOLDERS: frozenset[str] = frozenset()

words = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
reasons = st.one_of(
    st.lists(st.one_of(st.sampled_from(MARKUP), words), min_size=1, max_size=8).map(" ".join),
    # Well past the 500-character limit: refused whole, never stored or echoed unescaped.
    st.tuples(st.sampled_from(MARKUP), st.integers(9_000, 10_240)).map(
        lambda pair: (pair[0] + " ") * (pair[1] // (len(pair[0]) + 1))
    ),
)


def live_markup(text: str) -> list[str]:
    """`<…>` sequences in a rendered text that the bot did not write for its own purposes."""
    bad = []
    for inner in _ANGLE.findall(text):
        if inner.startswith("@") and inner[1:] in KNOWN_USERS:
            continue
        if inner.startswith("#") and inner[1:].split("|")[0] in KNOWN_CHANNELS:
            continue
        if inner.startswith("!subteam^") and inner.removeprefix("!subteam^") in KNOWN_GROUPS:
            continue
        if _DATE.fullmatch(inner):  # Slack's local-time formatting of a timestamp
            continue
        if inner.startswith(("http://127.0.0.1:", "https://")) and _own_link(inner):
            continue
        bad.append(f"<{inner}>")
    # A lone `<` that opens a sequence closed later in another line is still live markup.
    if "<" in _ANGLE.sub("", text):
        bad.append("unpaired <")
    return bad


def _own_link(inner: str) -> bool:
    url = inner.split("|")[0]
    return ".slack.com/" in url and "evil" not in url


def check_rendered(bot: Stack, since: int, tolerate: frozenset[str] = BOT_PLACEHOLDERS) -> None:
    """Every text the bot showed since call number `since` has no live user markup."""
    for call in posting_calls(bot.slack)[since:]:
        for text in readable_texts(call):
            found = [m for m in live_markup(text) if m not in tolerate]
            assert found == [], (call.method, text[:500])
        shown = posted_blocks(call)
        # Verbatim, so Slack links no bare URL, address, #channel or @here by itself.
        assert [o for o in mrkdwn_objects(shown) if o.get("verbatim") is not True] == []
        assert auto_parsed(shown) == [], call.method


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[Stack]:
    with full_stack(f"sqlite:///{tmp_path / 'input.db'}") as running:
        yield running


def _is_cancelled(bot: Stack, rid: int) -> bool:
    return bot.request(rid).status == "cancelled"


def _settle(bot: Stack) -> None:
    """Cancel a request the example created, so the ENI is free again, and let posts finish."""
    for rid in bot.request_ids():
        request = bot.request(rid)
        if request.status == "pending":
            bot.card(rid)  # the card (with the reason) is really rendered and posted
            published = len(bot.slack.calls("views.publish"))
            for user in (APPROVER, REQUESTER):  # App Home lists it: pending, and "mine"
                assert bot.sender.app_home_opened(user).status_code == 200
            bot.slack.wait_for_calls("views.publish", published + 2)
            assert bot.command(f"cancel #{rid}").status_code == 200
            wait_until(partial(_is_cancelled, bot, rid), timeout=10)
    wait_until(lambda: bot.undelivered() == 0, timeout=10)


HYPOTHESIS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(
    eni=st.sampled_from([ENI_APP, ENI_DB, "eni-<!channel>", "<@U123>", ""]),
    reason=reasons,
)
@example(eni=ENI_APP, reason="moving <!channel> <@U123> <http://x|y> traffic")
@example(eni=ENI_APP, reason="<!here>" * 2000)
@example(eni=ENI_DB, reason="a\x00b\x1bc\u202ed &lt;!channel&gt;")
def test_generated_command_text(bot: Stack, eni: str, reason: str) -> None:
    text = f"detach {eni} {reason}"
    stored_before = len(bot.request_ids())
    shown_before = len(posting_calls(bot.slack))
    response = bot.command(text)
    assert response.status_code == 200, response.status_code
    parsed = parse_command(text, default_region="cn-hangzhou", known_regions=PUBLIC_REGIONS)
    if isinstance(parsed, DetachCommand):
        assert bot.sender.last is not None and bot.sender.last.response_url
        url = bot.sender.last.response_url
        answer = bot.slack.wait_for(lambda s: s.responses(url))[0]
        stored = len(bot.request_ids()) - stored_before
        assert stored == (1 if "waiting for approval" in answer.text else 0), answer.text
    else:
        assert len(bot.request_ids()) == stored_before
    _settle(bot)
    check_rendered(bot, shown_before)


def _values(region: str | None, eni: str | None, instance: str | None, reason: str | None) -> Any:
    return {
        ModalField.REGION.value: {ModalField.REGION.value: payloads.static_select_value(region)},
        ModalField.ENI.value: {ModalField.ENI.value: payloads.plain_text_value(eni)},
        ModalField.INSTANCE.value: {ModalField.INSTANCE.value: payloads.plain_text_value(instance)},
        ModalField.REASON.value: {ModalField.REASON.value: payloads.plain_text_value(reason)},
    }


field_text = st.one_of(st.sampled_from(MARKUP), words, st.none())


@HYPOTHESIS
@given(
    region=st.one_of(st.sampled_from(["cn-hangzhou", "cn-shanghai", "us-east-1"]), field_text),
    eni=st.one_of(st.sampled_from([ENI_APP, ENI_DB]), field_text),
    instance=st.one_of(st.just(INSTANCE_WEB1), field_text),
    reason=st.one_of(reasons, st.none()),
)
@example(region="cn-hangzhou", eni=ENI_APP, instance=None, reason="<!channel> <@U123> now")
@example(region="cn-hangzhou", eni=ENI_APP, instance=None, reason="x" * 10_240)
@example(region="<!here>", eni="<@U123>", instance="<http://x|y>", reason="\x00")
def test_generated_modal_values(
    bot: Stack, region: str | None, eni: str | None, instance: str | None, reason: str | None
) -> None:
    stored_before = len(bot.request_ids())
    notes_before = len(bot.slack.ephemerals(REQUESTER))
    assert bot.command("detach").status_code == 200
    view = bot.slack.wait_for(
        lambda s: v[-1] if (v := s.views(kind="modal")) and not v[-1].closed else None
    )
    shown_before = len(posting_calls(bot.slack))
    response = bot.sender.submit_view(
        view.id, _values(region, eni, instance, reason), user_id=REQUESTER
    )
    assert response.status_code == 200, response.status_code
    answer = response.json() if response.content else {}
    if answer.get("response_action") == "errors":
        assert answer["errors"]
        assert len(bot.request_ids()) == stored_before
    else:
        note = bot.slack.wait_for(
            lambda s: e[-1] if len(e := s.ephemerals(REQUESTER)) > notes_before else None
        )
        stored = len(bot.request_ids()) - stored_before
        assert stored == (1 if "waiting for approval" in note.text else 0), note.text
        if stored:
            assert reason is not None and 0 < len(reason.strip()) <= 500
    _settle(bot)
    check_rendered(bot, shown_before)


def test_bot_written_placeholders_are_escaped(bot: Stack) -> None:
    shown_before = len(posting_calls(bot.slack))
    assert bot.command(f"detach {ENI_APP} cn-shanghai moving it").status_code == 200
    bot.slack.wait_for(lambda s: s.ephemerals(REQUESTER) or s.responses())
    assert bot.command("list mine").status_code == 200
    bot.slack.wait_for(lambda s: len(s.responses()) + len(s.ephemerals(REQUESTER)) >= 2 or None)
    check_rendered(bot, shown_before, tolerate=frozenset())
