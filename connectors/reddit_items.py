"""Reddit's comment JSON (a listing's ``data`` of a ``t1`` thing) -> Comment; base36 ids."""

from __future__ import annotations

from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any, Mapping

from moderator.models import Author, Comment, Link


class _Anchors(HTMLParser):
    """The ``<a href>`` targets of Reddit's ``body_html``: the links as Reddit rendered them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href:
            self.links.append(Link(url=self._href, display="".join(self._text) or None))
            self._href = None


def links_from_html(body_html: str | None) -> tuple[Link, ...]:
    if not body_html:
        return ()
    parser = _Anchors()
    parser.feed(body_html[:200_000])
    parser.close()
    return tuple(parser.links)


def id36(value: str) -> int:
    return int(value, 36)


def comment_from_json(data: Mapping[str, Any], *, account: str,
                      author_created: Mapping[str, float] | None = None) -> Comment:
    """One ``t1`` thing's ``data`` -> Comment; raises ValueError/KeyError/TypeError if malformed."""
    cid = data["id"]
    if not isinstance(cid, str) or not cid.isalnum():
        raise ValueError("bad id")
    body = data["body"]
    if not isinstance(body, str):
        raise ValueError("'body' is not text")
    created = datetime.fromtimestamp(float(data["created_utc"]), tz=timezone.utc)
    subreddit = data.get("subreddit")
    link_id = data.get("link_id")
    permalink = data.get("permalink") or data.get("context")
    if isinstance(permalink, str):
        permalink = permalink.split("?", 1)[0]
    elif subreddit and isinstance(link_id, str):  # old payloads lack permalink
        permalink = f"/r/{subreddit}/comments/{link_id.removeprefix('t3_')}/_/{cid}/"
    if isinstance(permalink, str) and permalink.startswith("/"):
        permalink = "https://www.reddit.com" + permalink
    author = data.get("author")
    author = None if author in (None, "[deleted]") else str(author)
    author_id = data.get("author_fullname")
    born = (author_created or {}).get(author_id) if isinstance(author_id, str) else None
    return Comment(
        platform="reddit",
        account=account,
        id=cid,
        text=body,  # raw_json=1: as written, not HTML-escaped
        author=Author(id=author_id, handle=author, name=author,
                      created_at=datetime.fromtimestamp(born, tz=timezone.utc)
                      if isinstance(born, (int, float)) else None),
        created_at=created,
        thread_id=link_id,
        parent_id=data.get("parent_id"),
        permalink=permalink,
        links=links_from_html(data.get("body_html")),
        raw=data,
    )


def safe36(value: str) -> int:
    try:
        return id36(value)
    except ValueError:
        return -1


def opt36(value: str | None) -> int | None:
    return None if value is None else safe36(value)
