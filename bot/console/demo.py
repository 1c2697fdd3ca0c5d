"""`eni-bot console --demo`: a guided tour typed for you, with a line of narration per step.

The tour drives the same session as a person would: every step is a console line, echoed and
carried out, and waits until the bot is at rest. IDs come from the simulator's world (by ENI
name) and request numbers from the database, so the tour works on any fresh database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from bot.console.render import Renderer
from bot.console.session import Session
from bot.db import read
from bot.requests import repository

__all__ = ["play"]

Line = str | Callable[["Tour"], str]


@dataclass
class Tour:
    """What the steps need to know while the tour runs."""

    session: Session

    def eni(self, name: str) -> str:
        """The ID of the demo world's ENI with this name."""
        world = self.session.parts.simulator.world
        for region in world.regions:
            for eni in world.network_interfaces(region):
                if eni.name == name:
                    return eni.eni_id
        raise LookupError(f"the demo world has no ENI named {name!r}")

    def request(self, eni_name: str) -> int:
        """The number of the latest request for that ENI."""
        eni_id = self.eni(eni_name)
        with read(self.session.parts.runtime.sessions) as session:
            found = repository.latest_for_eni(session, eni_id)
        if found is None:
            raise LookupError(f"no request for {eni_id} yet")
        return found.id


APP = "web-1-app"  # a plain secondary ENI: detaches cleanly
EGRESS = "tiny-proxy-egress"  # its instance type cannot hot-plug: ECS refuses at execution
LEGACY = "web-1-legacy"  # its guest ignores the first detach: stuck until retried
# reports-1's ENIs tagged app=reports: three plain secondaries and a service-managed one that a
# selection leaves out. The tour makes ECS refuse one of the three (a simulator fault).
REPORTS = "app=reports"
REPORTS_REFUSED = "reports-export"
REPORTS_FIRST = "reports-api"

STEPS: list[tuple[str, list[Line]]] = [
    (
        "Welcome. This is the real bot, wired to a simulated Slack channel (#eni-ops) and a "
        "simulated Alibaba Cloud account. @alice and @bob may ask for detaches; @lead and "
        "@lead2 approve them. First, what is in the cloud (instances, their ENIs, and each "
        "ENI's tags):",
        ["world cn-hangzhou"],
    ),
    (
        "@lead asks to detach web-1's app ENI. The bot answers at once, checks the ENI with ECS, "
        "then posts an approval card in the channel.",
        ["as @lead", lambda t: f"/eni detach {t.eni(APP)} moving app traffic to the new node"],
    ),
    (
        "@lead is an approver, but nobody may approve their own request: the refusal is shown "
        "to them alone, and nothing changes.",
        [lambda t: f"click approve {t.request(APP)}"],
    ),
    (
        "A second approver, @lead2, approves. The workers send DetachNetworkInterface, then poll "
        "ECS; each state change is one reply in the card's thread (Detaching, then Available), "
        "and the card itself is updated in place.",
        ["as @lead2", lambda t: f"click approve {t.request(APP)}"],
    ),
    (
        "Not every detach succeeds. tiny-proxy's instance type cannot hot-plug ENIs; pre-flight "
        "cannot see that, ECS refuses at execution, and the thread says what it means in plain "
        "words, with the ECS error code and request ID. This time @alice asks and @lead approves.",
        [
            "as @alice",
            lambda t: f"/eni detach {t.eni(EGRESS)} egress moves to the NAT gateway",
            "as @lead",
            lambda t: f"click approve {t.request(EGRESS)}",
        ],
    ),
    (
        "Sometimes an ENI stays in Detaching (here: a legacy guest ignores the first detach). "
        "After ENIBOT_STUCK_AFTER seconds the bot reports it stuck, says what to do, and offers "
        "a Retry button. This takes a few seconds.",
        [
            "as @alice",
            lambda t: f"/eni detach {t.eni(LEGACY)} retiring the legacy interface",
            "as @lead",
            lambda t: f"click approve {t.request(LEGACY)}",
        ],
    ),
    (
        "The lead re-initiates the detach with the Retry button; this time the ENI comes free.",
        [lambda t: f"click retry {t.request(LEGACY)}"],
    ),
    (
        "Operators rarely free one ENI, so one request can hold several. A selector picks "
        "them: `tag:app=reports` is every attached secondary ENI carrying that tag (an "
        "instance ID instead picks all of that instance's secondaries). What cannot be "
        "detached, like the load balancer's ENI, is left out and listed on the card. To show "
        "a failure, the simulated ECS is told to answer reports-export once with "
        "OperationConflict (busy: the bot waits and sends again), then with Forbidden.RAM, as "
        "an access policy that does not cover that ENI would.",
        [
            lambda t: f"fault error OperationConflict {t.eni(REPORTS_REFUSED)}",
            lambda t: f"fault error Forbidden.RAM {t.eni(REPORTS_REFUSED)}",
            "as @bob",
            f"/eni detach tag:{REPORTS} cn-hangzhou the reports app moves to the new cluster",
        ],
    ),
    (
        "One approval covers every ENI. The bot detaches them a few at a time "
        '(ENIBOT_BULK_CONCURRENCY); the card counts progress ("2 of 3 Available"), the ENI '
        "that fails gets its own reply with the code and what to do, and the finishing reply "
        "names every ENI's outcome. `/eni status` lists each ENI with its ECS request ID.",
        [
            "as @lead",
            lambda t: f"click approve {t.request(REPORTS_FIRST)}",
            lambda t: f"/eni status {t.request(REPORTS_FIRST)}",
        ],
    ),
    (
        "A detach can be undone. The reply that finished request #1 carries a Re-attach (undo) "
        "button; its requester or an approver may press it (`/eni reattach 1` does the same). "
        "@lead2, who approved it, presses it: the bot checks the ENI is still Available and "
        "posts a new card, an attach request putting it back on the instance it came from. "
        "The new card names #1, and #1's thread names the new request.",
        ["as @lead2", lambda t: f"click reattach {t.request(APP)}"],
    ),
    (
        "An undo needs approval like any request, and @lead2 asked for this one, so @lead "
        "approves. The workers send AttachNetworkInterface; the thread says Attaching, then "
        "Attached once ECS shows the ENI InUse on that instance. `world` shows web-1-app back "
        "on web-1.",
        [
            "as @lead",
            lambda t: f"click approve {t.request(APP)}",
            "world cn-hangzhou",
        ],
    ),
    (
        "That was the tour. Run `eni-bot console` (or `make run`) to type your own lines: "
        "`help` lists them, `world` shows IDs and tags to copy, `fault …` makes ECS misbehave.",
        [],
    ),
]


def play(session: Session) -> bool:
    """Play the tour; True when every step was carried out."""
    tour = Tour(session)
    for narration, lines in STEPS:
        session.say(partial(Renderer.narrate, text=narration))
        for line in lines:
            try:
                text = line if isinstance(line, str) else line(tour)
            except LookupError as exc:
                message = f"the tour cannot go on: {exc}"
                session.say(partial(Renderer.error, text=message))
                session.output.flush()
                return False
            if session.carry_out(text, echo=True) is False:
                return False
    session.output.flush()
    return True
