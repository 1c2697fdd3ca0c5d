"""The client against a real loopback HTTP server: wire format, batching, retries, errors."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from scripted_ecs import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    Calls,
    Reply,
    ScriptedEcs,
    Seen,
    error,
)

from bot.ecs.client import EcsClient
from bot.ecs.credentials import Credential, StaticCredentials
from bot.ecs.errors import EcsError, EcsTransportError, OutcomeUnknownError, Reaction
from bot.ecs.models import EniStatus, InstanceStatus
from bot.ecs.retry import RetryPolicy
from bot.ecs.signer import EMPTY_PAYLOAD_SHA256

from support.clock import Clock

REGION = "cn-hangzhou"
ENI = "eni-bp67acfmxazb4p1234"
INSTANCE = "i-bp67acfmxazb4p5678"


def eni_item(eni_id: str, status: str = "InUse") -> dict[str, Any]:
    return {"NetworkInterfaceId": eni_id, "Status": status, "Type": "Secondary"}


def enis_reply(*ids: str, next_token: str = "") -> Reply:
    return Reply(
        body={
            "RequestId": "REQ-D",
            "NextToken": next_token,
            "NetworkInterfaceSets": {"NetworkInterfaceSet": [eni_item(i) for i in ids]},
        }
    )


def echo_enis(seen: Seen) -> Reply:
    """Answer a DescribeNetworkInterfaces with every ID it asked for."""
    numbered = {
        int(k.split(".")[1]): v
        for k, v in seen.params.items()
        if k.startswith("NetworkInterfaceId.")
    }
    return enis_reply(*(numbered[n] for n in sorted(numbered)))


# ---- the wire ----


def test_detach_wire_request_is_signed_exactly_as_sent(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(Reply(body={"RequestId": "473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E"}))
    assert client.detach_network_interface(REGION, ENI, INSTANCE) == (
        "473469C7-AA6F-4DC5-B3DB-A3DC0DE3C83E"
    )
    [seen] = ecs.seen
    assert seen.method == "POST"
    assert seen.path == "/"
    assert seen.raw_query == (f"InstanceId={INSTANCE}&NetworkInterfaceId={ENI}&RegionId={REGION}")
    assert seen.body == b""
    assert seen.headers["host"] == ecs.url.removeprefix("http://")
    assert seen.headers["x-acs-action"] == "DetachNetworkInterface"
    assert seen.headers["x-acs-version"] == "2014-05-26"
    assert seen.headers["x-acs-content-sha256"] == EMPTY_PAYLOAD_SHA256
    assert seen.headers["x-acs-date"].endswith("Z")
    assert len(seen.headers["x-acs-signature-nonce"]) == 32
    assert "x-acs-security-token" not in seen.headers
    assert "action" not in {k.lower() for k in seen.params}
    assert seen.headers["authorization"].startswith(
        f"ACS3-HMAC-SHA256 Credential={ACCESS_KEY_ID},SignedHeaders=host;x-acs-action;"
    )
    assert seen.signature_ok
    assert seen.query_is_canonical


def test_special_characters_are_sent_as_signed(ecs: ScriptedEcs, policy: RetryPolicy) -> None:
    ecs.responder = echo_enis
    odd = "eni-a b*c~d/e+fé"
    with EcsClient(
        credentials=StaticCredentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
        endpoint=ecs.url,
        retry=policy,
    ) as client:
        [eni] = client.describe_network_interfaces(REGION, [odd])
    assert eni.eni_id == odd
    [seen] = ecs.seen
    assert "NetworkInterfaceId.1=eni-a%20b%2Ac~d%2Fe%2Bf%C3%A9" in seen.raw_query
    assert seen.signature_ok


def test_sts_token_is_sent_and_signed(ecs: ScriptedEcs, policy: RetryPolicy) -> None:
    class Rotating:
        def __init__(self) -> None:
            self.n = 0

        def get(self) -> Credential:
            self.n += 1
            return Credential(ACCESS_KEY_ID, ACCESS_KEY_SECRET, f"token-{self.n}")

    with EcsClient(credentials=Rotating(), endpoint=ecs.url, retry=policy) as client:
        client.detach_network_interface(REGION, ENI, INSTANCE)
        client.detach_network_interface(REGION, ENI, INSTANCE)
    first, second = ecs.seen
    assert first.headers["x-acs-security-token"] == "token-1"
    assert second.headers["x-acs-security-token"] == "token-2"
    assert "x-acs-security-token" in first.headers["authorization"]
    assert first.signature_ok
    assert second.signature_ok


def test_each_attempt_has_a_fresh_nonce(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(error("Throttling"), Reply())
    client.detach_network_interface(REGION, ENI, INSTANCE)
    nonces = {seen.headers["x-acs-signature-nonce"] for seen in ecs.seen}
    assert len(nonces) == 2


def test_wrong_secret_is_detected_by_the_server(ecs: ScriptedEcs, policy: RetryPolicy) -> None:
    with EcsClient(
        credentials=StaticCredentials(ACCESS_KEY_ID, "another-secret"),
        endpoint=ecs.url,
        retry=policy,
    ) as client:
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert not ecs.seen[0].signature_ok


# ---- batching and pagination ----


def test_250_enis_take_3_calls_of_at_most_100(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.responder = echo_enis
    ids = [f"eni-{n:05d}" for n in range(250)]
    enis = client.describe_network_interfaces(REGION, ids)
    assert [e.eni_id for e in enis] == ids
    assert all(e.status is EniStatus.IN_USE and e.region_id == REGION for e in enis)
    assert len(ecs.seen) == 3
    sizes = [sum(k.startswith("NetworkInterfaceId.") for k in seen.params) for seen in ecs.seen]
    assert sizes == [100, 100, 50]
    first = ecs.seen[0].params
    assert first["NetworkInterfaceId.1"] == "eni-00000"
    assert first["NetworkInterfaceId.100"] == "eni-00099"
    assert first["MaxResults"] == "100"
    assert first["RegionId"] == REGION
    assert all(seen.action == "DescribeNetworkInterfaces" for seen in ecs.seen)


def test_duplicates_and_empty_input(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.responder = echo_enis
    assert client.describe_network_interfaces(REGION, []) == []
    assert ecs.seen == []
    client.describe_network_interfaces(REGION, ["eni-1", "eni-1", "eni-2"])
    assert ecs.seen[0].params.keys() >= {"NetworkInterfaceId.1", "NetworkInterfaceId.2"}
    assert "NetworkInterfaceId.3" not in ecs.seen[0].params


def test_next_token_is_followed(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(
        enis_reply("eni-1", next_token="page-2"),
        enis_reply("eni-2", next_token="page-3"),
        enis_reply("eni-3"),
    )
    enis = client.describe_network_interfaces(REGION, ["eni-1", "eni-2", "eni-3"])
    assert [e.eni_id for e in enis] == ["eni-1", "eni-2", "eni-3"]
    tokens = [seen.params.get("NextToken") for seen in ecs.seen]
    assert tokens == [None, "page-2", "page-3"]
    assert all(seen.params["NetworkInterfaceId.3"] == "eni-3" for seen in ecs.seen)


def test_unknown_enis_are_simply_absent(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(enis_reply("eni-known"))
    enis = client.describe_network_interfaces(REGION, ["eni-known", "eni-gone"])
    assert [e.eni_id for e in enis] == ["eni-known"]


def test_describe_instances_sends_json_array(client: EcsClient, ecs: ScriptedEcs) -> None:
    def answer(seen: Seen) -> Reply:
        ids = json.loads(seen.params["InstanceIds"])
        return Reply(
            body={
                "RequestId": "REQ-I",
                "Instances": {
                    "Instance": [
                        {"InstanceId": i, "Status": "Running", "InstanceType": "ecs.g7.large"}
                        for i in ids
                    ]
                },
            }
        )

    ecs.responder = answer
    ids = [f"i-{n:04d}" for n in range(150)]
    instances = client.describe_instances(REGION, ids)
    assert [i.instance_id for i in instances] == ids
    assert all(i.status is InstanceStatus.RUNNING for i in instances)
    assert len(ecs.seen) == 2
    assert ecs.seen[0].params["InstanceIds"] == json.dumps(ids[:100], separators=(",", ":"))
    assert ecs.seen[0].params["PageSize"] == "100"
    assert ecs.seen[0].action == "DescribeInstances"
    assert all(seen.signature_ok for seen in ecs.seen)


def test_one_string_instead_of_a_list_is_refused(client: EcsClient) -> None:
    with pytest.raises(TypeError):
        client.describe_network_interfaces(REGION, "eni-1")


# ---- retries ----


def test_throttling_is_retried_then_succeeds(
    client: EcsClient, ecs: ScriptedEcs, sleeps: Clock, calls: Calls
) -> None:
    ecs.script(error("Throttling.User"), error("Throttling"), Reply(body={"RequestId": "R3"}))
    assert client.detach_network_interface(REGION, ENI, INSTANCE) == "R3"
    assert len(ecs.seen) == 3
    assert sleeps.slept == [0.1, 0.2]  # full jitter at its ceiling: 0.1 * 2**(n-1)
    assert calls.calls == [
        ("DetachNetworkInterface", "Throttling.User", 1),
        ("DetachNetworkInterface", "Throttling", 2),
        ("DetachNetworkInterface", "OK", 3),
    ]


@pytest.mark.parametrize(
    ("code", "status"),
    [("ServiceUnavailable", 503), ("InternalError", 500), ("UnknownError", 400)],
)
def test_server_errors_on_describe_are_retried(
    client: EcsClient, ecs: ScriptedEcs, code: str, status: int
) -> None:
    ecs.script(error(code, status), enis_reply(ENI))
    [eni] = client.describe_network_interfaces(REGION, [ENI])
    assert eni.eni_id == ENI
    assert len(ecs.seen) == 2


def test_garbage_5xx_is_retried_and_then_raised(
    client: EcsClient, ecs: ScriptedEcs, calls: Calls
) -> None:
    ecs.script(*[Reply(status=502, body=b"<html>Bad Gateway</html>")] * 4)
    with pytest.raises(EcsError) as info:
        client.describe_instances(REGION, ["i-1"])
    assert len(ecs.seen) == 4
    assert info.value.code == "HTTP.502"
    assert info.value.http_status == 502
    assert "Bad Gateway" in info.value.message
    assert info.value.reaction is Reaction.RETRY_NOW
    assert [c[2] for c in calls.calls] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("SignatureDoesNotMatch", 400),
        ("InvalidParameter", 400),
        ("InvalidAccessKeyId.NotFound", 404),
        ("Forbidden.RAM", 403),
        ("InvalidOperation.InvalidEniState", 400),
        ("InvalidEniId.NotFound", 404),
        ("MissingParameter", 400),
    ],
)
def test_non_retryable_codes_fail_at_once(
    client: EcsClient, ecs: ScriptedEcs, sleeps: Clock, code: str, status: int
) -> None:
    ecs.script(error(code, status, message="The specified %s is wrong."))
    with pytest.raises(EcsError) as info:
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert len(ecs.seen) == 1
    assert sleeps.slept == []
    err = info.value
    assert type(err) is EcsError
    assert err.code == code
    assert err.http_status == status
    assert err.request_id == f"REQ-{code}"
    assert err.message == "The specified %s is wrong."
    assert err.recommend is not None
    assert err.recommend.startswith("https://api.aliyun.com/troubleshoot")
    assert err.host_id == "ecs.aliyuncs.com"
    assert err.action == "DetachNetworkInterface"


def test_retry_after_header_is_honoured(client: EcsClient, ecs: ScriptedEcs, sleeps: Clock) -> None:
    ecs.script(error("Throttling", headers={"x-acs-retry-after": "2500"}), Reply())
    client.detach_network_interface(REGION, ENI, INSTANCE)
    assert sleeps.slept == [2.5]  # milliseconds, as the official SDK reads it


def test_retries_stop_after_max_attempts(
    client: EcsClient, ecs: ScriptedEcs, sleeps: Clock
) -> None:
    ecs.script(*[error("Throttling")] * 10)
    with pytest.raises(EcsError) as info:
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert info.value.code == "Throttling"
    assert len(ecs.seen) == 4
    assert len(sleeps.slept) == 3


def test_retries_stop_when_the_total_budget_would_be_exceeded(ecs: ScriptedEcs) -> None:
    sleeps = Clock()
    policy = RetryPolicy(
        max_attempts=10, base_delay=1.0, max_delay=1.0, max_total=5.0,
        sleep=sleeps.sleep, random=lambda: 1.0, clock=sleeps.monotonic,
    )  # fmt: skip
    ecs.script(*[error("Throttling", headers={"x-acs-retry-after": "3000"})] * 10)
    with (
        EcsClient(
            credentials=StaticCredentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
            endpoint=ecs.url,
            retry=policy,
        ) as client,
        pytest.raises(EcsError),
    ):
        client.detach_network_interface(REGION, ENI, INSTANCE)
    # A 3 s hint fits once in 5 s of budget, not twice.
    assert sleeps.slept == [3.0]
    assert len(ecs.seen) == 2


# ---- timeouts and lost answers ----


@pytest.fixture
def fast_client(ecs: ScriptedEcs, policy: RetryPolicy, calls: Calls) -> Iterator[EcsClient]:
    # 0.5 s budget: read timeout 0.25 s, so a hanging answer fails quickly.
    with EcsClient(
        credentials=StaticCredentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
        endpoint=ecs.url,
        timeout=0.5,
        retry=policy,
        observer=calls,
    ) as c:
        yield c


def test_detach_read_timeout_is_outcome_unknown_and_never_resent(
    fast_client: EcsClient, ecs: ScriptedEcs, calls: Calls
) -> None:
    ecs.script(Reply(hang=True), Reply())
    with pytest.raises(OutcomeUnknownError) as info:
        fast_client.detach_network_interface(REGION, ENI, INSTANCE)
    assert len(ecs.seen) == 1
    assert info.value.reaction is Reaction.CHECK_FIRST
    assert calls.calls == [("DetachNetworkInterface", "Transport.DetachOutcomeUnknown", 1)]


def test_detach_dropped_connection_is_outcome_unknown(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(Reply(drop=True), Reply())
    with pytest.raises(OutcomeUnknownError):
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert len(ecs.seen) == 1


def test_detach_2xx_garbage_is_outcome_unknown(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(Reply(body=b"not json"))
    with pytest.raises(OutcomeUnknownError):
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert len(ecs.seen) == 1


@pytest.mark.parametrize("status", [502, 504])
def test_detach_proxy_gateway_error_is_outcome_unknown(
    client: EcsClient, ecs: ScriptedEcs, status: int
) -> None:
    ecs.script(Reply(status=status, body=b"<html>Gateway Timeout</html>"), Reply())
    with pytest.raises(OutcomeUnknownError) as info:
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert info.value.http_status == status
    assert len(ecs.seen) == 1


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("InternalError", 500),
        ("UnknownError", 400),
        ("ServiceUnavailable", 503),
        ("ServiceUnavailable.RegionMaintaining", 503),
        ("InternalError", 400),
        ("SomethingNew", 500),
    ],
)
def test_detach_server_error_is_outcome_unknown_and_never_resent(
    client: EcsClient, ecs: ScriptedEcs, code: str, status: int
) -> None:
    # ECS may have applied a Detach it answered with a server error (CONTRACT, Hardening 0.2):
    # a second Detach would be refused as busy once the first lands, so never send it here.
    ecs.script(error(code, status), Reply(body={"RequestId": "R2"}))
    with pytest.raises(OutcomeUnknownError) as info:
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert len(ecs.seen) == 1
    assert info.value.code == code
    assert info.value.request_id == f"REQ-{code}"
    assert info.value.reaction is Reaction.CHECK_FIRST


@pytest.mark.parametrize("code", ["Throttling", "Throttling.User", "Rejected.Throttling"])
def test_detach_throttling_is_retried_because_nothing_was_applied(
    client: EcsClient, ecs: ScriptedEcs, code: str
) -> None:
    ecs.script(error(code, 400), Reply(body={"RequestId": "R2"}))
    assert client.detach_network_interface(REGION, ENI, INSTANCE) == "R2"
    assert len(ecs.seen) == 2


def test_describe_server_error_is_still_retried(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(error("InternalError", 500), enis_reply(ENI))
    [eni] = client.describe_network_interfaces(REGION, [ENI])
    assert eni.eni_id == ENI
    assert len(ecs.seen) == 2


def test_undecodable_detach_answer_is_outcome_unknown(client: EcsClient, ecs: ScriptedEcs) -> None:
    # A body that claims gzip but is not: httpx raises DecodingError, which is no TransportError.
    broken = Reply(body=b"not gzip at all", headers={"content-encoding": "gzip"})
    ecs.script(broken, Reply())
    with pytest.raises(OutcomeUnknownError) as info:
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert info.value.code == "Transport.DetachOutcomeUnknown"
    assert len(ecs.seen) == 1


def test_undecodable_describe_answer_is_retried_then_typed(
    client: EcsClient, ecs: ScriptedEcs
) -> None:
    broken = Reply(body=b"not gzip at all", headers={"content-encoding": "gzip"})
    ecs.script(broken, enis_reply(ENI))
    [eni] = client.describe_network_interfaces(REGION, [ENI])
    assert eni.eni_id == ENI
    ecs.script(*[broken] * 4)
    with pytest.raises(EcsTransportError) as info:
        client.describe_network_interfaces(REGION, [ENI])
    assert info.value.code == "Transport.Error"


def test_describe_timeout_is_retried(
    fast_client: EcsClient, ecs: ScriptedEcs, calls: Calls
) -> None:
    ecs.script(Reply(hang=True), enis_reply(ENI))
    [eni] = fast_client.describe_network_interfaces(REGION, [ENI])
    assert eni.eni_id == ENI
    assert len(ecs.seen) == 2
    assert calls.calls == [
        ("DescribeNetworkInterfaces", "Transport.Timeout", 1),
        ("DescribeNetworkInterfaces", "OK", 2),
    ]


def test_describe_timeouts_exhausted_raise_transport_error(
    fast_client: EcsClient, ecs: ScriptedEcs
) -> None:
    ecs.script(*[Reply(hang=True)] * 4)
    with pytest.raises(EcsTransportError) as info:
        fast_client.describe_network_interfaces(REGION, [ENI])
    assert info.value.code == "Transport.Timeout"
    assert info.value.reaction is Reaction.RETRY_NOW
    assert len(ecs.seen) == 4


def test_describe_dropped_connection_is_retried(
    client: EcsClient, ecs: ScriptedEcs, calls: Calls
) -> None:
    ecs.script(Reply(drop=True), enis_reply(ENI))
    assert len(client.describe_network_interfaces(REGION, [ENI])) == 1
    assert [c[1] for c in calls.calls] == ["Transport.Error", "OK"]


def test_describe_garbage_2xx_is_retried(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(Reply(body=b"\x00garbage"), enis_reply(ENI))
    assert len(client.describe_network_interfaces(REGION, [ENI])) == 1
    assert len(ecs.seen) == 2


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connect_error_before_sending_is_retried_even_for_detach(
    policy: RetryPolicy, sleeps: Clock, calls: Calls
) -> None:
    with (
        EcsClient(
            credentials=StaticCredentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
            endpoint=f"http://127.0.0.1:{closed_port()}",
            retry=policy,
            observer=calls,
        ) as client,
        pytest.raises(EcsTransportError) as info,
    ):
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert info.value.code == "Transport.ConnectError"
    assert not isinstance(info.value, OutcomeUnknownError)
    assert [c[1] for c in calls.calls] == ["Transport.ConnectError"] * 4
    assert len(sleeps.slept) == 3


# ---- error bodies ----


def test_xml_error_body(client: EcsClient, ecs: ScriptedEcs) -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>X-1</RequestId>'
        b"<HostId>ecs.aliyuncs.com</HostId><Code>InvalidParams.EniId</Code>"
        b"<Message>The ENI &quot;%s&quot; is invalid.</Message></Error>"
    )
    ecs.script(Reply(status=400, body=body, headers={"content-type": "text/xml;charset=utf-8"}))
    with pytest.raises(EcsError) as info:
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert info.value.code == "InvalidParams.EniId"
    assert info.value.message == 'The ENI "%s" is invalid.'
    assert info.value.request_id == "X-1"


def test_lower_camel_json_error_body(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(Reply(status=403, body={"code": "Forbidden.RAM", "message": "no", "requestId": "r"}))
    with pytest.raises(EcsError) as info:
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert (info.value.code, info.value.message, info.value.request_id) == (
        "Forbidden.RAM",
        "no",
        "r",
    )


def test_garbage_4xx_body_fails_with_http_code(client: EcsClient, ecs: ScriptedEcs) -> None:
    ecs.script(Reply(status=418, body=b"I'm a teapot " * 100))
    with pytest.raises(EcsError) as info:
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert info.value.code == "HTTP.418"
    assert info.value.reaction is Reaction.FAIL
    assert len(info.value.message) < 400
    assert len(ecs.seen) == 1


# ---- secrets ----


def test_secrets_never_in_errors_or_logs(
    ecs: ScriptedEcs, policy: RetryPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    secret, token = "s3cr3t-value-XYZ", "sts-token-ABC"
    # A hostile or buggy server echoing the credentials back must not leak them further.
    ecs.script(
        error("Throttling", message=f"echo {secret} {token}"),
        error("SignatureDoesNotMatch", message=f"string to sign {secret} {token}"),
    )
    caplog.set_level(logging.DEBUG)
    with (
        EcsClient(
            credentials=StaticCredentials(ACCESS_KEY_ID, secret, token),
            endpoint=ecs.url,
            retry=policy,
        ) as client,
        pytest.raises(EcsError) as info,
    ):
        client.detach_network_interface(REGION, ENI, INSTANCE)
    texts = [str(info.value), repr(info.value), info.value.message, caplog.text, repr(client)]
    for text in texts:
        assert secret not in text
        assert token not in text
        assert "authorization" not in text.lower()
    assert "<redacted>" in info.value.message
    assert "action=DetachNetworkInterface" in caplog.text
    assert "REQ-SignatureDoesNotMatch" in caplog.text


# ---- construction ----


def test_regional_endpoint_refuses_malformed_region() -> None:
    with (
        EcsClient(credentials=StaticCredentials("a", "b")) as client,
        pytest.raises(EcsError) as info,
    ):
        client.describe_instances("evil.com/x?", ["i-1"])
    assert info.value.code == "InvalidOperation.InvalidRegion"


@pytest.mark.parametrize("endpoint", ["ftp://x", "http://", "http://h/?a=b", "no-scheme"])
def test_bad_endpoint_is_refused(endpoint: str) -> None:
    with pytest.raises(ValueError, match="endpoint"):
        EcsClient(credentials=StaticCredentials("a", "b"), endpoint=endpoint)


@pytest.mark.parametrize("timeout", [0, -1, 20.5])
def test_timeout_is_bounded(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        EcsClient(credentials=StaticCredentials("a", "b"), timeout=timeout)


def test_endpoint_with_path_prefix_is_signed_with_that_path(
    ecs: ScriptedEcs, policy: RetryPolicy
) -> None:
    with EcsClient(
        credentials=StaticCredentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
        endpoint=ecs.url + "/proxy",
        retry=policy,
    ) as client:
        client.detach_network_interface(REGION, ENI, INSTANCE)
    assert ecs.seen[0].path == "/proxy/"
    assert ecs.seen[0].signature_ok


def test_observer_failure_does_not_break_the_call(
    ecs: ScriptedEcs, policy: RetryPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        def on_call(self, action: str, code: str, seconds: float, attempt: int) -> None:
            raise RuntimeError("metrics down")

    with EcsClient(
        credentials=StaticCredentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
        endpoint=ecs.url,
        retry=policy,
        observer=Broken(),
    ) as client:
        assert client.detach_network_interface(REGION, ENI, INSTANCE) == "REQ-OK"
    assert "observer failed" in caplog.text
