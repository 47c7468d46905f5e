"""Platform connectors, keyed by the ``platform`` setting of an account."""

from connectors.base import Connector
from connectors.bluesky import BlueskyConnector
from connectors.facebook import FacebookConnector
from connectors.file import FileConnector
from connectors.instagram import InstagramConnector
from connectors.mastodon import MastodonConnector
from connectors.reddit import RedditConnector
from connectors.x import XConnector
from connectors.youtube import YouTubeConnector

CONNECTORS: dict[str, type[Connector]] = {
    "bluesky": BlueskyConnector,
    "file": FileConnector,
    "facebook": FacebookConnector,
    "instagram": InstagramConnector,
    "mastodon": MastodonConnector,
    "reddit": RedditConnector,
    "x": XConnector,
    "youtube": YouTubeConnector,
}
