"""The views methods (modals and App Home) and what Slack's client does with a submission answer.

A view holds at most 100 blocks (docs.slack.dev/reference/block-kit/blocks: "100 blocks in
modals or Home tabs"); Slack refuses a bad view with `invalid_arguments` and the problems in
`response_metadata.messages`. With strict triggers a trigger_id opens one view, within 3 s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.sim.slack.arguments import ApiError, Params, Undecodable, text_arg
from bot.sim.slack.blockcheck import MAX_BLOCKS_VIEW, block_problems
from bot.sim.slack.records import View
from bot.sim.slack.state import SlackState

TRIGGER_LIFETIME = 3.0


def _use_trigger(state: SlackState, params: Params) -> str:
    trigger = text_arg(params, "trigger_id")
    if not trigger:
        raise ApiError("invalid_arguments", response_metadata={"messages": ["trigger_id"]})
    if state.strict_triggers:
        issued = state.triggers.pop(trigger, None)
        if issued is None:
            raise ApiError("invalid_trigger_id")
        if state.wall_clock() - issued > TRIGGER_LIFETIME:
            raise ApiError("expired_trigger_id")
    return trigger


def _definition(params: Params, *, kind: str | None) -> dict[str, Any]:
    view = params.get("view")
    if isinstance(view, Undecodable) or not isinstance(view, dict):
        raise ApiError("invalid_arguments", response_metadata={"messages": ["view"]})
    if kind is not None and view.get("type") != kind:
        raise ApiError("invalid_arguments", response_metadata={"messages": ["view.type"]})
    problems = block_problems(view.get("blocks", []), limit=MAX_BLOCKS_VIEW)
    if problems:
        raise ApiError(
            "invalid_arguments",
            response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
        )
    return view


def _new_view(
    state: SlackState, definition: dict[str, Any], *, user: str | None, trigger: str | None
) -> View:
    view_id = state.next_id("V")
    view = View(
        id=view_id,
        type=str(definition.get("type")),
        definition=definition,
        user_id=user,
        hash=f"{int(state.wall_clock())}.{state.counter:08x}",
        trigger_id=trigger,
        external_id=definition.get("external_id"),
    )
    state.views[view_id] = view
    return view


def _replace(state: SlackState, view: View, definition: dict[str, Any]) -> None:
    """Give a view new contents and a new hash, as every successful update does."""
    view.definition = definition
    view.updates += 1
    view.hash = f"{int(state.wall_clock())}.{state.counter + view.updates:08x}"


def open_modal(state: SlackState, params: Params) -> dict[str, Any]:
    """`views.open` and `views.push`: a modal for the user who produced the trigger."""
    trigger = _use_trigger(state, params)
    definition = _definition(params, kind="modal")
    view = _new_view(state, definition, user=None, trigger=trigger)
    return {"ok": True, "view": state.api_view(view)}


def update(state: SlackState, params: Params) -> dict[str, Any]:
    """`views.update`: replace a view found by `view_id` or `external_id`, guarded by `hash`."""
    view_id = text_arg(params, "view_id")
    external_id = text_arg(params, "external_id")
    view: View | None = None
    if view_id:
        view = state.views.get(view_id)
    elif external_id:
        view = next((v for v in state.views.values() if v.external_id == external_id), None)
    if view is None:
        raise ApiError("not_found")
    expected = text_arg(params, "hash")
    if expected and expected != view.hash:
        raise ApiError("hash_conflict")
    _replace(state, view, _definition(params, kind=None))
    return {"ok": True, "view": state.api_view(view)}


def publish(state: SlackState, params: Params) -> dict[str, Any]:
    """`views.publish`: set a user's App Home view (one per user, replaced each time)."""
    user = text_arg(params, "user_id")
    if not user:
        raise ApiError("invalid_arguments", response_metadata={"messages": ["user_id"]})
    definition = _definition(params, kind="home")
    previous = state.views.get(state.home_views.get(user, ""))
    expected = text_arg(params, "hash")
    if previous is not None and expected and expected != previous.hash:
        raise ApiError("hash_conflict")
    if previous is not None:
        _replace(state, previous, definition)
        view = previous
    else:
        view = _new_view(state, definition, user=user, trigger=None)
        state.home_views[user] = view.id
    return {"ok": True, "view": state.api_view(view)}


def apply_view_answer(state: SlackState, view_id: str, answer: Mapping[str, Any]) -> View | None:
    """Do what Slack's client does with an app's answer to a view_submission.

    Empty answer: the modal closes. `errors`: shown per block. `update`: replaced in place.
    `push`: a new modal on top. `clear`: the whole stack closes. Returns the view now shown.
    """
    view = state.views.get(view_id)
    if view is None:
        return None
    action = answer.get("response_action")
    if action == "errors":
        errors = answer.get("errors")
        view.errors = (
            {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}
        )
        return view
    if action == "update" and isinstance(answer.get("view"), dict):
        view.definition = dict(answer["view"])
        view.errors = {}
        view.updates += 1
        return view
    if action == "push" and isinstance(answer.get("view"), dict):
        pushed = _new_view(state, dict(answer["view"]), user=view.user_id, trigger=None)
        pushed.previous_view_id = view.id
        pushed.root_view_id = view.root_view_id or view.id
        return pushed
    root = view.root_view_id or view.id
    for candidate in state.views.values():
        if action == "clear" and (candidate.root_view_id or candidate.id) == root:
            candidate.closed = True
    view.closed = True
    view.errors = {}
    return None
