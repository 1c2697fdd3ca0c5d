"""The attach and reattach grammar: listed ENIs, an optional instance and region, the reason;
no selection. Properties over generated lines; the words are tests/slack/blocks/test_usage.py's.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.regions import PUBLIC_REGIONS
from bot.requests.commands import (
    CommandError,
    CommandProblem,
    DetachCommand,
    DetachFormCommand,
    ReattachCommand,
    Subcommand,
    parse_command,
)

ENIS = ("eni-bp1d7r2k9m4x6c3v5n", "eni-bp1k2j3h4g5f6d7s8a", "eni-bp1f3g7h1j5k9l2z6x")
INSTANCE = "i-bp1a3f9k2m7x4q8w6e"
DEFAULT = "cn-hangzhou"


def parse(text: str) -> object:
    return parse_command(text, default_region=DEFAULT, known_regions=PUBLIC_REGIONS)


def test_attach_lists_enis_an_instance_a_region_and_the_reason_in_any_order() -> None:
    parsed = parse(f"attach cn-shanghai {ENIS[0]} {INSTANCE} {ENIS[1]} {ENIS[0]} put them back")
    assert parsed == DetachCommand(
        operation="attach",
        eni_ids=ENIS[:2],  # a repeated ID counts once, in the order first typed
        instance_id=INSTANCE,
        region="cn-shanghai",
        region_given=True,
        reason="put them back",
    )


def test_attach_without_an_instance_leaves_it_to_the_history() -> None:
    parsed = parse(f"ATTACH {ENIS[2]} back where it was")
    assert isinstance(parsed, DetachCommand)
    assert (parsed.operation, parsed.instance_id, parsed.region) == ("attach", None, DEFAULT)
    assert not parsed.is_selection and parsed.selector is None


def test_attach_alone_opens_the_form_on_attach() -> None:
    assert parse("attach") == DetachFormCommand(operation="attach")
    assert parse("detach") == DetachFormCommand()  # detach stays the default


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"attach {INSTANCE} give it a spare", CommandProblem.NO_ENI_TO_ATTACH),
        ("attach just words", CommandProblem.NO_ENI_TO_ATTACH),
        (f"attach {ENIS[0]} tag:app=web r", CommandProblem.TAGS_NOT_FOR_ATTACH),
        ("attach tag:app=web r", CommandProblem.TAGS_NOT_FOR_ATTACH),
        (f"attach {ENIS[0]}", CommandProblem.NO_REASON),
        (f"attach {ENIS[0]} {INSTANCE} i-bp1zzzzzzzzz r", CommandProblem.TWO_INSTANCES),
        (f"attach {ENIS[0]} cn-hangzhou cn-shanghai r", CommandProblem.TWO_REGIONS),
        ("attach eni-x r", CommandProblem.NOT_AN_ENI_ID),
        (f"attach {ENIS[0]} cn-hangzou r", CommandProblem.UNKNOWN_REGION),
        (f"attach {ENIS[0]} " + "x" * 501, CommandProblem.REASON_TOO_LONG),
    ],
)
def test_attach_errors_are_codes_for_attach(text: str, problem: CommandProblem) -> None:
    parsed = parse(text)
    assert isinstance(parsed, CommandError)
    assert (parsed.problem, parsed.subcommand) == (problem, Subcommand.ATTACH)


@pytest.mark.parametrize(("text", "rid"), [("reattach 42", 42), ("REATTACH #7", 7)])
def test_reattach_names_one_request(text: str, rid: int) -> None:
    assert parse(text) == ReattachCommand(request_id=rid)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("reattach", CommandProblem.NO_REQUEST_ID),
        ("reattach 1 2", CommandProblem.EXTRA_REQUEST_ARGUMENTS),
        ("reattach eni-bp1d7r2k9m4x6c3v5n", CommandProblem.NOT_A_REQUEST_ID),
        ("reattach 0", CommandProblem.NOT_A_REQUEST_ID),
    ],
)
def test_reattach_errors(text: str, problem: CommandProblem) -> None:
    parsed = parse(text)
    assert isinstance(parsed, CommandError)
    assert (parsed.problem, parsed.subcommand) == (problem, Subcommand.REATTACH)


words = st.lists(
    st.one_of(
        st.sampled_from([*ENIS, INSTANCE, "cn-shanghai", "cn-hangzhou"]),
        st.text(st.characters(codec="utf-8"), max_size=10),
    ),
    max_size=8,
)


@given(ids=words, reason=st.text(max_size=40))
def test_any_attach_line_is_a_listed_attach_or_a_code(ids: list[str], reason: str) -> None:
    line = " ".join(["attach", *ids, reason])
    parsed = parse(line)
    if isinstance(parsed, DetachCommand):
        assert parsed.operation == "attach"
        assert parsed.eni_ids and not parsed.tags  # never a selection
        assert len(set(parsed.eni_ids)) == len(parsed.eni_ids)
        assert all(e in line for e in parsed.eni_ids)
        assert parsed.reason
    else:
        assert isinstance(parsed, CommandError | DetachFormCommand)
        if isinstance(parsed, CommandError):
            assert parsed.subcommand is Subcommand.ATTACH


@given(enis=st.lists(st.sampled_from(ENIS), min_size=1, max_size=6), instance=st.booleans())
def test_the_same_tokens_detach_or_attach_alike(enis: list[str], instance: bool) -> None:
    tail = " ".join([*enis, *([INSTANCE] if instance else []), "why not"])
    detach, attach = parse(f"detach {tail}"), parse(f"attach {tail}")
    assert isinstance(detach, DetachCommand) and isinstance(attach, DetachCommand)
    assert attach == detach.model_copy(update={"operation": "attach"})
    assert attach.eni_ids == tuple(dict.fromkeys(enis))


def test_an_attach_command_must_list_its_enis() -> None:
    with pytest.raises(ValueError, match="attach lists its ENI IDs"):
        DetachCommand(operation="attach", instance_id=INSTANCE, region=DEFAULT, reason="r")
