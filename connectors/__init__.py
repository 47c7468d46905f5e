"""Platform connectors, keyed by the ``platform`` setting of an account."""

from connectors.base import Connector
from connectors.file import FileConnector
from connectors.reddit import RedditConnector
from connectors.x import XConnector

CONNECTORS: dict[str, type[Connector]] = {
    "file": FileConnector,
    "reddit": RedditConnector,
    "x": XConnector,
}
