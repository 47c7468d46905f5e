"""Custom rules from the config, in the spirit of Reddit's AutoModerator.

Each ``[[rules.custom]]`` table names what to look at (the text, the author's handle or display
name), what to look for (whole words or phrases, substrings, regular expressions) and what
cancels it (``unless_words``, ``unless_regex``), with the category, severity and reason of the
finding it raises::

    [[rules.custom]]
    name = "giveaway"
    severity = "medium"
    reason = "Giveaway wording"
    words = ["giveaway", "free gift card"]
    unless_words = ["official giveaway rules"]

Words match on every normalized view of the text (confusables, case, leetspeak, spacing), so
``FR33 G1FT C4RD`` matches ``free gift card``. Regexes run with the ``regex`` module and a time
limit per match, because a user-written pattern must not stall the worker on hostile text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import regex

from moderator.errors import ConfigError
from moderator.models import Brand, Category, Comment, Finding, Severity
from moderator.options import OptionReader
from rules.base import Observation, PerCommentRule
from rules.prefilter import Prefilter
from rules.text import fold, views

logger = logging.getLogger(__name__)

FIELDS = ("text", "author.handle", "author.name")
REGEX_TIMEOUT = 0.05  # seconds per pattern and comment


@dataclass(frozen=True, slots=True)
class CustomCheck:
    name: str
    category: Category
    severity: Severity
    reason: str
    fields: tuple[str, ...]
    words: re.Pattern[str] | None
    contains: tuple[str, ...]
    patterns: tuple[Any, ...]  # compiled regex.Pattern
    unless_words: re.Pattern[str] | None
    unless_patterns: tuple[Any, ...]
    # Screens (one Aho-Corasick pass over the literals a pattern requires, rules/prefilter.py):
    # the words pattern runs only on views holding one of the words, and only the regexes that
    # could match run. Case-insensitive regexes are screened on the casefolded text.
    words_screen: Prefilter | None = None
    regex_screen: Prefilter | None = None
    case_sensitive: bool = False

    def match(self, field_text: str, field_views: Sequence[str],
              word_views: Sequence[str] | None = None) -> str | None:
        """The matched span if this check fires on one field, else None. ``word_views``: the
        views that could hold one of the words, if the caller has screened them already."""
        if word_views is None:
            word_views = self._word_views(field_views)
        hit = _first_word(self.words, word_views) \
            or _first_contains(self.contains, field_views) \
            or _first_regex(self._possible_patterns(field_text, field_views), field_text, field_views,
                            self.name)
        if hit is None:
            return None
        if _first_word(self.unless_words, field_views) or \
                _first_regex(self.unless_patterns, field_text, field_views, self.name):
            return None
        return hit

    def _word_views(self, field_views: Sequence[str]) -> Sequence[str]:
        if self.words_screen is None:
            return field_views
        return [view for view in field_views if self.words_screen.matching(view)]

    def _possible_patterns(self, text: str, field_views: Sequence[str]) -> tuple[Any, ...]:
        if self.regex_screen is None or not self.patterns:
            return self.patterns
        folded = field_views[0] if field_views else ""
        possible = self.regex_screen.matching(text if self.case_sensitive else text.casefold(), folded)
        if not possible:
            return ()
        return tuple(p for i, p in enumerate(self.patterns) if i in possible)


def _first_word(pattern: re.Pattern[str] | None, field_views: Sequence[str]) -> str | None:
    if pattern is None:
        return None
    for view in field_views:
        m = pattern.search(view)
        if m:
            return m.group(0)
    return None


def _first_contains(needles: tuple[str, ...], field_views: Sequence[str]) -> str | None:
    for needle in needles:
        for view in field_views:
            if needle in view:
                return needle
    return None


def _first_regex(patterns: tuple[Any, ...], text: str, field_views: Sequence[str],
                 name: str) -> str | None:
    for pattern in patterns:
        for candidate in (text, field_views[0] if field_views else ""):
            try:
                m = pattern.search(candidate, timeout=REGEX_TIMEOUT)
            except TimeoutError:
                logger.warning("custom rule %s: regex %r timed out; treated as no match",
                               name, pattern.pattern)
                continue
            if m:
                return m.group(0)
    return None


def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    folded = sorted({fold(w) for w in words if fold(w)}, key=len, reverse=True)
    if not folded:
        return None
    # Boundaries are letters and digits only: `_` and `.` separate words in handles.
    return re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, folded)) + r")(?![^\W_])")


class CustomRule(PerCommentRule):
    family: ClassVar[str] = "custom"

    def __init__(self, checks: Sequence[CustomCheck]):
        self.checks = tuple(checks)
        # Every check's words in one screen: one automaton pass per view names the checks whose
        # words could be in it (each check's own screen took one pass per view and check).
        # (None: each check screens its own words, as it does when used alone.)
        self.words_screen: Prefilter | None = Prefilter(
            {i: check.words.pattern for i, check in enumerate(self.checks) if check.words is not None})

    @classmethod
    def from_config(cls, options: Any, brand: Brand, *, path: str) -> "CustomRule":
        if not options:  # absent, or an empty table: no custom rules
            return cls(())
        if not isinstance(options, list):
            raise ConfigError(f"{path}: expected a list of [[{path}]] tables")
        checks: list[CustomCheck] = []
        problems: list[str] = []
        names: set[str] = set()
        for i, table in enumerate(options):
            try:
                check = _parse_check(table, f"{path}[{i}]")
            except ConfigError as e:
                problems.extend(e.problems)
                continue
            if check.name in names:
                problems.append(f"{path}[{i}].name: duplicate custom rule name {check.name!r}")
            names.add(check.name)
            checks.append(check)
        if problems:
            raise ConfigError(problems)
        return cls(checks)

    def check(self, comment: Comment) -> list[Finding]:
        if not self.checks:
            return []
        fields = {
            "text": comment.text,
            "author.handle": comment.author.handle or "",
            "author.name": comment.author.name or "",
        }
        field_views: dict[str, tuple[str, ...]] = {}
        screened: dict[str, list[set]] = {}  # per field, per view: the checks it could match
        findings = []
        for i, check in enumerate(self.checks):
            for field_name in check.fields:
                text = fields[field_name]
                if not text:
                    continue
                if field_name not in field_views:
                    field_views[field_name] = views(text)
                    if self.words_screen is not None:
                        screened[field_name] = [self.words_screen.matching(view)
                                                for view in field_views[field_name]]
                could = screened.get(field_name)
                word_views = None if could is None else [] if not any(could) else \
                    [view for view, named in zip(field_views[field_name], could) if i in named]
                hit = check.match(text, field_views[field_name], word_views)
                if hit is not None:
                    findings.append(Finding(
                        rule=f"custom.{check.name}", category=check.category,
                        severity=check.severity, reason=check.reason,
                        evidence={"field": field_name, "match": hit[:200]},
                    ))
                    break
        return findings


def _parse_check(table: Any, path: str) -> CustomCheck:
    r = OptionReader(table, path)
    name = r.str("name")
    if name is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        r.problem("name", f"use lowercase letters, digits, '-' and '_', got {name!r}")
    category = r.enum("category", Category, Category.CHARTER)
    severity = r.enum("severity", Severity, Severity.MEDIUM)
    reason = r.str("reason", None) or f"matches custom rule {name}"
    fields = r.str_list("fields", ("text",))
    for f in fields:
        if f not in FIELDS:
            r.problem("fields", f"unknown field {f!r}; expected some of {', '.join(FIELDS)}")
    words = r.str_list("words")
    contains = tuple(fold(c) for c in r.str_list("contains") if fold(c))
    case_sensitive = r.bool("case_sensitive", False)
    patterns = _compile_all(r, "regex", case_sensitive)
    unless_words = r.str_list("unless_words")
    unless_patterns = _compile_all(r, "unless_regex", case_sensitive)
    if not (words or contains or r.has("regex")):
        r.problem("words", "a custom rule needs at least one of words, contains or regex")
    r.finish()
    word_pattern = _word_pattern(words)
    return CustomCheck(
        name=name, category=category, severity=severity, reason=reason, fields=fields,
        words=word_pattern, contains=contains, patterns=patterns,
        unless_words=_word_pattern(unless_words), unless_patterns=unless_patterns,
        words_screen=Prefilter({"words": word_pattern.pattern}) if word_pattern else None,
        regex_screen=Prefilter({i: p.pattern for i, p in enumerate(patterns)},
                               ignore_case=not case_sensitive),
        case_sensitive=case_sensitive,
    )


def backtracking_risk(source: str) -> str | None:
    """Why ``source`` may backtrack catastrophically (a quantified group whose inside is
    quantified too, like ``(a+)+$``), or None. Matching is time-limited anyway; this is for
    check-config to warn before a comment makes every match time out."""
    try:
        parsed = re._parser.parse(source)  # type: ignore[attr-defined]
    except (re.error, RecursionError, OverflowError):
        return None  # regex-module syntax the stdlib parser does not know: no opinion

    repeats = {re._constants.MAX_REPEAT, re._constants.MIN_REPEAT}  # type: ignore[attr-defined]

    def unbounded_repeat_in(items: Any, nested: bool) -> bool:
        for op, arg in items:
            if op in repeats:
                low, high, sub = arg
                if high > low and high > 1 and nested:  # a variable-length inner repeat
                    return True
                if unbounded_repeat_in(sub, nested or high > 1):
                    return True
            elif op is re._constants.SUBPATTERN:  # type: ignore[attr-defined]
                if unbounded_repeat_in(arg[-1], nested):
                    return True
            elif op is re._constants.BRANCH:  # type: ignore[attr-defined]
                if any(unbounded_repeat_in(branch, nested) for branch in arg[1]):
                    return True
        return False

    if unbounded_repeat_in(parsed, False):
        return "a repeated group holds a repetition (nested quantifiers, like (a+)+)"
    return None


def _compile_all(r: OptionReader, key: str, case_sensitive: bool) -> tuple[Any, ...]:
    compiled = []
    flags = 0 if case_sensitive else regex.IGNORECASE
    for i, source in enumerate(r.str_list(key)):
        try:
            compiled.append(regex.compile(source, flags))
        except regex.error as e:
            r.problem(f"{key}[{i}]", f"regex does not compile: {e}")
    return tuple(compiled)


def explain_custom(rule: CustomRule, comment: Comment,
                   findings: Sequence[Finding],
                   memory: Sequence[Any] = ()) -> list[Observation]:
    """Each custom rule: what it matched, or that an ``unless`` excused the match."""
    fired = {f.rule: f for f in findings}
    fields = {"text": comment.text, "author.handle": comment.author.handle or "",
              "author.name": comment.author.name or ""}
    out = []
    for check in rule.checks:
        name = f"custom.{check.name}"
        if name in fired:
            evidence = fired[name].evidence
            out.append(Observation(name, f"matched {evidence.get('match')!r} in "
                                         f"{evidence.get('field')}: {check.severity.value}",
                                   True, dict(evidence)))
            continue
        excused = None
        for field_name in check.fields:
            text = fields[field_name]
            field_views = views(text) if text else ()
            hit = text and (_first_word(check.words, field_views)
                            or _first_contains(check.contains, field_views)
                            or _first_regex(check.patterns, text, field_views, check.name))
            if hit:
                excused = (field_name, hit)
                break
        conclusion = (f"matched {excused[1]!r} in {excused[0]}, but an 'unless' word or pattern "
                      f"excused it" if excused else
                      f"nothing matched in {', '.join(check.fields)}")
        out.append(Observation(name, conclusion))
    return out
