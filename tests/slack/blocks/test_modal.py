"""The `/eni detach` form: its fields, the allowed regions only, and words for each bad field."""

from __future__ import annotations

import json

from block_inputs import CHANNEL, everything, limit_problems

from bot.requests.commands import MAX_REASON_LENGTH
from bot.slack.blocks.modal import (
    FIELD_ERRORS,
    FieldProblem,
    detach_modal,
    field_error,
    modal_confirmation_failed,
    modal_metadata,
    modal_unavailable,
)
from bot.slack.ids import CallbackId, ModalField


def test_every_field_problem_has_words() -> None:
    assert set(FIELD_ERRORS) == set(FieldProblem)
    assert all(FIELD_ERRORS.values())


def test_the_form_has_every_field_and_carries_the_channel() -> None:
    view = detach_modal(
        allowed_regions=["cn-beijing", "cn-hangzhou"],
        default_region="cn-hangzhou",
        channel_id=CHANNEL,
    )
    assert view["callback_id"] == CallbackId.DETACH_MODAL.value
    assert json.loads(view["private_metadata"]) == {"channel": CHANNEL}
    assert view["private_metadata"] == modal_metadata(CHANNEL)
    blocks = view["blocks"]
    assert limit_problems(blocks, max_blocks=100) == []
    assert [b["block_id"] for b in blocks] == [f.value for f in ModalField]
    assert [b["element"]["action_id"] for b in blocks] == [f.value for f in ModalField]
    operation, region, enis, instance, tags, reason = blocks
    # Detach unless asked otherwise; attach is the other choice.
    assert [o["value"] for o in operation["element"]["options"]] == ["detach", "attach"]
    assert operation["element"]["initial_option"]["value"] == "detach"
    assert [o["value"] for o in region["element"]["options"]] == ["cn-beijing", "cn-hangzhou"]
    assert region["element"]["initial_option"]["value"] == "cn-hangzhou"
    # Several ENIs, one per line; each of ENIs, instance and tags may be left empty.
    assert enis["element"]["multiline"] is True
    assert enis["element"]["max_length"] == 3000
    assert enis["optional"] is instance["optional"] is tags["optional"] is True
    assert "optional" not in reason
    assert reason["element"]["max_length"] == MAX_REASON_LENGTH


def test_the_form_opened_by_eni_attach_starts_on_attach() -> None:
    view = detach_modal(
        allowed_regions=["cn-hangzhou"],
        default_region="cn-hangzhou",
        channel_id=CHANNEL,
        operation="attach",
    )
    operation = view["blocks"][0]
    assert operation["block_id"] == ModalField.OPERATION.value
    assert operation["element"]["initial_option"]["value"] == "attach"
    assert len(view["title"]["text"]) <= 24  # Slack's limit for a modal's title


def test_field_errors_echo_the_bad_word_cut_short() -> None:
    assert field_error(FieldProblem.ENI_SHAPE, "eni-x").startswith('"eni-x" is not an ENI ID')
    long = field_error(FieldProblem.TAG_SHAPE, "y" * 200)
    assert '"' + "y" * 39 + '…" is not a tag' in long
    for problem in FieldProblem:
        assert "{" not in field_error(problem, "w")


def test_a_default_region_that_is_not_allowed_is_not_preselected_and_options_fit() -> None:
    regions = [f"r-{n}" for n in range(300)]
    view = detach_modal(allowed_regions=regions, default_region="cn-hangzhou", channel_id=CHANNEL)
    (select,) = [b["element"] for b in view["blocks"] if b["block_id"] == ModalField.REGION.value]
    assert "initial_option" not in select
    assert len(select["options"]) == 100


def test_when_the_form_fails_the_person_learns_the_one_line_form_or_to_invite_the_bot() -> None:
    assert "/eni detach &lt;eni-id&gt;" in everything(modal_unavailable())
    said = everything(modal_confirmation_failed(CHANNEL))
    assert f"<#{CHANNEL}>" in said and "/invite @eni-bot" in said
