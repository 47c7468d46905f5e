from connectors.base import Capabilities
from moderator.config import PolicySettings
from moderator.models import Action, Author, Brand, Category, Comment, Finding, Severity
from moderator.policy import Context, decide, degrade, proposed_for_review

BRAND = Brand("Acme", ("acme.com",), ("AcmeBank", "AcmeSupport"), ("Jane Smith",))
ALL = Capabilities(hide=True, delete=True, ban=True)


def finding(severity):
    return Finding("custom.x", Category.CHARTER, severity, f"{severity.value} thing")


def comment(handle="someone", author_id="u1", name=None):
    return Comment("x", "acct", "1", "text", Author(id=author_id, handle=handle, name=name))


def test_severity_picks_the_action_and_the_top_finding_wins():
    policy = PolicySettings()
    ctx = Context(ALL, BRAND)
    assert decide(comment(), [], policy, ctx).action is Action.NONE
    assert decide(comment(), [finding(Severity.LOW)], policy, ctx).action is Action.NONE
    assert decide(comment(), [finding(Severity.MEDIUM)], policy, ctx).action is Action.REVIEW
    d = decide(comment(), [finding(Severity.MEDIUM), finding(Severity.HIGH)], policy, ctx)
    assert d.action is Action.HIDE and d.severity is Severity.HIGH and "(+1 more)" in d.reason
    assert decide(comment(), [finding(Severity.CRITICAL)], policy, ctx).action is Action.DELETE


def test_platform_capabilities_degrade_the_action():
    x_like = Capabilities(hide=True, delete=False)
    d = decide(comment(), [finding(Severity.CRITICAL)], PolicySettings(), Context(x_like, BRAND))
    assert d.action is Action.HIDE and d.degraded_from is Action.DELETE
    assert degrade(Action.HIDE, Capabilities()) is Action.REVIEW
    assert degrade(Action.BAN, Capabilities(hide=True, delete=True)) is Action.DELETE


def test_official_accounts_and_allowlist_are_never_acted_on():
    policy = PolicySettings(allowlist_authors=("jane_at_acme",))
    ctx = Context(ALL, BRAND)
    for author in (comment(handle="@acmesupport"), comment(handle="jane_at_acme")):
        d = decide(author, [finding(Severity.CRITICAL)], policy, ctx)
        assert d.action is Action.NONE and "not acted on" in d.reason
    # a display name equal to a staff member's is what impostors copy: not protection
    impostor = comment(handle="jane_smith_help", name="Jane Smith")
    assert decide(impostor, [finding(Severity.HIGH)], policy, ctx).action is Action.HIDE


def test_brake_and_human_verdicts_turn_destruction_into_review_or_nothing():
    d = decide(comment(), [finding(Severity.CRITICAL)], PolicySettings(),
               Context(ALL, BRAND, brake_engaged=True))
    assert d.action is Action.REVIEW and d.degraded_from is Action.DELETE
    assert proposed_for_review(d, ALL) is Action.DELETE
    kept = decide(comment(), [finding(Severity.CRITICAL)], PolicySettings(),
                  Context(ALL, BRAND, human_kept=True))
    assert kept.action is Action.NONE


def test_ban_only_when_allowed():
    policy = PolicySettings(actions={**PolicySettings().actions, Severity.CRITICAL: Action.BAN})
    d = decide(comment(), [finding(Severity.CRITICAL)], policy, Context(ALL, BRAND))
    assert d.action is Action.DELETE
    allowed = PolicySettings(actions=policy.actions, allow_ban=True)
    assert decide(comment(), [finding(Severity.CRITICAL)], allowed,
                  Context(ALL, BRAND)).action is Action.BAN
