"""A Bolt app served on loopback by the stdlib, so the sender is tested over real HTTP."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest

from support.loopback import LoopbackServer


class BoltHttpServer(LoopbackServer):
    """`POST /slack/events` -> `app.dispatch`, HTTP/1.1 keep-alive, on a free port."""

    def __init__(self, app: App) -> None:
        self.app = app
        bolt_app = app

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = BoltRequest(body=raw.decode(), headers=dict(self.headers.items()))
                response = bolt_app.dispatch(request)
                body = response.body.encode()
                self.send_response(response.status)
                for name, values in response.headers.items():
                    for value in values:
                        if name.lower() != "content-length":
                            self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__(Handler)

    @property
    def events_url(self) -> str:
        return self.base_url + "/slack/events"
