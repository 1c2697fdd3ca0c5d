"""`/eni` through real HTTP: help, refusals, accepted requests, status, list, cancel, retry."""

from __future__ import annotations

import time

import pytest
from slack_harness import (
    APPROVER,
    CHANNEL,
    ENI,
    ENI_2,
    FREE_ENI,
    GROUP_APPROVER,
    INSTANCE,
    MANAGED_ENI,
    MEMBER_ENI,
    OTHER_INSTANCE,
    OUTSIDER,
    PRIMARY_ENI,
    REQUESTER,
    SHANGHAI_ENI,
    STARTING_ENI,
    Harness,
    HarnessFactory,
    submit_request,
)
from sqlalchemy import update

from bot import db
from bot.outbox.models import MessageKind
from bot.requests.models import DetachRequest, RequestTarget
from bot.requests.states import Status, TargetStatus
from bot.sim.ecs import FaultSpec
from bot.sim.slack.sender import Delivery

# ---------------------------------------------------------------------------- help and usage


@pytest.mark.parametrize("text", ["", "help"])
def test_eni_alone_or_help_shows_usage_in_the_ack(harness: Harness, text: str) -> None:
    response = harness.command(text)
    assert response.status_code == 200
    body = response.json()
    assert body.get("response_type", "ephemeral") == "ephemeral"
    shown = str(body["blocks"])
    for sub in ("detach", "attach", "reattach", "status", "list", "cancel", "retry"):
        assert f"/eni {sub}" in shown
    assert harness.count_rows() == (0, 0)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("frobnicate", "not an `/eni` subcommand"),
        (f"detach {ENI}", "Give a reason"),
        ("detach only words here", "Name the ENI"),
        ("cancel abc", "not a request ID"),
        ("status", "Name one request ID"),
    ],
)
def test_bad_input_is_answered_in_the_ack_with_the_right_form(
    harness: Harness, text: str, words: str
) -> None:
    response = harness.command(text)
    assert response.status_code == 200
    body = response.json()
    shown = str(body["blocks"])
    assert words in shown
    assert "/eni" in shown  # the right form
    assert harness.count_rows() == (0, 0)
    assert harness.channel_posts() == 0


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (f"detach eni-bp1zzzzzzzzzzzzzzzzz {INSTANCE} cleanup", "There is no ENI"),
        (f"detach {SHANGHAI_ENI} cleanup", "There is no ENI"),  # it is in cn-shanghai
        (f"detach {PRIMARY_ENI} cleanup", "primary ENI"),
        (f"detach {ENI} {OTHER_INSTANCE} cleanup", "not to `i-bp1s5t4o3p2d1x9y8z7w`"),
        (f"detach {FREE_ENI} cleanup", "not attached to any instance"),
        (f"detach {MANAGED_ENI} cleanup", "managed by another Alibaba Cloud service"),
        (f"detach {MEMBER_ENI} cleanup", "member ENI"),
        (f"detach {STARTING_ENI} cleanup", "Running or Stopped"),
        (f"detach {ENI} ap-southeast-1 cleanup", "does not act in region"),
    ],
)
def test_preflight_refusals_name_the_problem_and_store_nothing(
    harness: Harness, text: str, words: str
) -> None:
    response = harness.command(text)
    assert response.status_code == 200
    post = harness.wait_response()
    assert post.response_type == "ephemeral"
    assert words in post.text or words in str(post.blocks), post.blocks
    assert "How to fix" in str(post.blocks)
    assert harness.count_rows() == (0, 0)
    assert harness.channel_posts() == 0


def test_unauthorised_requester_is_refused(make_harness: HarnessFactory) -> None:
    harness = make_harness(requesters=f"{REQUESTER},S0REQUESTERS")
    post = harness.run(f"detach {ENI} cleanup", OUTSIDER)
    assert "not on the list of people who may request" in post.text
    assert harness.count_rows() == (0, 0)
    assert harness.ecs.calls.total() == 0  # refused before ECS was asked anything
    assert "waiting for approval" in harness.run(f"detach {ENI} cleanup", REQUESTER).text


def test_open_request_refusal_names_its_id_and_who_opened_it(harness: Harness) -> None:
    first = submit_request(harness)
    post = harness.run(f"detach {ENI} again please", OUTSIDER)
    assert f"*#{first}*" in str(post.blocks)
    assert f"<@{REQUESTER}>" in str(post.blocks)
    assert f"/eni status {first}" in str(post.blocks)
    assert len(harness.requests()) == 1


def test_open_request_refusal_links_to_the_posted_card(harness: Harness) -> None:
    first = submit_request(harness)
    with db.transaction(harness.runtime.sessions) as session:
        session.execute(
            update(DetachRequest).where(DetachRequest.id == first).values(card_ts="1700.000200")
        )
    post = harness.run(f"detach {ENI} again please", OUTSIDER)
    # The stand-in has no chat.getPermalink: the plain channel/ts reference is the fallback.
    assert f"<#{CHANNEL}>" in str(post.blocks) and "1700.000200" in str(post.blocks)


def test_ecs_errors_are_explained_with_code_and_request_id(harness: Harness) -> None:
    harness.ecs.faults.add(
        FaultSpec(kind="error", action="DescribeNetworkInterfaces", code="Forbidden.RAM")
    )
    post = harness.run(f"detach {ENI} cleanup")
    shown = str(post.blocks)
    assert "`Forbidden.RAM`" in shown
    assert "ECS request ID" in shown
    assert "What to do" in shown
    assert harness.count_rows() == (0, 0)


# ---------------------------------------------------------------------------- accepted


def test_accepted_request_is_stored_pending_with_a_card_row_and_confirmed(
    harness: Harness,
) -> None:
    response = harness.command(f"detach {ENI} {INSTANCE} cn-hangzhou move the <!channel> NIC")
    assert response.status_code == 200
    assert "Checking" in response.json()["text"]
    post = harness.wait_response()
    (request,) = harness.requests()
    assert request.state is Status.PENDING
    (target,) = request.targets
    assert (target.eni_id, target.instance_id, request.region) == (ENI, INSTANCE, "cn-hangzhou")
    assert (request.requester_id, request.channel_id) == (REQUESTER, CHANNEL)
    assert request.reason == "move the <!channel> NIC"
    assert target.eni_snapshot["name"] == "web-1-app"
    assert target.eni_snapshot["private_ip"] == "10.0.1.21"
    assert (request.selector, request.left_out) == (None, [])
    (row,) = harness.outbox()
    assert row.kind == MessageKind.CARD.value and row.payload == {"channel": CHANNEL}
    assert post.response_type == "ephemeral"
    assert f"*#{request.id}*" in str(post.blocks)
    # The card is the relay's job: the listener posts nothing to the channel.
    assert harness.channel_posts() == 0
    assert harness.runtime.doorbells.outbox.is_set()


def test_missing_instance_is_taken_from_the_attachment(harness: Harness) -> None:
    submit_request(harness, ENI_2)
    (request,) = harness.requests()
    assert request.target.instance_id == "i-bp1s5t4o3p2d1x9y8z7w"


def test_the_ack_does_not_wait_for_a_slow_ecs(harness: Harness) -> None:
    latency = 2.0
    harness.ecs.faults.add(
        FaultSpec(kind="latency", action="DescribeNetworkInterfaces", seconds=latency)
    )
    started = time.perf_counter()
    response = harness.command(f"detach {ENI} cleanup")
    acked = time.perf_counter() - started
    assert response.status_code == 200
    assert acked < latency / 2, f"ack took {acked:.3f}s with ECS latency {latency}s"
    post = harness.slack.wait_for(
        lambda s: s.responses(harness.last_response_url()), timeout=latency + 5
    )
    assert "waiting for approval" in post[0].text
    assert time.perf_counter() - started >= latency


def test_retried_detach_delivery_answers_and_stores_once(harness: Harness) -> None:
    harness.command(f"detach {ENI} cleanup")
    url = harness.last_response_url()
    harness.wait_response(url)
    retry = harness.sender.command(
        f"detach {ENI} cleanup",
        user_id=REQUESTER,
        channel_id=CHANNEL,
        response_url=url,
        delivery=Delivery(retry_num=1, retry_reason="http_timeout"),
    )
    assert retry.status_code == 200
    second = harness.wait_response(url, count=2)
    assert "already recorded" in second.text
    assert len(harness.requests()) == 1
    assert len([r for r in harness.outbox() if r.kind == MessageKind.CARD.value]) == 1


# ---------------------------------------------------------------------------- status and list


def test_status_shows_the_full_history(harness: Harness) -> None:
    rid = submit_request(harness)
    harness.sender.command(f"cancel {rid}", user_id=REQUESTER, channel_id=CHANNEL)
    harness.wait_response()
    for text in (f"status {rid}", f"status #{rid}", f"status {ENI}"):
        post = harness.run(text)
        shown = str(post.blocks)
        assert f"Request #{rid}" in shown
        assert f"Requested by <@{REQUESTER}>" in shown
        assert f"Cancelled by <@{REQUESTER}>" in shown
        assert "<!date^" in shown  # each step with its time


def test_user_text_is_escaped_in_what_the_bot_shows(harness: Harness) -> None:
    harness.run(f"detach {ENI} ping <!channel> and <@U0APPROVER1> via <https://x.test|here>")
    shown = str(harness.run("status 1").blocks)
    assert "<!channel>" not in shown and "<https://x.test" not in shown
    assert "&lt;!channel&gt;" in shown


def test_status_of_unknown_things(harness: Harness) -> None:
    assert "no request #99" in harness.run("status 99").text.lower()
    assert "No request was ever made" in harness.run(f"status {ENI}").text


def test_list_scopes(harness: Harness) -> None:
    mine = submit_request(harness, ENI)
    theirs = submit_request(harness, ENI_2, OUTSIDER)
    open_list = str(harness.run("list").blocks)
    assert f"*#{mine}*" in open_list and f"*#{theirs}*" in open_list
    my_list = str(harness.run("list mine").blocks)
    assert f"*#{mine}*" in my_list and f"*#{theirs}*" not in my_list
    assert f"*#{theirs}*" in str(harness.run("list pending").blocks)


# ---------------------------------------------------------------------------- cancel and retry


def test_cancel_by_requester_or_approver_only(harness: Harness) -> None:
    rid = submit_request(harness)
    refused = harness.run(f"cancel {rid}", OUTSIDER)
    assert "Only the requester or an approver" in refused.text
    assert harness.requests()[0].state is Status.PENDING
    done = harness.run(f"cancel {rid}", GROUP_APPROVER)
    assert "cancelled" in done.text
    assert harness.requests()[0].state is Status.CANCELLED
    again = harness.run(f"cancel {rid}", REQUESTER)
    assert "can no longer be cancelled" in again.text


def test_retry_is_for_approvers_and_stuck_requests(harness: Harness) -> None:
    rid = submit_request(harness)
    assert "Only approvers" in harness.run(f"retry {rid}", REQUESTER).text
    assert "not stuck" in harness.run(f"retry {rid}", APPROVER).text
    with db.transaction(harness.runtime.sessions) as session:
        session.execute(
            update(DetachRequest).where(DetachRequest.id == rid).values(status=Status.STUCK.value)
        )
        session.execute(
            update(RequestTarget)
            .where(RequestTarget.request_id == rid)
            .values(status=TargetStatus.STUCK.value, ecs_request_id="req-1")
        )
    assert "re-initiated" in harness.run(f"retry {rid}", APPROVER).text
    assert harness.requests()[0].state is Status.EXECUTING
    assert harness.runtime.doorbells.executor.is_set()
