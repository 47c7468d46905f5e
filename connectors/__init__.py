"""Platform connectors, keyed by the ``platform`` setting of an account."""

from connectors.base import Connector
from connectors.facebook import FacebookConnector
from connectors.file import FileConnector
from connectors.instagram import InstagramConnector

CONNECTORS: dict[str, type[Connector]] = {
    "file": FileConnector,
    "facebook": FacebookConnector,
    "instagram": InstagramConnector,
}
