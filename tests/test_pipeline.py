from moderator import config
from moderator.models import Category, Comment, Finding, Severity
from moderator.pipeline import Pipeline


class Boom:
    family = "boom"

    def check_batch(self, comments):
        raise RuntimeError("detector crashed")


class Length:
    family = "length"

    def __init__(self):
        self.seen = []

    def check_batch(self, comments):
        self.seen.extend(len(c.text) for c in comments)
        return [[Finding("length.long", Category.CHARTER, Severity.LOW, "long")]
                if len(c.text) > 10 else [] for c in comments]


def test_a_failing_rule_is_recorded_and_the_others_still_run():
    length = Length()
    result = Pipeline([Boom(), length], "v").run([Comment("x", "a", "1", "short"),
                                                  Comment("x", "a", "2", "a longer comment")])
    assert [f.rule for f in result.failures] == ["boom"]
    assert "detector crashed" in result.failures[0].error
    assert [[f.rule for f in found] for found in result.findings] == [[], ["length.long"]]


def test_text_is_capped_before_rules_see_it():
    length = Length()
    Pipeline([length], "v", max_text_chars=100).run([Comment("x", "a", "1", "x" * 1_000_000)])
    assert length.seen == [100]


def test_rule_version_changes_with_options_and_is_stable_otherwise():
    def version(words):
        settings = config.parse({"rules": {"custom": [{"name": "r", "words": words}]}})
        return Pipeline.for_account(settings, None).version

    assert version(["a"]) == version(["a"])
    assert version(["a"]) != version(["b"])


def test_shortener_resolution_is_injected_only_where_allowed():
    settings = config.parse({"rules": {"links": {"resolve_shorteners": True}}})
    links = next(r for r in Pipeline.for_account(settings, None).rules if r.family == "links")
    assert links.resolver is not None
    offline = Pipeline.for_account(settings, None, network=False)
    assert next(r for r in offline.rules if r.family == "links").resolver is None
    default = Pipeline.for_account(config.parse({}), None)
    assert next(r for r in default.rules if r.family == "links").resolver is None
