"""The layers of DESIGN.md: every package has an import-linter contract, and imports stay apart.

`make lint` runs the contracts themselves (lint-imports); these tests check that the contracts
cover DESIGN's table, and what a fresh interpreter loads, which a graph of imports cannot see.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# In CI the repository is cloned beside the team's shared folder (../shared from the repo root).
SHARED_DESIGN = REPO.parent / "shared/DESIGN.md"

# The "Packages" table of DESIGN.md, first column; a copy, so a clone without ../shared checks too.
DESIGN_PACKAGES = (
    "bot.requests",
    "bot.policy",
    "bot.ecs",
    "bot.outbox",
    "bot.slack",
    "bot.workers",
    "bot.sim",
    "bot.cli",
)


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _named(contract: dict[str, object]) -> set[str]:
    """The modules a contract constrains (the importers it holds back, or what it protects)."""
    names: set[str] = set()
    for key in ("source_modules", "protected_modules"):
        value = contract.get(key, [])
        assert isinstance(value, list)
        names.update(str(module) for module in value)
    return names


def _exists(package: str) -> bool:
    path = REPO.joinpath(*package.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


@pytest.mark.skipif(not SHARED_DESIGN.exists(), reason="../shared is not beside this clone")
def test_design_packages_copy_matches_the_design_table() -> None:
    text = SHARED_DESIGN.read_text()
    table = text[text.index("## Packages") :].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `(bot/[\w/.]+?)/?` \|", table, flags=re.MULTILINE)
    assert tuple(row.removesuffix(".py").replace("/", ".") for row in rows) == DESIGN_PACKAGES


def test_every_package_of_the_design_table_has_a_contract() -> None:
    named = set().union(*(_named(contract) for contract in _contracts()))
    # A package of the table not written yet (bot/policy in 0.1) cannot be named: lint-imports
    # refuses a contract on a module that does not exist. Once it exists, it needs one.
    present = [package for package in DESIGN_PACKAGES if _exists(package)]
    assert "bot.requests" in present
    assert [package for package in present if package not in named] == []


def _loaded_by(*modules: str) -> set[str]:
    """The modules a fresh interpreter holds after importing `modules` (and nothing else)."""
    script = (
        "import importlib, sys\n"
        f"for name in {list(modules)!r}:\n"
        "    importlib.import_module(name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    return set(done.stdout.split())


def test_workers_load_no_slack_sdk() -> None:
    loaded = _loaded_by("bot.workers.runner", "bot.workers.executor", "bot.workers.poller")
    assert "bot.workers.runner" in loaded
    slack = ("slack_sdk", "slack_bolt", "bot.slack")
    assert (
        sorted(m for m in loaded if m in slack or m.startswith(tuple(f"{s}." for s in slack))) == []
    )


def test_simulators_load_nothing_of_the_bot_but_the_signer() -> None:
    package = REPO / "bot/sim"
    modules = sorted(
        ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for path in package.rglob("*.py")
    )
    loaded = _loaded_by(*modules)
    assert "bot.sim.ecs.server" in loaded
    assert sorted(m for m in loaded if m.startswith("bot.") and not m.startswith("bot.sim")) == [
        "bot.ecs",
        "bot.ecs.signer",
    ]


def test_the_policy_loads_nothing_of_the_bot_but_region_shapes() -> None:
    loaded = _loaded_by("bot.policy")
    assert "bot.policy.evaluate" in loaded
    assert sorted(m for m in loaded if m.startswith("bot.") and not m.startswith("bot.policy")) == [
        "bot.regions"
    ]
    heavy = ("sqlalchemy", "httpx", "slack_sdk", "slack_bolt", "pydantic_settings")
    assert sorted(m for m in loaded if m.split(".")[0] in heavy) == []
