"""`/eni attach` through real HTTP: accepted requests say attach and where to, each pre-flight
refusal names the problem and stores nothing, and a missing instance is the last one this bot
detached the ENI from.

CONTRACT.md "Attach and re-attach (0.2)". The bot is served on loopback against the ECS
simulator (tests/slack/attach_harness.py's world) and the Slack stand-in; no workers run except
where a detach must really have happened first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from attach_harness import (
    FREE,
    FREE_2,
    MANAGED_FREE,
    OTHER_VPC,
    OTHER_ZONE,
    PRIMARY,
    SEC_A,
    SHANGHAI_FREE,
    STARTING,
    UNKNOWN,
    WEB_A,
    WEB_B,
    WEB_C,
    attach_stack,
)

from bot.sim.ecs import FaultSpec
from bot.sim.slack import payloads
from bot.slack.ids import ModalField

from support.stack import OUTSIDER, REQUESTER, Stack
from support.waiting import wait_until


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """The surface on the attach world, no workers."""
    with attach_stack(tmp_path) as made:
        yield made


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Stack]:
    """The same, with at most one ENI per request."""
    with attach_stack(tmp_path, "small.db", max_enis_per_request=1) as made:
        yield made


def refused(stack: Stack, text: str, *words: str, user: str = REQUESTER) -> str:
    """Type `text`; it must be refused ephemerally with `words`, storing and posting nothing."""
    before, posts = stack.count_rows(), stack.channel_posts()
    post = stack.run(text, user)
    said = post.text + str(post.blocks)
    assert post.response_type == "ephemeral"
    for word in words:
        assert word in said, said
    assert "Nothing was stored" in said
    assert stack.count_rows() == before
    assert stack.channel_posts() == posts
    return said


# ---------------------------------------------------------------------------- accepted


def test_an_attach_is_stored_and_its_card_says_attach_and_to_which_instance(stack: Stack) -> None:
    response = stack.command(f"attach {FREE} {WEB_A} give web-a its spare back")
    assert f"Checking `{FREE}` in `cn-hangzhou`" in response.json()["text"]
    post = stack.wait_response()
    (request,) = stack.requests()
    assert (request.operation, request.status, request.undo_of) == ("attach", "pending", None)
    assert [(t.eni_id, t.instance_id, t.operation) for t in request.targets] == [
        (FREE, WEB_A, "attach")
    ]
    assert request.target.eni_snapshot["name"] == "spare-1"
    assert request.target.eni_snapshot["status"] == "Available"
    assert f"Request #{request.id} to attach" in post.text
    assert f"`{FREE}` to `{WEB_A}` in `cn-hangzhou`" in str(post.blocks)
    card = stack.post_card(request.id)
    shown = card.text + str(card.blocks)
    assert f"ENI attach request #{request.id}" in shown
    assert f"attach {FREE} to {WEB_A}" in card.text
    assert "approve_request" in str(card.blocks) and "reject_request" in str(card.blocks)


def test_several_enis_make_one_attach_request_and_a_repeated_id_counts_once(
    stack: Stack,
) -> None:
    post = stack.run(f"attach {FREE} {FREE_2} {FREE} {WEB_B} cn-hangzhou two spares for web-b")
    (request,) = stack.requests()
    assert [(t.eni_id, t.instance_id) for t in request.targets] == [(FREE, WEB_B), (FREE_2, WEB_B)]
    assert f"2 ENIs (`{FREE}`, `{FREE_2}`) to `{WEB_B}`" in str(post.blocks)
    card = stack.post_card(request.id)
    assert f"ENI attach request #{request.id} (2 ENIs)" in str(card.blocks)


def test_a_stopped_instance_takes_an_attach(stack: Stack) -> None:
    stack.run(f"attach {FREE} {WEB_C} while it is down")
    (request,) = stack.requests()
    assert request.target.instance_id == WEB_C


def _form(
    operation: str | None, *, eni: str = "", instance: str = "", tags: str = ""
) -> dict[str, dict[str, dict[str, Any]]]:
    text = payloads.plain_text_value
    fields = {
        ModalField.REGION: payloads.static_select_value("cn-hangzhou"),
        ModalField.ENI: text(eni or None),
        ModalField.INSTANCE: text(instance or None),
        ModalField.SELECTOR: text(tags or None),
        ModalField.REASON: text("from the form"),
    }
    if operation is not None:
        fields[ModalField.OPERATION] = payloads.static_select_value(operation)
    return {f.value: {f.value: state} for f, state in fields.items()}


def _open_form(stack: Stack, text: str) -> str:
    assert stack.command(text).status_code == 200
    stack.slack.wait_for_calls("views.open")
    (view,) = stack.slack.views(kind="modal")
    return view.id


def test_attach_alone_opens_the_form_on_attach_and_a_submission_asks_to_attach(
    stack: Stack,
) -> None:
    view_id = _open_form(stack, "attach")
    view = stack.slack.view(view_id)
    assert view is not None
    (operation, *_) = view.definition["blocks"]
    assert operation["element"]["initial_option"]["value"] == "attach"
    sender = stack.sender
    assert sender is not None
    response = sender.submit_view(
        view_id, _form("attach", eni=FREE, instance=WEB_A), user_id=REQUESTER
    )
    assert response.status_code == 200 and not response.content  # closes the form
    wait_until(lambda: stack.request_ids(), timeout=10)
    (request,) = stack.requests()
    assert (request.operation, request.target.eni_id, request.target.instance_id) == (
        "attach",
        FREE,
        WEB_A,
    )


def test_the_form_defaults_to_detach_and_refuses_tags_or_no_eni_for_an_attach(
    stack: Stack,
) -> None:
    view_id = _open_form(stack, "detach")
    view = stack.slack.view(view_id)
    assert view is not None
    assert view.definition["blocks"][0]["element"]["initial_option"]["value"] == "detach"
    sender = stack.sender
    assert sender is not None
    answer = sender.submit_view(view_id, _form("attach", tags="app=web"), user_id=REQUESTER)
    errors = answer.json()["errors"]
    assert set(errors) == {ModalField.ENI.value, ModalField.SELECTOR.value}
    assert "ENI IDs to attach" in errors[ModalField.ENI.value]
    assert "an attach lists its ENI IDs" in errors[ModalField.SELECTOR.value]
    assert stack.count_rows() == (0, 0)
    # A form without the field (opened before 0.2) is a detach.
    sender.submit_view(view_id, _form(None, eni=SEC_A), user_id=REQUESTER)
    wait_until(lambda: stack.request_ids(), timeout=10)
    (request,) = stack.requests()
    assert (request.operation, request.target.instance_id) == ("detach", WEB_A)


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (f"attach {SEC_A} {WEB_B} move it", (f"`{SEC_A}` is `InUse`", "only an Available ENI")),
        (f"attach {MANAGED_FREE} {WEB_A} r", ("managed by another Alibaba Cloud service",)),
        (f"attach {PRIMARY} {WEB_B} r", ("primary ENI",)),
        (f"attach {UNKNOWN} {WEB_A} r", (f"There is no ENI `{UNKNOWN}`", "/eni attach")),
        (f"attach {SHANGHAI_FREE} {WEB_A} r", ("There is no ENI",)),  # it is in cn-shanghai
        (f"attach {FREE} i-nothere0001 r", ("`i-nothere0001` was not found",)),
        (f"attach {FREE} {STARTING} r", (f"`{STARTING}` is `Starting`", "Running or Stopped")),
        (f"attach {FREE} {OTHER_VPC} r", ("in VPC `vpc-a`", "is in `vpc-b`", "own VPC")),
        (
            f"attach {FREE} {OTHER_ZONE} r",
            ("zone `cn-hangzhou-h`", "is in `cn-hangzhou-i`", "zone of its vSwitch"),
        ),
        (
            f"attach {FREE} put it back",
            ("never detached", "does not know where it belongs", "/eni attach &lt;eni-id&gt;"),
        ),
        (f"attach {FREE} {WEB_A} ap-southeast-1 r", ("does not act in region",)),
    ],
)
def test_each_preflight_problem_is_refused_with_its_fix(
    stack: Stack, text: str, words: tuple[str, ...]
) -> None:
    said = refused(stack, text, *words)
    assert "How to fix" in said


def test_every_problem_of_several_listed_enis_is_named(stack: Stack) -> None:
    said = refused(
        stack,
        f"attach {FREE} {SEC_A} {MANAGED_FREE} {UNKNOWN} {WEB_A} four at once",
        "3 of the 4 ENIs you listed cannot be attached",
        f"`{SEC_A}` is `InUse`",
        "managed by another Alibaba Cloud service",
        f"There is no ENI `{UNKNOWN}`",
    )
    assert f"`{FREE}`" not in said.split("cannot be attached", 1)[1]  # the good one is not blamed


def test_an_eni_in_an_open_request_is_refused_with_that_request(stack: Stack) -> None:
    stack.run(f"attach {FREE} {WEB_A} first")
    (first,) = stack.request_ids()
    refused(stack, f"attach {FREE} {WEB_B} second", f"*#{first}*", f"/eni status {first}")
    # Nor can it be detached meanwhile: one open request per ENI, whatever it does.
    post = stack.run(f"detach {FREE} r", OUTSIDER)
    assert f"*#{first}*" in str(post.blocks)
    assert stack.request_ids() == [first]


def test_more_enis_than_the_limit_are_refused_before_ecs(small: Stack) -> None:
    refused(small, f"attach {FREE} {FREE_2} {WEB_A} r", "You listed 2 ENIs", "at most 1")
    assert small.ecs.calls.total() == 0


def test_ecs_trouble_at_preflight_is_explained(stack: Stack) -> None:
    stack.ecs.faults.add(
        FaultSpec(kind="error", action="DescribeNetworkInterfaces", code="Forbidden.RAM")
    )
    said = refused(stack, f"attach {FREE} {WEB_A} r", "`Forbidden.RAM`")
    assert "Could not check" in said


def test_an_unauthorised_requester_is_refused_before_ecs(tmp_path: Path) -> None:
    with attach_stack(tmp_path, "req.db", requesters=REQUESTER) as stack:
        refused(stack, f"attach {FREE} {WEB_A} r", "not on the list", user=OUTSIDER)
        assert stack.ecs.calls.total() == 0


# ---------------------------------------------------------------------------- where it goes back


def test_without_an_instance_each_eni_goes_back_where_the_bot_last_detached_it(
    tmp_path: Path,
) -> None:
    with attach_stack(tmp_path, "back.db") as stack:
        stack.start_workers()
        detach = stack.request_detach(SEC_A, "free it for a moment")
        stack.approve(detach)
        stack.wait_status(detach, "detached")
        assert stack.ecs.world.network_interface(SEC_A).status == "Available"
        # Never detached by this bot: FREE still needs an instance; SEC_A knows its way home.
        said = refused(
            stack, f"attach {SEC_A} {FREE} both back", "1 of the 2 ENIs you listed", "never"
        )
        assert f"`{FREE}`" in said.split("cannot be attached", 1)[1]
        assert f"`{SEC_A}`" not in said.split("cannot be attached", 1)[1]
        post = stack.run(f"attach {SEC_A} put it back")
        assert f"`{SEC_A}` to `{WEB_A}`" in str(post.blocks)
        attach = stack.request_ids()[-1]
        assert stack.request(attach).target.instance_id == WEB_A
        stack.approve(attach)
        stack.wait_status(attach, "attached")
        eni = stack.ecs.world.network_interface(SEC_A)
        assert (eni.status, eni.instance_id) == ("InUse", WEB_A)
        replies = [m.text + str(m.blocks) for m in stack.thread(attach)]
        assert any("Attached" in r for r in replies), replies
