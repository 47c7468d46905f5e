"""Impersonation: accounts posing as the brand, its support desk or its staff, and fake-support replies.

The attack: under the brand's post a customer complains; an account called ``AcmeSupp0rt`` or
``Acme Bank Help`` answers "sorry for the trouble, DM us on WhatsApp +1 555 ..." and takes the
customer's account number ("angler phishing"). This family raises:

- ``impersonation.handle``: the author's handle imitates an official handle or the brand name;
- ``impersonation.display_name``: the display name copies or imitates the brand / an official handle;
- ``impersonation.staff``: the handle or display name imitates a configured staff member;
- ``impersonation.fake_support``: a non-official reply that offers help or claims to be support and
  moves the reader elsewhere (DM, WhatsApp, Telegram, phone, e-mail, forms, "contact our agent").

Names are compared after undoing the disguises one by one (TR39 skeleton, separators, digits,
affixes such as ``support``/``official``/country codes, leetspeak and ASCII look-alikes such as
``rn`` for ``m``), then by a weighted edit distance where look-alike letters (``c``/``e``,
``m``/``n``) cost half. A deletion index keeps the fuzzy step to a few dict lookups per name, and
the verdict on an author is cached (bounded LRU), so a busy thread costs little.

Platforms (``Comment.platform``): a leading ``u/`` (Reddit) or ``@`` (X) is not part of a handle;
X cuts handles at 15 characters, so ``AcmeBankSuppor`` counts as ``AcmeBank`` + a cut ``support``;
Facebook authors are numeric ids, so only their display names (with spaces) are compared;
Instagram's dots and underscores, like Reddit's ``-`` and ``_``, are separators. Handles compare
case-insensitively everywhere, as the platforms do.

Young accounts are a modifier: they raise the severity of a finding, never make one. The official
handles and the ``allow`` list are never flagged; the brand merely mentioned in text is not
impersonation.
"""

from rules.impersonation.matcher import NameMatch, NameMatcher, Target, distance
from rules.impersonation.rule import AuthorVerdict, ImpersonationRule
from rules.impersonation.support import SupportSignals, brand_claim_pattern, support_signals
from rules.impersonation.targets import build_targets, bundled_affixes

__all__ = ["AuthorVerdict", "ImpersonationRule", "NameMatch", "NameMatcher", "SupportSignals", "Target",
           "brand_claim_pattern", "build_targets", "bundled_affixes", "distance", "support_signals"]
