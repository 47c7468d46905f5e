"""The audit log search, the per-rule statistics and the accounts' health with the brake."""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from moderator import config, review
from moderator.errors import ConfigError
from moderator.store import now
from moderator.store import AuditFilter
from moderator.web import verdicts
from moderator.web.auth import role_required

bp = Blueprint("reports", __name__)
AUDIT_PAGE = 100
PERIODS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30),
           "90d": timedelta(days=90), "all": None}
MAX_CONFIG_BYTES = 1_000_000
AUDIT_KEYS = ("account", "comment", "rule", "reviewer", "since", "until")


def _date(name: str, value: str) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        abort(400, f"{name}: expected a date like 2026-11-01, got {value[:40]!r}")
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@bp.route("/audit")
def audit() -> Any:
    chosen = {k: request.args.get(k, "").strip()[:200] for k in AUDIT_KEYS}
    chosen = {k: v for k, v in chosen.items() if v}
    until = _date("until", chosen.get("until", ""))
    if until and len(chosen["until"]) <= 10:
        until += timedelta(days=1)  # a plain date means the whole of that day
    filters = AuditFilter(account=chosen.get("account"), comment=chosen.get("comment"),
                          rule=chosen.get("rule"), actor=chosen.get("reviewer"),
                          since=_date("since", chosen.get("since", "")), until=until)
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        abort(400, "page: expected a number")
    rows, total, more = g.store.audit_page(filters, (page - 1) * AUDIT_PAGE, AUDIT_PAGE)
    return render_template("audit.html", rows=rows, total=total, more=more, page=page,
                           pages=None if more else max(1, -(-total // AUDIT_PAGE)),
                           chosen=chosen, query=urlencode(chosen))


@bp.route("/rules")
def rules() -> Any:
    period = request.args.get("period", "30d")
    if period not in PERIODS:
        abort(400, f"period: expected one of {', '.join(PERIODS)}")
    age = PERIODS[period]
    rows = review.rule_stats(g.store, now() - age if age else None)
    return render_template("rules.html", rows=rows, period=period, periods=list(PERIODS))


@bp.route("/rules/replay", methods=["POST"])
@role_required("admin")
def replay() -> Any:
    """What `moderator replay --with NEW.toml` reports, for an uploaded config or one named on
    the server (beside the current config unless absolute). Reads the database, writes nothing.
    Admins only: it names files on the server and re-judges every stored comment."""
    from moderator.replay import replay as replay_report

    period = request.form.get("period", "30d")
    if period not in PERIODS:
        abort(400, f"period: expected one of {', '.join(PERIODS)}")
    current = verdicts.settings()
    name, new = _new_config(current)
    age = PERIODS[period]
    report = replay_report(current, new, since=now() - age if age else None)
    return render_template("replay.html", report=report, name=name, period=period)


def _new_config(current: Any) -> tuple[str, Any]:
    base = current.source.parent if current.source else Path(".")
    upload = request.files.get("config")
    try:
        if upload and upload.filename:
            data = tomllib.loads(upload.read(MAX_CONFIG_BYTES).decode("utf-8"))
            return upload.filename, config.parse(data, base_dir=base)
        named = request.form.get("path", "").strip()
        if not named.endswith(".toml"):
            abort(400, "upload a config file or name a .toml file on the server")
        path = Path(named) if Path(named).is_absolute() else base / named
        return path.name, config.load(path)
    except ConfigError as e:
        abort(400, "invalid config: " + "; ".join(e.problems))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        abort(400, f"invalid TOML: {e}")


@bp.route("/accounts")
def accounts() -> Any:
    from moderator.cli.status import account_report

    settings = verdicts.settings()
    return render_template("accounts.html", accounts=account_report(settings, g.store, now()),
                           queue=g.store.queue_size(), events=g.store.brake_events(),
                           released=request.args.get("released", ""))


@bp.route("/accounts/<name>/brake/release", methods=["POST"])
@role_required("admin")
def release_brake(name: str) -> Any:
    try:
        verdicts.settings().account(name)
    except ConfigError:
        abort(404, "no such account")
    if not g.store.release_brake(name, g.user["name"]):
        abort(409, f"{name}: the brake is not engaged")
    return redirect(url_for("reports.accounts", released=name))
