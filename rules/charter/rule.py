"""Charter violations: blocked terms, offensive language, personal data, spam, flooding.

The organization's published social media charter, enforced per account. Each part is its own
module; this one reads ``[rules.charter]`` and runs them over a batch:

- ``charter.terms``: the charter's word and phrase lists (``rules.charter.terms``, one automaton);
- ``charter.offensive``: alt-profanity-check's model (``rules.charter.offensive``), one call a batch;
- ``charter.pii``: e-mails, phones, cards, IBANs, national ids, exposed staff (``rules.charter.pii``);
- ``charter.spam``: the bundled spam classifier (``rules.charter.spam``), one call a batch;
- ``charter.flood``: repeated text or links (``rules.charter.flood``), within the batch and against
  history the caller passes in (``check_batch(comments, flood_history=...)``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Iterable, Sequence

import phonenumbers

from moderator.errors import ConfigError
from moderator.models import Brand, Category, Comment, Finding, Severity
from moderator.options import OptionReader
from rules.charter import flood, pii
from rules.charter.offensive import profanity_scores
from rules.charter.spam import spam_model
from rules.charter.terms import TermError, TermList, TermMatcher, parse_term
from rules.charter.termviews import term_views_and_flat

logger = logging.getLogger(__name__)

DATA = Path(__file__).with_name("data") / "terms"
MAX_TERMS = 1_000_000
MAX_TERM_FILE_BYTES = 50_000_000
MAX_PROBLEMS = 20  # per list: a file of 100,000 regexes gets a readable error

# Lists that ship with Moderator: name -> (file, severity, reason).
BUILTIN_LISTS: dict[str, tuple[str, Severity, str]] = {
    "profanity-en": ("ldnoobw-en.txt", Severity.MEDIUM, "Profanity or obscene language"),
    "profanity-de": ("ldnoobw-de.txt", Severity.MEDIUM, "Profanity or obscene language (German)"),
    "profanity-es": ("ldnoobw-es.txt", Severity.MEDIUM, "Profanity or obscene language (Spanish)"),
    "profanity-fr": ("ldnoobw-fr.txt", Severity.MEDIUM, "Profanity or obscene language (French)"),
    "scam-en": ("scam-en.txt", Severity.MEDIUM, "Scam, giveaway or solicitation wording"),
}

PII_SEVERITY = {"email": Severity.MEDIUM, "phone": Severity.MEDIUM, "card": Severity.HIGH,
                "iban": Severity.HIGH, "national_id": Severity.HIGH, "staff": Severity.HIGH}
PII_LABEL = {"email": "e-mail address", "phone": "phone number", "card": "payment card number",
             "iban": "bank account (IBAN)", "national_id": "national identity number",
             "staff": "staff member named with a way to find them"}


@dataclass(frozen=True, slots=True)
class ModelPart:
    enabled: bool
    threshold: float | None  # None: the model's own (spam)
    severity: Severity


@dataclass(frozen=True, slots=True)
class FloodPart:
    enabled: bool
    settings: flood.FloodSettings
    severity: Severity


class CharterRule:
    family: ClassVar[str] = "charter"

    def __init__(self, *, matcher: TermMatcher, offensive: ModelPart, spam: ModelPart,
                 pii_enabled: bool, pii_options: pii.PiiOptions, flood_part: FloodPart,
                 max_text_chars: int = 20_000):
        self.matcher = matcher
        self.offensive = offensive
        self.spam = spam
        self.pii_enabled = pii_enabled
        self.pii_options = pii_options
        self.flood = flood_part
        self.max_text_chars = max_text_chars
        # How far back the caller should feed flood history (None: it needs none).
        self.history_window = flood_part.settings.window if flood_part.enabled else None
        # The last batch's normalized views and flood records, by what they are computed from:
        # the core asks flood_records(batch) and then check_batch(batch), and would otherwise
        # pay for normalization and fingerprints twice. Replaced (never grown) on each call.
        self._recent: dict[tuple, tuple[tuple[str, ...], flood.Keyed | None]] = {}

    # -- configuration ---------------------------------------------------------------------

    @classmethod
    def from_config(cls, options: Any, brand: Brand, *, path: str) -> "CharterRule":
        r = OptionReader(options, path)
        max_chars = r.number("max_text_chars", 20_000, minimum=100, integer=True)
        builtin = r.str_list("builtin_lists", ("profanity-en", "scam-en"))
        for name in builtin:
            if name not in BUILTIN_LISTS:
                r.problem("builtin_lists", f"unknown list {name!r}; expected some of "
                                           f"{', '.join(BUILTIN_LISTS)}")
        global_exceptions = r.str_list("exceptions")
        for i, term in enumerate(global_exceptions):
            problem = _term_problem(term)
            if problem:
                r.problem(f"exceptions[{i}]", problem)
        lists = [_builtin_list(name) for name in builtin if name in BUILTIN_LISTS]
        raw_lists = r.get("lists", [])
        if not isinstance(raw_lists, list):
            r.problem("lists", "expected a list of [[...lists]] tables")
            raw_lists = []
        for i, table in enumerate(raw_lists):
            try:
                lists.append(_parse_list(table, f"{r.key('lists')}[{i}]"))
            except ConfigError as e:
                r.absorb(e)
        names = [tl.name for tl in lists]
        for name in {n for n in names if names.count(n) > 1}:
            r.problem("lists", f"duplicate list name {name!r}")
        if sum(len(tl.terms) + len(tl.exceptions) for tl in lists) > MAX_TERMS:
            r.problem("lists", f"more than {MAX_TERMS:,} terms in all")

        offensive = _model_part(r, "offensive", 0.5, Severity.MEDIUM)
        spam = _model_part(r, "spam", None, Severity.LOW)
        pii_enabled, pii_options = _pii_part(r, brand)
        flood_part = _flood_part(r, brand)

        matcher = None
        if not r.problems:
            try:
                matcher = TermMatcher(lists, global_exceptions)
                logger.debug("%s: %d terms in %d lists", path, matcher.size, len(lists))
            except TermError as e:  # per-term problems are caught earlier; this is a backstop
                r.problem("exceptions", str(e))
        r.finish()
        return cls(matcher=matcher, offensive=offensive, spam=spam, pii_enabled=pii_enabled,
                   pii_options=pii_options, flood_part=flood_part, max_text_chars=max_chars)

    # -- judging ---------------------------------------------------------------------------

    def check_batch(self, comments: Sequence[Comment],
                    flood_history: Iterable[flood.FloodRecord] = ()) -> list[list[Finding]]:
        """One list of findings per comment. ``flood_history``: the caller's recent records
        (see ``rules.charter.flood``); without it, flooding is judged within the batch only."""
        if not comments:
            return []
        capped = self._capped(comments)
        texts = [c.text for c in capped]
        prepared = self._prepare(capped, with_flood=self.flood.enabled)
        text_views = [views for views, _ in prepared]
        folded = [v[0] for v in text_views]
        out: list[list[Finding]] = [[] for _ in capped]

        for i, hits in enumerate(self.matcher.search(v) for v in text_views):
            for hit in hits:
                out[i].append(self._term_finding(hit))
        if self.offensive.enabled:
            scores = profanity_scores(folded)
            for i, score in enumerate(scores):
                if score >= self.offensive.threshold:
                    out[i].append(Finding(
                        rule="charter.offensive", category=Category.CHARTER,
                        severity=self.offensive.severity,
                        reason="Offensive or abusive language (profanity model)",
                        evidence={"score": round(float(score), 3),
                                  "threshold": self.offensive.threshold}))
        if self.pii_enabled:
            for i, text in enumerate(texts):
                finding = self._pii_finding(text, folded[i])
                if finding:
                    out[i].append(finding)
        if self.spam.enabled:
            model = spam_model()
            threshold = model.threshold if self.spam.threshold is None else self.spam.threshold
            for i, score in enumerate(model.scores(texts, folded)):
                if score >= threshold:
                    out[i].append(Finding(
                        rule="charter.spam", category=Category.CHARTER,
                        severity=self.spam.severity,
                        reason="Spam or self-promotion (spam classifier)",
                        evidence={"score": round(float(score), 3), "threshold": threshold}))
        if self.flood.enabled:
            hits = flood.check(capped, flood_history, self.flood.settings, folded,
                               keyed=[keyed for _, keyed in prepared])
            for i, hit in enumerate(hits):
                if hit is not None:
                    out[i].append(self._flood_finding(hit))
        return out

    def flood_records(self, comments: Sequence[Comment]) -> list[list[flood.FloodRecord]]:
        """What the store should remember about each comment for later flood checks."""
        if not self.flood.enabled:
            return [[] for _ in comments]
        capped = self._capped(comments)
        return flood.records(capped, self.flood.settings,
                             keyed=[keyed for _, keyed in self._prepare(capped, with_flood=True)])

    def _capped(self, comments: Sequence[Comment]) -> list[Comment]:
        cap = self.max_text_chars
        return [c if len(c.text) <= cap else replace(c, text=c.text[:cap]) for c in comments]

    def _prepare(self, capped: Sequence[Comment], *, with_flood: bool
                 ) -> list[tuple[tuple[str, ...], flood.Keyed | None]]:
        """Each comment's term views (the folded text first) and, if asked, its flood records;
        from the previous call's results where the same comment was seen (same uid, text,
        author, date and links: everything either depends on)."""
        recent = self._recent
        keys = [(c.uid, c.text, c.author, c.created_at, tuple(c.links)) for c in capped]
        out: list[tuple[tuple[str, ...], flood.Keyed | None]] = []
        flats: dict[int, str] = {}
        missing: list[int] = []
        for i, key in enumerate(keys):
            hit = recent.get(key)
            if hit is None or (with_flood and hit[1] is None):
                missing.append(i)
                if hit is None:
                    views, flats[i] = term_views_and_flat(capped[i].text)
                    hit = (views, None)
            out.append(hit)
        if with_flood and missing:
            keyed = flood.keyed_records([capped[i] for i in missing], self.flood.settings,
                                        [out[i][0][0] for i in missing],
                                        [flats.get(i) for i in missing])
            for i, k in zip(missing, keyed):
                out[i] = (out[i][0], k)
        self._recent = dict(zip(keys, out))
        return out

    def _term_finding(self, hit) -> Finding:
        term_list = self.matcher.lists[hit.list_index]
        return Finding(
            rule="charter.terms", category=term_list.category, severity=term_list.severity,
            reason=term_list.reason,
            evidence={"list": term_list.name, "term": hit.term, "match": _defang(hit.match)})

    def _pii_finding(self, text: str, folded: str) -> Finding | None:
        hits = pii.find_pii(text, self.pii_options, folded)
        if not hits:
            return None
        kinds = list(dict.fromkeys(h.kind for h in hits))
        severity = max(_pii_severity(h) for h in hits)
        items = [{"kind": h.kind, "value": h.masked,
                  **({"detail": h.detail} if h.detail and h.kind != "phone" else {})}
                 for h in hits[:20]]
        return Finding(
            rule="charter.pii", category=Category.CHARTER, severity=severity,
            reason="Personal data: " + ", ".join(PII_LABEL[k] for k in kinds),
            evidence={"items": items, "count": len(hits)})

    def _flood_finding(self, hit: flood.FloodHit) -> Finding:
        what = "the same text" if hit.kind == "text" else "the same link"
        if hit.copies_by_author >= self.flood.settings.per_author:
            reason = (f"Flooding: {what} posted {hit.copies_by_author} times by one author "
                      f"within {_duration(hit.window)}")
        else:
            reason = (f"Flooding: {what} posted by {hit.authors} authors "
                      f"within {_duration(hit.window)}")
        return Finding(
            rule="charter.flood", category=Category.CHARTER, severity=self.flood.severity,
            reason=reason,
            evidence={"kind": hit.kind, "fingerprint": hit.key,
                      "copies_by_author": hit.copies_by_author, "authors": hit.authors,
                      "window_seconds": hit.window})


# -- helpers -------------------------------------------------------------------------------

def _pii_severity(hit: pii.PiiHit) -> Severity:
    if hit.kind == "staff" and hit.detail not in ("email", "phone", "address", "lives at",
                                                   "lives on", "lives in", "home address",
                                                   "address is", "her address", "his address",
                                                   "their address"):
        return Severity.MEDIUM  # named with a department or office, not a way to reach them
    return PII_SEVERITY[hit.kind]


def _defang(text: str) -> str:
    if "." not in text and "http" not in text.casefold():
        return text
    text = re.sub(r"(?i)\bhttp", "hxxp", text)
    return re.sub(r"(?<=\w)\.(?=\w)", "[.]", text) if re.search(r"\w\.\w", text) else text


def _duration(seconds: float) -> str:
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


@lru_cache(maxsize=None)
def _builtin_list(name: str) -> TermList:
    file, severity, reason = BUILTIN_LISTS[name]
    return TermList(name=name, category=Category.CHARTER, severity=severity, reason=reason,
                    terms=tuple(_read_terms(DATA / file)))


def _read_terms(path: Path) -> list[str]:
    return [term for _, term in _numbered_terms(path)]


def _numbered_terms(path: Path) -> list[tuple[int, str]]:
    """(line number, term): one term a line; blank lines and '#' comment lines skipped."""
    with path.open(encoding="utf-8") as f:
        return [(n, line.strip()) for n, line in enumerate(f, 1)
                if line.strip() and not line.lstrip().startswith("#")]


def _parse_list(table: Any, path: str) -> TermList:
    r = OptionReader(table, path)
    name = r.str("name")
    category = r.enum("category", Category, Category.CHARTER)
    severity = r.enum("severity", Severity, Severity.MEDIUM)
    reason = r.str("reason", None) or f"Term from the charter list {name!r}"
    terms = list(r.str_list("terms"))
    exceptions = r.str_list("exceptions")
    for i, file in enumerate(r.str_list("files")):
        if file.startswith("builtin:"):  # a bundled list, with this list's severity and reason
            if file[8:] not in BUILTIN_LISTS:
                r.problem(f"files[{i}]", f"unknown bundled list {file[8:]!r}; expected one of "
                                         f"{', '.join(BUILTIN_LISTS)}")
                continue
            terms.extend(_builtin_list(file[8:]).terms)
            continue
        file_path = Path(file).expanduser()
        try:
            if file_path.stat().st_size > MAX_TERM_FILE_BYTES:
                r.problem(f"files[{i}]", f"{file}: larger than {MAX_TERM_FILE_BYTES:,} bytes")
                continue
            for n, term in _numbered_terms(file_path):
                problem = _term_problem(term)
                if problem:
                    if len(r.problems) < MAX_PROBLEMS:
                        r.problem(f"files[{i}]", f"{file} line {n}: {problem}")
                else:
                    terms.append(term)
        except (OSError, UnicodeDecodeError) as e:
            r.problem(f"files[{i}]", f"cannot read {file}: {e}")
    for key, values in (("terms", r.table.get("terms", [])), ("exceptions", exceptions)):
        if isinstance(values, list):
            for i, term in enumerate(values):
                problem = _term_problem(term) if isinstance(term, str) else None
                if problem and len(r.problems) < MAX_PROBLEMS:
                    r.problem(f"{key}[{i}]", problem)
    if not terms and not r.has("files"):
        r.problem("terms", "a list needs terms or files")
    r.finish()
    return TermList(name=name, category=category, severity=severity, reason=reason,
                    terms=tuple(terms), exceptions=tuple(exceptions))


def _term_problem(term: str) -> str | None:
    try:
        parse_term(term)
    except TermError as e:
        return str(e)
    return None


def _model_part(r: OptionReader, key: str, threshold: float | None,
                severity: Severity) -> ModelPart:
    sub = OptionReader(r.table_of(key), r.key(key))
    enabled = sub.bool("enabled", True)
    value = sub.number("threshold", threshold, minimum=0.0)
    if value is not None and value > 1:
        sub.problem("threshold", f"must be between 0 and 1, got {value}")
    part = ModelPart(enabled, value, sub.enum("severity", Severity, severity))
    try:
        sub.finish()
    except ConfigError as e:
        r.absorb(e)
    return part


def _pii_part(r: OptionReader, brand: Brand) -> tuple[bool, pii.PiiOptions]:
    sub = OptionReader(r.table_of("pii"), r.key("pii"))
    enabled = sub.bool("enabled", True)
    region = sub.str("region", "US")
    if region is not None and region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        sub.problem("region", f"unknown region {region!r}; use a two-letter code like 'US', 'DE'")
    detectors = sub.str_list("detectors", pii.DETECTORS)
    for d in detectors:
        if d not in pii.DETECTORS:
            sub.problem("detectors", f"unknown detector {d!r}; expected some of "
                                     f"{', '.join(pii.DETECTORS)}")
    allow = frozenset(pii.allow_key(a, (region or "US").upper()) for a in sub.str_list("allow")
                      if region is None or region.upper() in phonenumbers.SUPPORTED_REGIONS)
    staff = sub.str_list("staff", brand.staff)
    context = sub.str_list("staff_context", pii.DEFAULT_STAFF_CONTEXT)
    try:
        sub.finish()
    except ConfigError as e:
        r.absorb(e)
    options = pii.PiiOptions(region=(region or "US").upper(), detectors=detectors, allow=allow,
                             allow_domains=tuple(d.casefold() for d in brand.domains),
                             staff=staff, staff_context=tuple(c.casefold() for c in context))
    return enabled, options


def _flood_part(r: OptionReader, brand: Brand) -> FloodPart:
    sub = OptionReader(r.table_of("flood"), r.key("flood"))
    d = flood.FloodSettings()
    enabled = sub.bool("enabled", True)
    settings = flood.FloodSettings(
        window=sub.number("window", d.window, minimum=1),
        per_author=sub.number("per_author", d.per_author, minimum=2, integer=True),
        authors=sub.number("authors", d.authors, minimum=2, integer=True),
        min_chars=sub.number("min_chars", d.min_chars, minimum=1, integer=True),
        authors_min_chars=sub.number("authors_min_chars", d.authors_min_chars, minimum=1,
                                     integer=True),
        links=sub.bool("links", d.links),
        ignore_hosts=tuple(h.casefold() for h in brand.domains))
    severity = sub.enum("severity", Severity, Severity.MEDIUM)
    try:
        sub.finish()
    except ConfigError as e:
        r.absorb(e)
    return FloodPart(enabled, settings, severity)
