"""The Slack side of the sandbox: a Web API stand-in, a sender that acts as Slack, a renderer.

webapi.SlackWebApiStandIn       what the bot calls (chat.*, views.*, conversations.*, response_url)
sender.SlackSender              what calls the bot (commands, clicks, submissions, events), signed
socket_mode.SocketModeStandIn   Socket Mode: apps.connections.open, a WebSocket server, envelopes
socket_sender.SocketModeSender  the same commands and clicks as SlackSender, as envelopes
payloads                        pure builders of Slack's request payloads
limits, blockcheck              Slack's rate limits and Block Kit limits, as the stand-in holds to
signing.sign                    Slack's v0 signature
render                          Block Kit and mrkdwn as terminal lines
"""

from __future__ import annotations

from bot.sim.slack.delivery import Delivery, Sent
from bot.sim.slack.faults import FaultKind
from bot.sim.slack.records import Ephemeral, Message, RecordedCall, ResponsePost, View
from bot.sim.slack.sender import SlackSender
from bot.sim.slack.signing import Forgery, SignedRequest, sign, signed_request
from bot.sim.slack.socket_mode import DEFAULT_APP_TOKEN, SocketModeStandIn
from bot.sim.slack.socket_sender import SocketModeSender
from bot.sim.slack.webapi import DEFAULT_BOT_TOKEN, SlackWebApiStandIn
from bot.sim.slack.workspace import DEFAULT_WORKSPACE, Workspace

__all__ = [
    "DEFAULT_APP_TOKEN",
    "DEFAULT_BOT_TOKEN",
    "DEFAULT_WORKSPACE",
    "Delivery",
    "Ephemeral",
    "FaultKind",
    "Forgery",
    "Message",
    "RecordedCall",
    "ResponsePost",
    "Sent",
    "SignedRequest",
    "SlackSender",
    "SlackWebApiStandIn",
    "SocketModeSender",
    "SocketModeStandIn",
    "View",
    "Workspace",
    "sign",
    "signed_request",
]
