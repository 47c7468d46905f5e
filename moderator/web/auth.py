"""Logging in and out, who is asking, the CSRF check, and roles.

Sessions live in the database (the cookie holds a random token, the table only its hash), so
a logout, a password change or a removed user ends them at once. Every state-changing request
carries the session's CSRF token in a form field (or the X-CSRF-Token header); without it the
answer is 403 and nothing changes. The login form has its own token in a short-lived cookie
(double submit), so nobody can log a reviewer in to someone else's account either.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from functools import wraps
from typing import Any, Callable

from flask import (Blueprint, Response, abort, after_this_request, g, redirect, render_template,
                   request, url_for)

from moderator import users
from moderator.store import now
from moderator.web.context import context

logger = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

SESSION_COOKIE = "moderator_session"
LOGIN_COOKIE = "moderator_login"
PUBLIC_ENDPOINTS = {"auth.login", "auth.favicon", "static"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Lax",
                        secure=context().settings.web.secure_cookies, path="/")


def _start_session(name: str) -> str:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    hours = context().settings.web.session_hours
    g.store.create_session(token_hash(token), name, csrf, now() + timedelta(hours=hours))
    g.session = g.store.get_session(token_hash(token))
    return token


def _proxy_user() -> str | None:
    """The reverse proxy's authenticated user, believed only from the configured address."""
    web = context().settings.web
    if not web.proxy_user_header or request.remote_addr != web.trusted_proxy:
        return None
    name = request.headers.get(web.proxy_user_header, "").strip()
    return name if name and len(name) <= 128 else None


def load_user() -> Any:
    """Before every request: the session, the user, the CSRF check, the login wall."""
    g.user = g.session = None
    if request.endpoint == "static":
        return None
    token = request.cookies.get(SESSION_COOKIE)
    session = g.store.get_session(token_hash(token)) if token else None
    proxied = _proxy_user()
    if proxied and (session is None or session["user"].casefold() != proxied.casefold()):
        new_token = _start_session(proxied)
        after_this_request(lambda r: (_cookie(r, SESSION_COOKIE, new_token,
                                              int(context().settings.web.session_hours * 3600))
                                      or r))
        session = g.session
    if session and (session["role"] or proxied):
        g.session = session
        g.user = {"name": session["user"], "role": session["role"] or "reviewer"}
    if request.method not in SAFE_METHODS and request.endpoint != "auth.login":
        sent = request.form.get("csrf") or request.headers.get("X-CSRF-Token") or ""
        if g.session is None or not hmac.compare_digest(sent, g.session["csrf"]):
            abort(403, "missing or wrong CSRF token: reload the page and try again")
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if request.method in SAFE_METHODS:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)
    return None


def role_required(role: str) -> Callable:
    """Roles are checked here, on the server, whatever the page showed."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.user is None or (role == "admin" and g.user["role"] != "admin"):
                abort(403, f"this needs the {role} role")
            return view(*args, **kwargs)
        return wrapped
    return decorate


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no //host, no scheme): no open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("inbox.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        # One token per browser: a second /login (another tab, a redirected favicon request)
        # must not invalidate the form already on screen.
        kept = request.cookies.get(LOGIN_COOKIE, "")
        form_token = kept if 40 <= len(kept) <= 64 else secrets.token_urlsafe(32)
        response = Response(render_template("login.html", form_token=form_token,
                                             next=request.args.get("next", "")))
        _cookie(response, LOGIN_COOKIE, form_token, 3600)
        return response
    sent, expected = request.form.get("csrf", ""), request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(403, "missing or wrong CSRF token: reload the login page and try again")
    name = request.form.get("name", "").strip()[:128]
    keys = (f"ip:{request.remote_addr}", f"name:{name.casefold()}")
    limiter = context().limiter
    if limiter.blocked(*keys):
        g.store.record_event(None, "web.login_blocked", f"{name} from {request.remote_addr}")
        return _login_again(name, "Too many failed attempts: wait 15 minutes.", 429)
    user = users.authenticate(g.store, name, request.form.get("password", ""))
    if user is None:
        limiter.failed(*keys)
        g.store.record_event(None, "web.login_failed", f"{name} from {request.remote_addr}")
        return _login_again(name, "Wrong name or password.", 401)
    limiter.succeeded(keys[1])
    token = _start_session(user["name"])
    g.store.record_event(None, "web.login", f"{user['name']} from {request.remote_addr}")
    logger.info("web: %s logged in from %s", user["name"], request.remote_addr)
    response = redirect(_safe_next(request.form.get("next")))
    _cookie(response, SESSION_COOKIE, token, int(context().settings.web.session_hours * 3600))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


def _login_again(name: str, message: str, status: int) -> Any:
    form_token = secrets.token_urlsafe(32)
    response = Response(render_template("login.html", form_token=form_token, name=name,
                                         error=message, next=request.form.get("next", "")),
                        status=status)
    _cookie(response, LOGIN_COOKIE, form_token, 3600)
    return response


@bp.route("/favicon.ico")
def favicon() -> Any:
    """Browsers ask for it on every site; no icon, and no redirect to the login page."""
    return Response(status=204)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        g.store.delete_session(token_hash(token))
    response = redirect(url_for("auth.login"))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
