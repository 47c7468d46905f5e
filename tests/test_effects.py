"""The judge and the effects planner: one decision per comment, the brake as a plan."""

from moderator import config, policy
from moderator.effects import Brake, plan
from moderator.judge import Judge
from moderator.models import Action, ActionStatus, Capabilities, Comment, Mode

SETTINGS = config.parse({"rules": {"custom": [
    {"name": "scam", "severity": "high", "reason": "scam words", "words": ["free money"]},
    {"name": "promo", "severity": "medium", "words": ["my channel"]}]}})
HIDE_ONLY = Capabilities(hide=True)


def judged(texts, capabilities=HIDE_ONLY, kept=()):
    comments = [Comment("file", "acct", str(i), text) for i, text in enumerate(texts)]
    judge = Judge.for_account(SETTINGS, None, capabilities, network=False)
    return judge, judge.judge(comments, kept=kept)


def test_the_judge_decides_once_per_comment_and_caps_text_once(monkeypatch):
    calls = []
    real = policy.decide
    monkeypatch.setattr(policy, "decide", lambda *a: calls.append(a[0].id) or real(*a))
    judge, judgement = judged(["free money", "nice", "free money " + "x" * 30_000])
    assert calls == ["0", "1", "2"]
    assert [i.decision.action for i in judgement.items] == [Action.HIDE, Action.NONE, Action.HIDE]
    assert len(judgement.items[2].comment.text) > SETTINGS.max_text_chars  # stored as read
    assert judgement.version == judge.version


def test_a_comment_a_reviewer_kept_is_not_acted_on_again():
    _, judgement = judged(["free money", "free money"], kept={"file:acct:1"})
    assert [i.decision.action for i in judgement.items] == [Action.HIDE, Action.NONE]
    assert judgement.items[1].decision.reason == "a reviewer kept this comment"


def test_the_brake_engages_inside_the_plan_without_deciding_again(monkeypatch):
    _, judgement = judged(["free money"] * 4 + ["my channel"])
    monkeypatch.setattr(policy, "decide", None)  # planning never decides
    effects = plan(judgement.items, account="acct", mode=Mode.ENFORCE,
                   brake=Brake(False, 2, 2, 60), capabilities=HIDE_ONLY, rule_version="v")
    assert [s.status for s in effects.planned] == [ActionStatus.PLANNED] * 2
    assert [r.decision.action for r in effects.records] == [Action.HIDE] * 2 + [Action.REVIEW] * 3
    assert effects.records[2].decision.reason.startswith("brake engaged; ")
    assert effects.brake_reason == ("more than 2 destructive actions in 60 minutes; "
                                    "review-only until released")
    assert [s.proposed for s in effects.queued] == [Action.HIDE] * 3


def test_dry_run_plans_dry_run_steps_and_never_engages_the_brake():
    _, judgement = judged(["free money"] * 3)
    effects = plan(judgement.items, account="acct", mode=Mode.DRY_RUN,
                   brake=Brake(False, 0, 0, 60), capabilities=HIDE_ONLY, rule_version="v")
    assert effects.planned == [] and effects.brake_reason is None
    assert [s.status for s in effects.steps] == [ActionStatus.DRY_RUN] * 3


def test_an_engaged_brake_queues_what_the_policy_wanted_before_degrading():
    _, judgement = judged(["free money"], capabilities=Capabilities())  # can do nothing
    effects = plan(judgement.items, account="acct", mode=Mode.ENFORCE,
                   brake=Brake(True, 10, 10, 60), capabilities=Capabilities(), rule_version="v")
    [record] = effects.records
    assert record.decision.action is Action.REVIEW
    assert record.decision.degraded_from is Action.HIDE
    assert effects.brake_reason is None  # engaged already


def test_a_reviewers_action_in_a_dry_run_account_is_recorded_but_never_carried_out(tmp_path):
    from moderator.effects import apply, plan_action
    from moderator.store import Store

    class Refuses:  # any call to the platform fails the test
        def __getattr__(self, name):
            raise AssertionError(f"dry-run called the platform: {name}")

    store = Store(tmp_path / "m.db")
    comment = Comment("file", "acct", "1", "free money")
    assert apply(store, plan_action(comment, Action.HIDE, actor="ann", mode=Mode.DRY_RUN),
                 Refuses()) == []
    [row] = store.actions_for(comment.uid)
    assert (row["action"], row["status"], row["dry_run"], row["actor"]) == \
        ("hide", "dry-run", 1, "ann")
    enforce = plan_action(comment, Action.HIDE, actor="ann")
    assert [s.status for s in enforce.to_carry_out] == [ActionStatus.PLANNED]
