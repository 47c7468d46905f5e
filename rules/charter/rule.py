"""``CharterRule``: the charter's parts run over a batch (see ``rules.charter``).

- ``charter.terms``: the charter's word and phrase lists (``terms``, one automaton);
- ``charter.offensive``: the profanity model (``offensive``), one call a batch;
- ``charter.pii``: e-mails, phones, cards, IBANs, national ids, exposed staff (``pii``);
- ``charter.spam``: the bundled spam classifier (``spam``), one call a batch;
- ``charter.scam_testimonial``: scam testimonials and recruitment by their shape (``testimonial``);
- ``charter.flood``: repeated text or links (``flood``), within the batch and against
  history the caller passes in (``check_batch(comments, flood_history=...)``).
"""

from __future__ import annotations

import operator
from dataclasses import replace
from typing import Any, ClassVar, Iterable, Sequence

import numpy as np

from moderator.models import Brand, Comment, Finding, Severity
from rules.charter import flood, pii
from rules.charter.config import FloodPart, ModelPart, SpamPart, SwitchPart, read_config
from rules.charter.disguise import disguised_names
from rules.charter.findings import (MILD_REASON, casual_finding, disguise_finding, flood_finding,
                                    is_profanity, model_finding, pii_finding, term_finding,
                                    testimonial_finding)
from rules.charter.mild import only_mild_swearing
from rules.charter.spam import links_only_to, spam_model, too_short_to_hide
from rules.charter.swearing import agreed, scores_and_without_casual
from rules.charter.terms import TermMatcher
from rules.charter.testimonial import own_mentions, scam_testimonial
from rules.charter.termviews import term_views_and_flat
from rules.charter.words import tokens


# check_content's result: findings per comment so far, and each comment's keyed flood records.
ContentChecked = tuple[list[list[Finding]], list[flood.Keyed]]


class CharterRule:
    family: ClassVar[str] = "charter"

    def __init__(self, *, matcher: TermMatcher, offensive: ModelPart, spam: SpamPart,
                 pii_enabled: bool, pii_options: pii.PiiOptions, flood_part: FloodPart,
                 max_text_chars: int = 20_000,
                 disguise: SwitchPart = SwitchPart(True, Severity.HIGH),
                 testimonial: SwitchPart = SwitchPart(True, Severity.MEDIUM),
                 own_handles: tuple[str, ...] = ()):
        self.matcher = matcher
        self.offensive = offensive
        self.spam = spam
        self.pii_enabled = pii_enabled
        self.pii_options = pii_options
        self.flood = flood_part
        self.max_text_chars = max_text_chars
        self.disguise = disguise
        self.testimonial = testimonial
        self._own_mentions = own_mentions(own_handles)  # [brand].handles: not someone to reach
        # How far back the caller should feed flood history (None: it needs none).
        self.history_window = flood_part.settings.window if flood_part.enabled else None
        # The last batch (its very comment objects), its normalized views and, if they were
        # asked for, its flood records: the core asks flood_records(batch) and then
        # check_content(batch) of the same batch, and would otherwise pay for normalization and
        # fingerprints twice. Comments are immutable, and holding them keeps their ids from
        # being reused, so the same objects in the same order mean the same results. Replaced
        # (never grown) on each call.
        self._recent: tuple[list[Comment], list[tuple[tuple[str, ...], flood.Keyed | None]],
                            bool] = ([], [], False)

    @classmethod
    def from_config(cls, options: Any, brand: Brand, *, path: str) -> "CharterRule":
        c = read_config(options, brand, path=path)
        return cls(matcher=c.matcher, offensive=c.offensive, spam=c.spam,
                   pii_enabled=c.pii_enabled, pii_options=c.pii_options,
                   flood_part=c.flood_part, max_text_chars=c.max_text_chars,
                   disguise=c.disguise, testimonial=c.testimonial, own_handles=brand.handles)

    def check_batch(self, comments: Sequence[Comment],
                    flood_history: Iterable[flood.FloodRecord] = ()) -> list[list[Finding]]:
        """One list of findings per comment. ``flood_history``: the caller's recent records
        (see ``rules.charter.flood``); without it, flooding is judged within the batch only."""
        return self.check_history(comments, self.check_content(comments), flood_history)

    def check_content(self, comments: Sequence[Comment]) -> ContentChecked:
        """``check_batch`` in two halves, so that a worker process can run the first one: every
        part but flooding (from the text alone), and what flooding needs of the batch."""
        if not comments:
            return [], []
        capped = self._capped(comments)
        texts = [c.text for c in capped]
        prepared = self._prepare(capped, with_flood=self.flood.enabled)
        text_views = [views for views, _ in prepared]
        folded = [v[0] for v in text_views]
        # Both models read the same tokens of the folded text (rules.charter.words).
        words = list(map(tokens, folded)) if self.offensive.enabled and self.spam.enabled \
            else None
        out: list[list[Finding]] = [[] for _ in capped]

        for i, hits in enumerate(self.matcher.search(v) for v in text_views):
            for hit in hits:
                out[i].append(term_finding(self.matcher, hit))
        if self.offensive.enabled:
            # floats compare faster than numpy's; "without": casual swear words left out
            scores, without = scores_and_without_casual(folded, words)
            for i, score in enumerate(scores):
                if score >= self.offensive.threshold:
                    out[i].append(self._offensive_finding(score, text_views[i], out[i]))
            self._judge_swearing(out, text_views, without)
        if self.pii_enabled:
            for i, text in enumerate(texts):
                found = pii.find_pii(text, self.pii_options, folded[i])
                if found:
                    out[i].append(pii_finding(found))
        if self.disguise.enabled:
            for i, text in enumerate(texts):
                names = disguised_names(text)
                if names:
                    out[i].append(disguise_finding(names, self.disguise.severity))
        if self.testimonial.enabled:
            for i, text in enumerate(folded):
                found = scam_testimonial(text, self._own_mentions)
                if found:
                    out[i].append(testimonial_finding(*found, self.testimonial.severity))
        if self.spam.enabled:
            for i, finding in enumerate(self._spam_findings(texts, folded, words)):
                if finding:
                    out[i].append(finding)
        return out, [keyed for _, keyed in prepared] if self.flood.enabled else []

    def check_history(self, comments: Sequence[Comment], content: ContentChecked,
                      flood_history: Iterable[flood.FloodRecord] = ()) -> list[list[Finding]]:
        """The second half: ``check_content(comments)``'s findings, flooding added (the
        history: the caller's recent records, read after the batch before was stored)."""
        out, keyed = content
        if self.flood.enabled and comments:
            hits = flood.check(comments, flood_history, self.flood.settings, keyed=keyed)
            for i, hit in enumerate(hits):
                if hit is not None:
                    out[i].append(flood_finding(hit, self.flood.settings.per_author,
                                                self.flood.severity))
        return out

    def _offensive_finding(self, score: float, views: Sequence[str],
                           found: Sequence[Finding]) -> Finding:
        """Medium by default; at ``mild_severity`` (low: recorded, no action) when the comment's
        only swear words are mild ones ("holy shit", "this sucks"), as the mild list records them.
        ``found``: the comment's term findings so far (a profanity-en hit answers without a search)."""
        part = self.offensive
        listed = any(f.evidence.get("list") == "profanity-en" for f in found
                     if f.rule == "charter.terms")
        if not listed and only_mild_swearing(views):
            return model_finding("charter.offensive", MILD_REASON,
                                 part.mild_severity, score, part.threshold)
        return model_finding("charter.offensive", "Offensive or abusive language (profanity model)",
                             part.severity, score, part.threshold)

    def _judge_swearing(self, out: list[list[Finding]], text_views: Sequence[Sequence[str]],
                        without: Sequence[float]) -> None:
        """Profanity-list hits and model findings of comments whose profanity the model does not
        back up once casual swear words are out ("fuck babe I miss you"), and that hold no slur
        or swearing aimed at someone, go to ``casual_severity`` (rules.charter.swearing). Without
        the model (offensive disabled) nothing can back a hit up or not: they keep their severity."""
        part = self.offensive
        candidates = [i for i, found in enumerate(out) if any(map(is_profanity, found))]
        if not candidates:
            return
        verdicts = agreed([text_views[i] for i in candidates], [without[i] for i in candidates],
                          part.threshold)
        for i, ok in zip(candidates, verdicts):
            if not ok:
                out[i] = [casual_finding(f, part.casual_severity) if is_profanity(f) else f
                          for f in out[i]]

    def _spam_findings(self, texts: Sequence[str], folded: Sequence[str],
                       words: Sequence[list[str]] | None = None) -> list[Finding | None]:
        """Confident spam at ``confident_severity`` (hidden by default), the uncertain band
        above ``threshold`` at ``severity`` (queued for review). ``words``: the folded texts'
        tokens, if the caller has them."""
        part, model = self.spam, spam_model(self.spam.model_file)
        review = model.threshold if part.threshold is None else part.threshold
        confident = model.confident_threshold if part.confident_threshold is None \
            else part.confident_threshold
        confident = max(confident, review)  # a stricter review threshold raises both
        scores = model.scores(texts, folded, folded_tokens=words)
        if part.own_domains:
            self._judge_own_links_by_words(scores, texts, folded, model, confident)
        scores = scores.tolist()  # floats for the per-comment loop
        # A link is not a message: on YouTube nearly every link was spam, so a link alone
        # scores high ("see https://docs.python.org/..."). Links are the links family's to
        # judge; hiding needs words that are spam too, else the comment is only reviewed, and
        # where the words alone are under the review threshold, the finding may be set to
        # link_only_severity (by default the same as severity: on YouTube that was the
        # commonest spam; then nothing needs rescoring below the confident band).
        link_only = part.link_only_severity or part.severity
        rescore_from = review if link_only != part.severity else confident
        check = [i for i, score in enumerate(scores) if score >= rescore_from]
        words = dict(zip(check, model.scores([texts[i] for i in check], [folded[i] for i in check],
                                             without_links=True).tolist())) if check else {}
        out: list[Finding | None] = []
        for i, score in enumerate(scores):
            worded = words.get(i, score)
            if score >= confident and worded >= confident:
                out.append(model_finding("charter.spam", "Spam or self-promotion (spam classifier: "
                                         "too few words to be sure)", part.severity, score, review)
                           if too_short_to_hide(texts[i], folded[i]) else
                           model_finding("charter.spam", "Spam or self-promotion (spam classifier, "
                                         "confident)", part.confident_severity, score, confident))
            elif score >= review and worded < review and link_only != part.severity:
                out.append(model_finding("charter.spam", "Spam or self-promotion (spam classifier: "
                                         "the link, not the words)", link_only,
                                         score, review))
            elif score >= review:
                out.append(model_finding("charter.spam", "Spam or self-promotion (spam classifier)",
                                         part.severity, score, review))
            else:
                out.append(None)
        return out

    def _judge_own_links_by_words(self, scores, texts, folded, model, confident: float) -> None:
        """A comment whose links all go to the page's own site ([brand].domains) is not
        self-promotion: its words alone decide, and only when they are confident spam (a few
        neutral words score high once the link is gone: "please see ... for details")."""
        domains = self.spam.own_domains
        own = [i for i, f in enumerate(folded)
               if any(d in f for d in domains) and links_only_to(f, domains)]
        if own:
            words = model.scores([texts[i] for i in own], [folded[i] for i in own],
                                 without_links=True)
            scores[own] = np.where(words >= confident, words, 0.0)

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
        the previous call's results when it was given the same comment objects (see
        ``_recent``)."""
        seen, results, flooded = self._recent
        if len(seen) == len(capped) and (flooded or not with_flood) \
                and all(map(operator.is_, seen, capped)):
            return results
        prepared = [term_views_and_flat(c.text) for c in capped]
        keyed: list[flood.Keyed | None] = [None] * len(capped)
        if with_flood:
            keyed = flood.keyed_records(capped, self.flood.settings,
                                        [views[0] for views, _ in prepared],
                                        [flat for _, flat in prepared])
        out = [(views, k) for (views, _), k in zip(prepared, keyed)]
        self._recent = (list(capped), out, with_flood)
        return out
