"""Fixtures for the Slack surface tests; the harness is the shared stack (slack_harness.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from slack_harness import APPROVER, APPROVER_GROUP, GROUP_APPROVER, Harness, HarnessFactory

from support.stack import build_stack

# Approvers U0APPROVER1 and the group S0APPROVERS (U0APPROVER2); everyone may request.
SURFACE_SETTINGS: dict[str, Any] = {
    "approvers": f"{APPROVER},{APPROVER_GROUP}",
    "allowed_regions": "cn-hangzhou,cn-shanghai",
}


@pytest.fixture
def make_harness(tmp_path: Path) -> Iterator[HarnessFactory]:
    """Build a harness with settings overrides (field names of `Settings`); no workers."""
    with ExitStack() as made:
        count = 0

        def make(**overrides: Any) -> Harness:
            nonlocal count
            count += 1
            return made.enter_context(
                build_stack(
                    f"sqlite:///{tmp_path / f'bot-{count}.db'}",
                    usergroups={APPROVER_GROUP: [GROUP_APPROVER]},
                    settings={**SURFACE_SETTINGS, **overrides},
                )
            )

        yield make


@pytest.fixture
def harness(make_harness: HarnessFactory) -> Harness:
    """The default harness: approvers U0APPROVER1 and group S0APPROVERS; everyone may request."""
    return make_harness()
