"""The Flask application: one database connection per request, security headers on every
answer, the blueprints, and the filters that make hostile text safe to show."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from flask import Flask, Response, g, render_template, request
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from connectors.base import Connector
from moderator import config
from moderator.render import defang_text, defang_value
from moderator.web import auth, inbox, item, reports
from moderator.web.context import WebContext, context, default_connect
from moderator.web.limits import LoginLimiter
from rules.text import strip_invisible

logger = logging.getLogger(__name__)
HERE = Path(__file__).parent

# Everything comes from this server: no inline script or style, no third-party host, no
# framing. A comment that smuggled markup past the escaping still could not run anything.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(settings: config.Settings,
               connect: Callable[[str], Connector] | None = None) -> Flask:
    app = Flask("moderator.web", root_path=str(HERE), static_folder="static",
                template_folder="templates")
    app.config.update(MAX_CONTENT_LENGTH=1_000_000, SEND_FILE_MAX_AGE_DEFAULT=3600)
    app.extensions["moderator"] = WebContext(
        settings, connect or default_connect(settings),
        LoginLimiter(settings.web.login_attempts))
    app.jinja_env.filters.update(shown=shown_text, evidence=evidence_text)
    app.jinja_env.globals.update(csrf_token=lambda: g.session["csrf"] if g.get("session")
                                 else "")
    for blueprint in (auth.bp, inbox.bp, item.bp, reports.bp):
        app.register_blueprint(blueprint)
    app.before_request(_open_store)
    app.before_request(auth.load_user)
    app.teardown_request(_end_request)
    app.after_request(_headers)
    app.register_error_handler(HTTPException, _error_page)
    return app


def _open_store() -> None:
    if request.endpoint != "static":
        g.store = context().store()


def _end_request(exc: BaseException | None) -> None:
    store = g.pop("store", None)
    if store is not None and store.db.conn.in_transaction:  # never carry one over
        store.db.conn.rollback()


def _headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(error: HTTPException) -> Any:
    return render_template("error.html", error=error), error.code or 500


def shown_text(value: Any) -> Markup:
    """Hostile text for a page: invisible and direction characters dropped, links defanged,
    escaped, and isolated so its direction cannot reorder the page around it."""
    text = defang_text(strip_invisible(str(value or "")))
    return Markup('<bdi dir="auto">%s</bdi>') % escape(text)


def evidence_text(value: Any) -> Markup:
    return Markup('<bdi dir="auto">%s</bdi>') % escape(strip_invisible(defang_value(value)))
