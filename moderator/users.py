"""Reviewer accounts for the web inbox: add, remove, change a password, check a login.

Passwords are kept only as argon2id hashes (argon2-cffi, the reference implementation's
binding, with its recommended parameters). `moderator users` and the web login share this.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from moderator.errors import ModeratorError
from moderator.store import Store

ROLES = ("reviewer", "admin")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024  # hashing is deliberately slow: bound what a stranger can send
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")



@cache
def _hasher() -> Any:
    """argon2-cffi's hasher with its recommended (RFC 9106 low-memory) parameters; imported
    on first use, since every command loads this module."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the name is unknown, so that a wrong name takes as long as a wrong
    password."""
    return _hasher().hash("not a password anyone has")


class UserError(ModeratorError):
    """A user command that cannot be done (bad name, weak password, unknown user)."""


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise UserError(f"user name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-', "
                        "starting with a letter or digit")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"password: at least {MIN_PASSWORD_CHARS} characters, please")
    if len(password) > MAX_PASSWORD_CHARS:
        raise UserError(f"password: at most {MAX_PASSWORD_CHARS} characters")
    return password


def add(store: Store, name: str, password: str, role: str = "reviewer") -> None:
    if role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    store.add_user(check_name(name), role, _hasher().hash(check_password(password)))


def change_password(store: Store, name: str, password: str) -> None:
    if not store.set_password(name, _hasher().hash(check_password(password))):
        raise UserError(f"no user named {name!r}")


def remove(store: Store, name: str) -> None:
    if not store.remove_user(name):
        raise UserError(f"no user named {name!r}")


def listing(store: Store) -> list[dict[str, Any]]:
    return store.list_users()


def authenticate(store: Store, name: str, password: str) -> dict[str, Any] | None:
    """The user row when the password is right, else None (same work either way)."""
    user = store.get_user(name) if _NAME.fullmatch(name) else None
    if len(password) > MAX_PASSWORD_CHARS:
        return None
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        _hasher().verify(user["password_hash"] if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher().check_needs_rehash(user["password_hash"]):
        store.set_password(user["name"], _hasher().hash(password))
    return user
