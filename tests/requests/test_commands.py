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
    MAX_TAGS,
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
    parse_tag,
    selector_text,
    split_list,
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
        eni_ids=(ENI,),
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
            f"detach {ENI} tag:app=web reason",
            CommandError(
                CommandProblem.ENIS_WITH_TAGS, Subcommand.DETACH, token="tag:app=web", earlier=ENI
            ),
        ),
        (
            f"detach tag:app=web {ENI} reason",
            CommandError(
                CommandProblem.ENIS_WITH_TAGS, Subcommand.DETACH, token=ENI, earlier="tag:app=web"
            ),
        ),
        (
            "detach tag:app reason",
            CommandError(CommandProblem.NOT_A_TAG, Subcommand.DETACH, token="tag:app"),
        ),
        (
            "detach tag:=web reason",
            CommandError(CommandProblem.NOT_A_TAG, Subcommand.DETACH, token="tag:=web"),
        ),
        (
            "detach TAG:app= reason",
            CommandError(CommandProblem.NOT_A_TAG, Subcommand.DETACH, token="TAG:app="),
        ),
        (
            "detach tag:env=prod tag:env=dev reason",
            CommandError(
                CommandProblem.TAG_TWICE,
                Subcommand.DETACH,
                token="tag:env=dev",
                earlier="tag:env=prod",
            ),
        ),
        (
            "detach " + " ".join(f"tag:k{n}=v" for n in range(21)) + " reason",
            CommandError(CommandProblem.TOO_MANY_TAGS, Subcommand.DETACH, token="tag:k20=v"),
        ),
        (
            f"detach {INSTANCE} tag:app=web i-bp1zzzzzzzzzzzzzzzzz reason",
            CommandError(
                CommandProblem.TWO_INSTANCES,
                Subcommand.DETACH,
                token="i-bp1zzzzzzzzzzzzzzzzz",
                earlier=INSTANCE,
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
        eni_ids=(eni,),
        instance_id=instance,
        region=region or DEFAULT,
        region_given=region is not None,
        reason=reason,
    )


@given(st.integers(min_value=1, max_value=2**31 - 1), st.booleans())
def test_request_ids_round_trip(value: int, hashed: bool) -> None:
    text = f"cancel {'#' if hashed else ''}{value}"
    assert parse(text) == CancelCommand(request_id=value)


# ---------------------------------------------------------------------------- several ENIs

tag_keys = st.from_regex(r"[A-Za-z][A-Za-z0-9_.:/-]{0,20}", fullmatch=True)
tag_values = st.from_regex(r"[A-Za-z0-9_.:/=-]{1,20}", fullmatch=True)


def test_several_enis_are_listed_in_order_and_a_repeat_counts_once() -> None:
    other = "eni-bp1zzzzzzzzzzzzzzzzz"
    parsed = parse(f"detach {ENI} {other} {INSTANCE} {ENI} free the node")
    assert isinstance(parsed, DetachCommand)
    assert parsed.eni_ids == (ENI, other)
    assert parsed.eni_id == ENI and not parsed.is_selection and parsed.selector is None


def test_an_instance_alone_selects_its_enis() -> None:
    parsed = parse(f"detach {INSTANCE} cn-shanghai resize the instance")
    assert isinstance(parsed, DetachCommand)
    assert parsed.eni_ids == () and parsed.tags == ()
    assert parsed.is_selection and parsed.selector == INSTANCE
    assert parsed.eni_id is None
    assert (parsed.region, parsed.reason) == ("cn-shanghai", "resize the instance")


def test_tags_select_and_an_instance_narrows_them() -> None:
    parsed = parse(f"detach tag:app=web Tag:env=a=b {INSTANCE} tag:app=web retire the app")
    assert isinstance(parsed, DetachCommand)
    assert parsed.tags == (("app", "web"), ("env", "a=b"))  # the value may hold "="
    assert parsed.selector == f"tag:app=web tag:env=a=b {INSTANCE}"
    assert parsed.reason == "retire the app"


def test_once_the_reason_starts_tag_words_are_words() -> None:
    parsed = parse(f"detach {ENI} retire tag:app=web and tag:broken")
    assert isinstance(parsed, DetachCommand)
    assert parsed.tags == () and parsed.reason == "retire tag:app=web and tag:broken"


@given(
    enis=st.lists(eni_ids, min_size=1, max_size=30),
    instance=st.none() | instance_ids,
    region=st.none() | regions,
    reason=st.lists(reason_words, min_size=1, max_size=8).map(" ".join),
    order=st.randoms(use_true_random=False),
)
def test_listed_enis_round_trip_once_each_in_first_seen_order(
    enis: list[str], instance: str | None, region: str | None, reason: str, order: object
) -> None:
    tokens = [*enis, *(t for t in (instance, region) if t is not None)]
    order.shuffle(tokens)  # type: ignore[attr-defined]
    parsed = parse("detach " + " ".join(tokens) + " " + reason)
    expected = tuple(dict.fromkeys(t for t in tokens if t.startswith("eni-")))
    assert parsed == DetachCommand(
        eni_ids=expected,
        instance_id=instance,
        region=region or DEFAULT,
        region_given=region is not None,
        reason=reason,
    )


@given(
    tags=st.dictionaries(tag_keys, tag_values, min_size=1, max_size=MAX_TAGS),
    instance=st.none() | instance_ids,
    region=st.none() | regions,
    reason=st.lists(reason_words, min_size=1, max_size=8).map(" ".join),
    order=st.randoms(use_true_random=False),
)
def test_tag_selections_round_trip_whatever_the_order(
    tags: dict[str, str], instance: str | None, region: str | None, reason: str, order: object
) -> None:
    tokens = [f"tag:{k}={v}" for k, v in tags.items()]
    tokens += [t for t in (instance, region) if t is not None]
    order.shuffle(tokens)  # type: ignore[attr-defined]
    parsed = parse("detach " + " ".join(tokens) + " " + reason)
    assert isinstance(parsed, DetachCommand), parsed
    assert dict(parsed.tags) == tags
    assert parsed.instance_id == instance and parsed.eni_ids == ()
    assert parsed.reason == reason
    # The stored selector reads back as the same selection.
    assert parsed.selector is not None
    again = parse(f"detach {parsed.selector} {reason}")
    assert isinstance(again, DetachCommand)
    assert (again.tags, again.instance_id) == (parsed.tags, parsed.instance_id)


@given(
    enis=st.lists(eni_ids, min_size=1, max_size=5),
    tags=st.dictionaries(tag_keys, tag_values, min_size=1, max_size=5),
    order=st.randoms(use_true_random=False),
)
def test_enis_and_tags_together_are_refused_naming_both(
    enis: list[str], tags: dict[str, str], order: object
) -> None:
    tokens = [*enis, *(f"tag:{k}={v}" for k, v in tags.items())]
    order.shuffle(tokens)  # type: ignore[attr-defined]
    parsed = parse("detach " + " ".join(tokens) + " reason")
    assert isinstance(parsed, CommandError)
    assert parsed.problem is CommandProblem.ENIS_WITH_TAGS
    kinds = {parsed.token.startswith("tag:"), parsed.earlier.startswith("tag:")}
    assert kinds == {True, False}  # one of each, as typed
    assert parsed.token in tokens and parsed.earlier in tokens


@given(body=st.text(alphabet=st.characters(blacklist_categories=["Cc", "Zs"]), max_size=40))
def test_a_tag_token_is_a_filter_or_not_a_tag(body: str) -> None:
    token = "tag:" + body
    parsed = parse(f"detach {token} reason")
    tag = parse_tag(token)
    if " " in token or not body:
        return
    if tag is None:
        assert parsed == CommandError(CommandProblem.NOT_A_TAG, Subcommand.DETACH, token=token)
    else:
        key, value = tag
        assert key and value and f"{key}={value}" == body
        assert isinstance(parsed, DetachCommand) and parsed.tags == (tag,)


@given(st.dictionaries(tag_keys, tag_values, max_size=5), st.none() | instance_ids)
def test_selector_text_and_parse_tag_agree(tags: dict[str, str], instance: str | None) -> None:
    words = selector_text(list(tags.items()), instance).split()
    parsed = [parse_tag(w) for w in words if w.startswith("tag:")]
    assert parsed == list(tags.items())
    assert (instance in words) if instance else len(words) == len(tags)


@given(st.lists(eni_ids, max_size=10), st.sampled_from([" ", "\n", ",", ", ", ";\n", "\t"]))
def test_form_lists_split_on_any_separator(items: list[str], sep: str) -> None:
    assert split_list(f"{sep}{sep.join(items)}{sep}") == items
