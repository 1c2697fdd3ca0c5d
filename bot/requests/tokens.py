"""The shapes of the words `/eni` knows: IDs, regions, request IDs, tags; and text cleaning.

Pure and stdlib-only: the grammar (`bot.requests.commands`) and the form's checks
(`bot.slack.listeners.views`) recognise words by these shapes and nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = [
    "ENI_ID_RE",
    "INSTANCE_ID_RE",
    "MAX_REASON_LENGTH",
    "MAX_REQUEST_ID",
    "MAX_TAGS",
    "MAX_TAG_PART",
    "REGION_SHAPE_RE",
    "TAG_PREFIX",
    "TagFilter",
    "clean_text",
    "is_eni_id",
    "is_instance_id",
    "is_tag_token",
    "parse_request_id",
    "parse_tag",
    "selector_text",
    "split_list",
]

MAX_REASON_LENGTH = 500
# Request IDs are database integers; anything larger cannot exist and must not reach SQL.
MAX_REQUEST_ID = 2**31 - 1

ENI_ID_RE = re.compile(r"^eni-[0-9a-z]{6,40}$")
INSTANCE_ID_RE = re.compile(r"^i-[0-9a-z]{6,40}$")
# Region-shaped words whose first part is a real area prefix: an unknown one is a typo, not
# the start of a reason ("cn-hangzou"); "re-attach" is a reason.
_AREA_PREFIXES = ("cn", "ap", "us", "eu", "me", "ac", "na", "sa", "af", "rus")
REGION_SHAPE_RE = re.compile(r"^(" + "|".join(_AREA_PREFIXES) + r")(-[a-z0-9]+){1,4}$")
_REQUEST_ID_RE = re.compile(r"^#?([0-9]{1,12})$")
TAG_PREFIX = "tag:"
MAX_TAGS = 20  # ECS filters on at most 20 tags (Tag.N, N = 1..20)
MAX_TAG_PART = 128  # ECS's longest tag key and tag value
# What separates listed items in the form's fields: spaces, line breaks, commas, semicolons.
_LIST_SEPARATORS = re.compile(r"[\s,;]+")

# A tag an ENI must carry to be selected: (key, value).
TagFilter = tuple[str, str]


def is_tag_token(token: str) -> bool:
    """True when `token` starts like a tag filter (`tag:`, any case), well-formed or not."""
    return token[: len(TAG_PREFIX)].lower() == TAG_PREFIX


def is_eni_id(token: str) -> bool:
    """True when `token` has the shape of an ENI ID."""
    return ENI_ID_RE.match(token) is not None


def is_instance_id(token: str) -> bool:
    """True when `token` has the shape of an instance ID."""
    return INSTANCE_ID_RE.match(token) is not None


def parse_request_id(token: str) -> int | None:
    """`42` or `#42` as a request ID; None when it is not one."""
    match = _REQUEST_ID_RE.match(token)
    if match is None:
        return None
    value = int(match.group(1))
    return value if 1 <= value <= MAX_REQUEST_ID else None


def parse_tag(token: str) -> TagFilter | None:
    """`tag:key=value` (or `key=value` without the prefix) as a filter; None when malformed.

    The key and value are kept as typed (ECS compares tags case-sensitively); both must be
    non-empty and at most 128 characters. The value may hold `=` (split at the first one).
    """
    body = token[len(TAG_PREFIX) :] if is_tag_token(token) else token
    key, equals, value = body.partition("=")
    if not equals or not key or not value:
        return None
    if len(key) > MAX_TAG_PART or len(value) > MAX_TAG_PART:
        return None
    return key, value


def selector_text(tags: Sequence[TagFilter], instance_id: str | None) -> str:
    """A selection as one would type it: `tag:k=v …` then the instance ID."""
    parts = [f"{TAG_PREFIX}{key}={value}" for key, value in tags]
    if instance_id:
        parts.append(instance_id)
    return " ".join(parts)


def split_list(text: str) -> list[str]:
    """Items of a form field, one per line or separated by spaces, commas or semicolons."""
    return [item for item in _LIST_SEPARATORS.split(text) if item]


def clean_text(text: str) -> str:
    """Control characters (NUL included, which PostgreSQL refuses) become spaces; trimmed."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text).strip()
