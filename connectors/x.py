"""X (Twitter) through tweepy's API v2 Client: mentions of the account and replies in the
conversations of its recent posts, with the author expansion; hide/unhide replies.

X lets an account hide replies in its own conversations but delete only its own posts, so
``delete`` and ``ban`` are not capabilities (the policy degrades delete to hide).

Credentials: OAuth 1.0a user context (consumer key/secret + access token/secret, which do not
expire: the choice for a daemon) or an OAuth 2.0 user-context bearer token (expires after two
hours unless renewed outside). tweepy hard-codes ``https://api.twitter.com`` and logs request
headers at DEBUG, so the connector mounts a requests adapter on ``client.session`` that sends to
``api_base`` and writes the ``Authorization`` header itself: no credential passes through tweepy
(or through oauthlib's logging client). tweepy's own
``wait_on_rate_limit`` spins on a 429 without reset header, so it stays off and rate limits go
through ``call_with_retry``.

The cursor is opaque JSON ``{"v": 1, "mentions": since_id, "replies": since_id}``: tweet ids
are snowflakes that grow with time, so each source resumes after the newest id it delivered.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from secrets import token_hex
from types import SimpleNamespace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, ClassVar, Iterator, Mapping, TypeVar
from urllib.parse import quote, urlsplit

import requests
import tweepy
from oauthlib.oauth1.rfc5849 import signature
from requests.adapters import HTTPAdapter

from connectors.base import Batch, Capabilities, ItemState
from connectors.retry import RetryPolicy, call_with_retry, is_loopback
from moderator.errors import (AuthFailed, ConfigError, ConnectorError, RateLimited,
                              TransientError, UnsupportedAction)
from moderator.models import Author, Comment, Link
from moderator.options import OptionReader

logger = logging.getLogger(__name__)
T = TypeVar("T")

TWEEPY_HOST = "https://api.twitter.com"
PAGE_MAX = 100  # mentions, user tweets and recent search all return at most 100
PAGE_MIN = 10  # recent search's minimum max_results
MAX_PAGES = 300  # per source and pass: never page forever
QUERY_MAX = 512  # recent search query length (the basic access level)
SEARCH_WINDOW = timedelta(days=7) - timedelta(minutes=5)
TWEPOCH_MS = 1288834974657
TWEET_FIELDS = ["author_id", "conversation_id", "created_at", "entities", "in_reply_to_user_id",
                "referenced_tweets", "note_tweet"]
USER_FIELDS = ["created_at", "name", "username"]


@dataclass(frozen=True, slots=True)
class XOptions:
    user_id: str | None = None  # the account's numeric id; looked up with /2/users/me if unset
    mentions: bool = True
    watch_posts: int = 20  # latest own posts whose conversations are searched (0: none)
    page_size: int = PAGE_MAX
    timeout: float = 15.0


class _Endpoint(HTTPAdapter):
    """Sends tweepy's requests to ``api_base``, authorized by us, with a timeout."""

    def __init__(self, base: str, authorize: Callable[[requests.PreparedRequest], str],
                 timeout: float):
        super().__init__()
        self._base = base.rstrip("/")
        self._authorize = authorize
        self._timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        if url.startswith(TWEEPY_HOST):
            request.url = self._base + url[len(TWEEPY_HOST):]
        request.headers["Authorization"] = self._authorize(request)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)

    def __repr__(self) -> str:  # never show a credential
        return f"_Endpoint({self._base!r})"


def bearer(token: str) -> Callable[[requests.PreparedRequest], str]:
    return lambda request: f"Bearer {token}"


def oauth1(consumer_key: str, consumer_secret: str, access_token: str,
           access_token_secret: str) -> Callable[[requests.PreparedRequest], str]:
    """OAuth 1.0a HMAC-SHA1 signing (RFC 5849) with oauthlib's signature functions, which,
    unlike its Client and requests-oauthlib, log nothing (they log the token at DEBUG)."""

    keys = SimpleNamespace(client_secret=consumer_secret,
                           resource_owner_secret=access_token_secret)

    def authorize(request: requests.PreparedRequest) -> str:
        oauth = {"oauth_consumer_key": consumer_key, "oauth_nonce": token_hex(16),
                 "oauth_signature_method": "HMAC-SHA1", "oauth_timestamp": str(int(time.time())),
                 "oauth_token": access_token, "oauth_version": "1.0"}
        form = request.body if "application/x-www-form-urlencoded" in (
            request.headers.get("Content-Type") or "") else None
        url = request.url or ""
        params = signature.collect_parameters(uri_query=urlsplit(url).query, body=form)
        base = signature.signature_base_string(
            (request.method or "GET").upper(), signature.base_string_uri(url),
            signature.normalize_parameters(params + list(oauth.items())))
        oauth["oauth_signature"] = signature.sign_hmac_sha1_with_client(base, keys)
        return "OAuth " + ", ".join(f'{quote(k, safe="~")}="{quote(v, safe="~")}"'
                                    for k, v in sorted(oauth.items()))

    return authorize


def comment_from_tweet(tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], *,
                       account: str) -> Comment:
    """One API v2 tweet (+ the ``includes.users`` by id) -> Comment; raises on a bad shape."""
    tid = tweet["id"]
    if not isinstance(tid, str) or not tid.isdigit():
        raise ValueError("bad id")
    note = tweet.get("note_tweet")
    text = note["text"] if isinstance(note, Mapping) and isinstance(note.get("text"), str) \
        else tweet["text"]
    if not isinstance(text, str):
        raise ValueError("'text' is not text")
    created = _parse_time(tweet["created_at"])
    user = users.get(str(tweet.get("author_id"))) or {}
    handle = user.get("username")
    parent = next((r.get("id") for r in tweet.get("referenced_tweets") or ()
                   if isinstance(r, Mapping) and r.get("type") == "replied_to"), None)
    entities = (note.get("entities") if isinstance(note, Mapping) else None) \
        or tweet.get("entities") or {}
    links: list[Link] = []
    for entity in entities.get("urls") or ():
        url = entity.get("expanded_url") or entity.get("url")
        if isinstance(url, str):
            links.append(Link(url=url, display=entity.get("display_url")))
        unwound = entity.get("unwound_url")  # where the link finally lands, when X knows
        if isinstance(unwound, str) and unwound != url:
            links.append(Link(url=unwound, display=entity.get("display_url")))
    return Comment(
        platform="x",
        account=account,
        id=tid,
        text=text,
        author=Author(id=_opt(tweet.get("author_id")), handle=handle, name=user.get("name"),
                      created_at=_parse_time(user["created_at"]) if user.get("created_at")
                      else None),
        created_at=created,
        thread_id=_opt(tweet.get("conversation_id")),
        parent_id=_opt(parent),
        permalink=f"https://x.com/{handle or 'i/web'}/status/{tid}",
        links=tuple(links),
        raw=tweet,
    )


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("created_at is not a date")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _opt(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


class XConnector:
    platform: ClassVar[str] = "x"

    def __init__(self, account: str, options: XOptions, client: tweepy.Client, *,
                 retry: RetryPolicy = RetryPolicy(), sleep: Callable[[float], None] = time.sleep):
        self.account = account
        self.options = options
        self.client = client
        self.retry = retry
        self.sleep = sleep
        self.capabilities = Capabilities(hide=True, delete=False, ban=False, approve=False)
        self._user_id = options.user_id
        self._limit_remaining: int | None = None
        self._limit_reset_at: float | None = None  # epoch seconds
        client.session.hooks["response"].append(self._note_limits)

    # -- configuration -----------------------------------------------------------------------
    @classmethod
    def parse_options(cls, table: Mapping[str, Any], *, path: str) -> XOptions:
        r = OptionReader(table, path)
        user_id = r.str("user_id", None)
        if user_id is not None and not user_id.isdigit():
            r.problem("user_id", f"expected the account's numeric id, got {user_id!r}")
        mentions = r.bool("mentions", True)
        watch_posts = r.number("watch_posts", 20, minimum=0, integer=True)
        if not mentions and not watch_posts:
            r.problem("mentions", "nothing to watch: enable mentions or set watch_posts")
        page_size = r.number("page_size", PAGE_MAX, minimum=PAGE_MIN, integer=True)
        if page_size > PAGE_MAX:
            r.problem("page_size", f"X returns at most {PAGE_MAX} posts a page")
        options = XOptions(user_id=user_id, mentions=mentions, watch_posts=watch_posts,
                           page_size=min(page_size, PAGE_MAX),
                           timeout=r.number("timeout", 15.0, minimum=0.1))
        r.finish()
        return options

    @classmethod
    def open(cls, account: Any, secrets: Mapping[str, str], *, retry: RetryPolicy = RetryPolicy(),
             sleep: Callable[[float], None] = time.sleep) -> "XConnector":
        options: XOptions = account.options
        base = (account.api_base or TWEEPY_HOST).rstrip("/")
        client = tweepy.Client(bearer_token="(set by the connector)", return_type=dict,
                               wait_on_rate_limit=False)
        client.session.mount(TWEEPY_HOST, _Endpoint(base, _authorizer(account.name, secrets),
                                                    options.timeout))
        if is_loopback(base):
            client.session.trust_env = False  # no proxy between us and a local server
        return cls(account.name, options, client, retry=retry, sleep=sleep)

    # -- errors and rate limits ----------------------------------------------------------------
    def _note_limits(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        headers = response.headers
        try:
            if "x-rate-limit-remaining" in headers and "x-rate-limit-reset" in headers:
                self._limit_remaining = int(headers["x-rate-limit-remaining"])
                self._limit_reset_at = float(headers["x-rate-limit-reset"])
        except ValueError:
            pass

    def _call(self, what: str, call: Callable[[], T], *,
              forbidden: type[ConnectorError] = ConnectorError) -> T:
        label = f"x {self.account}: {what}"
        return call_with_retry(lambda: self._translate(label, call, forbidden), what=label,
                               policy=self.retry, sleep=self.sleep)

    def _translate(self, label: str, call: Callable[[], T],
                   forbidden: type[ConnectorError]) -> T:
        if self._limit_remaining is not None and self._limit_remaining < 1 \
                and self._limit_reset_at is not None:
            wait = self._limit_reset_at - time.time()
            if wait > 0:
                self._limit_remaining = None  # ask again once the wait is over
                raise RateLimited(f"{label}: request budget spent (x-rate-limit-remaining 0)",
                                  retry_after=wait)
        try:
            return call()
        except tweepy.TooManyRequests as e:
            self._limit_remaining = None  # the wait below covers it
            raise RateLimited(f"{label}: 429 Too Many Requests",
                              retry_after=_retry_after(e)) from None
        except tweepy.Unauthorized:
            raise AuthFailed(f"{label}: 401 Unauthorized (credentials expired, revoked or "
                             "wrong; renew the account's secrets)") from None
        except tweepy.TwitterServerError as e:
            raise TransientError(f"{label}: HTTP {e.response.status_code}") from None
        except tweepy.HTTPException as e:
            status = e.response.status_code
            detail = "; ".join(str(m)[:200] for m in e.api_messages[:2])
            kind = forbidden if status == 403 else ConnectorError
            raise kind(f"{label}: HTTP {status}{': ' + detail if detail else ''}") from None
        except (requests.Timeout, requests.ConnectionError) as e:
            raise TransientError(f"{label}: {type(e).__name__}") from None
        except ValueError as e:  # a body that is not JSON
            raise TransientError(f"{label}: unreadable response ({type(e).__name__})") from None

    # -- reading -------------------------------------------------------------------------------
    def _me(self) -> str:
        if self._user_id is None:
            me = self._call("who am I", lambda: self.client.get_me(user_auth=False))
            data = me.get("data") if isinstance(me, Mapping) else None
            if not isinstance(data, Mapping) or not str(data.get("id", "")).isdigit():
                raise TransientError(f"x {self.account}: who am I: no user id in the answer")
            self._user_id = str(data["id"])
        return self._user_id

    def _pages(self, what: str, method: Callable[..., Any], *args: Any,
               **params: Any) -> tuple[list[dict[str, Any]], dict[str, Mapping[str, Any]]]:
        """Every page of a timeline/search (newest first) and the users it includes."""
        tweets: list[dict[str, Any]] = []
        users: dict[str, Mapping[str, Any]] = {}
        token_name = "next_token" if method == self.client.search_recent_tweets \
            else "pagination_token"
        token: str | None = None
        for _ in range(MAX_PAGES):
            kwargs = {**params, **({token_name: token} if token else {})}
            page = self._call(what, lambda k=kwargs: method(*args, user_auth=False, **k))
            if not isinstance(page, Mapping):
                raise TransientError(f"x {self.account}: {what}: not a JSON object")
            for user in (page.get("includes") or {}).get("users") or ():
                if isinstance(user, Mapping) and user.get("id") is not None:
                    users[str(user["id"])] = user
            tweets.extend(t for t in page.get("data") or () if isinstance(t, Mapping))
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                break
        return tweets, users

    def _window(self, since: datetime | None, until: datetime | None,
                search: bool) -> dict[str, str]:
        params: dict[str, str] = {}
        now = datetime.now(timezone.utc)
        if search:  # recent search answers 400 outside the last seven days
            since = max(since, now - SEARCH_WINDOW) if since else None
        if since is not None:
            params["start_time"] = _iso(since)
        if until is not None and until < now - timedelta(seconds=10):
            params["end_time"] = _iso(until)
        return params

    def _watched_conversations(self, user_id: str) -> list[str]:
        posts, _ = self._pages("the account's latest posts", self.client.get_users_tweets,
                               user_id, max_results=max(5, min(PAGE_MAX, self.options.watch_posts)),
                               exclude=["retweets", "replies"], tweet_fields=["conversation_id"])
        return [str(p.get("conversation_id") or p.get("id")) for p in posts
                if p.get("id") is not None][:self.options.watch_posts]

    def fetch(self, cursor: str | None, *, since: datetime | None = None,
              until: datetime | None = None) -> Iterator[Batch]:
        state = _decode(cursor)
        user_id = self._me()
        found: dict[str, tuple[dict[str, Any], set[str]]] = {}
        users: dict[str, Mapping[str, Any]] = {}
        common = {"max_results": self.options.page_size, "expansions": ["author_id"],
                  "tweet_fields": TWEET_FIELDS, "user_fields": USER_FIELDS}

        def take(tweets: list[dict[str, Any]], source: str) -> None:
            for tweet in tweets:
                key = str(tweet.get("id"))
                if key in found:
                    found[key][1].add(source)
                else:
                    found[key] = (tweet, {source})

        if self.options.mentions:
            since_id = {"since_id": state["mentions"]} if state["mentions"] else {}
            tweets, seen = self._pages("mentions", self.client.get_users_mentions, user_id,
                                       **common, **since_id,
                                       **self._window(since, until, search=False))
            users.update(seen)
            take(tweets, "mentions")
        if self.options.watch_posts:
            conversations = self._watched_conversations(user_id)
            since_id = {"since_id": state["replies"]} if state["replies"] else {}
            search_since = since
            oldest = datetime.now(timezone.utc) - SEARCH_WINDOW
            if state["replies"] and _snowflake_time(state["replies"]) < oldest:
                # Recent search refuses an older since_id (400): resume from its horizon.
                logger.warning("x %s: last poll was over seven days ago; older replies in the "
                               "account's conversations are out of recent search's reach",
                               self.account)
                since_id, search_since = {}, max(since or oldest, oldest)
            for query in _conversation_queries(conversations, user_id):
                tweets, seen = self._pages("replies to the account's posts",
                                           self.client.search_recent_tweets, query, **common,
                                           **since_id,
                                           **self._window(search_since, until, search=True))
                users.update(seen)
                take(tweets, "replies")

        keys = sorted(found, key=lambda k: int(k) if k.isdigit() else -1)
        batch: list[Comment] = []
        skipped = 0
        last = cursor
        for position, key in enumerate(keys, 1):
            tweet, sources = found[key]
            try:
                comment = comment_from_tweet(tweet, users, account=self.account)
                if comment.author.id != user_id and _in_range(comment.created_at, since, until):
                    batch.append(comment)
            except (KeyError, ValueError, TypeError, AttributeError) as e:
                logger.warning("x %s: skipped malformed post %s (%s)", self.account, key[:25],
                               type(e).__name__)
                skipped += 1
            if key.isdigit():
                for source in sources:
                    if int(key) > int(state[source] or 0):
                        state[source] = key
            if len(batch) >= self.options.page_size or position == len(keys):
                last = _encode(state)
                yield Batch(tuple(batch), last, skipped)
                batch, skipped = [], 0
        if _encode(state) != last:
            yield Batch((), _encode(state), 0)

    # -- actions ---------------------------------------------------------------------------------
    def moderation_state(self, comment: Comment) -> ItemState:
        """Whether the post still exists; whether it is hidden, the API does not show (hiding
        a hidden reply again is a documented no-op there)."""
        found = self._call(f"state of {comment.id}",
                           lambda: self.client.get_tweet(comment.id, user_auth=False))
        data = found.get("data") if isinstance(found, Mapping) else None  # the client returns dicts
        return ItemState(hidden=None, deleted=data is None)

    def hide(self, comment: Comment) -> None:
        # 403: not a reply in the account's own conversations (a standalone mention).
        self._call(f"hide {comment.id}", lambda: self.client.hide_reply(comment.id,
                                                                       user_auth=False),
                   forbidden=UnsupportedAction)

    def unhide(self, comment: Comment) -> None:
        self._call(f"unhide {comment.id}", lambda: self.client.unhide_reply(comment.id,
                                                                           user_auth=False),
                   forbidden=UnsupportedAction)

    def delete(self, comment: Comment) -> None:
        raise UnsupportedAction(f"x {self.account}: X cannot delete other people's posts "
                                f"({comment.id}); hide it instead")

    def ban(self, comment: Comment) -> None:
        raise UnsupportedAction(f"x {self.account}: X has no ban for an account's replies "
                                f"({comment.id})")


OAUTH1_KEYS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")


def _authorizer(account: str,
                given: Mapping[str, str]) -> Callable[[requests.PreparedRequest], str]:
    """OAuth 1.0a user context (four secrets; tokens that do not expire) or an OAuth 2.0
    user-context bearer token."""
    if any(given.get(k) for k in OAUTH1_KEYS):
        missing = [k for k in OAUTH1_KEYS if not given.get(k)]
        if missing:
            raise ConfigError([f"accounts.{account}.secrets.{k}: required with the other OAuth "
                               "1.0a secrets" for k in missing])
        return oauth1(*(given[k] for k in OAUTH1_KEYS))
    if given.get("bearer_token"):
        return bearer(given["bearer_token"])
    raise ConfigError(f"accounts.{account}.secrets.bearer_token: required for X (an OAuth 2.0 "
                      "user-context token with tweet.read, users.read and tweet.moderate.write), "
                      "or the four OAuth 1.0a secrets " + ", ".join(OAUTH1_KEYS))


def _conversation_queries(conversations: list[str], user_id: str) -> list[str]:
    """``(conversation_id:A OR conversation_id:B ...) -from:ME``, each within the query limit."""
    suffix = f" -from:{user_id}"
    queries: list[str] = []
    terms: list[str] = []
    for conversation in dict.fromkeys(conversations):
        term = f"conversation_id:{conversation}"
        if terms and len("(" + " OR ".join(terms + [term]) + ")" + suffix) > QUERY_MAX:
            queries.append("(" + " OR ".join(terms) + ")" + suffix)
            terms = []
        terms.append(term)
    if terms:
        queries.append("(" + " OR ".join(terms) + ")" + suffix)
    return queries


def _snowflake_time(tweet_id: str) -> datetime:
    """When a post was made, from its id (X's snowflake: milliseconds since 2010-11-04)."""
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWEPOCH_MS) / 1000, tz=timezone.utc)


def _retry_after(error: tweepy.TooManyRequests) -> float | None:
    """x-rate-limit-reset is an epoch time; Retry-After (seconds) if a proxy sends one."""
    headers = error.response.headers
    reset = headers.get("x-rate-limit-reset")
    try:
        if reset is not None:
            return max(0.0, float(reset) - time.time())
        if headers.get("retry-after") is not None:
            return max(0.0, float(headers["retry-after"]))
    except ValueError:
        pass
    return None



def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _decode(cursor: str | None) -> dict[str, Any]:
    state: dict[str, Any] = {"v": 1, "mentions": None, "replies": None}
    if cursor:
        try:
            loaded = json.loads(cursor)
            if isinstance(loaded, dict) and loaded.get("v") == 1:
                state.update({k: loaded.get(k) for k in ("mentions", "replies")})
        except ValueError:
            logger.warning("x: unreadable cursor, starting over")
    return state


def _encode(state: Mapping[str, Any]) -> str:
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def _in_range(when: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    if when is None:
        return True
    return (since is None or when >= since) and (until is None or when < until)
