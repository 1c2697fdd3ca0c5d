"""The one table from state to words: complete, and the same on every surface.

CONTRACT.md: every state change is a thread reply that names the new state in words ("Approved
by …", "Detaching", "Available", "Expired", "Cancelled", "Stuck", "Failed"). `NAMED` is that list,
written out apart from the table, so a row that loses its name fails here.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from block_inputs import APPROVER, CHANNEL, NOW, event, everything, request

from bot.requests.commands import ListScope
from bot.requests.models import DetachRequest
from bot.requests.states import TRANSITIONS, Status
from bot.slack.blocks import words
from bot.slack.blocks.card import approval_card
from bot.slack.blocks.home import home_view
from bot.slack.blocks.listing import list_message
from bot.slack.blocks.status import audit_line, status_message
from bot.slack.blocks.summary import digest, incident_summary
from bot.slack.blocks.thread import thread_reply

MOVES = sorted((source, target) for source, targets in TRANSITIONS.items() for target in targets)
# The word a reply and a history line use for a move into each state (CONTRACT.md's list).
NAMED = {
    Status.APPROVED: "Approved",
    Status.REJECTED: "Rejected",
    Status.EXPIRED: "Expired",
    Status.CANCELLED: "Cancelled",
    Status.EXECUTING: "Re",  # a re-initiated detach: "Retry requested", "Re-initiated"
    Status.DETACHING: "Detaching",
    Status.DETACHED: "Available",
    Status.ATTACHING: "Attaching",
    Status.ATTACHED: "Attached",
    Status.STUCK: "Stuck",
    Status.FAILED: "Failed",
}
# Moves that post no thread reply of their own (the card update shows them).
QUIET = {(Status.APPROVED, Status.EXECUTING)}


def _named(source: Status, target: Status) -> str:
    return "Execution started" if (source, target) in QUIET else NAMED[target]


def _home(shown: DetachRequest) -> str:
    view = home_view(user_id=APPROVER, is_approver=True, pending=[shown], mine=[shown])
    return "\n".join(str(b) for b in view["blocks"])


def _summary(shown: DetachRequest) -> str:
    payload = {
        "status": shown.status,
        "eni_id": shown.target.eni_id,
        "instance_id": shown.target.instance_id,
    }
    return everything(incident_summary(payload, shown.id)) + everything(digest([(7, payload)]))


# Every surface that names a request's state, as the words it shows for one request.
SURFACES: dict[str, Callable[[DetachRequest], str]] = {
    "card": lambda r: everything(approval_card(r)),
    "/eni status": lambda r: everything(status_message(r, [])),
    "/eni list": lambda r: everything(list_message(ListScope.OPEN, [r], 20)),
    "App Home": _home,
    "incident summary": _summary,
}


def test_every_status_has_a_row() -> None:
    assert set(words.STATES) == set(Status)


def test_no_two_states_read_alike() -> None:
    assert len({w.label for w in words.STATES.values()}) == len(Status)
    assert len({w.emoji for w in words.STATES.values()}) == len(Status)


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("status", list(Status))
def test_every_surface_names_every_state_with_the_tables_words(
    surface: str, status: Status
) -> None:
    assert words.label(status) in SURFACES[surface](request(status))


def test_every_move_of_the_state_machine_has_words() -> None:
    assert set(NAMED) == {target for _, target in MOVES}


@pytest.mark.parametrize(("source", "target"), MOVES)
def test_a_move_leaves_a_history_line_naming_its_state(source: Status, target: Status) -> None:
    detail = {"retry": True} if source is Status.STUCK and target is Status.EXECUTING else {}
    line = audit_line(event("transition", target, detail, source=source))
    assert _named(source, target) in line
    assert "Updated" not in line


@pytest.mark.parametrize(("source", "target"), [m for m in MOVES if m not in QUIET])
def test_a_move_is_announced_in_the_thread_naming_its_state(source: Status, target: Status) -> None:
    shown = request(target, error_code="InvalidOperation.Conflict")
    reply = thread_reply(shown, {"status": target.value, "actor": APPROVER, "detail": {}})
    said = everything(reply)
    assert NAMED[target] in said
    assert NAMED[target] in reply.text  # the notification says it too
    assert not said.startswith("Status:")  # the bare fallback is for no real move


def test_moves_by_people_name_the_person_and_the_bots_moves_name_the_bot() -> None:
    for target in (Status.APPROVED, Status.REJECTED, Status.CANCELLED):
        said = words.reply(request(target), target, f"<@{APPROVER}>", {})
        assert f"<@{APPROVER}>" in said
    line = audit_line(event("transition", Status.EXECUTING, {"retry": True}, actor="system:x"))
    assert "the bot" in line


def test_a_state_this_bot_does_not_know_is_an_update_in_the_history() -> None:
    assert audit_line(event("transition", None)).endswith("· Updated")


@pytest.mark.parametrize("code", sorted(words.OWN_FAILURES))
def test_the_bots_own_failure_codes_mean_the_same_on_card_and_thread(code: str) -> None:
    shown = request(Status.FAILED, error_code=code)
    meaning = words.failure_meaning(code)
    assert meaning in everything(approval_card(shown))
    payload = {"status": "failed", "detail": {"error_code": code}}
    assert meaning in everything(thread_reply(shown, payload))


def test_approvals_short_of_the_quorum_and_ecs_trouble_have_words() -> None:
    progress = words.approval_reply("<@U1>", {"approvals": 1, "needed": 3})
    assert "1 of 3" in progress and "2 more" in progress
    assert "(1 of 3)" in audit_line(
        event("approval", Status.PENDING, {"approvals": 1, "needed": 3})
    )
    assert "`Throttling`" in words.ecs_trouble_reply({"error_code": "Throttling"})
    assert "`Throttling`" in audit_line(event("ecs_trouble", None, {"error_code": "Throttling"}))


def test_history_lines_start_with_the_time() -> None:
    line = audit_line(event("ecs_call", None, {"action": "DetachNetworkInterface", "code": "200"}))
    assert line.startswith(f"<!date^{int(NOW.timestamp())}^")
    assert "`DetachNetworkInterface` → `200`" in line
    assert CHANNEL not in line
