"""Bluesky's JSON as the connector reads it: a post (from a notification or a thread) as a
Comment with the links of its facets, and the per-source marks the cursor keeps (the newest
``indexedAt`` delivered and the posts delivered at that instant)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from moderator.models import Author, Comment, Link


def post_links(record: Mapping[str, Any]) -> list[Link]:
    """The full URIs of the post's link facets with the text shown for each (facet indexes are
    UTF-8 byte offsets), then an external embed's URI."""
    raw = record.get("text", "").encode()
    links: list[Link] = []
    for facet in record.get("facets") or ():
        index = facet.get("index") or {}
        for feature in facet.get("features") or ():
            if feature.get("$type") == "app.bsky.richtext.facet#link" \
                    and isinstance(feature.get("uri"), str):
                start, end = index.get("byteStart"), index.get("byteEnd")
                shown = raw[start:end].decode("utf-8", "replace") \
                    if isinstance(start, int) and isinstance(end, int) else None
                links.append(Link(url=feature["uri"], display=shown or None))
    embed = record.get("embed") or {}
    external = embed.get("external") or (embed.get("media") or {}).get("external") or {}
    if isinstance(external.get("uri"), str):
        links.append(Link(url=external["uri"]))
    return links


def quoted_uri(record: Mapping[str, Any]) -> str | None:
    """The post a quote post embeds (``app.bsky.embed.record`` or ``recordWithMedia``)."""
    embed = record.get("embed") or {}
    inner = embed.get("record") or {}
    if embed.get("$type") == "app.bsky.embed.recordWithMedia":
        inner = inner.get("record") or {}
    uri = inner.get("uri")
    return uri if isinstance(uri, str) and "/app.bsky.feed.post/" in uri else None


def comment_from_post(uri: str, cid: Any, author: Mapping[str, Any],
                      record: Mapping[str, Any], indexed_at: str, *, account: str) -> Comment:
    """A post (as a notification or a thread node gives it) -> Comment; raises on a bad shape.
    A reply's thread is its root; a quote's parent is the quoted post (no thread)."""
    if not uri.startswith("at://") or "/app.bsky.feed.post/" not in uri:
        raise ValueError("not a post URI")
    text = record["text"]
    if not isinstance(text, str):
        raise ValueError("'text' is not text")
    reply = record.get("reply") or {}
    root, parent = (reply.get("root") or {}).get("uri"), (reply.get("parent") or {}).get("uri")
    if parent is None:
        parent = quoted_uri(record)
    handle = author.get("handle")
    return Comment(
        platform="bluesky",
        account=account,
        id=uri,
        text=text,
        author=Author(id=author["did"], handle=handle, name=author.get("displayName") or None,
                      created_at=parse_time(author["createdAt"]) if author.get("createdAt")
                      else None),
        created_at=parse_time(indexed_at),
        thread_id=root,
        parent_id=parent,
        permalink=f"https://bsky.app/profile/{handle or author['did']}/post/"
                  f"{uri.rsplit('/', 1)[-1]}",
        links=tuple(post_links(record)),
        raw={"uri": uri, "cid": cid, "author": author, "record": record,
             "indexedAt": indexed_at},
    )


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a date")
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def did_of(uri: str | None) -> str | None:
    return uri[5:].split("/", 1)[0] if uri and uri.startswith("at://") else None


def rkey_of(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def reached(when: Any, mark: tuple[str, list[str]] | None, since: datetime | None) -> bool:
    """True when a newest-first listing has reached items already delivered (or too old)."""
    try:
        at_time = parse_time(when)
    except ValueError:
        return False  # a malformed item: let the mapping report it
    if since is not None and at_time < since:
        return True
    return mark is not None and at_time < parse_time(mark[0])


def delivered(uri: Any, when: Any, mark: list[Any] | None) -> bool:
    """Already delivered by an earlier fetch: older than the mark, or at its instant and
    listed."""
    if mark is None:
        return False
    try:
        at_time, marked = parse_time(when), parse_time(mark[0])
    except ValueError:
        return False
    return at_time < marked or (at_time == marked and uri in mark[1])


def advance(mark: list[Any] | None, uri: Any, when: Any) -> list[Any] | None:
    try:
        at_time = parse_time(when)
    except ValueError:
        return mark
    if mark is None or at_time > parse_time(mark[0]):
        return [when, [uri]]
    if at_time == parse_time(mark[0]) and uri not in mark[1]:
        return [mark[0], mark[1] + [uri]]
    return mark
