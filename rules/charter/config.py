"""Reading ``[rules.charter]``: the term lists (bundled and the charter's own), the model parts,
personal data and flooding options, every problem named by its key."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import phonenumbers

from moderator.errors import ConfigError
from moderator.models import Brand, Category, Severity
from moderator.options import OptionReader
from rules.charter import flood, pii
from rules.charter.spam import spam_model
from rules.charter.terms import TermError, TermList, TermMatcher, parse_term

logger = logging.getLogger(__name__)

DATA = Path(__file__).with_name("data") / "terms"
MAX_TERMS = 1_000_000
MAX_TERM_FILE_BYTES = 50_000_000
MAX_PROBLEMS = 20  # per list: a file of 100,000 regexes gets a readable error

# Lists that ship with Moderator: name -> (file, severity, reason).
BUILTIN_LISTS: dict[str, tuple[str, Severity, str]] = {
    "profanity-en": ("ldnoobw-en.txt", Severity.MEDIUM, "Profanity or obscene language"),
    # Words mostly innocent in conversation ("this sucks"): recorded, no action by default.
    "profanity-en-mild": ("ldnoobw-en-mild.txt", Severity.LOW, "Mild or ambiguous language"),
    "profanity-de": ("ldnoobw-de.txt", Severity.MEDIUM, "Profanity or obscene language (German)"),
    "profanity-es": ("ldnoobw-es.txt", Severity.MEDIUM, "Profanity or obscene language (Spanish)"),
    "profanity-fr": ("ldnoobw-fr.txt", Severity.MEDIUM, "Profanity or obscene language (French)"),
    "scam-en": ("scam-en.txt", Severity.MEDIUM, "Scam, giveaway or solicitation wording"),
}


@dataclass(frozen=True, slots=True)
class ModelPart:
    enabled: bool
    threshold: float
    severity: Severity
    mild_severity: Severity = Severity.LOW  # when the only swear words are mild (rules.charter.mild)
    # profanity the model does not back up once casual swear words are out (rules.charter.swearing)
    casual_severity: Severity = Severity.LOW


@dataclass(frozen=True, slots=True)
class SwitchPart:
    enabled: bool
    severity: Severity


@dataclass(frozen=True, slots=True)
class SpamPart:
    """Severity follows the classifier's confidence: from ``threshold`` a comment is queued for
    review (``severity``), from ``confident_threshold`` it is hidden (``confident_severity``)."""
    enabled: bool
    threshold: float | None  # None: the model's own
    severity: Severity
    confident_threshold: float | None  # None: the model's own
    confident_severity: Severity
    model_file: Path | None  # None: the bundled model
    own_domains: tuple[str, ...] = ()  # [brand].domains: links there are not spam evidence
    link_only_severity: Severity | None = None  # a link is the only spam signal; None: severity


@dataclass(frozen=True, slots=True)
class FloodPart:
    enabled: bool
    settings: flood.FloodSettings
    severity: Severity


@dataclass(frozen=True, slots=True)
class CharterConfig:
    matcher: TermMatcher
    offensive: ModelPart
    spam: SpamPart
    pii_enabled: bool
    pii_options: pii.PiiOptions
    flood_part: FloodPart
    max_text_chars: int
    disguise: SwitchPart
    testimonial: SwitchPart


def read_config(options: Any, brand: Brand, *, path: str) -> CharterConfig:
    """The validated ``[rules.charter]`` table at ``path``; raises ConfigError naming keys."""
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
    lists = [builtin_list(name) for name in builtin if name in BUILTIN_LISTS]
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

    # 0.75, not 0.5: on text it never saw the model's probabilities run high (bench/charter.md:
    # held-out thresholds 0.72-0.76; "Gud mrng dear hav a nice day" scores 0.51).
    offensive = _model_part(r, "offensive", 0.75, Severity.MEDIUM)
    spam = _spam_part(r, brand)
    pii_enabled, pii_options = _pii_part(r, brand)
    flood_part = _flood_part(r, brand)
    disguise = _switch_part(r, "disguise", Severity.HIGH)
    testimonial = _switch_part(r, "testimonial", Severity.MEDIUM)

    matcher = None
    if not r.problems:
        try:
            matcher = TermMatcher(lists, global_exceptions)
            logger.debug("%s: %d terms in %d lists", path, matcher.size, len(lists))
        except TermError as e:  # per-term problems are caught earlier; this is a backstop
            r.problem("exceptions", str(e))
    r.finish()
    return CharterConfig(matcher=matcher, offensive=offensive, spam=spam, pii_enabled=pii_enabled,
                     pii_options=pii_options, flood_part=flood_part, max_text_chars=max_chars,
                         disguise=disguise, testimonial=testimonial)


@lru_cache(maxsize=None)
def builtin_list(name: str) -> TermList:
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
            terms.extend(builtin_list(file[8:]).terms)
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


def _model_part(r: OptionReader, key: str, threshold: float,
                severity: Severity) -> ModelPart:
    sub = OptionReader(r.table_of(key), r.key(key))
    enabled = sub.bool("enabled", True)
    value = sub.number("threshold", threshold, minimum=0.0)
    if value is not None and value > 1:
        sub.problem("threshold", f"must be between 0 and 1, got {value}")
    part = ModelPart(enabled, value, sub.enum("severity", Severity, severity),
                     sub.enum("mild_severity", Severity, Severity.LOW),
                     sub.enum("casual_severity", Severity, Severity.LOW))
    try:
        sub.finish()
    except ConfigError as e:
        r.absorb(e)
    return part


def _switch_part(r: OptionReader, key: str, severity: Severity) -> SwitchPart:
    sub = OptionReader(r.table_of(key), r.key(key))
    part = SwitchPart(sub.bool("enabled", True), sub.enum("severity", Severity, severity))
    try:
        sub.finish()
    except ConfigError as e:
        r.absorb(e)
    return part


def _spam_part(r: OptionReader, brand: Brand) -> SpamPart:
    sub = OptionReader(r.table_of("spam"), r.key("spam"))
    enabled = sub.bool("enabled", True)
    thresholds = {}
    for key in ("threshold", "confident_threshold"):
        thresholds[key] = sub.number(key, None, minimum=0.0)
        if thresholds[key] is not None and thresholds[key] > 1:
            sub.problem(key, f"must be between 0 and 1, got {thresholds[key]}")
    model_file = sub.str("model_file", None)
    path = Path(model_file).expanduser() if model_file else None
    if path is not None:
        try:
            spam_model(path)
        except (OSError, KeyError, ValueError) as e:
            sub.problem("model_file", f"cannot load a spam model from {model_file}: {e}")
    severity = sub.enum("severity", Severity, Severity.MEDIUM)
    part = SpamPart(enabled, thresholds["threshold"], severity, thresholds["confident_threshold"],
                    sub.enum("confident_severity", Severity, Severity.HIGH), path,
                    tuple(d.lower().strip(".") for d in brand.domains if d),
                    sub.enum("link_only_severity", Severity, severity))
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
