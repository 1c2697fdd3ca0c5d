"""Generated `/eni` lines over real HTTP: never a 5xx; a request is stored only when valid."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from slack_harness import (
    ENI,
    ENI_2,
    FREE_ENI,
    INSTANCE,
    MEMBER_ENI,
    PRIMARY_ENI,
    REQUESTER,
    Harness,
)

from bot.regions import PUBLIC_REGIONS
from bot.requests.commands import (
    CommandError,
    DetachCommand,
    DetachFormCommand,
    HelpCommand,
    parse_command,
)

fragments = st.sampled_from(
    [
        "detach",
        "attach",
        "reattach",
        "status",
        "list",
        "cancel",
        "retry",
        "help",
        "mine",
        "pending",
        "#1",
        "2",
        ENI,
        ENI_2,
        FREE_ENI,
        PRIMARY_ENI,
        MEMBER_ENI,
        INSTANCE,
        "cn-hangzhou",
        "cn-shanghai",
        "us-east-1",
        "eni-",
        "i-",
        "<!channel>",
        "<@U0APPROVER1>",
        "*bold*",
        "&amp;",
    ]
)
lines = st.one_of(
    st.text(max_size=80),
    st.lists(st.one_of(fragments, st.text(max_size=12)), max_size=8).map(" ".join),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=lines)
@example(text=f"detach {ENI} moving <!channel> *now*")
@example(text=f"detach {PRIMARY_ENI} cleanup")
@example(text="detach")
@example(text=f"attach {FREE_ENI} {INSTANCE} the spare back")
@example(text="reattach 1")
@example(text="cancel #1")
def test_generated_command_text(harness: Harness, text: str) -> None:
    requests_before = len(harness.requests())
    opened_before = len(harness.slack.calls("views.open"))
    response = harness.command(text, REQUESTER)
    assert response.status_code < 500
    assert response.status_code == 200
    parsed = parse_command(text, default_region="cn-hangzhou", known_regions=PUBLIC_REGIONS)
    if isinstance(parsed, CommandError | HelpCommand):
        assert response.json()["blocks"]  # answered in the ack itself
        assert len(harness.requests()) == requests_before
        return
    if isinstance(parsed, DetachFormCommand):
        harness.slack.wait_for_calls("views.open", opened_before + 1)
        assert len(harness.requests()) == requests_before
        return
    answer = harness.wait_response()
    stored = len(harness.requests()) - requests_before
    accepted = "waiting for approval" in answer.text
    assert stored == (1 if accepted else 0), answer.text
    if accepted:
        assert isinstance(parsed, DetachCommand)
        newest = harness.requests()[-1]
        assert newest.operation == parsed.operation
        if not parsed.is_selection:  # a selection's ENIs are what ECS found
            assert [t.eni_id for t in newest.targets] == list(parsed.eni_ids)
        assert newest.reason == parsed.reason
