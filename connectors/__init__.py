"""Platform connectors, keyed by the ``platform`` setting of an account; a platform's module
(and its client library) is imported when the platform is first looked up
(moderator/registry.py)."""

from moderator.registry import LazyRegistry

CONNECTORS = LazyRegistry({
    "bluesky": "connectors.bluesky:BlueskyConnector",
    "file": "connectors.file:FileConnector",
    "facebook": "connectors.facebook:FacebookConnector",
    "instagram": "connectors.instagram:InstagramConnector",
    "mastodon": "connectors.mastodon:MastodonConnector",
    "reddit": "connectors.reddit:RedditConnector",
    "x": "connectors.x:XConnector",
    "youtube": "connectors.youtube:YouTubeConnector",
})
