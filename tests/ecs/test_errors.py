"""The catalogue covers the seed's error table and classifies codes the way the bot reacts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.ecs.catalogue import (
    ATTACH,
    ATTACH_CODES,
    ATTACH_DOC_CODES,
    BY_OPERATION,
    CONFLICT_CODES,
    DETACH,
    per_operation,
)
from bot.ecs.errors import (
    CATALOGUE,
    Category,
    EcsError,
    EcsTransportError,
    OutcomeUnknownError,
    Reaction,
    lookup,
)

DATA = Path(__file__).resolve().parent / "data"
REPO_SEED = DATA / "seed_detach.txt"
SHARED_SEED = Path(__file__).resolve().parents[2].parent / "shared/seed/000_9df5ed7a58358877.txt"
ROW = re.compile(r"^\| (\d{3}) \| ([A-Za-z0-9.]+) \| %s \|")


def seed_table() -> list[tuple[int, str]]:
    """(HTTP status, code) rows of the seed's "Error codes" table."""
    text = REPO_SEED.read_text(encoding="utf-8")
    table = text.split("Error codes", 1)[1]
    return [(int(m[1]), m[2]) for line in table.splitlines() if (m := ROW.match(line))]


def test_seed_table_has_35_codes() -> None:
    rows = seed_table()
    assert len(rows) == 35
    assert len({code for _, code in rows}) == 35


@pytest.mark.skipif(not SHARED_SEED.exists(), reason="../shared is not beside this clone")
def test_repo_seed_copy_equals_shared() -> None:
    assert REPO_SEED.read_bytes() == SHARED_SEED.read_bytes()


@pytest.mark.parametrize(("status", "code"), seed_table(), ids=[c for _, c in seed_table()])
def test_catalogue_covers_seed_code_with_its_status(status: int, code: str) -> None:
    entry = CATALOGUE[code]
    assert entry.code == code
    assert entry.http_status == status
    assert entry.meaning
    assert entry.remedy


GATEWAY = [
    ("Throttling", 400, Reaction.RETRY_NOW),
    ("Throttling.User", 400, Reaction.RETRY_NOW),
    ("Throttling.Api", 400, Reaction.RETRY_NOW),
    ("Rejected.Throttling", 400, Reaction.RETRY_NOW),
    ("ServiceUnavailable", 503, Reaction.RETRY_NOW),
    ("InternalError", 500, Reaction.RETRY_NOW),
    ("UnknownError", 400, Reaction.RETRY_NOW),
    ("SignatureDoesNotMatch", 400, Reaction.FAIL),
    ("IncompleteSignature", 400, Reaction.FAIL),
    ("InvalidAccessKeyId.NotFound", 404, Reaction.FAIL),
    ("InvalidAccessKeyId.Inactive", 400, Reaction.FAIL),
    ("InvalidSecurityToken.Expired", 400, Reaction.RETRY_LATER),
    ("InvalidSecurityToken.Malformed", 400, Reaction.FAIL),
    ("InvalidTimeStamp.Expired", 400, Reaction.FAIL),
    ("InvalidTimeStamp.Format", 400, Reaction.FAIL),
    ("SignatureNonceUsed", 400, Reaction.FAIL),
    ("Forbidden.RAM", 403, Reaction.FAIL),
    ("NoPermission", 403, Reaction.FAIL),
    ("Forbidden", 403, Reaction.FAIL),
    ("OperationConflict", 409, Reaction.RETRY_LATER),
    ("InvalidOperation.Conflict", 403, Reaction.RETRY_LATER),
    ("Operation.Conflict", 409, Reaction.RETRY_LATER),
    ("InvalidRegionId.NotFound", 404, Reaction.FAIL),
]


@pytest.mark.parametrize(("code", "status", "reaction"), GATEWAY, ids=[g[0] for g in GATEWAY])
def test_catalogue_covers_gateway_code(code: str, status: int, reaction: Reaction) -> None:
    assert CATALOGUE[code].http_status == status
    assert CATALOGUE[code].reaction is reaction


@pytest.mark.parametrize(
    ("code", "reaction"),
    [
        ("InvalidOperation.InvalidEniState", Reaction.RETRY_LATER),
        ("InvalidOperation.InvalidEcsState", Reaction.RETRY_LATER),
        ("InvalidEniId.NotFound", Reaction.ALREADY_DONE),
        ("InvalidEcsId.NotFound", Reaction.ALREADY_DONE),
        ("InvalidOperation.DetachPrimaryEniNotAllowed", Reaction.FAIL),
        ("InvalidOperation.EniServiceManaged", Reaction.FAIL),
        ("InvalidParameter.EniNotBelongEcs", Reaction.FAIL),
        ("Transport.DetachOutcomeUnknown", Reaction.CHECK_FIRST),
    ],
)
def test_detach_reactions(code: str, reaction: Reaction) -> None:
    assert CATALOGUE[code].reaction is reaction


def test_every_entry_is_keyed_by_its_code_and_written_for_people() -> None:
    for code, entry in CATALOGUE.items():
        assert entry.code == code
        assert entry.meaning.endswith(".")
        assert entry.remedy.endswith(".")
        # Plain words: no raw API jargon in what the person reads.
        assert "ENI state" not in entry.meaning
        assert "%s" not in entry.meaning


def test_lookup_unknown_throttling_code_uses_throttling_family() -> None:
    entry = lookup("Throttling.Something.New", 400)
    assert entry.code == "Throttling.Something.New"
    assert entry.reaction is Reaction.RETRY_NOW
    assert entry.category is Category.THROTTLING


def test_lookup_unknown_5xx_is_server_error() -> None:
    entry = lookup("Weird.Backend", 502)
    assert entry.code == "Weird.Backend"
    assert entry.http_status == 502
    assert entry.reaction is Reaction.RETRY_NOW


def test_lookup_unknown_4xx_fails_and_keeps_code() -> None:
    entry = lookup("Totally.New", 403)
    assert entry.code == "Totally.New"
    assert entry.http_status == 403
    assert entry.reaction is Reaction.FAIL
    assert entry.category is Category.UNKNOWN
    assert not entry.retryable


def test_error_keeps_ecs_message_verbatim_with_placeholders() -> None:
    error = EcsError(
        "InvalidParameter.EniNotBelongEcs",
        "The specified ENI %s does not belong to %s.",
        request_id="473469C7-AA6F",
        http_status=400,
        recommend="https://api.aliyun.com/troubleshoot?q=x",
        action="DetachNetworkInterface",
    )
    assert error.message == "The specified ENI %s does not belong to %s."
    assert "%s does not belong to %s" in str(error)
    assert "473469C7-AA6F" in str(error)
    assert error.entry is CATALOGUE["InvalidParameter.EniNotBelongEcs"]
    assert error.reaction is Reaction.FAIL
    assert "InvalidParameter.EniNotBelongEcs" in repr(error)


def test_error_family() -> None:
    assert issubclass(EcsTransportError, EcsError)
    assert issubclass(OutcomeUnknownError, EcsError)
    assert not issubclass(OutcomeUnknownError, EcsTransportError)
    unknown = OutcomeUnknownError("Transport.DetachOutcomeUnknown", "read timed out")
    assert unknown.reaction is Reaction.CHECK_FIRST


# ---- AttachNetworkInterface and per-operation meanings ----


def test_attach_codes_are_the_documented_table_plus_the_write_wide_codes() -> None:
    assert len(ATTACH_DOC_CODES) == 30
    assert len(set(ATTACH_CODES)) == len(ATTACH_CODES)
    assert set(ATTACH_DOC_CODES) < set(ATTACH_CODES)
    assert set(CONFLICT_CODES) <= set(ATTACH_CODES)


@pytest.mark.parametrize("code", ATTACH_CODES)
def test_every_attach_code_has_plain_words_and_a_remedy(code: str) -> None:
    entry = lookup(code, action=ATTACH)
    assert entry.code == code
    assert entry.category is not Category.UNKNOWN
    assert entry.meaning.endswith(".") and entry.remedy.endswith(".")
    assert "%s" not in entry.meaning
    # An attach never reads as a detach, whichever entry it comes from.
    assert "removed" not in entry.meaning
    assert "request the detach" not in entry.remedy


@pytest.mark.parametrize(
    ("code", "detach", "attach"),
    [
        ("InvalidEcsId.NotFound", Reaction.ALREADY_DONE, Reaction.FAIL),
        ("InvalidEniId.NotFound", Reaction.ALREADY_DONE, Reaction.FAIL),
        ("InvalidOperation.InvalidEniState", Reaction.RETRY_LATER, Reaction.RETRY_LATER),
        ("InvalidOperation.InvalidEcsState", Reaction.RETRY_LATER, Reaction.RETRY_LATER),
        ("EniPerInstanceLimitExceeded", Reaction.FAIL, Reaction.FAIL),
    ],
)
def test_per_operation_reactions(code: str, detach: Reaction, attach: Reaction) -> None:
    assert lookup(code, action=DETACH).reaction is detach
    assert lookup(code, action=ATTACH).reaction is attach
    assert per_operation(code) == {ATTACH}
    assert lookup(code, action=ATTACH).meaning != lookup(code, action=DETACH).meaning


def test_codes_with_one_meaning_say_so() -> None:
    assert per_operation("Throttling") == frozenset()
    assert lookup("Throttling", action=ATTACH) is CATALOGUE["Throttling"]
    assert per_operation("InvalidOperation.Ipv4CountExceeded") == frozenset()


def test_every_operation_entry_is_marked_with_its_operation() -> None:
    for action, own in BY_OPERATION.items():
        for code, entry in own.items():
            assert (entry.code, entry.action) == (code, action)
            # Same code, same status: only the words and the reaction may differ.
            assert entry.http_status == CATALOGUE[code].http_status


def test_error_entry_follows_its_action() -> None:
    attach = EcsError("InvalidEcsId.NotFound", http_status=404, action=ATTACH)
    detach = EcsError("InvalidEcsId.NotFound", http_status=404, action=DETACH)
    assert attach.reaction is Reaction.FAIL
    assert detach.reaction is Reaction.ALREADY_DONE
    assert OutcomeUnknownError("InternalError", action=ATTACH).reaction is Reaction.CHECK_FIRST


def test_the_example_of_the_contract() -> None:
    entry = lookup("EniPerInstanceLimitExceeded", action=ATTACH)
    assert "holds no more" in entry.meaning
    assert "detach" in entry.remedy.lower() and "larger" in entry.remedy


@pytest.mark.parametrize("code", CONFLICT_CODES)
def test_the_three_conflict_spellings_are_one_busy_reaction(code: str) -> None:
    reference = CATALOGUE["OperationConflict"]
    for action in (None, DETACH, ATTACH):
        entry = lookup(code, action=action)
        assert entry.reaction is Reaction.RETRY_LATER
        assert entry.category is Category.CONFLICT
        assert (entry.meaning, entry.remedy) == (reference.meaning, reference.remedy)
