"""`/eni list`: one line per request, a title per scope, and a note when the list was cut."""

from __future__ import annotations

import pytest
from block_inputs import ENI, REQUESTER, everything, limit_problems, request

from bot.requests.commands import ListScope
from bot.slack.blocks.listing import SCOPE_TITLES, list_message, request_line


def test_every_scope_has_a_title() -> None:
    assert set(SCOPE_TITLES) == set(ListScope)


@pytest.mark.parametrize("scope", list(ListScope))
def test_an_empty_list_says_none_and_how_to_switch(scope: ListScope) -> None:
    said = everything(list_message(scope, [], 20))
    assert said.startswith(f"*{SCOPE_TITLES[scope]}:* none.")
    assert "/eni list mine|pending|open" in said


def test_a_line_names_the_request_eni_region_state_and_requester() -> None:
    line = request_line(request(id=42))
    for part in ("*#42*", f"`{ENI}`", "`cn-hangzhou`", "Pending approval", f"<@{REQUESTER}>"):
        assert part in line


def test_a_full_list_says_it_shows_the_newest_and_fits() -> None:
    shown = list_message(ListScope.OPEN, [request(id=n) for n in range(1, 21)], 20)
    assert limit_problems(shown.blocks) == []
    said = everything(shown)
    assert said.startswith("*Open requests* (newest shown)")
    assert all(f"*#{n}*" in said for n in range(1, 21))
    assert shown.text == "Open requests: 20"
    short = everything(list_message(ListScope.OPEN, [request()], 20))
    assert "(newest shown)" not in short
