"""Approver and requester sets: user IDs plus user-group members, cached, with a logged fallback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.slack.auth import GROUP_CACHE_SECONDS, GROUP_STALE_SECONDS, people_from

from support.clock import Clock


@pytest.fixture
def slack() -> Iterator[SlackWebApiStandIn]:
    with SlackWebApiStandIn(usergroups={"S0OPS": ["U0MEMBER"]}) as stand_in:
        yield stand_in


def client(slack: SlackWebApiStandIn) -> WebClient:
    return WebClient(token=DEFAULT_BOT_TOKEN, base_url=slack.api_url)


def test_ids_and_group_members_are_approvers(slack: SlackWebApiStandIn) -> None:
    people = people_from(["U0DIRECT", "S0OPS"], [], client(slack))
    assert people.is_approver("U0DIRECT")
    assert people.is_approver("U0MEMBER")
    assert not people.is_approver("U0OTHER")
    # Form parameters: Slack ignores a JSON body on this read method (no group, no members).
    [call] = slack.calls("usergroups.users.list")
    content_type = next(v for k, v in call.headers.items() if k.lower() == "content-type")
    assert "json" not in content_type


def test_group_members_are_cached_briefly(slack: SlackWebApiStandIn) -> None:
    clock = Clock()
    people = people_from(["S0OPS"], [], client(slack), clock=clock.monotonic)
    assert people.is_approver("U0MEMBER")
    slack.set_usergroup("S0OPS", ["U0NEWCOMER"])
    assert people.is_approver("U0MEMBER")  # still cached
    assert len(slack.calls("usergroups.users.list")) == 1
    clock.advance(GROUP_CACHE_SECONDS + 1)
    assert people.is_approver("U0NEWCOMER")
    assert not people.is_approver("U0MEMBER")
    assert len(slack.calls("usergroups.users.list")) == 2


def test_plan_upgrade_required_falls_back_to_ids_and_logs_once(
    slack: SlackWebApiStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    slack.set_usergroups_error("plan_upgrade_required")
    clock = Clock()
    people = people_from(["U0DIRECT", "S0OPS"], [], client(slack), clock=clock.monotonic)
    for _ in range(3):
        assert not people.is_approver("U0MEMBER")
        assert people.is_approver("U0DIRECT")
        clock.advance(GROUP_CACHE_SECONDS + 1)
    warnings = [r for r in caplog.records if "user groups unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert "plan_upgrade_required" in warnings[0].getMessage()


def test_transient_failures_fail_closed_then_recover(slack: SlackWebApiStandIn) -> None:
    clock = Clock()
    people = people_from(["S0OPS"], [], client(slack), clock=clock.monotonic)
    slack.fail_next("usergroups.users.list", 1, "server_error")
    assert not people.is_approver("U0MEMBER")
    clock.advance(10)
    assert people.is_approver("U0MEMBER")


def test_empty_requesters_means_everyone(slack: SlackWebApiStandIn) -> None:
    everyone = people_from(["U0A"], [], client(slack))
    assert everyone.may_request("U0ANYONE")
    some = people_from(["U0A"], ["U0ONE", "S0OPS"], client(slack))
    assert some.may_request("U0ONE") and some.may_request("U0MEMBER")
    assert not some.may_request("U0ANYONE")


def test_membership_unreadable_for_long_fails_closed(slack: SlackWebApiStandIn) -> None:
    # A brief outage keeps the last known members (an approver can still approve); once
    # membership has been unreadable for GROUP_STALE_SECONDS, nobody counts through the group.
    clock = Clock()
    people = people_from(["U0DIRECT", "S0OPS"], [], client(slack), clock=clock.monotonic)
    assert people.is_approver("U0MEMBER")
    slack.fail_next("usergroups.users.list", 1000, "server_error")
    clock.advance(GROUP_CACHE_SECONDS + 1)
    assert people.is_approver("U0MEMBER")  # stale, but within the grace period
    clock.advance(GROUP_STALE_SECONDS)
    assert not people.is_approver("U0MEMBER")
    assert "U0MEMBER" not in people.approvers.members()
    assert people.is_approver("U0DIRECT")  # listed IDs do not depend on Slack


def test_slack_unreachable_keeps_recent_members_instead_of_raising() -> None:
    # A connection refused is an OSError (urllib's URLError), not a SlackClientError: it must
    # count as a transient failure like any other, not break the click.
    clock = Clock()
    stand_in = SlackWebApiStandIn(usergroups={"S0OPS": ["U0MEMBER"]}).start()
    try:
        people = people_from(["S0OPS"], [], client(stand_in), clock=clock.monotonic)
        assert people.is_approver("U0MEMBER")
    finally:
        stand_in.stop()
    clock.advance(GROUP_CACHE_SECONDS + 1)
    assert people.is_approver("U0MEMBER")  # Slack unreachable: the recent answer stands
    clock.advance(GROUP_STALE_SECONDS)
    assert not people.is_approver("U0MEMBER")
