"""Block Kit checks Slack applies before accepting blocks, so a malformed card fails in tests.

Not the whole Block Kit schema: the limits and required fields a real bot most often trips on.
Each problem is one string in the style of Slack's `response_metadata.messages`. The limits are
those of Slack's Block Kit reference (docs.slack.dev/reference/block-kit/...):

    blocks            at most 50 in a message, 100 in a modal or Home tab       (blocks)
    text object       1 to 3,000 characters                   (composition-objects/text-object)
    section           text 3,000; at most 10 fields of 2,000 each           (blocks/section-block)
    header            plain_text, at most 150 characters                     (blocks/header-block)
    context           1 to 10 elements, each an image or a text object      (blocks/context-block)
    actions           1 to 25 elements                                      (blocks/actions-block)
    button            plain_text of at most 75; value 2,000   (block-elements/button-element)
    static select     at most 100 options; placeholder plain_text of at most 150
                                                                (block-elements/select-menu-element)
    option            text plain_text of at most 75; value at most 150  (composition-objects/option)
    block_id          1 to 255 characters, unique in its message; action_id at most 255

`auto_parsed` is not a refusal (Slack accepts such blocks): it names text in mrkdwn objects
without `verbatim: true` that Slack's automatic parsing would turn into links or mentions, so
tests can check that user text reaches Slack as text.
"""

from __future__ import annotations

import re
from typing import Any

MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
_KNOWN_BLOCKS = {
    "section",
    "context",
    "header",
    "divider",
    "actions",
    "input",
    "image",
    "rich_text",
    "file",
    "video",
    "markdown",
}
_TEXT_TYPES = {"plain_text", "mrkdwn"}
TEXT_OBJECT_LIMIT = 3000
_SELECTS = {"static_select", "multi_static_select"}


def _text_problem(text: Any, where: str, *, limit: int, plain_only: bool = False) -> str | None:
    if not isinstance(text, dict):
        return f"{where} must be a text object"
    kind = text.get("type")
    if kind not in _TEXT_TYPES or (plain_only and kind != "plain_text"):
        return f"{where} has invalid text type {kind!r}"
    value = text.get("text")
    if not isinstance(value, str) or not value:
        return f"{where} must have non-empty text"
    if len(value) > limit:
        return f"{where} must be less than {limit + 1} characters"
    return None


def _element_problems(element: Any, where: str) -> list[str]:
    if not isinstance(element, dict) or "type" not in element:
        return [f"{where} must be an object with a type"]
    problems: list[str] = []
    action_id = element.get("action_id")
    if action_id is not None and (not isinstance(action_id, str) or len(action_id) > 255):
        problems.append(f"{where}.action_id must be a string of at most 255 characters")
    if element["type"] == "button":
        problem = _text_problem(element.get("text"), f"{where}.text", limit=75, plain_only=True)
        if problem:
            problems.append(problem)
        value = element.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > 2000):
            problems.append(f"{where}.value must be a string of at most 2000 characters")
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"{where}.style must be primary or danger")
    elif element["type"] in _SELECTS:
        problems.extend(_select_problems(element, where))
    return problems


def _select_problems(element: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    placeholder = element.get("placeholder")
    if placeholder is not None and (
        p := _text_problem(placeholder, f"{where}.placeholder", limit=150, plain_only=True)
    ):
        problems.append(p)
    options = element.get("options")
    if "option_groups" in element:
        return problems  # grouped options: not checked further
    if not isinstance(options, list) or not 0 < len(options) <= 100:
        return [*problems, f"{where}.options must be a list of 1 to 100 items"]
    for i, option in enumerate(options):
        at = f"{where}.options[{i}]"
        if not isinstance(option, dict):
            problems.append(f"{at} must be an object")
            continue
        if p := _text_problem(option.get("text"), f"{at}.text", limit=75, plain_only=True):
            problems.append(p)
        value = option.get("value")
        if not isinstance(value, str) or not 0 < len(value) <= 150:
            problems.append(f"{at}.value must be a string of 1 to 150 characters")
    return problems


def _context_problems(elements: Any, where: str) -> list[str]:
    if not isinstance(elements, list) or not 0 < len(elements) <= 10:
        return [f"{where}.elements must be a list of 1 to 10 items"]
    problems: list[str] = []
    for i, element in enumerate(elements):
        at = f"{where}.elements[{i}]"
        kind = element.get("type") if isinstance(element, dict) else None
        if kind == "image":
            if not element.get("alt_text") or not (
                element.get("image_url") or element.get("slack_file")
            ):
                problems.append(f"{at} must have alt_text and image_url or slack_file")
        elif p := _text_problem(element, at, limit=TEXT_OBJECT_LIMIT):
            problems.append(p)
    return problems


def _block_problems(block: Any, where: str) -> list[str]:
    if not isinstance(block, dict):
        return [f"{where} must be an object"]
    kind = block.get("type")
    if kind not in _KNOWN_BLOCKS:
        return [f"{where} has unknown block type {kind!r}"]
    problems: list[str] = []
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or not 0 < len(block_id) <= 255):
        problems.append(f"{where}.block_id must be 1 to 255 characters")
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append(f"{where} must have text or fields")
        if "text" in block and (p := _text_problem(block["text"], f"{where}.text", limit=3000)):
            problems.append(p)
        fields = block.get("fields", [])
        if not isinstance(fields, list) or len(fields) > 10:
            problems.append(f"{where}.fields must be a list of at most 10 items")
        else:
            for i, item in enumerate(fields):
                if p := _text_problem(item, f"{where}.fields[{i}]", limit=2000):
                    problems.append(p)
        if "accessory" in block:
            problems.extend(_element_problems(block["accessory"], f"{where}.accessory"))
    elif kind == "header":
        if p := _text_problem(block.get("text"), f"{where}.text", limit=150, plain_only=True):
            problems.append(p)
    elif kind == "context":
        problems.extend(_context_problems(block.get("elements"), where))
    elif kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 0 < len(elements) <= 25:
            problems.append(f"{where}.elements must be a list of 1 to 25 items")
        else:
            for i, element in enumerate(elements):
                problems.extend(_element_problems(element, f"{where}.elements[{i}]"))
    elif kind == "input":
        if p := _text_problem(block.get("label"), f"{where}.label", limit=2000, plain_only=True):
            problems.append(p)
        problems.extend(_element_problems(block.get("element"), f"{where}.element"))
    return problems


def block_problems(blocks: Any, *, limit: int = MAX_BLOCKS_MESSAGE) -> list[str]:
    """Everything Slack would refuse in `blocks`; empty when they would be accepted."""
    if not isinstance(blocks, list):
        return ["blocks must be a list"]
    if len(blocks) > limit:
        return [f"no more than {limit} items allowed [json-pointer:/blocks]"]
    problems: list[str] = []
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        problems.extend(_block_problems(block, f"/blocks/{i}"))
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in seen:
                problems.append(f"/blocks/{i}.block_id {block_id!r} is not unique")
            seen.add(block_id)
    return problems


# ---------------------------------------------------------------------------- automatic parsing

# What Slack's automatic parsing changes in a mrkdwn text object that is not `verbatim: true`:
# URLs and e-mail addresses become links, `#name` a channel link, `@name` and `@here` mentions.
# Slack accepts such blocks, so this is not a refusal: it tells a test that text Slack would
# turn into a link reached Slack as parseable (approximate: bare domains only for common TLDs).
_AUTO_PARSED = re.compile(
    r"(?:https?|ftp)://[^\s<>|]+"
    r"|\bwww\.[^\s<>|]+"
    r"|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|dev|app|co|cn|info|biz|example)\b"
    r"|(?<![\w<&])#[a-z0-9][\w-]*"
    r"|(?<![\w<])@[\w.-]+",
    re.IGNORECASE,
)


def _mrkdwn_objects(node: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(node, list):
        return [
            found for i, item in enumerate(node) for found in _mrkdwn_objects(item, f"{where}/{i}")
        ]
    if not isinstance(node, dict):
        return []
    found: list[tuple[str, dict[str, Any]]] = []
    if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
        found.append((where, node))
    for key, value in node.items():
        if isinstance(value, dict | list):
            found.extend(_mrkdwn_objects(value, f"{where}/{key}"))
    return found


def auto_parsed(blocks: Any) -> list[str]:
    """Text in `blocks` that Slack would turn into links or mentions nobody wrote as such."""
    problems: list[str] = []
    for where, obj in _mrkdwn_objects(blocks, "/blocks"):
        if obj.get("verbatim") is True:
            continue
        # Slack's own markup (`<@U1>`, `<http://x|y>`) is what the sender meant; the rest is not.
        plain = re.sub(r"<[^<>]*>", " ", obj["text"])
        for match in _AUTO_PARSED.finditer(plain):
            problems.append(
                f"{where}: {match.group(0)!r} would be parsed (mrkdwn without verbatim)"
            )
    return problems


def mrkdwn_objects(blocks: Any) -> list[dict[str, Any]]:
    """Every mrkdwn text object in `blocks` (sections, fields, context elements), in order."""
    return [obj for _, obj in _mrkdwn_objects(blocks, "/blocks")]
