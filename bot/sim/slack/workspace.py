"""The simulated workspace's fixed identity, shared by the stand-in and the sender so IDs agree."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Workspace:
    """Who the simulated workspace, app and bot user are; one value shared by both ends."""

    team_id: str = "T0SIMTEAM"
    team_domain: str = "eni-sim"
    team_name: str = "ENI Sim"
    app_id: str = "A0SIMAPP"
    bot_id: str = "B0SIMBOT"
    bot_user_id: str = "U0SIMBOT"
    bot_user_name: str = "eni-bot"
    # The deprecated verification token Slack still sends in every payload; not a secret.
    verification_token: str = "sim-verification-token"  # noqa: S105
    users: dict[str, str] = field(
        default_factory=lambda: {
            "U0REQUESTER": "riley",
            "U0APPROVER1": "avery",
            "U0APPROVER2": "blake",
            "U0OUTSIDER": "casey",
        }
    )
    channels: dict[str, str] = field(
        default_factory=lambda: {"C0ENIOPS": "eni-ops", "C0INCIDENTS": "incidents"}
    )

    @property
    def url(self) -> str:
        """The workspace URL `auth.test` reports, as Slack does."""
        return f"https://{self.team_domain}.slack.com/"

    def user_name(self, user_id: str) -> str:
        """A user's handle; unknown IDs get a stable made-up one so any ID can act."""
        return self.users.get(user_id, user_id.lower())

    def channel_name(self, channel_id: str) -> str:
        """A channel's name; unknown IDs get a stable made-up one."""
        return self.channels.get(channel_id, channel_id.lower())


DEFAULT_WORKSPACE = Workspace()
