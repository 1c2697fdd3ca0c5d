"""Every ECS error code the bot may meet, in plain words, with what to do and how the bot reacts.

    CATALOGUE      code → the operation-neutral entry (the seed's Detach table, the gateway and
                   common codes, attach-only codes, the client's own codes)
    BY_OPERATION   action → code → that operation's own entry, for the codes whose meaning,
                   remedy or reaction differs there (`per_operation(code)` says which)
    lookup         the entry for a code as one operation (or any) sees it

`meaning` is written for the person who asked (no jargon); `remedy` says what to do next. ECS
messages with `%s` placeholders are never reformatted here: the catalogue text is ours, the ECS
message travels untouched on the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from bot.ecs.catalogue import attach, common, detach
from bot.ecs.catalogue.attach import ATTACH_CODES, ATTACH_DOC_CODES
from bot.ecs.catalogue.common import CONFLICT_CODES
from bot.ecs.catalogue.detach import DETACH_CODES
from bot.ecs.catalogue.kinds import ATTACH, DETACH, CatalogueEntry, Category, Reaction

__all__ = [
    "ATTACH",
    "ATTACH_CODES",
    "ATTACH_DOC_CODES",
    "BY_OPERATION",
    "CATALOGUE",
    "CONFLICT_CODES",
    "DETACH",
    "DETACH_CODES",
    "CatalogueEntry",
    "Category",
    "Reaction",
    "lookup",
    "per_operation",
]

CATALOGUE: Mapping[str, CatalogueEntry] = MappingProxyType(
    {e.code: e for e in (*detach.ENTRIES, *common.ENTRIES, *attach.ENTRIES)}
)

BY_OPERATION: Mapping[str, Mapping[str, CatalogueEntry]] = MappingProxyType(
    {
        # Detach's meanings are the operation-neutral ones (0.1 wrote them for a detach).
        DETACH: MappingProxyType({}),
        ATTACH: MappingProxyType({e.code: e for e in attach.OWN_ENTRIES}),
    }
)

_FALLBACK_MEANING = "Alibaba Cloud refused the request (code shown above)."
_FALLBACK_REMEDY = (
    "Look the code up in Alibaba Cloud's error center (the Recommend link) or ask the bot's "
    "operators."
)


def per_operation(code: str) -> frozenset[str]:
    """The operations (API actions) that give `code` a meaning of their own; empty: one meaning."""
    return frozenset(action for action, own in BY_OPERATION.items() if code in own)


def lookup(code: str, http_status: int | None = None, action: str | None = None) -> CatalogueEntry:
    """Catalogue entry for `code` as `action` sees it; unknown codes get a family entry."""
    if action is not None:
        own = BY_OPERATION.get(action, {}).get(code)
        if own is not None:
            return own
    entry = CATALOGUE.get(code)
    if entry is not None:
        return entry
    if code.startswith("Throttling") or code.endswith(".Throttling"):
        base = CATALOGUE["Throttling"]
    elif code.startswith("ServiceUnavailable"):
        base = CATALOGUE["ServiceUnavailable"]
    elif http_status is not None and http_status >= 500:
        base = CATALOGUE["InternalError"]
    else:
        return CatalogueEntry(
            code=code,
            http_status=http_status or 0,
            category=Category.UNKNOWN,
            meaning=_FALLBACK_MEANING,
            remedy=_FALLBACK_REMEDY,
            reaction=Reaction.FAIL,
        )
    return replace(base, code=code, http_status=http_status or base.http_status)
