import json
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import rules.charter.rule as charter
from moderator.errors import ConfigError
from moderator.models import Author, Brand, Comment, Severity
from rules import RULES
from rules.charter import CharterRule
from rules.charter.explain import explain_charter
from rules.charter.flood import FloodRecord
from rules.charter.offensive import profanity_scores
from rules.charter.spam import MODEL_PATH, spam_model
from rules.charter.swearing import scores_and_without_casual, without_casual_swearing
from rules.text import fold

ROOT = Path(__file__).resolve().parents[1]
BRAND = Brand(name="Acme", domains=("acme.com",), staff=("Jane Smith",))
T0 = datetime(2026, 11, 24, tzinfo=timezone.utc)


def rule(**options):
    return CharterRule.from_config(options, BRAND, path="rules.charter")


def comment(i, text, author="u1"):
    return Comment("yt", "acme", f"c{i}", text, author=Author(id=author),
                   created_at=T0 + timedelta(seconds=i))


def rules_of(findings):
    return sorted(f.rule for f in findings)


def test_registered():
    assert RULES["charter"] is CharterRule


def test_documented_settings_are_accepted(tmp_path):
    table = tomllib.loads((ROOT / "docs" / "config-charter.toml").read_text())["rules"]["charter"]
    terms = tmp_path / "terms.txt"
    terms.write_text("# comment\nbanned phrase\n", encoding="utf-8")
    table["lists"][0]["files"] = [str(terms)]
    r = CharterRule.from_config(table, BRAND, path="rules.charter")
    [findings] = r.check_batch([comment(1, "that is a BANNED phrase, scammer")])
    assert [f.evidence["list"] for f in findings if f.rule == "charter.terms"] == ["bank-charter"]
    assert findings[0].severity == Severity.MEDIUM  # the documented example's


@pytest.mark.parametrize("doc", ["config.example.toml", "docs/config-charter.toml"])
def test_documented_spam_thresholds_are_the_bundled_models(doc):
    """The commented-out thresholds tell an owner the defaults: they must be the ones stored
    with the bundled model (they drifted once when the model was retrained)."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    spam_table = text[text.index("[rules.charter.spam]"):]
    model = spam_model()
    for key, value in [("threshold", model.threshold),
                       ("confident_threshold", model.confident_threshold)]:
        line = next(line for line in spam_table.splitlines() if line.startswith(f"# {key} ="))
        assert float(line.split("=")[1].split("#")[0]) == pytest.approx(value), (doc, key)


def test_config_problems_name_their_keys(tmp_path):
    with pytest.raises(ConfigError) as e:
        rule(builtin_lists=["nope"], lists=[{"name": "a", "terms": ["f.*ck"]}, {"name": "b"},
                                            {"name": "c", "terms": ["x"], "files": [str(tmp_path / "no")]}],
             offensive={"threshold": 2}, pii={"region": "XX", "detectors": ["dna"]},
             flood={"per_author": 1}, spam={"colour": "red"}, typo=1)
    text = "\n".join(e.value.problems)
    for key in ["rules.charter.builtin_lists", "rules.charter.lists[0].terms[0]",
                "rules.charter.lists[1].terms", "rules.charter.lists[2].files[0]",
                "rules.charter.offensive.threshold", "rules.charter.pii.region",
                "rules.charter.pii.detectors", "rules.charter.flood.per_author",
                "rules.charter.spam.colour", "rules.charter.typo"]:
        assert key in text, key
    assert "regular expression" in text


def test_term_file_with_a_regex_names_the_line(tmp_path):
    terms = tmp_path / "t.txt"
    terms.write_text("# header\n\nfine\n\\bbad\\b\n" + "(x|y)\n" * 1000, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"lists\[0\]\.files\[0\]: .*t\.txt line 4") as e:
        rule(lists=[{"name": "a", "files": [str(terms)]}])
    assert len(e.value.problems) <= 20


def test_each_part_reports_its_finding():
    r = rule(builtin_lists=["profanity-en", "scam-en"])
    batch = [
        comment(0, "You f u u u c k i n g idiot"),
        comment(1, "text me at john.doe@example.org or +44 20 7946 0018"),
        comment(2, "Check out my channel and subscribe!! http://bit.ly/xyz"),
        comment(3, "double your bitcoin today"),
        comment(4, "Lovely service at the branch today, thank you"),
        comment(5, "I live in Scunthorpe and passed my assessment"),
    ]
    found = [rules_of(f) for f in r.check_batch(batch)]
    assert "charter.offensive" in found[0] and "charter.terms" in found[0]
    assert found[1] == ["charter.pii"] or found[1] == ["charter.pii", "charter.spam"]
    assert "charter.spam" in found[2]
    assert found[3] == ["charter.terms"]
    assert found[4] == [] and found[5] == []


def test_evidence_is_masked_defanged_and_serializable():
    r = rule(lists=[{"name": "links", "terms": ["evil.com"]}])
    [terms, pii] = r.check_batch([comment(0, "go to evil.com now"),
                                  comment(1, "card 4242 4242 4242 4242, mail jane.doe@example.org")])
    assert terms[0].evidence["match"] == "evil[.]com"
    [p] = [f for f in pii if f.rule == "charter.pii"]
    dumped = json.dumps([f.to_json() for f in terms + pii])
    assert "4242 4242" not in dumped and "jane.doe" not in dumped
    assert {i["value"] for i in p.evidence["items"]} == {"**** 4242", "j***@example.org"}
    assert p.severity == Severity.HIGH


def test_brand_addresses_and_published_contacts_are_not_personal_data():
    r = rule(spam={"enabled": False}, pii={"allow": ["+1 201-555-0123", "Press@Example.org"]})
    found = r.check_batch([comment(0, "write to help@acme.com"),
                           comment(1, "call (201) 555-0123 or press@example.org"),
                           comment(2, "call (201) 555-0199")])
    assert found[0] == [] and found[1] == []
    assert found[2][0].evidence == {"items": [{"kind": "phone", "value": "********99"}], "count": 1}


def test_builtin_list_in_files_takes_this_lists_severity():
    r = rule(builtin_lists=[], lists=[{"name": "mine", "files": ["builtin:scam-en"],
                                       "severity": "critical", "exceptions": ["seed phrase"]}])
    [a, b] = r.check_batch([comment(0, "double your bitcoin"), comment(1, "my seed phrase")])
    assert a[0].severity == Severity.CRITICAL and b == []
    with pytest.raises(ConfigError, match=r"lists\[0\]\.files\[0\]"):
        rule(lists=[{"name": "x", "files": ["builtin:nope"]}])


def test_models_are_called_once_per_batch(monkeypatch):
    calls = {"offensive": 0, "spam": 0}
    real_offensive, model = charter.scores_and_without_casual, spam_model()
    real_scores = type(model).scores

    def offensive(*args):
        calls["offensive"] += 1
        return real_offensive(*args)

    def scores(self, *args, **kwargs):
        calls["spam"] += 1
        return real_scores(self, *args, **kwargs)

    monkeypatch.setattr(charter, "scores_and_without_casual", offensive)
    monkeypatch.setattr(type(model), "scores", scores)
    rule().check_batch([comment(i, f"comment number {i}") for i in range(50)])
    assert calls == {"offensive": 1, "spam": 1}


def test_parts_can_be_switched_off_and_thresholds_matter():
    text = "Check out my channel and subscribe!! damn"
    off = rule(builtin_lists=[], offensive={"enabled": False}, pii={"enabled": False},
               spam={"enabled": False}, flood={"enabled": False})
    assert off.check_batch([comment(0, text)]) == [[]]
    strict = rule(builtin_lists=[], spam={"threshold": 1.0}, offensive={"threshold": 1.0})
    assert strict.check_batch([comment(0, text)]) == [[]]


def test_flood_within_batch_and_with_history():
    r = rule(builtin_lists=[], spam={"enabled": False}, offensive={"enabled": False})
    text = "Visit my page for the best deals on sneakers"
    batch = [comment(i, text) for i in range(3)]
    assert [rules_of(f) for f in r.check_batch(batch)] == [[], [], ["charter.flood"]]
    history = [rec for recs in r.flood_records(batch[:2]) for rec in recs]
    assert all(isinstance(rec, FloodRecord) for rec in history)
    [later] = r.check_batch([comment(10, text)], flood_history=history)
    assert rules_of(later) == ["charter.flood"]
    assert "2 times" not in later[0].reason and "3 times" in later[0].reason


def test_spam_model_is_small_and_not_a_pickle():
    assert MODEL_PATH.stat().st_size < 2_000_000
    assert MODEL_PATH.read_bytes()[:2] == b"PK"  # numpy .npz (zip of arrays)
    assert spam_model() is spam_model()
    scores = spam_model().scores(["Subscribe to my channel for free iPhone giveaways!!!",
                                  "This song reminds me of my summer in 2012"])
    assert scores[0] > 0.9 > 0.5 > scores[1]


def test_hostile_batch_is_judged_item_by_item():
    # How long this takes is measured in bench/hostile.py; here, what it finds.
    r = rule()
    batch = [comment(0, "a" * 1_000_000), comment(1, "ｆｕｃｋ " * 200_000),
             comment(2, "\u0301" * 500_000), comment(3, "Ωmega мир 世界 🙂 " * 10_000), comment(4, "")]
    out = r.check_batch(batch)
    assert [rules_of(findings) for findings in out] == [
        [], ["charter.offensive", "charter.terms"], [], [], []]


def test_profanity_model_is_bundled_and_batched():
    from rules.charter.offensive import profanity_scores
    scores = profanity_scores(["fuck you moron", "have a nice day", ""])
    assert scores[0] > 0.9 and scores[1] < 0.5 and len(scores) == 3


def test_spam_severity_follows_confidence(tmp_path):
    """Confident spam is hidden (high), uncertain spam queued for review (medium), by default."""
    model = spam_model()
    texts = ["Check out my channel and subscribe!! http://bit.ly/x free giftcards",
             "nice video, i like it", "I love this song so much"]
    scores = model.scores(texts)
    assert scores[0] >= model.confident_threshold  # what the test relies on
    low, middle, high = sorted(scores)
    review, confident = (low + middle) / 2, (middle + high) / 2  # one text in each band
    r = rule(builtin_lists=[], offensive={"enabled": False}, pii={"enabled": False},
             flood={"enabled": False}, spam={"threshold": review, "confident_threshold": confident})
    found = r.check_batch([comment(i, t) for i, t in enumerate(texts)])
    bands = [(f[0].severity if f else None) for f in found]
    expected = [Severity.HIGH if s >= confident else Severity.MEDIUM if s >= review else None
                for s in scores]
    assert bands == expected and sorted(bands, key=str) == sorted([Severity.HIGH, Severity.MEDIUM, None], key=str)
    default = rule(builtin_lists=[], offensive={"enabled": False})
    [[finding]] = default.check_batch([comment(0, texts[0])])
    assert finding.severity == Severity.HIGH and "confident" in finding.reason
    assert finding.evidence["threshold"] == model.confident_threshold


def test_a_link_alone_is_not_confident_spam():
    """On YouTube nearly every link was spam, so the model scores any link high; a comment is
    hidden for its words, and one whose only signal is a link is queued for review instead."""
    model = spam_model()
    plain = ["Please see https://example.org/ for details",
             "check the docs https://docs.python.org/3/library/sqlite3.html"]
    assert all(model.scores(plain) >= model.confident_threshold)  # what the rule corrects
    spam = "check out my new video!!! https://youtube.com/watch?v=abc please subscribe"
    default = rule(builtin_lists=[], offensive={"enabled": False}, pii={"enabled": False},
                   flood={"enabled": False})
    found = default.check_batch([comment(i, t) for i, t in enumerate([*plain, spam])])
    assert [f[0].severity for f in found] == [Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH]
    assert "confident" not in found[0][0].reason and "confident" in found[2][0].reason


def test_a_word_or_two_is_reviewed_not_hidden():
    """The model scores some single words as confident spam ("+1": "1" is a spam word in its
    training data); hiding takes three words or a link, so these are only queued for review."""
    model = spam_model()
    short = ["+1", "Subscribe ME!", "Come subscribe", "subscribe"]
    assert all(model.scores(short) >= model.confident_threshold)  # what the rule corrects
    longer = ["Plz subscribe gys", "subscribe to me http://bit.ly/x"]
    assert all(model.scores(longer) >= model.confident_threshold)
    default = rule(builtin_lists=[], offensive={"enabled": False}, pii={"enabled": False},
                   flood={"enabled": False})
    found = default.check_batch([comment(i, t) for i, t in enumerate([*short, *longer])])
    assert [f[0].severity for f in found] == [Severity.MEDIUM] * 4 + [Severity.HIGH] * 2
    assert all("too few words" in f[0].reason for f in found[:4])
    [said] = [o for o in explain_charter(default, comment(0, "+1"), found[0])
              if o.subject == "spam model"]
    assert said.fired and "medium" in said.conclusion and "too few words" in said.conclusion


def test_spam_model_file_is_validated_and_used(tmp_path):
    with pytest.raises(ConfigError, match=r"rules\.charter\.spam\.model_file"):
        rule(spam={"model_file": str(tmp_path / "missing.npz")})
    model = spam_model()
    strict = type(model)(idf=model.idf, coef=model.coef, intercept=model.intercept,
                         threshold=1.0, confident_threshold=1.0)
    strict.save(tmp_path / "strict.npz")
    r = rule(builtin_lists=[], offensive={"enabled": False},
             spam={"model_file": str(tmp_path / "strict.npz")})
    assert r.check_batch([comment(0, "Check out my channel and subscribe!! free giftcards")]) == [[]]


def test_casual_messages_are_left_alone():
    """Hugs and kisses, mild words and a friendly greeting are not acted on by default."""
    r = rule(pii={"enabled": False}, flood={"enabled": False})
    texts = ["Miss you already, xx", "night night xxx", "Gud mrng dear hav a nice day",
             "I will snatch the last ticket", "what a sexy voice she has", "hardcore fans only"]
    for text, found in zip(texts, r.check_batch([comment(i, t) for i, t in enumerate(texts)])):
        assert [f for f in found if f.severity != Severity.LOW] == [], (text, found)
    mild = rule(builtin_lists=["profanity-en-mild"], offensive={"enabled": False},
                spam={"enabled": False})
    [[finding]] = mild.check_batch([comment(0, "hardcore fans only")])
    assert finding.severity == Severity.LOW and finding.evidence["list"] == "profanity-en-mild"
    # real abuse is still caught, by the list and by the model
    [found] = r.check_batch([comment(0, "shut up you stupid fucking idiot")])
    assert {"charter.terms", "charter.offensive"} <= set(rules_of(found))


def test_disguised_file_name_is_flagged():
    r = rule(builtin_lists=[], offensive={"enabled": False}, spam={"enabled": False})
    [found, plain] = r.check_batch([comment(0, "my new photos: holiday\u202egnp.exe"),
                                    comment(1, "my new photos: holiday.png, setup.exe")])
    [finding] = found
    assert finding.rule == "charter.disguised_file" and finding.severity == Severity.HIGH
    assert finding.evidence["names"] == [{"real": "holiday<U+202E>gnp.exe",
                                          "shown": "holidayexe.png"}]
    assert "\u202e" not in finding.reason
    assert plain == []
    off = rule(builtin_lists=[], offensive={"enabled": False}, spam={"enabled": False},
               disguise={"enabled": False})
    assert off.check_batch([comment(0, "holiday\u202egnp.exe")]) == [[]]


def test_a_link_to_the_pages_own_site_is_judged_by_its_words():
    """A link to [brand].domains (or a subdomain) is not self-promotion: the comment is judged by
    its words. The same neutral sentence with a link elsewhere is still queued for review: on the
    YouTube data a link with a few unrelated words ("Nice! <link>") is the commonest spam, and
    leaving those alone cost F1 0.90 -> 0.65-0.85 on two of three held-out videos (bench/charter.md)."""
    r = rule(builtin_lists=[], offensive={"enabled": False}, pii={"enabled": False},
             flood={"enabled": False})
    own = ["Please see https://acme.com/help for details",
           "I read about this on https://www.support.acme.com/news yesterday"]
    elsewhere = ["Please see https://example.org/ for details",
                 "Please see https://acme.com.evil.example/help for details"]
    spammy_own = "subscribe to my channel!!! check out my videos https://acme.com/"
    found = r.check_batch([comment(i, t) for i, t in enumerate([*own, *elsewhere, spammy_own])])
    assert found[0] == [] and found[1] == []
    assert [f[0].severity for f in found[2:4]] == [Severity.MEDIUM, Severity.MEDIUM]
    assert found[4] and found[4][0].rule == "charter.spam"


def test_mild_swearing_alone_is_recorded_not_acted_on():
    """The profanity model scores "holy shit" near 1; where a comment's only swear words are
    those of the mild list, its finding is low (recorded, no action), as the mild list's own.
    A word of the full list, or the model without any listed word, stays medium."""
    r = rule(builtin_lists=["profanity-en"], pii={"enabled": False}, flood={"enabled": False},
             spam={"enabled": False})
    texts = ["Just wanted to say holy shit you guys weren't kidding", "ugh this sucks",
             "holy shit, fuck you", "shut up you stupid idiot"]
    found = r.check_batch([comment(i, t) for i, t in enumerate(texts)])
    model = [[f for f in fs if f.rule == "charter.offensive"] for fs in found]
    assert all(len(m) == 1 for m in model), found  # the model fires on every one
    assert [m[0].severity for m in model] == [Severity.LOW, Severity.LOW, Severity.MEDIUM,
                                              Severity.MEDIUM]
    assert model[0][0].reason.startswith("Mild")
    stricter = rule(builtin_lists=[], offensive={"mild_severity": "medium"}, spam={"enabled": False})
    [[finding]] = stricter.check_batch([comment(0, texts[1])])
    assert finding.severity == Severity.MEDIUM


def test_casual_swearing_is_recorded_not_acted_on():
    """Swearing in a friendly message, and list words the model does not find offensive, are
    low (recorded, no action); slurs, swearing aimed at someone, insults and sexual harassment
    keep their severity, and casual_severity = "medium" reviews every swear word again."""
    r = rule(builtin_lists=["profanity-en"], pii={"enabled": False}, flood={"enabled": False},
             spam={"enabled": False})
    casual = ["Fuck babe I miss you already", "that took fifteen fucking minutes, see you soon",
              "I'm tied up at work, call you later", "Ugh wtf, my train is late again",
              "me encanta el vestido negro"]
    acted = ["you're a faggot", "fuck you", "kiss my ass", "shut up you stupid fucking idiot",
             "you are a worthless piece of shit", "I want to see your pretty pussy"]
    found = r.check_batch([comment(i, t) for i, t in enumerate(casual + acted)])
    for text, findings in zip(casual, found):
        assert findings and {f.severity for f in findings} == {Severity.LOW}, (text, findings)
        assert all(f.reason.startswith("Casual swearing") for f in findings), findings
    for text, findings in zip(acted, found[len(casual):]):
        assert Severity.MEDIUM in {f.severity for f in findings}, (text, findings)
    strict = rule(builtin_lists=["profanity-en"], offensive={"casual_severity": "medium"},
                  spam={"enabled": False})
    [findings] = strict.check_batch([comment(0, casual[0])])
    assert findings and {f.severity for f in findings} == {Severity.MEDIUM}
    no_model = rule(builtin_lists=["profanity-en"], offensive={"enabled": False},
                    spam={"enabled": False})
    [[finding]] = no_model.check_batch([comment(0, casual[0])])
    assert finding.severity == Severity.MEDIUM  # nothing can back the list up or not


def test_casual_words_left_out_by_feature_as_if_taken_out_of_the_text():
    """The rule leaves casual swear words out of the model's features (one reading of the
    batch); bench/offensive_heldout.py takes them out of the text for its fold models: same."""
    texts = [fold(t) for t in ("Fuck babe I miss you already", "fuuuuck this shit, you idiot",
                               "Ugh wtf, my train is late again", "what a lovely day",
                               "kick ass bad-ass team", "God DAMN it, crappy bloody weather")]
    full, without = scores_and_without_casual(texts)
    stripped = [without_casual_swearing(t) for t in texts]
    assert stripped[3] is None and all(s is not None for i, s in enumerate(stripped) if i != 3)
    assert without[3] == full[3]
    expected = profanity_scores([s if s is not None else t for s, t in zip(stripped, texts)])
    assert without == pytest.approx(expected.tolist(), abs=1e-9)
    assert without[0] < 0.75 <= full[0]  # the model's score rested on the swear word


def test_link_only_spam_can_be_left_to_the_links_family():
    """By default a neutral sentence around an unknown link is reviewed like other uncertain
    spam; with link_only_severity = "low" it is recorded only, while spam words still count."""
    texts = ["I read about this on https://example.org/ yesterday",
             "Please see https://example.org/ for details",
             "subscribe to my channel!!! check out my videos https://example.org/",
             "check out my channel and subscribe please"]
    base = dict(builtin_lists=[], offensive={"enabled": False}, pii={"enabled": False},
                flood={"enabled": False})
    default = rule(**base).check_batch([comment(i, t) for i, t in enumerate(texts)])
    assert [f[0].severity for f in default[:2]] == [Severity.MEDIUM, Severity.MEDIUM]
    relaxed = rule(**base, spam={"link_only_severity": "low"}).check_batch(
        [comment(i, t) for i, t in enumerate(texts)])
    assert [f[0].severity for f in relaxed[:2]] == [Severity.LOW, Severity.LOW]
    assert all("the link" in f[0].reason for f in relaxed[:2])
    assert relaxed[2] == default[2] and relaxed[3] == default[3]  # words that are spam
    assert default[2][0].severity in (Severity.MEDIUM, Severity.HIGH)
