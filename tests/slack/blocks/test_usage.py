"""The grammar's errors in words: every code names the problem and shows the fix (the form).

`EXAMPLES` holds one typed line per code, so a code the grammar can no longer produce, or one
added without words, fails here.
"""

from __future__ import annotations

import pytest
from block_inputs import everything, limit_problems
from hypothesis import given
from hypothesis import strategies as st

from bot.regions import PUBLIC_REGIONS
from bot.requests.commands import (
    MAX_REASON_LENGTH,
    CommandError,
    CommandProblem,
    Subcommand,
    parse_command,
)
from bot.slack.blocks.text import code
from bot.slack.blocks.usage import (
    DETACH_FORMS,
    PROBLEM_WORDS,
    USAGE,
    command_error,
    help_message,
)

ENI = "eni-bp1d7r2k9m4x6c3v5n"
# A line for each code, and a piece of the sentence that names its problem.
EXAMPLES: dict[CommandProblem, tuple[str, str]] = {
    CommandProblem.UNKNOWN_SUBCOMMAND: ("frobnicate x", "`frobnicate` is not an `/eni` subcommand"),
    CommandProblem.TWO_INSTANCES: (f"detach {ENI} i-bp1aaaaaa i-bp1bbbbbb r", "instance IDs"),
    CommandProblem.TWO_REGIONS: (f"detach {ENI} cn-hangzhou cn-beijing r", "Two regions"),
    CommandProblem.NOT_AN_ENI_ID: ("detach eni-x r", "`eni-x` is not an ENI ID"),
    CommandProblem.NOT_AN_INSTANCE_ID: (f"detach {ENI} i-? r", "`i-?` is not an instance ID"),
    CommandProblem.UNKNOWN_REGION: (f"detach {ENI} cn-hangzou r", "such as `cn-hangzhou`"),
    CommandProblem.NO_ENI: ("detach just because", "Name the ENIs to detach"),
    CommandProblem.NO_ENI_TO_ATTACH: ("attach i-bp1aaaaaa put it back", "Name the ENIs to attach"),
    CommandProblem.TAGS_NOT_FOR_ATTACH: (
        f"attach {ENI} tag:a=1 r",
        "`tag:a=1`: an attach lists its ENI IDs; it does not select by tag",
    ),
    CommandProblem.NOT_A_TAG: ("detach tag:app r", "`tag:app` is not a tag selector"),
    CommandProblem.TAG_TWICE: ("detach tag:a=1 tag:a=2 r", "name one tag key twice"),
    CommandProblem.TOO_MANY_TAGS: (
        "detach " + " ".join(f"tag:k{n}=v" for n in range(21)) + " r",
        "At most 20 tags per selection (`tag:k20=v` is one too many)",
    ),
    CommandProblem.ENIS_WITH_TAGS: (
        f"detach {ENI} tag:a=1 r",
        f"`{ENI}` and `tag:a=1`: list ENI IDs or select by tag, not both",
    ),
    CommandProblem.NO_REASON: (f"detach {ENI}", "Give a reason"),
    CommandProblem.REASON_TOO_LONG: (
        f"detach {ENI} " + "x" * 600,
        f"600 characters long; keep it to {MAX_REASON_LENGTH}",
    ),
    CommandProblem.NO_STATUS_TARGET: ("status", "Name one request ID"),
    CommandProblem.EXTRA_STATUS_ARGUMENTS: ("status 1 2", "Too many arguments"),
    CommandProblem.NOT_A_STATUS_TARGET: ("status i-abcdefgh", "`i-abcdefgh` is neither"),
    CommandProblem.EXTRA_LIST_ARGUMENTS: ("list mine open", "Too many arguments"),
    CommandProblem.NOT_A_LIST_SCOPE: ("list everything", "`everything` is not a list"),
    CommandProblem.NO_REQUEST_ID: ("cancel", "Name the request by its ID"),
    CommandProblem.EXTRA_REQUEST_ARGUMENTS: ("retry 1 2", "Too many arguments"),
    CommandProblem.NOT_A_REQUEST_ID: ("cancel abc", "`abc` is not a request ID"),
}


def parse(text: str) -> object:
    return parse_command(text, default_region="cn-hangzhou", known_regions=PUBLIC_REGIONS)


def test_every_code_has_words_and_an_example() -> None:
    assert set(PROBLEM_WORDS) == set(CommandProblem) == set(EXAMPLES)


def test_every_subcommand_has_a_form() -> None:
    assert set(USAGE) == set(Subcommand)


@pytest.mark.parametrize("problem", list(CommandProblem))
def test_each_code_names_its_problem_and_shows_the_right_form(problem: CommandProblem) -> None:
    line, named = EXAMPLES[problem]
    parsed = parse(line)
    assert isinstance(parsed, CommandError)
    assert parsed.problem is problem
    said = everything(command_error(parsed))
    first, _, fix = said.partition("\n*Use:* ")
    assert named in first
    if parsed.subcommand is Subcommand.DETACH:
        forms = list(DETACH_FORMS)  # every form of detach: listed, by instance, by tag
    else:
        forms = [USAGE[parsed.subcommand]] if parsed.subcommand else list(USAGE.values())
    assert fix.startswith("\n".join(code(f) for f in forms))
    assert "Nothing was stored" in said


def test_what_was_typed_is_echoed_short_and_harmless() -> None:
    parsed = parse("`<!channel>`" + "y" * 100 + " x")
    assert isinstance(parsed, CommandError)
    first = everything(command_error(parsed)).split("\n")[0]
    assert first.startswith(":warning: `'&lt;!channel&gt;'yyy")
    assert "…` is not an `/eni` subcommand." in first
    assert "<!channel>" not in first


@given(st.text(max_size=300))
def test_any_line_that_does_not_parse_gets_words_that_fit(text: str) -> None:
    parsed = parse(text)
    if isinstance(parsed, CommandError):
        shown = command_error(parsed)
        assert limit_problems(shown.blocks) == []
        assert "*Use:*" in everything(shown) and shown.text


def test_help_shows_every_form_but_help_itself() -> None:
    said = everything(help_message())
    for sub in Subcommand:
        if sub is not Subcommand.HELP:
            assert code(USAGE[sub]) in said
    assert "&lt;eni-id&gt;" in said  # escaped, so Slack does not read it as a link
    for form in DETACH_FORMS:
        assert code(form) in said
