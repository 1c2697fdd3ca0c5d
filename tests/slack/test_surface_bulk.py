"""Several ENIs in one request, through real HTTP: listed IDs, an instance, tag selectors, the form.

The bot is served on loopback against the ECS simulator's demo world (bot/sim/ecs/demo_world.yaml)
and the Slack stand-in; every ECS request the simulator receives is kept, so a selection is seen
to be made by DescribeNetworkInterfaces' own filters. No workers run: a stored request's card
stays in the outbox. Every refusal is checked to store nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_harness import (
    APPROVER,
    APPROVER_GROUP,
    ENI,
    ENI_2,
    FREE_ENI,
    GROUP_APPROVER,
    INSTANCE,
    MANAGED_ENI,
    OTHER_INSTANCE,
    PRIMARY_ENI,
    REQUESTER,
    STARTING_ENI,
    Harness,
)

from bot.requests.rules import Problem
from bot.sim.ecs.auth import WireRequest
from bot.sim.ecs.render import Reply
from bot.sim.ecs.service import EcsService
from bot.sim.slack import payloads
from bot.sim.slack.records import View
from bot.sim.slack.sender import Delivery
from bot.slack.ids import ModalField

from support.stack import build_stack

LEGACY_ENI = "eni-bp1s4t8u2c6k9d3e5f"  # web-1's second secondary (tag team=web)
STARTING_INSTANCE = "i-bp1g3x8c5v2b7n4m9q6w"  # build-runner, Starting
UNKNOWN_ENI = "eni-bp1zzzzzzzzzzzzzzzzz"


class RecordingService(EcsService):
    """The simulator's service, keeping the parameters of every call it answers."""

    def __init__(self, base: EcsService) -> None:
        super().__init__(
            world=base.world, faults=base.faults, counters=base.counters, gateway=base.gateway
        )
        self._lock = threading.Lock()
        self.params: list[dict[str, str]] = []

    def handle(self, request: WireRequest, *, host_id: str) -> Reply:
        """Record, then answer as the simulator does."""
        # V3 signing names the action in a header, V1 in the parameters.
        action = request.headers.get("x-acs-action") or ""
        with self._lock:
            self.params.append({"Action": action, **request.query, **request.form})
        return super().handle(request, host_id=host_id)

    def calls(self, action: str) -> list[dict[str, str]]:
        """The parameters of every call of `action`, in arrival order."""
        with self._lock:
            return [p for p in self.params if p.get("Action") == action]


def _make(tmp_path: Path, name: str, **settings: Any) -> Iterator[Harness]:
    with build_stack(
        f"sqlite:///{tmp_path / name}",
        wrap_service=RecordingService,
        usergroups={APPROVER_GROUP: [GROUP_APPROVER]},
        settings={
            "approvers": f"{APPROVER},{APPROVER_GROUP}",
            "allowed_regions": "cn-hangzhou,cn-shanghai",
            **settings,
        },
    ) as stack:
        yield stack


@pytest.fixture
def bulk(tmp_path: Path) -> Iterator[Harness]:
    """The Slack surface stack, recording every ECS call's parameters."""
    yield from _make(tmp_path, "bulk.db")


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Harness]:
    """The same, with at most one ENI per request (ENIBOT_MAX_ENIS_PER_REQUEST=1)."""
    yield from _make(tmp_path, "small.db", max_enis_per_request=1)


def describes(harness: Harness) -> list[dict[str, str]]:
    service = harness.ecs.service
    assert isinstance(service, RecordingService)
    return service.calls("DescribeNetworkInterfaces")


def refused(harness: Harness, text: str, *words: str) -> str:
    """Type `text`; it must be refused with `words`, storing and posting nothing."""
    post = harness.run(text)
    said = post.text + str(post.blocks)
    for word in words:
        assert word in said, said
    assert "Nothing was stored" in said
    assert harness.count_rows() == (0, 0)
    assert harness.channel_posts() == 0
    return said


# ---------------------------------------------------------------------------- listed IDs


def test_listed_enis_make_one_request_with_a_target_each(bulk: Harness) -> None:
    post = bulk.run(f"detach {ENI} {ENI_2} {ENI} free both nodes")
    (request,) = bulk.requests()
    assert [(t.eni_id, t.instance_id) for t in request.targets] == [
        (ENI, INSTANCE),
        (ENI_2, OTHER_INSTANCE),
    ]
    assert request.targets[1].eni_snapshot["name"] == "db-replication"
    assert (request.selector, request.left_out) == (None, [])
    assert "2 ENIs (`" in post.text and "from 2 instances" in post.text
    assert f"*#{request.id}*" in str(post.blocks) and "waiting for approval" in post.text
    assert len(bulk.outbox()) == 1  # one card for the whole request
    # Both ENIs in one Describe.
    (call,) = describes(bulk)
    assert {call["NetworkInterfaceId.1"], call["NetworkInterfaceId.2"]} == {ENI, ENI_2}


def test_a_problem_with_any_listed_eni_refuses_the_command_naming_each(bulk: Harness) -> None:
    said = refused(
        bulk,
        f"detach {ENI} {PRIMARY_ENI} {FREE_ENI} {UNKNOWN_ENI} cleanup",
        "3 of the 4 ENIs you listed cannot be detached",
        "primary ENI",
        "not attached to any instance",
        f"There is no ENI `{UNKNOWN_ENI}`",
        "How to fix",
    )
    assert f"`{ENI}`" not in said.split("cannot be detached", 1)[1]  # the good one is not blamed


def test_with_an_instance_every_listed_eni_must_be_attached_to_it(bulk: Harness) -> None:
    refused(
        bulk,
        f"detach {ENI} {ENI_2} {INSTANCE} cleanup",
        f"`{ENI_2}` is attached to `{OTHER_INSTANCE}`, not to `{INSTANCE}`",
    )


def test_a_listed_eni_in_an_open_request_is_named_with_that_request(bulk: Harness) -> None:
    first = bulk.run(f"detach {ENI} first one")
    assert "waiting for approval" in first.text
    before = bulk.count_rows()
    post = bulk.run(f"detach {ENI} {STARTING_ENI} both now")
    said = str(post.blocks)
    assert "2 of the 2 ENIs you listed" in said
    assert f"*#{bulk.requests()[0].id}*" in said and "Running or Stopped" in said
    assert bulk.count_rows() == before


def test_more_listed_enis_than_the_limit_are_refused_before_ecs(small: Harness) -> None:
    refused(small, f"detach {ENI} {ENI_2} x", "You listed 2 ENIs", "at most 1", "Split them")
    assert describes(small) == []


def test_one_listed_eni_answers_exactly_as_before(bulk: Harness) -> None:
    post = bulk.run(f"detach {ENI} moving the app network")
    assert post.text.startswith("Request #1 to detach")
    assert f"`{ENI}` from `{INSTANCE}` in `cn-hangzhou`" in str(post.blocks)
    assert "ENIs" not in post.text


# ---------------------------------------------------------------------------- selections


def test_an_instance_alone_selects_its_secondary_enis_and_leaves_out_the_rest(
    bulk: Harness,
) -> None:
    response = bulk.command(f"detach {INSTANCE} resize web-1")
    assert f"Checking `{INSTANCE}` in `cn-hangzhou`" in response.json()["text"]
    post = bulk.wait_response()
    (request,) = bulk.requests()
    assert [t.eni_id for t in request.targets] == [ENI, LEGACY_ENI]  # by device index
    assert request.selector == INSTANCE
    (left,) = request.left_out
    assert (left["eni_id"], left["problem"]) == (MANAGED_ENI, Problem.SERVICE_MANAGED.value)
    assert left["facts"]["name"] == "nlb-managed"
    assert "2 ENIs" in post.text and "1 more found were left out" in post.text
    (call,) = describes(bulk)
    assert (call["InstanceId"], call["Type"]) == (INSTANCE, "Secondary")
    assert not any(k.startswith("NetworkInterfaceId") for k in call)


def test_tags_select_attached_secondary_enis_by_ecs_filters(bulk: Harness) -> None:
    bulk.run("detach tag:team=web cn-hangzhou retire the web tier")
    (request,) = bulk.requests()
    # The spare ENI carries team=web too, but it is Available: not selected.
    assert [t.eni_id for t in request.targets] == [ENI, LEGACY_ENI]
    assert request.selector == "tag:team=web"
    (call,) = describes(bulk)
    assert call["Tag.1.Key"] == "team" and call["Tag.1.Value"] == "web"
    assert (call["Type"], call["Status"], call["RegionId"]) == ("Secondary", "InUse", "cn-hangzhou")


def test_tags_are_anded_and_an_instance_narrows_them(bulk: Harness) -> None:
    bulk.run(f"detach tag:team=web tag:env=prod {INSTANCE} only the app NIC")
    (request,) = bulk.requests()
    assert [t.eni_id for t in request.targets] == [ENI]
    assert request.selector == f"tag:team=web tag:env=prod {INSTANCE}"
    (call,) = describes(bulk)
    assert (call["Tag.2.Key"], call["Tag.2.Value"], call["InstanceId"]) == ("env", "prod", INSTANCE)


def test_a_selection_leaves_out_enis_already_in_an_open_request(bulk: Harness) -> None:
    bulk.run(f"detach {ENI} first one")
    first = bulk.requests()[0].id
    bulk.run("detach tag:team=web the rest")
    second = bulk.requests()[1]
    assert [t.eni_id for t in second.targets] == [LEGACY_ENI]
    (left,) = second.left_out
    assert (left["eni_id"], left["problem"], left["facts"]["request_id"]) == (
        ENI,
        Problem.OPEN_REQUEST.value,
        first,
    )


def test_a_selection_that_keeps_nothing_lists_why_and_stores_nothing(bulk: Harness) -> None:
    bulk.run(f"detach {ENI} {LEGACY_ENI} both")
    before = bulk.count_rows()
    post = bulk.run("detach tag:team=web again")
    said = str(post.blocks)
    assert "`tag:team=web` in `cn-hangzhou` found 2 ENIs, and none of them can be detached" in said
    assert said.count("already in open request *#1*") == 2
    assert bulk.count_rows() == before


def test_a_selection_that_matches_nothing_says_so(bulk: Harness) -> None:
    refused(
        bulk,
        "detach tag:team=nobody cleanup",
        "`tag:team=nobody` in `cn-hangzhou` selects nothing",
        "case included",
    )


def test_a_selection_over_the_limit_names_the_count_the_limit_and_how_to_narrow(
    small: Harness,
) -> None:
    refused(
        small,
        "detach tag:team=web cleanup",
        "selects 2 ENIs that can be detached",
        "at most 1",
        "Narrow the selection",
    )


def test_a_named_instance_that_is_not_ready_refuses_the_selection(bulk: Harness) -> None:
    refused(bulk, f"detach {STARTING_INSTANCE} cleanup", "Running or Stopped")
    assert describes(bulk) == []  # the instance was asked first


def test_a_repeated_selection_delivery_answers_and_stores_once(bulk: Harness) -> None:
    bulk.command("detach tag:team=web retire")
    url = bulk.last_response_url()
    bulk.wait_response(url)
    assert bulk.sender is not None
    bulk.sender.command(
        "detach tag:team=web retire",
        user_id=REQUESTER,
        response_url=url,
        delivery=Delivery(retry_num=1, retry_reason="http_timeout"),
    )
    second = bulk.wait_response(url, count=2)
    assert "already recorded" in second.text
    assert len(bulk.requests()) == 1


def test_grammar_errors_for_selections_are_answered_in_the_ack(bulk: Harness) -> None:
    for text, words in [
        (f"detach {ENI} tag:team=web x", "list ENI IDs or select by tag, not both"),
        ("detach tag:team x", "is not a tag selector"),
        (f"detach {INSTANCE} {OTHER_INSTANCE} x", "Two instance IDs"),
    ]:
        body = bulk.command(text).json()
        assert words in str(body["blocks"]), body
    assert bulk.count_rows() == (0, 0)


# ---------------------------------------------------------------------------- the form


def open_form(harness: Harness) -> View:
    assert harness.command("detach").status_code == 200
    harness.slack.wait_for_calls("views.open")
    (view,) = harness.slack.views(kind="modal")
    return view


def form(
    *, enis: str | None = None, instance: str | None = None, tags: str | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    text = {
        ModalField.ENI: enis,
        ModalField.INSTANCE: instance,
        ModalField.SELECTOR: tags,
        ModalField.REASON: "moving the app network",
    }
    values = {f.value: {f.value: payloads.plain_text_value(v)} for f, v in text.items()}
    values[ModalField.REGION.value] = {
        ModalField.REGION.value: payloads.static_select_value("cn-hangzhou")
    }
    return values


def submit(harness: Harness, values: dict[str, dict[str, dict[str, Any]]]) -> Any:
    view = open_form(harness)
    assert harness.sender is not None
    return harness.sender.submit_view(view.id, values, user_id=REQUESTER)


def test_the_form_takes_several_enis_one_per_line_or_comma_separated(bulk: Harness) -> None:
    response = submit(bulk, form(enis=f"{ENI}\n{ENI_2}, {ENI}"))
    assert not response.content or response.json().get("response_action") is None
    (note,) = bulk.slack.wait_for(lambda s: s.ephemerals(REQUESTER))
    assert "2 ENIs" in note.text
    (request,) = bulk.requests()
    assert [t.eni_id for t in request.targets] == [ENI, ENI_2]


def test_the_form_selects_by_tags(bulk: Harness) -> None:
    submit(bulk, form(tags="team=web tag:env=prod"))
    bulk.slack.wait_for(lambda s: s.ephemerals(REQUESTER))
    (request,) = bulk.requests()
    assert [t.eni_id for t in request.targets] == [ENI]
    assert request.selector == "tag:team=web tag:env=prod"


@pytest.mark.parametrize(
    ("given", "field", "words"),
    [
        ({"enis": f"{ENI} eni-x"}, "eni_id", '"eni-x" is not an ENI ID'),
        ({}, "eni_id", "or an instance ID for all its secondary ENIs, or tags"),
        ({"tags": "team"}, "selector", '"team" is not a tag'),
        ({"tags": "team=web team=db"}, "selector", "names a tag key already given"),
        ({"enis": ENI, "tags": "team=web"}, "selector", "ENI IDs or tags, not both"),
    ],
)
def test_bad_form_input_is_answered_inline_on_its_field(
    bulk: Harness, given: dict[str, str], field: str, words: str
) -> None:
    body = submit(bulk, form(**given)).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {field}
    assert words in body["errors"][field]
    assert bulk.count_rows() == (0, 0)


def test_one_listed_eni_already_held_is_refused_without_asking_ecs(bulk: Harness) -> None:
    bulk.run(f"detach {ENI} first one")
    asked = len(describes(bulk))
    post = bulk.run(f"detach {ENI} again")
    assert "already has an open request" in str(post.blocks)
    assert len(describes(bulk)) == asked
