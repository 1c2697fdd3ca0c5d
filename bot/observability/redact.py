"""Remove secrets from text bound for logs: known values, and the shapes of tokens and signatures.

Known values (from settings) are removed wherever they appear, URL-encoded too; patterns catch
what the settings do not hold: other Slack tokens, Authorization headers, ECS signatures and STS
tokens, Slack request signatures. Over-redacting a log line is acceptable; leaking is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from pydantic import SecretStr
from sqlalchemy import make_url

from bot.config import Settings

__all__ = ["MASK", "Redactor", "is_secret_key", "secrets_from"]

MASK = "[REDACTED]"
_MIN_SECRET = 4  # shorter values would mask ordinary words; settings never hold such secrets

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Slack bot/user/app-config/refresh tokens (xoxb-, xoxp-, xoxe.xoxp-, …) and app tokens.
    (re.compile(r"\bxox[a-z]{1,2}(?:\.xox[a-z])?-[A-Za-z0-9-]+"), MASK),
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), MASK),
    # An Authorization header or field: the whole value (scheme and credentials) to the quote
    # or line end, as in `Authorization: Bearer …` or `'authorization': 'ACS3-HMAC-SHA256 …'`.
    (re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n]+"), rf"\1{MASK}"),
    (re.compile(r"ACS3-HMAC-SHA256\s+[^\"'\r\n]+"), f"ACS3-HMAC-SHA256 {MASK}"),
    # Single-valued secret fields in headers, query strings, form bodies, JSON and reprs.
    (
        re.compile(
            r"(?i)(\b(?:x-acs-security-token|securitytoken|security_token|x-slack-signature"
            r"|signature|access_?key_?secret|signing_?secret|client_secret|token)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,;}\]]+"
        ),
        rf"\1{MASK}",
    ),
    # A Slack v0 request signature on its own.
    (re.compile(r"\bv0=[0-9a-fA-F]{16,}"), f"v0={MASK}"),
)


# A field with such a name holds a secret whatever its value looks like.
_SECRET_KEY = re.compile(r"(?i)authorization|token|secret|signature|password|passwd|credential")


def is_secret_key(name: str) -> bool:
    """Whether a field called `name` (header, extra, JSON key) holds a secret."""
    return _SECRET_KEY.search(name) is not None


class Redactor:
    """Replaces known secret values and secret-shaped substrings with MASK."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= _MIN_SECRET:
                values.add(secret)
                values.add(quote(secret, safe=""))
                values.add(quote(secret, safe="/"))
        # Longest first, so a secret that contains another is removed whole.
        ordered = sorted(values, key=len, reverse=True)
        self._known = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __repr__(self) -> str:
        return "Redactor(<secrets hidden>)"

    def redact(self, text: str) -> str:
        """`text` with every known secret and secret-shaped substring masked."""
        if self._known is not None:
            text = self._known.sub(MASK, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def redact_value(self, value: Any) -> Any:
        """A JSON-friendly copy of `value` with every string in it redacted."""
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, Mapping):
            return {
                self.redact(str(k)): MASK if is_secret_key(str(k)) else self.redact_value(v)
                for k, v in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            return [self.redact_value(v) for v in value]
        # Anything else is logged as its str(); SecretStr's str() is already masked.
        return self.redact(str(value))


def secrets_from(settings: Settings) -> list[str]:
    """Every secret value the settings hold: tokens, signing secret, keys, the DB password."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            found.append(value.get_secret_value())
    try:
        password = make_url(settings.database_url).password
    except Exception:
        password = None
    if password:
        found.append(str(password))
    return found
