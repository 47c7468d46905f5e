"""What every request of the web inbox shares, reachable from any route as ``context()``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

from flask import current_app

from connectors.base import Connector
from moderator import config
from moderator.store import Store
from moderator.web.limits import LoginLimiter


@dataclass
class WebContext:
    """What every request needs: the settings, how to open an account's connector (tests
    and the daemon pass their own), the login limiter (in memory, per process), and one
    database connection per server thread (opening one costs more than an inbox query)."""

    settings: config.Settings
    connect: Callable[[str], Connector]
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    local: threading.local = field(default_factory=threading.local)

    def store(self) -> Store:
        store = getattr(self.local, "store", None)
        if store is None:
            store = self.local.store = Store(self.settings.store_path)
        return store


def default_connect(settings: config.Settings) -> Callable[[str], Connector]:
    from moderator.worker import open_connector

    secrets = config.Secrets(settings.secrets_file)
    return lambda name: open_connector(settings.account(name), secrets)


def context() -> WebContext:
    return current_app.extensions["moderator"]
