"""The inbox: the review queue, filtered, most urgent first, a page at a time; bulk verdicts;
and the small endpoints the page polls to show new items without a reload."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for

from moderator.store import now
from moderator.store import InboxFilter
from moderator.store.inbox import SEVERITY_RANK
from moderator.web import verdicts
from moderator.web.auth import role_required

bp = Blueprint("inbox", __name__)
PAGE_SIZE = 50
MAX_BULK = 200
# The age filter's choices: (label, older than, newer than).
AGES = {
    "new1h": ("queued in the last hour", None, timedelta(hours=1)),
    "new24h": ("queued in the last 24 hours", None, timedelta(hours=24)),
    "old24h": ("waiting over 24 hours", timedelta(hours=24), None),
    "old7d": ("waiting over 7 days", timedelta(days=7), None),
}
FILTER_KEYS = ("account", "platform", "rule", "severity", "age")


def _filters() -> tuple[InboxFilter, dict[str, str]]:
    chosen = {k: request.args.get(k, "").strip()[:200] for k in FILTER_KEYS}
    chosen = {k: v for k, v in chosen.items() if v}
    if chosen.get("severity") and chosen["severity"] not in SEVERITY_RANK:
        abort(400, f"unknown severity {chosen['severity']!r}")
    if chosen.get("age") and chosen["age"] not in AGES:
        abort(400, f"unknown age filter {chosen['age']!r}")
    _, older, newer = AGES.get(chosen.get("age", ""), ("", None, None))
    at = now()
    return InboxFilter(account=chosen.get("account"), platform=chosen.get("platform"),
                       rule=chosen.get("rule"), severity=chosen.get("severity"),
                       older_than=at - older if older else None,
                       newer_than=at - newer if newer else None), chosen


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 1_000_000))
    except ValueError:
        abort(400, "page: expected a number")


def _page() -> dict[str, Any]:
    filters, chosen = _filters()
    page = _page_number()
    rows, total = g.store.inbox_page(filters, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return {"rows": rows, "total": total, "page": page, "pages": pages, "chosen": chosen,
            "query": urlencode(chosen), "page_size": PAGE_SIZE}


@bp.route("/")
def home() -> Any:
    return redirect(url_for("inbox.inbox"))


@bp.route("/inbox")
def inbox() -> Any:
    settings = verdicts.settings()
    facets = {"accounts": sorted(a.name for a in settings.accounts),
              "platforms": sorted({a.platform for a in settings.accounts}),
              "rules": g.store.pending_rules()}
    return render_template("inbox.html", **_page(), facets=facets,
                           severities=list(SEVERITY_RANK), ages=AGES,
                           dry_run={a.name for a in settings.accounts
                                    if a.mode.value != "enforce"},
                           message=verdicts.message(request.args))


@bp.route("/inbox/rows")
def rows() -> Any:
    """The current page's rows alone: the page swaps them in when something changed."""
    settings = verdicts.settings()
    data = _page()
    response = render_template("_rows.html", **data,
                               dry_run={a.name for a in settings.accounts
                                        if a.mode.value != "enforce"})
    return response, 200, {"X-Total": str(data["total"])}


@bp.route("/inbox/state")
def state() -> Any:
    pending, newest = g.store.newest_pending()
    return jsonify(pending=pending, newest=newest)


@bp.route("/inbox/bulk", methods=["POST"])
@role_required("reviewer")
def bulk() -> Any:
    verdict = request.form.get("verdict")
    if verdict not in ("approve", "reject"):
        abort(400, "verdict: expected approve or reject")
    try:
        ids = sorted({int(i) for i in request.form.getlist("ids")})
    except ValueError:
        abort(400, "ids: expected item numbers")
    if not ids:
        abort(400, "select at least one item")
    if len(ids) > MAX_BULK:
        abort(400, f"at most {MAX_BULK} items at once")
    done, failed = verdicts.bulk(ids, verdict)
    # back to the same filters and page (only known keys: nothing else rides along)
    keep = {k: v for k, v in parse_qsl(request.form.get("back", ""))
            if k in FILTER_KEYS or k == "page"}
    return redirect(url_for("inbox.inbox", **keep, done=f"bulk-{verdict}", n=done,
                            failed=failed))
