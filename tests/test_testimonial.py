"""charter.scam_testimonial: investment and recovery scams recruiting in the comments, by their
shape (rules/charter/testimonial.py), and the honest comments that share their words."""

from datetime import datetime, timezone

import pytest

from moderator.models import Author, Brand, Comment, Severity
from rules.charter import CharterRule
from rules.charter.explain import explain_charter
from rules.charter.testimonial import MAX_CHARS, scam_testimonial
from rules.text import fold

BRAND = Brand(name="Acme Bank", domains=("acmebank.com",), handles=("AcmeBank", "@Acme_Help"))
ONLY_TESTIMONIAL = {"builtin_lists": [], "offensive": {"enabled": False},
                    "spam": {"enabled": False}, "pii": {"enabled": False}}


def judged(texts, **options):
    rule = CharterRule.from_config({**ONLY_TESTIMONIAL, **options}, BRAND, path="rules.charter")
    comments = [Comment("instagram", "acme", f"c{i}", t, author=Author(id=f"u{i}"),
                        created_at=datetime(2026, 12, 1, tzinfo=timezone.utc))
                for i, t in enumerate(texts)]
    return rule, comments, rule.check_batch(comments)


@pytest.mark.parametrize("text, shape", [
    ("I invested $1,000 for a start and got a return of $11,000 after 5 days, "
     "thank you @trades_with_ashlie", "gain"),
    ("Much appreciation to \U0001D40C\U0001D42B\U0001D42C Caitlyn: \U0001D42C\U0001D421\U0001D41E "
     "is honest and reliable, my withdrawals always arrive", "praise"),
    ("@victim_account inbox @learn_from_anna she'll help you get it back", "referral"),
    ("I'm paying $4,000 to the first 7 people to message me \"help me out\"", "giveaway"),
    ("another great withdrawal today!! \u00a353,500 received, you are the best #emily_fx", "gain"),
])
def test_each_shape_is_found_and_queued(text, shape):
    _, _, [[finding]] = judged([text])
    assert finding.rule == "charter.scam_testimonial" and finding.severity == Severity.MEDIUM
    assert finding.evidence["shape"] == shape


@pytest.mark.parametrize("text", [
    "Thank you for this tutorial, it is simple to understand. Keep up the good work!",
    "@coinbase you blocked my account with $52 of litecoin in it and support never answers",
    "Great post, I have been investing for ten years and I recommend index funds",
    "@friend look at this, the fees went up to $25 a month",
    "I made a lot of friends here, thanks @acmebank for the event",
    "paying attention to the first half of the video was enough",
    "she paid $5 to hold the monkey &#128514;&#128557; this monkey is real",  # entities, not tags
    # complaints about a payment, to the page's own accounts or asking it to write back
    "@AcmeBank I paid $200 for the new card and received nothing, please dm me",
    "Dear sir, my payment of $50 was returned twice, contact me before Friday",
    "@acme_help thanks, I got my $30 refund",
])
def test_honest_comments_with_the_same_words_are_left_alone(text):
    _, _, [found] = judged([text])
    assert found == []


def test_it_can_be_switched_off_or_raised():
    text = "inbox @learn_from_anna she'll help you"
    assert judged([text], testimonial={"enabled": False})[2] == [[]]
    [[finding]] = judged([text], testimonial={"severity": "high"})[2]
    assert finding.severity == Severity.HIGH


def test_only_the_start_of_a_long_comment_is_read():
    """Time per comment is bounded: what lies past MAX_CHARS is not searched."""
    filler = "word " * (MAX_CHARS // 5)
    assert scam_testimonial(fold("inbox @learn_from_anna now " + filler)) is not None
    assert scam_testimonial(fold(filler + " inbox @learn_from_anna now")) is None


def test_explain_says_which_shape_and_which_words():
    rule, [c], [findings] = judged(["get in touch with #hazel_mcewen for your recovery"])
    [observation] = [o for o in explain_charter(rule, c, findings)
                     if o.subject == "scam testimonial"]
    assert observation.fired and observation.detail == {"shape": "referral"}
    assert "#hazel_mcewen" in observation.conclusion


def test_a_retweets_attribution_is_not_someone_to_contact():
    """From the benchmark corpus: "RT @user:" quotes a tweet's author, it sends nobody there."""
    _, _, [quoted, recruiting] = judged([
        "RT @someone: my mom paid $5 to hold this monkey and look what he did",
        "RT @someone: my mom paid $5,000 and got $50,000 back with @mom_trades"])
    assert quoted == [] and [f.evidence["shape"] for f in recruiting] == ["gain"]


def test_explain_shows_the_words_defanged():
    rule, [c], [findings] = judged(["I got paid at https://evil.example/pay $5,000, thanks @trader_x"])
    [observation] = [o for o in explain_charter(rule, c, findings)
                     if o.subject == "scam testimonial"]
    assert observation.fired and "hxxps://evil[.]example" in observation.conclusion
    assert "https://" not in observation.conclusion


def test_the_pages_own_account_is_not_someone_to_reach():
    """Sending readers to [brand].handles is what the page wants; another account is not."""
    _, _, [own, other] = judged(["inbox @AcmeBank, they helped me recover my account",
                                 "inbox @AcmeBank_Recovery, they helped me recover my account"])
    assert own == [] and [f.evidence["shape"] for f in other] == ["referral"]
