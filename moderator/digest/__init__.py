"""The daily digest: what happened on our pages in a period and what waits for a person.

Three steps, each testable alone: :func:`collect` queries the store (through its ``digest``
methods) into a :class:`Digest` of display-safe plain text (comment text and author names with
invisible characters dropped, personal data masked, links defanged); ``digest.render`` turns it
into the text and HTML parts (the HTML escapes every value again); :func:`deliver` sends the
e-mail by SMTP with a bounded retry. :func:`send_digest` records every send in the store, so the
next digest starts exactly where the last one ended; the daemon schedules it
(``moderator.daemon``: the configured local time, and a missed send at the next start).

Secrets: the SMTP password is read from the environment variable the config names, used for
the login only, and scrubbed from every error message; it never reaches a log, the store or
the message.
"""

from moderator.digest.collect import collect
from moderator.digest.message import build_message, write_preview
from moderator.digest.model import DEFAULT_PERIOD, Digest, DigestError, Period, resolve_period
from moderator.digest.send import deliver, send_digest, smtp_password

__all__ = ["DEFAULT_PERIOD", "Digest", "DigestError", "Period", "build_message", "collect",
           "deliver", "resolve_period", "send_digest", "smtp_password", "write_preview"]
