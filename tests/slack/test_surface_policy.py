"""CONTRACT.md "Approval policy (0.2)" through the Slack surface: signed commands and clicks.

Each test writes a policy file, points ENIBOT_POLICY_FILE (`Settings.policy_file`) at it and
drives the served bot as Slack would. ENIs come from the demo world: web-1's app ENI is tagged
team=web, env=prod; its legacy ENI team=web; db-standby's team=data; tiny-proxy's team=net;
web-sh-1's metrics ENI (cn-shanghai) team=sre.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_harness import APPROVER, APPROVER_GROUP, ENI, ENI_2, GROUP_APPROVER, OUTSIDER, REQUESTER
from sqlalchemy import select

from bot import db
from bot.bootstrap import EcsFactory
from bot.config import Settings
from bot.requests.models import RequestEvent
from bot.requests.states import Status
from bot.runtime import Runtime
from bot.sim.slack.records import Message, ResponsePost
from bot.sim.slack.render import render_blocks
from bot.slack.ids import ActionId

from support.clock import Clock
from support.stack import FAST, Stack, build_stack, migrated_runtime

LEGACY_ENI = "eni-bp1s4t8u2c6k9d3e5f"  # web-1, team=web (no env)
NET_ENI = "eni-bp1h4j8k2l6z9x3c7v"  # tiny-proxy, team=net
SRE_ENI = "eni-uf6z3x5c7v9b2n4m6q"  # web-sh-1 in cn-shanghai, team=sre

PROD_LEADS = "S0PRODLEADS"
LEAD_1, LEAD_2 = "U0PRODLEAD1", "U0PRODLEAD2"
BOARD = "S0BOARD"
BOARD_1, BOARD_2 = "U0BOARD1", "U0BOARD2"
WEB_LEAD = "U0WEBLEAD"

GROUPS = {APPROVER_GROUP: [GROUP_APPROVER], PROD_LEADS: [LEAD_1, LEAD_2], BOARD: [BOARD_1, BOARD_2]}
BASE_SETTINGS: dict[str, Any] = {
    "approvers": f"{APPROVER},{APPROVER_GROUP}",
    "allowed_regions": "cn-hangzhou,cn-shanghai",
    "approval_ttl": 86400,  # the freeze tests move the clock by hours
}

RULES = f"""
rules:
  - name: data
    match: {{tags: {{team: data}}}}
    deny: "Replication links belong to the DBAs <!channel> *now*; ask in #dba."
  - name: prod
    match: {{tags: {{env: prod}}}}
    approvers: [{PROD_LEADS}]
    approvals: 2
  - name: web
    match: {{tags: {{team: web}}}}
    approvers: [{WEB_LEAD}]
    allow_self_approval: true
  - name: sre
    match: {{tags: {{team: sre}}, regions: [cn-shanghai]}}
    auto_approve: true
  - name: net
    match: {{tags: {{team: net}}}}
"""

PolicyStack = Callable[..., Stack]


def freeze_yaml(
    name: str, start: datetime, end: datetime, approvers: list[str], **match: Any
) -> str:
    """One freeze entry (under `freezes:`)."""
    matched = f"\n    match: {{tags: {match}}}".replace("'", "") if match else ""
    return (
        f"\n  - name: {name}\n    start: {start.isoformat()}\n    end: {end.isoformat()}"
        f"{matched}\n    approvers: [{', '.join(approvers)}]"
        f"\n    message: {name} is on; changes wait."
    )


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[PolicyStack]:
    """A served bot with a policy file (None: without one); `clock` replaces its clock."""
    with ExitStack() as made:
        count = 0

        def make(
            policy: str | None,
            *,
            clock: Clock | None = None,
            workers: bool = False,
            **settings: Any,
        ) -> Stack:
            nonlocal count
            count += 1
            fields = {**BASE_SETTINGS, **settings}
            if policy is not None:
                path = tmp_path / f"policy-{count}.yml"
                path.write_text(policy, encoding="utf-8")
                fields["policy_file"] = str(path)

            def runtime(built: Settings, ecs: EcsFactory | None) -> Runtime:
                made_runtime = migrated_runtime(built, ecs)
                if clock is None:
                    return made_runtime
                # The same parts on a clock the test moves (the policy reads `now` from it).
                return dataclasses.replace(made_runtime, clock=clock)

            return made.enter_context(
                build_stack(
                    f"sqlite:///{tmp_path / f'bot-{count}.db'}",
                    usergroups=GROUPS,
                    settings=fields,
                    runtime=runtime,
                    workers=FAST if workers else None,
                )
            )

        yield make


def shown(blocks: list[dict[str, Any]]) -> str:
    """What a reader sees (Slack markup as raw text, so mentions stay `<@U…>`)."""
    return "\n".join(str(block) for block in blocks)


def read(post: ResponsePost | Message) -> str:
    """A message's blocks rendered as a reader sees them."""
    return "\n".join(render_blocks(post.blocks))


def ask(stack: Stack, text: str, user: str = REQUESTER) -> ResponsePost:
    """Type `/eni <text>` and wait for the ephemeral answer."""
    return stack.run(text, user)


def submitted(stack: Stack, text: str, user: str = REQUESTER) -> int:
    """A command that must store a request; its ID."""
    before = set(stack.request_ids())
    post = ask(stack, text, user)
    new = set(stack.request_ids()) - before
    assert len(new) == 1, post.text
    return new.pop()


def click(stack: Stack, card: Message, action: ActionId, user: str) -> ResponsePost:
    """Press a button on the card and wait for the clicker's ephemeral answer."""
    assert stack.sender is not None
    response = stack.sender.click(card, action.value, user_id=user)
    assert response.status_code == 200
    return stack.wait_response()


def events(stack: Stack, rid: int) -> list[RequestEvent]:
    with db.transaction(stack.runtime.sessions) as session:
        query = select(RequestEvent).where(RequestEvent.request_id == rid)
        return list(session.scalars(query.order_by(RequestEvent.id)))


# ---------------------------------------------------------------------------- without a file


def test_without_a_file_one_rule_covers_everything_from_the_approvers_settings(
    make_stack: PolicyStack,
) -> None:
    stack = make_stack(None, required_approvals=2)
    rid = submitted(stack, f"detach {NET_ENI} moving egress")
    request = stack.request(rid)
    assert (request.rule_name, request.approvals_needed) == ("default", 2)
    assert request.rule["auto_approve"] is False
    card = stack.post_card(rid)
    assert f"Rule default: 2 approvals from <@{APPROVER}> or <!subteam^{APPROVER_GROUP}>" in (
        shown(card.blocks)
    )
    assert "approved" not in click(stack, card, ActionId.APPROVE, OUTSIDER).text
    assert "1 of 2" in click(stack, card, ActionId.APPROVE, APPROVER).text
    assert "approved" in click(stack, card, ActionId.APPROVE, GROUP_APPROVER).text


# ---------------------------------------------------------------------------- rules


def test_each_eni_gets_the_first_rule_in_file_order_and_the_card_and_status_name_it(
    make_stack: PolicyStack,
) -> None:
    stack = make_stack(RULES)
    # The app ENI is env=prod and team=web: `prod` comes first in the file.
    rid = submitted(stack, f"detach {ENI} moving the app network")
    request = stack.request(rid)
    assert (request.rule_name, request.approvals_needed) == ("prod", 2)
    assert request.rule == {
        "number": 2,
        "approvers": [PROD_LEADS],
        "approvals": 2,
        "auto_approve": False,
        "allow_self_approval": False,
        "freezes": [],
    }
    card = stack.post_card(rid)
    assert f"Rule prod: 2 approvals from <!subteam^{PROD_LEADS}>" in shown(card.blocks)
    status = ask(stack, f"status {rid}")
    assert f"Rule prod: 2 approvals from <!subteam^{PROD_LEADS}>" in shown(status.blocks)
    # The audit trail's first entry names the rule.
    assert events(stack, rid)[0].detail["rule"] == "prod"
    assert "under rule prod" in shown(status.blocks)
    # The legacy ENI is team=web only: the `web` rule.
    other = submitted(stack, f"detach {LEGACY_ENI} retiring it")
    assert stack.request(other).rule_name == "web"
    assert f"Rule web: 1 approval from <@{WEB_LEAD}>" in shown(stack.post_card(other).blocks)


def test_a_rule_without_approvers_uses_enibot_approvers_and_one_approval(
    make_stack: PolicyStack,
) -> None:
    stack = make_stack(RULES)
    rid = submitted(stack, f"detach {NET_ENI} moving egress")
    assert stack.request(rid).rule_name == "net"
    card = stack.post_card(rid)
    assert f"Rule net: 1 approval from <@{APPROVER}> or <!subteam^{APPROVER_GROUP}>" in shown(
        card.blocks
    )
    assert "approved" in click(stack, card, ActionId.APPROVE, GROUP_APPROVER).text


def test_a_deny_rule_refuses_ephemerally_quoting_its_name_and_message_and_stores_nothing(
    make_stack: PolicyStack,
) -> None:
    stack = make_stack(RULES)
    post = ask(stack, f"detach {ENI_2} moving replication")
    assert post.response_type == "ephemeral"
    text = shown(post.blocks)
    assert "Rule *data* refuses" in text and ENI_2 in text
    # The file's message is user text: quoted, escaped, never a ping or formatting.
    assert "belong to the DBAs &lt;!channel&gt;" in text
    assert "<!channel>" not in text and "*now*" not in text
    assert stack.count_rows() == (0, 0)


def test_a_deny_rule_applies_by_its_place_in_the_file(make_stack: PolicyStack) -> None:
    policy = """
rules:
  - name: prod
    match: {tags: {env: prod}}
    approvers: [U0PRODLEAD1]
  - name: no-web
    match: {tags: {team: web}}
    deny: web ENIs are frozen for the migration.
"""
    stack = make_stack(policy)
    # Both ENIs are team=web; only the app ENI is also env=prod, and `prod` comes first.
    assert stack.request(submitted(stack, f"detach {ENI} moving the app")).rule_name == "prod"
    refused = shown(ask(stack, f"detach {LEGACY_ENI} retiring it").blocks)
    assert "Rule *no-web* refuses" in refused and "frozen for the migration" in refused
    assert len(stack.request_ids()) == 1


def test_an_eni_no_rule_covers_is_refused(make_stack: PolicyStack) -> None:
    stack = make_stack("rules:\n  - name: prod\n    match: {tags: {env: prod}}\n")
    post = ask(stack, f"detach {NET_ENI} moving egress")
    assert f"No policy rule covers `{NET_ENI}`" in shown(post.blocks)
    assert stack.count_rows() == (0, 0)


def test_a_request_of_several_enis_is_governed_by_the_earliest_of_their_rules(
    make_stack: PolicyStack,
) -> None:
    stack = make_stack(RULES)
    # LEGACY_ENI's rule is `web` (3rd), the app ENI's `prod` (2nd): `prod` governs both.
    rid = submitted(stack, f"detach {LEGACY_ENI} {ENI} moving web-1 off")
    request = stack.request(rid)
    assert (request.rule_name, request.approvals_needed) == ("prod", 2)
    assert f"Rule prod: 2 approvals from <!subteam^{PROD_LEADS}>" in shown(
        stack.post_card(rid).blocks
    )


def test_one_denied_eni_refuses_a_request_of_several(make_stack: PolicyStack) -> None:
    stack = make_stack(RULES)
    post = ask(stack, f"detach {ENI} {ENI_2} moving both")
    text = shown(post.blocks)
    assert "Rule *data* refuses" in text and ENI_2 in text
    assert stack.count_rows() == (0, 0)


# ---------------------------------------------------------------------------- clicks


def test_a_click_counts_only_from_an_approver_of_the_governing_rule(
    make_stack: PolicyStack,
) -> None:
    stack = make_stack(RULES)
    rid = submitted(stack, f"detach {ENI} moving the app network")
    card = stack.post_card(rid)
    rows = len(stack.outbox())
    # APPROVER is in ENIBOT_APPROVERS, but the `prod` rule names the prod leads only.
    for user, action in ((APPROVER, ActionId.APPROVE), (OUTSIDER, ActionId.REJECT)):
        answer = shown(click(stack, card, action, user).blocks)
        assert "Only approvers of rule *prod*" in answer and f"<!subteam^{PROD_LEADS}>" in answer
    assert stack.request(rid).state is Status.PENDING
    assert len(stack.outbox()) == rows
    assert "1 of 2" in click(stack, card, ActionId.APPROVE, LEAD_1).text
    assert "approved" in click(stack, card, ActionId.APPROVE, LEAD_2).text
    assert stack.request(rid).state is Status.APPROVED


def test_self_approval_follows_the_rule(make_stack: PolicyStack) -> None:
    stack = make_stack(RULES)
    # `prod` does not allow it (the default): a prod lead cannot approve their own request.
    own = submitted(stack, f"detach {ENI} moving the app network", user=LEAD_1)
    card = stack.post_card(own)
    assert "cannot approve your own request" in click(stack, card, ActionId.APPROVE, LEAD_1).text
    # `web` allows it: the web lead approves their own request.
    mine = submitted(stack, f"detach {LEGACY_ENI} retiring it", user=WEB_LEAD)
    card = stack.post_card(mine)
    assert "approved" in click(stack, card, ActionId.APPROVE, WEB_LEAD).text
    assert stack.request(mine).state is Status.APPROVED


def test_the_requester_who_is_an_approver_may_still_reject(make_stack: PolicyStack) -> None:
    stack = make_stack(RULES)
    rid = submitted(stack, f"detach {ENI} moving the app network", user=LEAD_1)
    assert "rejected" in click(stack, stack.post_card(rid), ActionId.REJECT, LEAD_1).text


# ---------------------------------------------------------------------------- auto-approval


def test_auto_approve_posts_the_card_without_buttons_replies_with_the_rule_and_runs(
    make_stack: PolicyStack,
) -> None:
    stack = make_stack(RULES, workers=True)
    post = ask(stack, f"detach {SRE_ENI} cn-shanghai moving metrics")
    assert "approved automatically by rule *sre*" in shown(post.blocks)
    (rid,) = stack.request_ids()
    done = stack.wait_status(rid, Status.DETACHED.value, timeout=30)
    assert done.rule_name == "sre"
    card = stack.card(rid)
    assert not [b for b in card.blocks if b.get("type") == "actions"]
    assert "Rule sre: approved automatically" in shown(card.blocks)
    # The card was first posted as it stood then: approved, already without buttons.
    assert card.edits >= 1
    replies = [read(reply) for reply in stack.thread(rid)]
    assert "Approved automatically by rule sre" in replies[0].replace("*", "")
    approved = [e for e in events(stack, rid) if e.to_status == Status.APPROVED.value]
    assert [(e.actor, e.detail.get("rule")) for e in approved] == [("policy:sre", "sre")]


# ---------------------------------------------------------------------------- freezes


def _frozen(now: datetime, approvers: list[str], *, start: float = -3600, **match: Any) -> str:
    return (
        RULES
        + "freezes:"
        + freeze_yaml(
            "year-end",
            now + timedelta(seconds=start),
            now + timedelta(hours=3),
            approvers,
            **match,
        )
    )


def test_a_freeze_without_approvers_refuses_matching_requests_at_submission(
    make_stack: PolicyStack,
) -> None:
    stack = make_stack(_frozen(db.utcnow(), [], env="prod"))
    text = shown(ask(stack, f"detach {ENI} moving the app network").blocks)
    assert "Freeze *year-end* is in force" in text and "year-end is on; changes wait." in text
    assert stack.count_rows() == (0, 0)
    # An ENI the freeze does not match is governed as usual.
    assert stack.request(submitted(stack, f"detach {LEGACY_ENI} retiring it")).rule_name == "web"


def test_during_a_freeze_its_approvers_replace_the_rules_and_the_rules_count_applies(
    make_stack: PolicyStack,
) -> None:
    stack = make_stack(_frozen(db.utcnow(), [BOARD], env="prod"))
    rid = submitted(stack, f"detach {ENI} moving the app network")
    card = stack.post_card(rid)
    assert f"Rule prod: 2 approvals from <!subteam^{BOARD}> (freeze year-end in force)" in shown(
        card.blocks
    )
    answer = shown(click(stack, card, ActionId.APPROVE, LEAD_1).blocks)
    assert "Only the approvers of freeze *year-end*" in answer
    assert "1 of 2" in click(stack, card, ActionId.APPROVE, BOARD_1).text
    assert "approved" in click(stack, card, ActionId.APPROVE, BOARD_2).text


def test_no_auto_approval_during_a_freeze(make_stack: PolicyStack) -> None:
    stack = make_stack(_frozen(db.utcnow(), [BOARD], team="sre"))
    rid = submitted(stack, f"detach {SRE_ENI} cn-shanghai moving metrics")
    request = stack.request(rid)
    assert request.state is Status.PENDING and request.rule["auto_approve"] is False
    card = stack.post_card(rid)
    assert [b for b in card.blocks if b.get("type") == "actions"]
    assert "approved" in click(stack, card, ActionId.APPROVE, BOARD_1).text


def test_a_freeze_that_starts_after_submission_is_honoured_at_the_click(
    make_stack: PolicyStack,
) -> None:
    clock = Clock()
    # Starts ten minutes after the request is made, ends three hours later.
    stack = make_stack(_frozen(clock(), [BOARD], start=600, env="prod"), clock=clock)
    rid = submitted(stack, f"detach {ENI} moving the app network")
    assert stack.request(rid).rule["freezes"] == []
    card = stack.post_card(rid)
    assert "1 of 2" in click(stack, card, ActionId.APPROVE, LEAD_1).text
    clock.advance(900)  # the freeze is now in force
    answer = shown(click(stack, card, ActionId.APPROVE, LEAD_2).blocks)
    assert "Only the approvers of freeze *year-end*" in answer
    # A board member's approval counts; the lead's earlier one no longer does (recounted).
    assert "1 of 2" in click(stack, card, ActionId.APPROVE, BOARD_1).text
    assert stack.request(rid).state is Status.PENDING
    assert "approved" in click(stack, card, ActionId.APPROVE, BOARD_2).text


def test_a_freeze_without_approvers_that_starts_after_submission_stops_every_click(
    make_stack: PolicyStack,
) -> None:
    clock = Clock()
    stack = make_stack(_frozen(clock(), [], start=600, env="prod"), clock=clock)
    rid = submitted(stack, f"detach {ENI} moving the app network")
    card = stack.post_card(rid)
    clock.advance(900)
    answer = shown(click(stack, card, ActionId.APPROVE, LEAD_1).blocks)
    assert "Freeze *year-end* is in force: nobody can approve" in answer
    assert stack.request(rid).state is Status.PENDING
    clock.advance(3 * 3600)  # the freeze is over: the rule's approvers again
    assert "1 of 2" in click(stack, card, ActionId.APPROVE, LEAD_1).text
