"""The digest as an e-mail: multipart text + HTML, or a preview written to files."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Sequence

from moderator.digest.model import Digest
from moderator.digest.render import render_html, render_text, subject
from moderator.settings import DigestSettings


def build_message(digest: Digest, settings: DigestSettings,
                  recipients: Sequence[str] | None = None) -> EmailMessage:
    """multipart/alternative: the plain-text part first, the HTML part last (preferred)."""
    message = EmailMessage()
    message["Subject"] = subject(digest)
    message["From"] = settings.sender
    message["To"] = ", ".join(recipients if recipients is not None else settings.recipients)
    message["Date"] = format_datetime(digest.generated_at)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"  # no vacation replies to a robot
    message.set_content(render_text(digest))
    message.add_alternative(render_html(digest), subtype="html")
    return message


def write_preview(message: EmailMessage, target: str | Path) -> tuple[Path, Path]:
    """``FILE.eml`` (the whole message) and ``FILE.html`` (the HTML part) instead of sending."""
    base = Path(target)
    if base.suffix.lower() in (".eml", ".html", ".htm"):
        base = base.with_suffix("")
    base.parent.mkdir(parents=True, exist_ok=True)
    eml, page = base.with_name(base.name + ".eml"), base.with_name(base.name + ".html")
    eml.write_bytes(bytes(message))
    html_part = message.get_body(preferencelist=("html",))
    page.write_text(html_part.get_content() if html_part else "", encoding="utf-8")
    return eml, page
