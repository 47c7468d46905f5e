"""Reviewer accounts of the web inbox and their sessions (only a hash of each session's
token is stored; passwords only as argon2 hashes, made by ``moderator.users``)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from moderator.errors import StoreError
from moderator.store.base import StoreBase
from moderator.store.clock import iso, now


class Reviewers(StoreBase):
    def add_user(self, name: str, role: str, password_hash: str) -> None:
        try:
            with self.atomic():
                self.db.execute("INSERT INTO users(name, role, password_hash, created_at) "
                                "VALUES (?, ?, ?, ?)", [name, role, password_hash, iso(now())])
        except sqlite3.IntegrityError:
            raise StoreError(f"user {name!r} already exists") from None

    def get_user(self, name: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM users WHERE name = ?", [name]))
        return rows[0] if rows else None

    def list_users(self) -> list[dict[str, Any]]:
        return list(self.db.query(
            "SELECT u.name, u.role, u.created_at, u.changed_at, (SELECT max(s.created_at) FROM "
            "web_sessions s WHERE s.user = u.name) AS last_login FROM users u ORDER BY u.name"))

    def remove_user(self, name: str) -> bool:
        """Delete the account and end its sessions at once."""
        with self.atomic():
            cur = self.db.execute("DELETE FROM users WHERE name = ?", [name])
            self.db.execute("DELETE FROM web_sessions WHERE user = ?", [name])
        return bool(cur.rowcount)

    def set_password(self, name: str, password_hash: str) -> bool:
        """Replace the hash and end every session of the account (a stolen cookie dies too)."""
        with self.atomic():
            cur = self.db.execute("UPDATE users SET password_hash = ?, changed_at = ? "
                                  "WHERE name = ?", [password_hash, iso(now()), name])
            self.db.execute("DELETE FROM web_sessions WHERE user = ?", [name])
        return bool(cur.rowcount)

    def create_session(self, token_hash: str, user: str, csrf: str,
                       expires: datetime) -> None:
        with self.atomic():
            self.db.execute("DELETE FROM web_sessions WHERE expires_at < ?", [iso(now())])
            self.db.execute("INSERT INTO web_sessions(token_hash, user, csrf, created_at, "
                            "expires_at) VALUES (?, ?, ?, ?, ?)",
                            [token_hash, user, csrf, iso(now()), iso(expires)])

    def get_session(self, token_hash: str) -> dict[str, Any] | None:
        """A live session with its user's current role (None for a proxy-authenticated name
        with no account here)."""
        rows = list(self.db.query(
            "SELECT s.user, s.csrf, s.expires_at, u.role FROM web_sessions s LEFT JOIN users u "
            "ON u.name = s.user WHERE s.token_hash = ? AND s.expires_at > ?",
            [token_hash, iso(now())]))
        return rows[0] if rows else None

    def delete_session(self, token_hash: str) -> None:
        with self.atomic():
            self.db.execute("DELETE FROM web_sessions WHERE token_hash = ?", [token_hash])
