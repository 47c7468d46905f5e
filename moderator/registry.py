"""Registries keyed by a config name whose classes are imported on first use.

``RULES`` and ``CONNECTORS`` name every family and platform, but a command that judges nothing
(``status``, ``review list``) must not pay for importing every rule's data and every platform's
client library, nor a daemon watching only Reddit for Google's. The registry is a plain mapping
of name -> "module:Class"; looking a name up imports that one module.
"""

from __future__ import annotations

import importlib
from typing import Any, Iterator, MutableMapping


class LazyRegistry(MutableMapping[str, Any]):
    def __init__(self, paths: dict[str, str]):
        self._paths = dict(paths)  # name -> "package.module:Class", in registration order
        self._loaded: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            module, _, attribute = self._paths[name].partition(":")
            self._loaded[name] = getattr(importlib.import_module(module), attribute)
        return self._loaded[name]

    def __setitem__(self, name: str, value: Any) -> None:  # tests register stand-ins
        self._paths.setdefault(name, "")
        self._loaded[name] = value

    def __delitem__(self, name: str) -> None:
        del self._paths[name]
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)

    def __contains__(self, name: object) -> bool:
        return name in self._paths
