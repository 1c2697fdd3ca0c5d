"""The console's grammar: what parses to what, and what is refused with a helpful message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.console.repl import (
    ClickAction,
    ClickCommand,
    FaultCommand,
    FaultKind,
    HelpCommand,
    HomeCommand,
    ParseError,
    QuitCommand,
    SlashCommand,
    SwitchUserCommand,
    WorldCommand,
    parse_line,
)

ENI = "eni-bp1d7r2k9m4x6c3v5n"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/eni help", SlashCommand("help")),
        ("/eni", SlashCommand("")),
        (f"  /eni detach {ENI} moving  traffic  ", SlashCommand(f"detach {ENI} moving  traffic")),
        ("/ENI list", SlashCommand("list")),
        ("as @lead", SwitchUserCommand("lead")),
        ("as Lead", SwitchUserCommand("lead")),
        ("as U0LEAD", SwitchUserCommand("U0LEAD")),
        ("click approve 3", ClickCommand(ClickAction.APPROVE, 3)),
        ("click Reject #12", ClickCommand(ClickAction.REJECT, 12)),
        ("click retry 7", ClickCommand(ClickAction.RETRY, 7)),
        ("click reattach #4", ClickCommand(ClickAction.REATTACH, 4)),
        ("world", WorldCommand()),
        ("world cn-shanghai", WorldCommand("cn-shanghai")),
        ("home", HomeCommand()),
        ("help", HelpCommand()),
        ("?", HelpCommand()),
        ("quit", QuitCommand()),
        ("exit", QuitCommand()),
        ("fault", FaultCommand(FaultKind.LIST)),
        ("fault list", FaultCommand(FaultKind.LIST)),
        ("fault clear", FaultCommand(FaultKind.CLEAR)),
        ("fault throttle", FaultCommand(FaultKind.THROTTLE, times=1)),
        ("fault throttle 3", FaultCommand(FaultKind.THROTTLE, times=3)),
        ("fault 5xx 2", FaultCommand(FaultKind.SERVER_ERROR, times=2)),
        ("fault latency 1.5", FaultCommand(FaultKind.LATENCY, seconds=1.5)),
        ("fault latency 2 4", FaultCommand(FaultKind.LATENCY, seconds=2.0, times=4)),
        (f"fault stuck {ENI}", FaultCommand(FaultKind.STUCK, eni_id=ENI)),
        (f"fault stuck {ENI} 2", FaultCommand(FaultKind.STUCK, eni_id=ENI, times=2)),
        ("fault error Forbidden.RAM", FaultCommand(FaultKind.ERROR, code="Forbidden.RAM")),
        (
            f"fault error InvalidOperation.EniLinked {ENI}",
            FaultCommand(FaultKind.ERROR, code="InvalidOperation.EniLinked", eni_id=ENI),
        ),
        (
            f"fault error OperationConflict {ENI} 5",
            FaultCommand(FaultKind.ERROR, code="OperationConflict", eni_id=ENI, times=5),
        ),
        (
            "fault error Forbidden.RAM 2",
            FaultCommand(FaultKind.ERROR, code="Forbidden.RAM", times=2),
        ),
    ],
)
def test_lines_parse_to_commands(line: str, expected: object) -> None:
    assert parse_line(line) == expected


@pytest.mark.parametrize("line", ["", "   ", "\n", "# a comment", "  # indented comment"])
def test_blank_lines_and_comments_are_nothing(line: str) -> None:
    assert parse_line(line) is None


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("eni help", "/eni help"),
        ("/deploy now", "/eni"),
        ("dance", "help"),
        ("click approve", "click approve|reject|retry|reattach N"),
        ("click launch 3", "click approve|reject|retry|reattach N"),
        ("click approve three", "click approve|reject|retry|reattach N"),
        ("as", "as @handle"),
        ("as @lead @bob", "as @handle"),
        ("as !!", "neither"),
        ("world mars", "world [REGION]"),
        ("fault explode", "fault throttle"),
        ("fault throttle 0", "between 1 and 1000"),
        ("fault latency", "fault latency"),
        ("fault latency soon", "seconds"),
        ("fault latency 100", "between 0 and 60"),
        ("fault stuck i-bp1abc", "fault stuck ENI"),
        ("fault error", "fault error CODE"),
        ("fault error Forbidden.RAM i-bp1abc", "not an ENI ID"),
        (f"fault error Forbidden.RAM {ENI} 0", "between 1 and 1000"),
        (f"fault error Forbidden.RAM {ENI} 2 3", "fault error CODE [ENI] [N]"),
        (f"fault error Forbidden.RAM 2 {ENI}", "fault error CODE [ENI] [N]"),
        ("fault clear now", "fault throttle"),
        ("help me", "unknown command"),
    ],
)
def test_bad_lines_say_what_would_be_understood(line: str, hint: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_line(line)
    assert hint in str(caught.value)


@given(st.text(max_size=60))
def test_any_text_parses_or_raises_parse_error(line: str) -> None:
    message = "parsed"
    try:
        parse_line(line)
    except ParseError as exc:
        message = str(exc)
    assert message


@given(st.integers(min_value=1, max_value=999_999_999), st.sampled_from(list(ClickAction)))
def test_click_takes_any_request_number(number: int, action: ClickAction) -> None:
    assert parse_line(f"click {action.value} {number}") == ClickCommand(action, number)
