"""The `/eni` grammar: shapes, errors as codes with what they are about, properties over any text.

The words for each error are `bot.slack.blocks.usage`'s (tests/slack/blocks/test_usage.py).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.regions import PUBLIC_REGIONS
from bot.requests.commands import (
    MAX_REASON_LENGTH,
    CancelCommand,
    CommandError,
    CommandProblem,
    DetachCommand,
    DetachFormCommand,
    HelpCommand,
    ListCommand,
    ListScope,
    RetryCommand,
    StatusCommand,
    Subcommand,
    parse_command,
    parse_request_id,
)

ENI = "eni-bp1d7r2k9m4x6c3v5n"
INSTANCE = "i-bp1a3f9k2m7x4q8w6e"
DEFAULT = "cn-hangzhou"


def parse(text: str) -> object:
    return parse_command(text, default_region=DEFAULT, known_regions=PUBLIC_REGIONS)


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "help me please", "?"])
def test_nothing_or_help_shows_help(text: str) -> None:
    assert parse(text) == HelpCommand()


def test_detach_alone_opens_the_form() -> None:
    assert parse("detach") == DetachFormCommand()
    assert parse("  detach   ") == DetachFormCommand()


@pytest.mark.parametrize(
    "text",
    [
        f"detach {ENI} {INSTANCE} cn-shanghai rotate the app network",
        f"detach cn-shanghai {ENI} {INSTANCE} rotate the app network",
        f"detach {INSTANCE} cn-shanghai {ENI}   rotate the app network",
        f"DETACH {ENI}\t{INSTANCE}  cn-shanghai rotate the app network",
    ],
)
def test_detach_tokens_are_recognised_by_shape_in_any_order(text: str) -> None:
    assert parse(text) == DetachCommand(
        eni_id=ENI,
        instance_id=INSTANCE,
        region="cn-shanghai",
        region_given=True,
        reason="rotate the app network",
    )


def test_detach_defaults_region_and_leaves_instance_to_the_attachment() -> None:
    parsed = parse(f"detach {ENI} the reason, with i-words and eni-{ENI} later")
    assert isinstance(parsed, DetachCommand)
    assert parsed.region == DEFAULT and not parsed.region_given
    assert parsed.instance_id is None
    # Once the reason starts, ID-shaped words are just words.
    assert parsed.reason == f"the reason, with i-words and eni-{ENI} later"


def test_region_shaped_reason_words_are_not_regions() -> None:
    parsed = parse(f"detach {ENI} re-attach it to the new host")
    assert isinstance(parsed, DetachCommand)
    assert parsed.reason == "re-attach it to the new host"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("detach just because", CommandError(CommandProblem.NO_ENI, Subcommand.DETACH)),
        (f"detach {ENI}", CommandError(CommandProblem.NO_REASON, Subcommand.DETACH)),
        (
            f"detach {ENI} {INSTANCE} cn-shanghai",
            CommandError(CommandProblem.NO_REASON, Subcommand.DETACH),
        ),
        (
            f"detach {ENI} eni-bp1zzzzzzzzzzzzzzzzz reason",
            CommandError(
                CommandProblem.TWO_ENIS,
                Subcommand.DETACH,
                token="eni-bp1zzzzzzzzzzzzzzzzz",
                earlier=ENI,
            ),
        ),
        (
            f"detach {ENI} {INSTANCE} i-bp1zzzzzzzzzzzzzzzzz reason",
            CommandError(
                CommandProblem.TWO_INSTANCES,
                Subcommand.DETACH,
                token="i-bp1zzzzzzzzzzzzzzzzz",
                earlier=INSTANCE,
            ),
        ),
        (
            f"detach {ENI} cn-hangzhou cn-shanghai reason",
            CommandError(
                CommandProblem.TWO_REGIONS,
                Subcommand.DETACH,
                token="cn-shanghai",
                earlier="cn-hangzhou",
            ),
        ),
        (
            "detach eni-x reason",
            CommandError(CommandProblem.NOT_AN_ENI_ID, Subcommand.DETACH, token="eni-x"),
        ),
        (
            f"detach {ENI} i-? reason",
            CommandError(CommandProblem.NOT_AN_INSTANCE_ID, Subcommand.DETACH, token="i-?"),
        ),
        (
            f"detach {ENI} cn-hangzou reason",
            CommandError(
                CommandProblem.UNKNOWN_REGION,
                Subcommand.DETACH,
                token="cn-hangzou",
                example=DEFAULT,
            ),
        ),
        (
            f"detach {ENI} " + "x" * (MAX_REASON_LENGTH + 1),
            CommandError(
                CommandProblem.REASON_TOO_LONG, Subcommand.DETACH, length=MAX_REASON_LENGTH + 1
            ),
        ),
    ],
)
def test_detach_errors_say_what_is_wrong_and_with_which_word(
    text: str, expected: CommandError
) -> None:
    assert parse(text) == expected


def test_reason_at_the_cap_is_accepted() -> None:
    parsed = parse(f"detach {ENI} " + "x" * MAX_REASON_LENGTH)
    assert isinstance(parsed, DetachCommand)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status 42", StatusCommand(request_id=42)),
        ("status #42", StatusCommand(request_id=42)),
        (f"status {ENI}", StatusCommand(eni_id=ENI)),
        ("list", ListCommand(scope=ListScope.OPEN)),
        ("list mine", ListCommand(scope=ListScope.MINE)),
        ("list PENDING", ListCommand(scope=ListScope.PENDING)),
        ("cancel #7", CancelCommand(request_id=7)),
        ("retry 7", RetryCommand(request_id=7)),
    ],
)
def test_other_subcommands(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "sub", "problem", "token"),
    [
        ("status", Subcommand.STATUS, CommandProblem.NO_STATUS_TARGET, ""),
        ("status 1 2", Subcommand.STATUS, CommandProblem.EXTRA_STATUS_ARGUMENTS, ""),
        ("status i-abcdefgh", Subcommand.STATUS, CommandProblem.NOT_A_STATUS_TARGET, "i-abcdefgh"),
        ("list everything", Subcommand.LIST, CommandProblem.NOT_A_LIST_SCOPE, "everything"),
        ("list mine open", Subcommand.LIST, CommandProblem.EXTRA_LIST_ARGUMENTS, ""),
        ("cancel", Subcommand.CANCEL, CommandProblem.NO_REQUEST_ID, ""),
        ("cancel abc", Subcommand.CANCEL, CommandProblem.NOT_A_REQUEST_ID, "abc"),
        ("cancel 0", Subcommand.CANCEL, CommandProblem.NOT_A_REQUEST_ID, "0"),
        ("cancel 99999999999", Subcommand.CANCEL, CommandProblem.NOT_A_REQUEST_ID, "99999999999"),
        ("retry 1 2", Subcommand.RETRY, CommandProblem.EXTRA_REQUEST_ARGUMENTS, ""),
    ],
)
def test_argument_errors_name_their_subcommand(
    text: str, sub: Subcommand, problem: CommandProblem, token: str
) -> None:
    assert parse(text) == CommandError(problem, sub, token=token)


def test_unknown_subcommand_names_the_word_and_no_subcommand() -> None:
    assert parse("Frobnicate eni-1") == CommandError(
        CommandProblem.UNKNOWN_SUBCOMMAND, token="Frobnicate"
    )


@pytest.mark.parametrize(("token", "value"), [("1", 1), ("#12", 12), ("0", None), ("#", None)])
def test_request_ids(token: str, value: int | None) -> None:
    assert parse_request_id(token) == value


# ---------------------------------------------------------------------------- properties

eni_ids = st.from_regex(r"eni-[0-9a-z]{6,24}", fullmatch=True)
instance_ids = st.from_regex(r"i-[0-9a-z]{6,24}", fullmatch=True)
regions = st.sampled_from(PUBLIC_REGIONS)
reason_words = st.from_regex(r"[A-Za-z][A-Za-z0-9,.!'()]{0,12}", fullmatch=True)


@given(st.text(max_size=300))
def test_any_text_parses_to_a_command_or_a_helpful_error(text: str) -> None:
    parsed = parse(text)
    if isinstance(parsed, CommandError):
        assert parsed.problem in CommandProblem
        # Only a line whose first word is not a subcommand has no form to show.
        assert (parsed.subcommand is None) == (parsed.problem is CommandProblem.UNKNOWN_SUBCOMMAND)
    if isinstance(parsed, DetachCommand):
        assert 0 < len(parsed.reason) <= MAX_REASON_LENGTH
        assert "\x00" not in parsed.reason


@given(st.text(max_size=300))
def test_any_text_after_detach_never_crashes(text: str) -> None:
    parsed = parse("detach " + text)
    assert isinstance(parsed, DetachCommand | DetachFormCommand | CommandError)


@given(
    eni=eni_ids,
    instance=st.none() | instance_ids,
    region=st.none() | regions,
    reason=st.lists(reason_words, min_size=1, max_size=20).map(" ".join),
    order=st.randoms(use_true_random=False),
)
def test_detach_round_trips_whatever_the_order(
    eni: str, instance: str | None, region: str | None, reason: str, order: object
) -> None:
    tokens = [t for t in (eni, instance, region) if t is not None]
    order.shuffle(tokens)  # type: ignore[attr-defined]
    parsed = parse("detach " + " ".join(tokens) + " " + reason)
    assert parsed == DetachCommand(
        eni_id=eni,
        instance_id=instance,
        region=region or DEFAULT,
        region_given=region is not None,
        reason=reason,
    )


@given(st.integers(min_value=1, max_value=2**31 - 1), st.booleans())
def test_request_ids_round_trip(value: int, hashed: bool) -> None:
    text = f"cancel {'#' if hashed else ''}{value}"
    assert parse(text) == CancelCommand(request_id=value)
