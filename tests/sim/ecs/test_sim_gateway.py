"""Gateway checks on real HTTP: V3 and V1 signatures, clock window, nonces, STS tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sim_helpers import RawCaller, detach_params, timestamp

from bot.sim.ecs import EcsSimulator

DESCRIBE = "DescribeNetworkInterfaces"
PARAMS = {"RegionId": "cn-hangzhou", "NetworkInterfaceId.1": "eni-sec000001"}


def test_v3_query_params_accepted(raw: RawCaller) -> None:
    answer = raw.v3(DESCRIBE, PARAMS)
    assert answer.status == 200, answer.text
    assert answer.body["NetworkInterfaceSets"]["NetworkInterfaceSet"][0]["Status"] == "InUse"


def test_v3_form_body_accepted(raw: RawCaller) -> None:
    answer = raw.v3(DESCRIBE, PARAMS, form=True)
    assert answer.status == 200, answer.text
    assert answer.body["TotalCount"] == 1


def test_v3_get_accepted(raw: RawCaller) -> None:
    assert raw.v3(DESCRIBE, PARAMS, method="GET").status == 200


def test_v3_wrong_secret_is_signature_does_not_match(raw: RawCaller, sim: EcsSimulator) -> None:
    answer = raw.v3("DetachNetworkInterface", detach_params("eni-sec000001", "i-run000001"),
                    secret="wrong")  # fmt: skip
    assert (answer.status, answer.code) == (400, "SignatureDoesNotMatch")
    assert sim.calls.count("DetachNetworkInterface", "SignatureDoesNotMatch") == 1
    assert sim.calls.accepted_detaches("eni-sec000001") == 0


def test_v3_tampered_query_is_signature_does_not_match(raw: RawCaller) -> None:
    # Signed with one nonce, sent with another: what the server signs differs.
    answer = raw.v3(DESCRIBE, PARAMS, unsigned_headers={"x-acs-signature-nonce": "changed"})
    assert (answer.status, answer.code) == (400, "SignatureDoesNotMatch")


def test_v3_unsigned_acs_header_is_incomplete_signature(raw: RawCaller) -> None:
    answer = raw.v3(DESCRIBE, PARAMS, unsigned_headers={"x-acs-extra": "1"})
    assert (answer.status, answer.code) == (400, "IncompleteSignature")
    assert "x-acs-extra" in answer.body["Message"]


def test_v3_body_hash_mismatch_is_refused(raw: RawCaller) -> None:
    answer = raw.v3(DESCRIBE, PARAMS, body_sha="0" * 64)
    assert (answer.status, answer.code) == (400, "SignatureDoesNotMatch")
    assert "x-acs-content-sha256" in answer.body["Message"]


def test_v3_unknown_key(raw: RawCaller) -> None:
    answer = raw.v3(DESCRIBE, PARAMS, key_id="who-is-this")
    assert (answer.status, answer.code) == (404, "InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize("skew", [timedelta(minutes=-16), timedelta(minutes=16)])
def test_v3_stale_or_future_timestamp_expired(raw: RawCaller, skew: timedelta) -> None:
    answer = raw.v3(DESCRIBE, PARAMS, date=timestamp(skew))
    assert (answer.status, answer.code) == (400, "InvalidTimeStamp.Expired")


def test_v3_timestamp_within_window_accepted(raw: RawCaller) -> None:
    assert raw.v3(DESCRIBE, PARAMS, date=timestamp(timedelta(minutes=-14))).status == 200


def test_v3_bad_timestamp_format(raw: RawCaller) -> None:
    answer = raw.v3(DESCRIBE, PARAMS, date="yesterday")
    assert (answer.status, answer.code) == (400, "InvalidTimeStamp.Format")


def test_v3_reused_nonce(raw: RawCaller) -> None:
    assert raw.v3(DESCRIBE, PARAMS, nonce="same-nonce").status == 200
    answer = raw.v3(DESCRIBE, PARAMS, nonce="same-nonce")
    assert (answer.status, answer.code) == (400, "SignatureNonceUsed")


def test_rejected_request_does_not_burn_its_nonce(raw: RawCaller) -> None:
    assert raw.v3(DESCRIBE, PARAMS, nonce="n-1", secret="wrong").code == "SignatureDoesNotMatch"
    assert raw.v3(DESCRIBE, PARAMS, nonce="n-1").status == 200


def test_v3_missing_header_is_missing_parameter(raw: RawCaller) -> None:
    answer = raw.v3(DESCRIBE, PARAMS, extra_headers={"x-acs-signature-nonce": ""})
    assert (answer.status, answer.code) == (400, "MissingParameter")


def test_malformed_authorization_is_incomplete_signature(raw: RawCaller) -> None:
    response = raw.http.post(f"{raw.base_url}/", headers={"Authorization": "ACS3-HMAC-SHA256 x"})
    assert response.status_code == 400
    assert response.json()["Code"] == "IncompleteSignature"


class TestSts:
    def test_right_token_accepted(self, raw: RawCaller) -> None:
        answer = raw.v3(DESCRIBE, PARAMS, key_id="sts-key", secret="sts-secret",
                        token="CAIS+sts/token==")  # fmt: skip
        assert answer.status == 200, answer.text

    def test_missing_token_refused(self, raw: RawCaller) -> None:
        answer = raw.v3(DESCRIBE, PARAMS, key_id="sts-key", secret="sts-secret")
        assert (answer.status, answer.code) == (400, "InvalidSecurityToken.Malformed")

    def test_wrong_token_refused(self, raw: RawCaller) -> None:
        answer = raw.v3(DESCRIBE, PARAMS, key_id="sts-key", secret="sts-secret", token="other")
        assert (answer.status, answer.code) == (400, "InvalidSecurityToken.MismatchWithAccessKey")

    def test_token_with_permanent_key_refused(self, raw: RawCaller) -> None:
        answer = raw.v3(DESCRIBE, PARAMS, token="CAIS+sts/token==")
        assert answer.code == "InvalidSecurityToken.MismatchWithAccessKey"

    def test_expired_token_refused(self, raw: RawCaller) -> None:
        answer = raw.v3(DESCRIBE, PARAMS, key_id="old-sts-key", secret="old-secret",
                        token="old-token")  # fmt: skip
        assert (answer.status, answer.code) == (400, "InvalidSecurityToken.Expired")

    def test_v1_token_checked_too(self, raw: RawCaller) -> None:
        good = raw.v1(DESCRIBE, PARAMS, key_id="sts-key", secret="sts-secret",
                      token="CAIS+sts/token==")  # fmt: skip
        assert good.status == 200, good.text
        bad = raw.v1(DESCRIBE, PARAMS, key_id="sts-key", secret="sts-secret", token="nope")
        assert bad.code == "InvalidSecurityToken.MismatchWithAccessKey"

    def test_sts_tokens_argument_configures_a_key(self, clock: object) -> None:
        from sim_helpers import small_world

        with EcsSimulator(small_world(), keys={"k": "s"}, sts_tokens={"k": "tok"}) as sim:
            caller = RawCaller(sim.url)
            try:
                assert (
                    caller.v3(DESCRIBE, PARAMS, key_id="k", secret="s", token="tok").status == 200
                )
                assert caller.v3(DESCRIBE, PARAMS, key_id="k", secret="s").code == (
                    "InvalidSecurityToken.Malformed"
                )
            finally:
                caller.close()


class TestV1:
    def test_get_accepted(self, raw: RawCaller) -> None:
        answer = raw.v1(DESCRIBE, PARAMS)
        assert answer.status == 200, answer.text
        assert answer.body["NetworkInterfaceSets"]["NetworkInterfaceSet"][0][
            "NetworkInterfaceId"
        ] == ("eni-sec000001")

    def test_post_form_accepted_and_detach_applied(self, raw: RawCaller, sim: EcsSimulator) -> None:
        answer = raw.v1("DetachNetworkInterface", detach_params("eni-sec000001", "i-run000001"),
                        method="POST")  # fmt: skip
        assert answer.status == 200, answer.text
        assert sim.calls.accepted_detaches("eni-sec000001") == 1

    def test_special_characters_round_trip(self, raw: RawCaller) -> None:
        params = {**PARAMS, "NetworkInterfaceName": "a b*c~d/e+fé"}
        assert raw.v1(DESCRIBE, params).status == 200
        assert raw.v3(DESCRIBE, params).status == 200

    def test_wrong_secret(self, raw: RawCaller) -> None:
        answer = raw.v1(DESCRIBE, PARAMS, secret="wrong")
        assert (answer.status, answer.code) == (400, "SignatureDoesNotMatch")
        assert "server string to sign is:GET&%2F&" in answer.body["Message"]

    def test_unknown_key(self, raw: RawCaller) -> None:
        assert raw.v1(DESCRIBE, PARAMS, key_id="nobody").code == "InvalidAccessKeyId.NotFound"

    def test_stale_timestamp(self, raw: RawCaller) -> None:
        answer = raw.v1(DESCRIBE, PARAMS, stamp=timestamp(timedelta(minutes=-20)))
        assert answer.code == "InvalidTimeStamp.Expired"

    def test_reused_nonce(self, raw: RawCaller) -> None:
        assert raw.v1(DESCRIBE, PARAMS, nonce="v1-nonce").status == 200
        assert raw.v1(DESCRIBE, PARAMS, nonce="v1-nonce").code == "SignatureNonceUsed"

    def test_missing_signature_is_missing_parameter(self, raw: RawCaller) -> None:
        response = raw.http.get(f"{raw.base_url}/?Action=DescribeInstances&Format=JSON")
        assert response.status_code == 400
        assert response.json()["Code"] == "MissingParameter"
