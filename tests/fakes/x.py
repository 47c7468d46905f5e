"""A fake X API v2 for the real tweepy Client (mounted on its session by the connector).

Shapes follow tweepy's recorded cassettes (``recorded_api/tweepy__*.yaml``): ``{"data": [...],
"meta": {"newest_id", "oldest_id", "result_count", "next_token"}}`` with tweets that always carry
``id``, ``text`` and ``edit_history_tweet_ids``; ``{"data": {"hidden": true}}`` for hide; the
``x-rate-limit-limit/remaining/reset`` headers. The cassettes hold no expansions, so the
``includes.users`` objects, ``tweet.fields`` / ``user.fields`` selection and the problem bodies
(``{"title", "detail", "type", "status"}``) follow the public API v2 documentation.

State: users and tweets (snowflake ids that grow with creation time); hidden replies are kept in
:attr:`hidden` (the API has no field that shows it) and every action in :attr:`actions`.
"""

from __future__ import annotations

import hmac
import re
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, Iterator
from urllib.parse import quote, unquote

from oauthlib.oauth1.rfc5849 import signature, utils

from tests.fakes.harness import FakeServer, Fault, Kit, Reply, Request

TWEPOCH_MS = 1288834974657
DEFAULT_TWEET = ("id", "text", "edit_history_tweet_ids")
DEFAULT_USER = ("id", "name", "username")
LIMITS = {"mentions": (5, 100), "tweets": (5, 100), "search": (10, 100)}


def snowflake(when: datetime, sequence: int) -> str:
    ms = int(when.timestamp() * 1000)
    return str(((ms - TWEPOCH_MS) << 22) | (sequence & 0xFFF))


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def problem(status: int, title: str, detail: str, kind: str = "about:blank") -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": kind, "status": status}


class FakeX(FakeServer):
    def __init__(self, *, token: str = "fake-user-token", username: str = "AcmeBank",
                 user_id: str = "783214", ratelimit_remaining: int = 449,
                 ratelimit_reset_in: int = 900,
                 oauth1: tuple[str, str, str, str] | None = None) -> None:
        """``oauth1``: (consumer key, consumer secret, access token, token secret) accepted
        besides the bearer ``token``; signatures are checked."""
        super().__init__()
        self.tokens = {token}
        self.oauth1 = oauth1
        self.owner_id = user_id
        self.users: dict[str, dict[str, Any]] = {}
        self.tweets: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []  # creation order == id order
        self.hidden: set[str] = set()
        self.actions: list[tuple[str, str]] = []  # ("hide"|"unhide", tweet id)
        self.malformed_ids: set[str] = set()
        self.ratelimit_remaining, self.ratelimit_reset_in = ratelimit_remaining, ratelimit_reset_in
        self._seq = 0
        # Recent search only reaches seven days back: start the clock a day ago.
        self._clock = (datetime.now(timezone.utc) - timedelta(days=1)).replace(microsecond=0)
        self.add_user(username, "Acme Bank", user_id=user_id,
                      created_at=datetime(2009, 3, 1, tzinfo=timezone.utc))

    # -- state set-up ----------------------------------------------------------------------------
    def add_user(self, username: str, name: str | None = None, *, user_id: str | None = None,
                 created_at: datetime | None = None) -> str:
        with self.lock:
            uid = user_id or str(10_000_000 + len(self.users))
            self.users[uid] = {"id": uid, "name": name or username, "username": username,
                               "created_at": iso(created_at or datetime(2020, 1, 1,
                                                                        tzinfo=timezone.utc))}
            return uid

    def _user_id(self, username: str) -> str:
        for uid, user in self.users.items():
            if user["username"] == username:
                return uid
        return self.add_user(username)

    def _add(self, author_id: str, text: str, *, conversation: str | None,
             reply_to: str | None, urls: list[str], created_at: datetime | None,
             malformed: bool) -> str:
        if created_at is None:
            self._clock += timedelta(seconds=1)
            created_at = self._clock
        self._seq += 1
        tid = snowflake(created_at, self._seq)
        entities: dict[str, Any] = {}
        mentions = [(m.start(), m.end(), m.group(1)) for m in re.finditer(r"@(\w{1,15})", text)]
        if mentions:
            entities["mentions"] = [{"start": s, "end": e, "username": u,
                                     "id": self._user_id(u)} for s, e, u in mentions]
        if urls:
            short = []
            for i, url in enumerate(urls):
                tco = f"https://t.co/{tid[-6:]}{i}"
                start = len(text) + 1
                text = f"{text} {tco}"
                shown = re.sub(r"^https?://(www\.)?", "", url)
                short.append({"start": start, "end": start + len(tco), "url": tco,
                              "expanded_url": url,
                              "display_url": shown[:25] + ("…" if len(shown) > 25 else "")})
            entities["urls"] = short
        tweet = {"id": tid, "text": text, "edit_history_tweet_ids": [tid],
                 "author_id": author_id, "created_at": iso(created_at),
                 "conversation_id": conversation or tid, "lang": "en"}
        if reply_to is not None:
            tweet["in_reply_to_user_id"] = self.tweets[reply_to]["author_id"]
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
        if entities:
            tweet["entities"] = entities
        self.tweets[tid] = tweet
        self.order.append(tid)
        if malformed:
            self.malformed_ids.add(tid)
        return tid

    def add_post(self, text: str = "News from Acme", **kw: Any) -> str:
        """A post by the account: its conversation is the one the connector watches."""
        with self.lock:
            return self._add(self.owner_id, text, conversation=None, reply_to=None,
                             urls=kw.get("urls", []), created_at=kw.get("created_at"),
                             malformed=False)

    def add_reply(self, to: str, text: str, *, author: str = "someone", urls: list[str] = (),
                  mention: bool = True, created_at: datetime | None = None,
                  malformed: bool = False) -> str:
        """A reply to tweet ``to``; ``mention`` starts it with @parent-author (as X does)."""
        with self.lock:
            parent = self.tweets[to]
            if mention:
                text = f"@{self.users[parent['author_id']]['username']} {text}"
            return self._add(self._user_id(author), text, conversation=parent["conversation_id"],
                             reply_to=to, urls=list(urls), created_at=created_at,
                             malformed=malformed)

    def add_mention(self, text: str, *, author: str = "someone", urls: list[str] = (),
                    created_at: datetime | None = None) -> str:
        """A standalone post that mentions the account (not in its conversations)."""
        with self.lock:
            owner = self.users[self.owner_id]["username"]
            return self._add(self._user_id(author), f"@{owner} {text}", conversation=None,
                             reply_to=None, urls=list(urls), created_at=created_at,
                             malformed=False)

    def revoke(self) -> None:
        with self.lock:
            self.tokens.clear()
            self.oauth1 = None

    def _authorized(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        if auth.startswith("Bearer "):
            return auth[7:] in self.tokens
        if not auth.startswith("OAuth ") or self.oauth1 is None:
            return False
        key, key_secret, token, token_secret = self.oauth1
        given = {k: unquote(v) for k, v in utils.parse_authorization_header(auth)}
        if given.get("oauth_consumer_key") != key or given.get("oauth_token") != token:
            return False
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in request.query.items())
        params = signature.collect_parameters(uri_query=query, headers={"Authorization": auth},
                                              exclude_oauth_signature=True)
        base = signature.signature_base_string(
            request.method, signature.base_string_uri(self.url + request.path),
            signature.normalize_parameters(params))
        keys = SimpleNamespace(client_secret=key_secret, resource_owner_secret=token_secret)
        return hmac.compare_digest(signature.sign_hmac_sha1_with_client(base, keys),
                                   given.get("oauth_signature", ""))

    # -- views -----------------------------------------------------------------------------------
    def _mentions_owner(self, tid: str) -> bool:
        return any(m["id"] == self.owner_id
                   for m in self.tweets[tid].get("entities", {}).get("mentions", []))

    def _render(self, tid: str, fields: set[str]) -> dict[str, Any]:
        tweet = self.tweets[tid]
        out = {k: v for k, v in tweet.items() if k in DEFAULT_TWEET or k in fields}
        if tid in self.malformed_ids:
            out.pop("text", None)
            out["created_at"] = "not a date"
        return out

    def _page(self, ids: list[str], request: Request, kind: str) -> Reply:
        q = request.query
        low, high = LIMITS[kind]
        try:
            size = int(q.get("max_results") or 10)
        except ValueError:
            size = -1
        if not low <= size <= high:
            return Reply(400, {"errors": [{"parameters": {"max_results": [q.get("max_results")]},
                                           "message": f"The `max_results` query parameter value "
                                                      f"[{q.get('max_results')}] is not between "
                                                      f"{low} and {high}"}],
                               "title": "Invalid Request",
                               "detail": "One or more parameters to your request was invalid.",
                               "type": "https://api.twitter.com/2/problems/invalid-request"},
                         self._limit_headers())
        since_id, until_id = q.get("since_id"), q.get("until_id")
        start, end = q.get("start_time"), q.get("end_time")
        picked = [t for t in ids
                  if (not since_id or int(t) > int(since_id))
                  and (not until_id or int(t) < int(until_id))
                  and (not start or parse_iso(self.tweets[t]["created_at"]) >= parse_iso(start))
                  and (not end or parse_iso(self.tweets[t]["created_at"]) < parse_iso(end))]
        picked.reverse()  # newest first
        token = q.get("pagination_token") or q.get("next_token")
        offset = int(token[1:], 16) if token and token.startswith("p") else 0
        page = picked[offset:offset + size]
        if not page:
            return Reply(200, {"meta": {"result_count": 0}}, self._limit_headers())
        fields = set((q.get("tweet.fields") or "").split(","))
        body: dict[str, Any] = {"data": [self._render(t, fields) for t in page]}
        if "author_id" in (q.get("expansions") or "").split(","):
            user_fields = set((q.get("user.fields") or "").split(","))
            authors = dict.fromkeys(self.tweets[t]["author_id"] for t in page)
            body["includes"] = {"users": [
                {k: v for k, v in self.users[a].items() if k in DEFAULT_USER or k in user_fields}
                for a in authors]}
        meta = {"newest_id": page[0], "oldest_id": page[-1], "result_count": len(page)}
        if offset + size < len(picked):
            meta["next_token"] = f"p{offset + size:x}"
        body["meta"] = meta
        return Reply(200, body, self._limit_headers())

    def _invalid(self, name: str, value: str, message: str) -> Reply:
        return Reply(400, {"errors": [{"parameters": {name: [value]}, "message": message}],
                           "title": "Invalid Request",
                           "detail": "One or more parameters to your request was invalid.",
                           "type": "https://api.twitter.com/2/problems/invalid-request"},
                     self._limit_headers())

    def _limit_headers(self) -> dict[str, str]:
        return {"x-rate-limit-limit": "450",
                "x-rate-limit-remaining": str(self.ratelimit_remaining),
                "x-rate-limit-reset": str(int(time.time()) + self.ratelimit_reset_in)}

    # -- routing ---------------------------------------------------------------------------------
    def fault_reply(self, fault: Fault) -> Reply:
        if fault.kind == "401":
            return Reply(401, problem(401, "Unauthorized", "Unauthorized"), fault.headers)
        if fault.kind == "429":
            return Reply(429, problem(429, "Too Many Requests", "Too Many Requests"),
                         fault.headers)
        if fault.kind == "500":
            return Reply(fault.status or 503, problem(503, "Service Unavailable",
                                                      "Service Unavailable"), fault.headers)
        return super().fault_reply(fault)

    def route(self, request: Request) -> Reply:
        if not self._authorized(request):
            return Reply(401, problem(401, "Unauthorized", "Unauthorized"))
        path = request.path
        if path == "/2/users/me":
            user = self.users[self.owner_id]
            return Reply(200, {"data": {k: user[k] for k in DEFAULT_USER}}, self._limit_headers())
        m = re.fullmatch(r"/2/users/(\d+)/mentions", path)
        if m and request.method == "GET":
            uid = m.group(1)
            return self._page([t for t in self.order if any(
                x["id"] == uid for x in self.tweets[t].get("entities", {}).get("mentions", []))],
                request, "mentions")
        m = re.fullmatch(r"/2/users/(\d+)/tweets", path)
        if m and request.method == "GET":
            exclude = (request.query.get("exclude") or "").split(",")
            return self._page([t for t in self.order if self.tweets[t]["author_id"] == m.group(1)
                               and not ("replies" in exclude and "referenced_tweets" in
                                        self.tweets[t])], request, "tweets")
        if path == "/2/tweets/search/recent" and request.method == "GET":
            return self._search(request)
        m = re.fullmatch(r"/2/tweets/(\d+)", path)
        if m and request.method == "GET":
            return self._lookup(m.group(1), request)
        m = re.fullmatch(r"/2/tweets/(\d+)/hidden", path)
        if m and request.method == "PUT":
            return self._hide(m.group(1), bool(request.json().get("hidden")))
        return Reply(404, problem(404, "Not Found Error", f"no route {path}",
                                  "https://api.twitter.com/2/problems/resource-not-found"))

    def _search(self, request: Request) -> Reply:
        """Understands the operators the connector sends: ``conversation_id:N`` joined by OR,
        in parentheses, and ``-from:ID``."""
        query = request.query.get("query", "")
        if len(query) > 512:
            return Reply(400, problem(400, "Invalid Request", "query is too long",
                                      "https://api.twitter.com/2/problems/invalid-request"))
        horizon = datetime.now(timezone.utc) - timedelta(days=7)
        start, since_id = request.query.get("start_time"), request.query.get("since_id")
        if start and parse_iso(start) < horizon:
            return self._invalid("start_time", start, "'start_time' must be on or after "
                                 + iso(horizon))
        if since_id and since_id.isdigit() and datetime.fromtimestamp(
                ((int(since_id) >> 22) + TWEPOCH_MS) / 1000, tz=timezone.utc) < horizon:
            return self._invalid("since_id", since_id, f"Invalid 'since_id':'{since_id}'. "
                                 f"'since_id' must be a tweet id created after {iso(horizon)}.")
        conversations = set(re.findall(r"conversation_id:(\d+)", query))
        excluded = set(re.findall(r"-from:(\d+)", query))
        ids = [t for t in self.order if self.tweets[t]["conversation_id"] in conversations
               and self.tweets[t]["author_id"] not in excluded]
        return self._page(ids, request, "search")

    def _lookup(self, tid: str, request: Request) -> Reply:
        """GET /2/tweets/:id: a missing post is a 200 with only ``errors`` (the API's shape)."""
        if tid not in self.tweets:
            return Reply(200, {"errors": [{
                "value": tid, "detail": f"Could not find tweet with id: [{tid}].",
                "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
                "resource_id": tid, "type": "https://api.twitter.com/2/problems/resource-not-found"}]},
                self._limit_headers())
        fields = set((request.query.get("tweet.fields") or "").split(","))
        return Reply(200, {"data": self._render(tid, fields)}, self._limit_headers())

    def _hide(self, tid: str, hidden: bool) -> Reply:
        tweet = self.tweets.get(tid)
        if tweet is None:
            return Reply(404, problem(404, "Not Found Error", "Could not find tweet"))
        root = self.tweets.get(tweet["conversation_id"])
        if tid == tweet["conversation_id"] or root is None or root["author_id"] != self.owner_id:
            return Reply(403, problem(403, "Forbidden", "You attempted to hide a Tweet you "
                                      "cannot hide. Please check the Tweet ID and try again."))
        (self.hidden.add if hidden else self.hidden.discard)(tid)
        self.actions.append(("hide" if hidden else "unhide", tid))
        return Reply(200, {"data": {"hidden": hidden}}, self._limit_headers())


@contextmanager
def contract_kit(tmp_path: Any) -> Iterator[Kit]:
    from connectors.retry import RetryPolicy
    from connectors.x import XConnector
    from moderator.config import AccountSettings

    with FakeX(token="kit-token") as fake:
        post = fake.add_post("Kit post")
        account = AccountSettings(name="acme-x", platform="x", api_base=fake.url,
                                  options=XConnector.parse_options({}, path="accounts[1]"))

        def reopen() -> XConnector:
            return XConnector.open(account, {"bearer_token": "kit-token"}, retry=RetryPolicy(
                attempts=2, base_delay=0.001, max_delay=0.01), sleep=lambda s: None)

        yield Kit(
            connector=reopen(), account="acme-x",
            post=lambda text: fake.add_reply(post, text),
            applied=lambda: list(fake.actions),
            reopen=reopen,
            post_malformed=lambda: fake.add_reply(post, "bad", malformed=True),
            revoke=fake.revoke,
        )
