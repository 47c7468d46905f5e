"""Platform connectors, keyed by the ``platform`` setting of an account."""

from connectors.base import Connector
from connectors.file import FileConnector
from connectors.reddit import RedditConnector

CONNECTORS: dict[str, type[Connector]] = {
    "file": FileConnector,
    "reddit": RedditConnector,
}
