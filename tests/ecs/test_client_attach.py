"""Attach goes over the same at-most-once path as Detach; the filter search pages through ECS.

Against the scripted loopback ECS (tests/ecs/scripted_ecs.py), which checks every signature.
Each state-changing rule is checked for both operations, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from scripted_ecs import ACCESS_KEY_ID, ACCESS_KEY_SECRET, Calls, Reply, ScriptedEcs, Seen, error

from bot.ecs.catalogue import ATTACH, DETACH
from bot.ecs.client import EcsClient
from bot.ecs.credentials import StaticCredentials
from bot.ecs.errors import EcsError, OutcomeUnknownError, Reaction, outcome_unknown_code
from bot.ecs.models import EniStatus, EniType
from bot.ecs.retry import RetryPolicy

REGION = "cn-hangzhou"
ENI = "eni-bp67acfmxazb4p1234"
INSTANCE = "i-bp67acfmxazb4p5678"

Change = Callable[[EcsClient], str]
CHANGES: dict[str, Change] = {
    DETACH: lambda c: c.detach_network_interface(REGION, ENI, INSTANCE),
    ATTACH: lambda c: c.attach_network_interface(REGION, ENI, INSTANCE),
}


@pytest.fixture(params=list(CHANGES))
def action(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fast_client(ecs: ScriptedEcs, policy: RetryPolicy, calls: Calls) -> Iterator[EcsClient]:
    with EcsClient(
        credentials=StaticCredentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
        endpoint=ecs.url,
        timeout=0.5,
        retry=policy,
        observer=calls,
    ) as c:
        yield c


def test_attach_wire_request(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(Reply(body={"RequestId": "473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E"}))
    assert client.attach_network_interface(REGION, ENI, INSTANCE) == (
        "473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E"
    )
    [seen] = ecs.seen
    assert (seen.method, seen.path, seen.body) == ("POST", "/", b"")
    assert seen.headers["x-acs-action"] == "AttachNetworkInterface"
    assert seen.raw_query == f"InstanceId={INSTANCE}&NetworkInterfaceId={ENI}&RegionId={REGION}"


def test_lost_answer_is_outcome_unknown_and_never_resent(
    fast_client: EcsClient, ecs: ScriptedEcs, calls: Calls, action: str
) -> None:
    ecs.script(Reply(hang=True), Reply())
    with pytest.raises(OutcomeUnknownError) as info:
        CHANGES[action](fast_client)
    assert len(ecs.seen) == 1
    assert info.value.code == outcome_unknown_code(action)
    assert info.value.action == action
    assert info.value.reaction is Reaction.CHECK_FIRST
    assert calls.calls == [(action, outcome_unknown_code(action), 1)]


def test_attach_lost_answer_says_attach_in_plain_words(
    fast_client: EcsClient, ecs: ScriptedEcs
) -> None:
    ecs.script(Reply(drop=True))
    with pytest.raises(OutcomeUnknownError) as info:
        fast_client.attach_network_interface(REGION, ENI, INSTANCE)
    assert info.value.code == "Transport.AttachOutcomeUnknown"
    assert "attach was sent" in info.value.entry.meaning


@pytest.mark.parametrize(
    ("code", "status"),
    [("InternalError", 500), ("UnknownError", 400), ("ServiceUnavailable", 503), ("New", 502)],
)
def test_server_error_is_outcome_unknown_with_code_and_request_id(
    client: EcsClient, ecs: ScriptedEcs, action: str, code: str, status: int
) -> None:
    ecs.script(error(code, status), Reply(body={"RequestId": "R2"}))
    with pytest.raises(OutcomeUnknownError) as info:
        CHANGES[action](client)
    assert len(ecs.seen) == 1
    assert (info.value.code, info.value.http_status) == (code, status)
    assert info.value.request_id == f"REQ-{code}"
    assert info.value.reaction is Reaction.CHECK_FIRST


def test_unreadable_answer_is_outcome_unknown(
    client: EcsClient, ecs: ScriptedEcs, action: str
) -> None:
    ecs.script(Reply(body=b"not json"), Reply())
    with pytest.raises(OutcomeUnknownError):
        CHANGES[action](client)
    assert len(ecs.seen) == 1


def test_throttling_is_retried_because_nothing_was_applied(
    client: EcsClient, ecs: ScriptedEcs, action: str
) -> None:
    ecs.script(error("Throttling.User", 400), Reply(body={"RequestId": "R2"}))
    assert CHANGES[action](client) == "R2"
    assert len(ecs.seen) == 2


@pytest.mark.parametrize("code", ["OperationConflict", "InvalidOperation.Conflict"])
def test_conflict_is_returned_to_the_caller_as_busy_not_resent(
    client: EcsClient, ecs: ScriptedEcs, action: str, code: str
) -> None:
    # Busy codes wait for the domain's budget (minutes), not the client's backoff (seconds).
    ecs.script(error(code, 409), Reply())
    with pytest.raises(EcsError) as info:
        CHANGES[action](client)
    assert not isinstance(info.value, OutcomeUnknownError)
    assert info.value.reaction is Reaction.RETRY_LATER
    assert len(ecs.seen) == 1


def test_attach_refusal_reads_with_the_attach_meaning(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(error("InvalidEcsId.NotFound", 404))
    with pytest.raises(EcsError) as info:
        client.attach_network_interface(REGION, ENI, INSTANCE)
    entry = info.value.entry
    # For a detach a vanished instance means "already free"; for an attach, nowhere to go.
    assert entry.reaction is Reaction.FAIL
    assert entry.action == ATTACH


# ---- find_network_interfaces ----


def _item(eni_id: str) -> dict[str, Any]:
    return {"NetworkInterfaceId": eni_id, "Status": "InUse", "Type": "Secondary"}


def _page(ids: list[str], token: str) -> Reply:
    return Reply(
        body={
            "RequestId": "REQ-F",
            "NextToken": token,
            "NetworkInterfaceSets": {"NetworkInterfaceSet": [_item(i) for i in ids]},
        }
    )


def test_find_sends_ecs_filters_and_follows_every_page(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(_page(["eni-a", "eni-b"], "t1"), _page(["eni-b", "eni-c"], "t2"), _page([], ""))
    found = client.find_network_interfaces(
        REGION,
        tags={"app": "shop", "env": "prod", "owner": None},
        instance_id=INSTANCE,
        eni_type=EniType.SECONDARY,
        status=EniStatus.IN_USE,
    )
    # A repeat across a page boundary is kept once, first sighting first.
    assert [e.eni_id for e in found] == ["eni-a", "eni-b", "eni-c"]
    first: Seen = ecs.seen[0]
    assert first.params == {
        "RegionId": REGION,
        "Tag.1.Key": "app",
        "Tag.1.Value": "shop",
        "Tag.2.Key": "env",
        "Tag.2.Value": "prod",
        "Tag.3.Key": "owner",
        "InstanceId": INSTANCE,
        "Type": "Secondary",
        "Status": "InUse",
        "MaxResults": "100",
    }
    assert [s.params.get("NextToken") for s in ecs.seen] == [None, "t1", "t2"]
    assert all(s.headers["x-acs-action"] == "DescribeNetworkInterfaces" for s in ecs.seen)


def test_find_page_size_is_sent(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(_page(["eni-a"], ""))
    client.find_network_interfaces(REGION, tags={"app": "x"}, page_size=500)
    assert ecs.seen[0].params["MaxResults"] == "500"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # no filter would list the whole region
        {"tags": {}},
        {"tags": {f"k{n}": "v" for n in range(21)}},
        {"tags": {"": "v"}},
        {"tags": {"app": "x"}, "page_size": 5},
        {"tags": {"app": "x"}, "page_size": 501},
        {"eni_type": EniType.UNKNOWN},
    ],
)
def test_find_refuses_a_selection_ecs_cannot_make(
    client: EcsClient, ecs: ScriptedEcs, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        client.find_network_interfaces(REGION, **kwargs)
    assert ecs.seen == []
