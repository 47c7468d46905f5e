"""Typed reading of one TOML table, with every problem named by its key path.

Shared by the core config, the rules and the connectors, so that all of them report a broken
setting the same way: ``accounts[1].poll_every: expected a number of seconds, got 'soon'``.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Mapping, TypeVar

from moderator.errors import ConfigError

E = TypeVar("E", bound=Enum)
_MISSING = object()


class OptionReader:
    """Reads keys from ``table`` (found at ``path``), collecting problems instead of stopping.

    Call :meth:`finish` at the end: it reports unknown keys and raises one ConfigError with
    every problem found.
    """

    def __init__(self, table: Mapping[str, Any] | None, path: str):
        if table is not None and not isinstance(table, Mapping):
            raise ConfigError(f"{path}: expected a table, got {type(table).__name__}")
        self.table = dict(table or {})
        self.path = path
        self.problems: list[str] = []
        self._used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def problem(self, name: str, message: str) -> None:
        self.problems.append(f"{self.key(name)}: {message}")

    def get(self, name: str, default: Any = _MISSING) -> Any:
        self._used.add(name)
        if name in self.table:
            return self.table[name]
        if default is _MISSING:
            self.problem(name, "required setting is missing")
            return None
        return default

    def has(self, name: str) -> bool:
        return name in self.table

    def str(self, name: str, default: Any = _MISSING) -> Any:
        value = self.get(name, default)
        if value is None or value is default:
            return value
        if not isinstance(value, str):
            self.problem(name, f"expected a string, got {_show(value)}")
            return default if default is not _MISSING else None
        return value

    def bool(self, name: str, default: bool) -> bool:
        value = self.get(name, default)
        if not isinstance(value, bool):
            self.problem(name, f"expected true or false, got {_show(value)}")
            return default
        return value

    def number(self, name: str, default: Any, *, minimum: float | None = None,
               integer: bool = False) -> Any:
        value = self.get(name, default)
        if value is None:
            return None
        kinds = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds):
            self.problem(name, f"expected {'a whole number' if integer else 'a number'}, "
                               f"got {_show(value)}")
            return default
        if minimum is not None and value < minimum:
            self.problem(name, f"must be at least {minimum}, got {value}")
            return default
        return value

    def str_list(self, name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.get(name, default)
        if isinstance(value, str):
            self.problem(name, f"expected a list of strings, got the string {value!r}"
                               f" (write [{value!r}])")
            return tuple(default)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            self.problem(name, f"expected a list of strings, got {_show(value)}")
            return tuple(default)
        return tuple(value)

    def enum(self, name: str, kind: type[E], default: Any = _MISSING) -> Any:
        value = self.get(name, default)
        if isinstance(value, kind) or value is None:
            return value
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in kind)
            self.problem(name, f"unknown value {_show(value)}; expected one of {allowed}")
            return default if default is not _MISSING else None

    def table_of(self, name: str) -> dict[str, Any]:
        value = self.get(name, {})
        if not isinstance(value, Mapping):
            self.problem(name, f"expected a table, got {_show(value)}")
            return {}
        return dict(value)

    def absorb(self, error: ConfigError) -> None:
        """Take the problems of a nested reader's error as our own."""
        self.problems.extend(error.problems)

    def rest(self) -> dict[str, Any]:
        """The keys nobody has read yet (for a nested parser to claim); marks them used."""
        left = {k: v for k, v in self.table.items() if k not in self._used}
        self._used.update(left)
        return left

    def finish(self) -> None:
        for name in self.table:
            if name not in self._used:
                self.problem(name, "unknown setting")
        if self.problems:
            raise ConfigError(self.problems)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"
