"""Serving the inbox with waitress: in the foreground (`moderator web`) or on a thread next to
the daemon (`[web] enabled = true` in `moderator run`).

waitress is a production WSGI server in pure Python (no compiler, no C extension, Windows and
Linux alike) with a small thread pool: right for a handful of reviewers on one host.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

import click
from waitress.server import create_server

from connectors.base import Connector
from moderator import config
from moderator.web.app import create_app

logger = logging.getLogger(__name__)
THREADS = 4


def make_server(settings: config.Settings, host: str, port: int,
                connect: Callable[[str], Connector] | None = None) -> Any:
    """A waitress server bound to host:port (0 picks a free port: ``.effective_port``)."""
    app = create_app(settings, connect)
    # ident=None: no "Server: waitress" header telling a stranger what to probe.
    return create_server(app, host=host, port=port, threads=THREADS, ident=None,
                         clear_untrusted_proxy_headers=True)


def url(server: Any) -> str:
    host = server.effective_host
    return f"http://{'[' + host + ']' if ':' in host else host}:{server.effective_port}/"


def serve(settings: config.Settings, host: str, port: int) -> None:
    server = make_server(settings, host, port)
    click.echo(f"Review inbox on {url(server)} (Ctrl-C stops it)", err=True)
    if host not in ("127.0.0.1", "::1", "localhost"):
        logger.warning("web: listening on %s: put it behind a reverse proxy with TLS", host)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


class Background:
    """The inbox on a daemon thread (inside ``moderator run``); ``stop()`` closes it."""

    def __init__(self, settings: config.Settings, host: str | None = None,
                 port: int | None = None, connect: Callable[[str], Connector] | None = None):
        self.server = make_server(settings, host or settings.web.host,
                                  settings.web.port if port is None else port, connect)
        self.url = url(self.server)
        self.thread = threading.Thread(target=self._run, name="moderator-web", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:  # the socket closed under the loop by stop()
            pass

    def start(self) -> "Background":
        self.thread.start()
        logger.info("web: review inbox on %s", self.url)
        return self

    def stop(self) -> None:
        """Finish the requests in hand, then close every socket so the loop ends."""
        self.server.task_dispatcher.shutdown(timeout=5)
        for channel in list(self.server._map.values()):
            channel.close()
        self.thread.join(timeout=5)
