"""The request use cases under one name, while call sites move to the modules that hold them.

TODO(#11): listeners and workers import `decisions`, `execution` and `polling` directly; this
module goes once every caller has moved.
"""

from __future__ import annotations

from bot.requests.cards import card_undeliverable
from bot.requests.decisions import (
    approve,
    cancel,
    expire_due,
    reject,
    retry,
    submit,
)
from bot.requests.execution import (
    claim_for_execution,
    mark_intent,
    marks_of,
    may_have_detached,
    record_detach_sent,
    record_ecs_call,
    record_outcome_unknown,
    release,
    start_execution,
)
from bot.requests.polling import claim_for_polling, poll_is_unchanged, record_poll
from bot.requests.repository import OpenRequestExistsError
from bot.requests.schemas import (
    SYSTEM_EXECUTOR,
    SYSTEM_EXPIRY,
    SYSTEM_POLLER,
    SYSTEM_RELAY,
    Decision,
    EniObservation,
    NewRequest,
    NewTarget,
    Outcome,
    Policy,
    Refusal,
    TransitionResult,
)
from bot.requests.setbacks import note_ecs_trouble, record_busy, record_failure
from bot.requests.transition import transition

__all__ = [
    "SYSTEM_EXECUTOR",
    "SYSTEM_EXPIRY",
    "SYSTEM_POLLER",
    "SYSTEM_RELAY",
    "Decision",
    "EniObservation",
    "NewRequest",
    "NewTarget",
    "OpenRequestExistsError",
    "Outcome",
    "Policy",
    "Refusal",
    "TransitionResult",
    "approve",
    "cancel",
    "card_undeliverable",
    "claim_for_execution",
    "claim_for_polling",
    "expire_due",
    "mark_intent",
    "marks_of",
    "may_have_detached",
    "note_ecs_trouble",
    "poll_is_unchanged",
    "record_busy",
    "record_detach_sent",
    "record_ecs_call",
    "record_failure",
    "record_outcome_unknown",
    "record_poll",
    "reject",
    "release",
    "retry",
    "start_execution",
    "submit",
    "transition",
]
