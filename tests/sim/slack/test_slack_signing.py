"""Our v0 signatures are exactly Slack's: slack_sdk's own verifier accepts them, forgeries fail."""

from __future__ import annotations

import pytest
from slack_sdk.signature import Clock, SignatureVerifier

from bot.sim.slack import Delivery, Forgery, SlackSender, sign
from bot.sim.slack.payloads import FORM

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = 1_732_611_111


class FixedClock(Clock):
    def now(self) -> float:
        return float(NOW)


def test_sign_matches_slacks_published_example() -> None:
    # The worked example from Slack's "Verifying requests from Slack" page.
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert sign(body, 1531420618, SECRET) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


def test_slack_sdk_verifier_accepts_every_kind_of_delivery() -> None:
    verifier = SignatureVerifier(SECRET, clock=FixedClock())
    sender = SlackSender("http://127.0.0.1:9/slack/events", SECRET, clock=lambda: float(NOW))
    for body in (b"a=b", b'{"type":"event_callback"}', "text=caf\u00e9 \u2603".encode()):
        signed = sender.prepare(body, FORM)
        assert verifier.is_valid_request(signed.body, signed.headers)
        assert verifier.is_valid_request(signed.body.decode(), signed.headers)
    sender.close()


@pytest.mark.parametrize("forgery", list(Forgery))
def test_every_forgery_is_rejected_by_slack_sdk(forgery: Forgery) -> None:
    verifier = SignatureVerifier(SECRET, clock=FixedClock())
    sender = SlackSender("http://127.0.0.1:9/slack/events", SECRET, clock=lambda: float(NOW))
    signed = sender.prepare(b"command=%2Feni&text=help", FORM, Delivery(forgery=forgery))
    assert not verifier.is_valid_request(signed.body, signed.headers)
    sender.close()


def test_stale_and_future_forgeries_are_well_signed_outside_the_window() -> None:
    sender = SlackSender("http://127.0.0.1:9/slack/events", SECRET, clock=lambda: float(NOW))
    for forgery in (Forgery.STALE, Forgery.FUTURE):
        signed = sender.prepare(b"x=1", FORM, Delivery(forgery=forgery))
        stamp = int(signed.headers["X-Slack-Request-Timestamp"])
        assert abs(stamp - NOW) > 300
        assert signed.headers["X-Slack-Signature"] == sign(b"x=1", stamp, SECRET)
    sender.close()


def test_retry_headers_and_repr_hide_the_signature() -> None:
    sender = SlackSender("http://127.0.0.1:9/slack/events", SECRET, clock=lambda: float(NOW))
    signed = sender.prepare(b"x=1", FORM, Delivery(retry_num=2, retry_reason="http_error"))
    assert signed.headers["X-Slack-Retry-Num"] == "2"
    assert signed.headers["X-Slack-Retry-Reason"] == "http_error"
    assert signed.headers["X-Slack-Signature"] not in repr(signed)
    assert SECRET not in repr(sender)
    sender.close()
