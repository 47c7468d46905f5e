"""Every finding the rule families write follows its evidence contract (moderator/evidence.py)."""

import json
from importlib import resources

from moderator import config
from moderator.evidence import contract
from moderator.judge import Judge
from moderator.models import Author, Comment

SAMPLES = resources.files("moderator").joinpath("samples")

# Comments written to make the detectors fire, next to the bundled security cases.
CRAFTED = [
    ("Verify now at https://acmebank-secure-login.top/verify", "eve", "Eve"),
    ("[acmebank.com](https://acrnebank.com/login) log in", "mallory", "Mallory"),
    ("see https://bit.ly/3xYz9 for the refund", "trent", "Trent"),
    ("DM us on WhatsApp +1 415 555 0134 for a refund, send your card number", "AcmeSupport_1",
     "Acme Bank Support"),
    ("mail me at jane.doe@example.com or call +44 20 7946 0958", "bob", "Bob"),
    ("Check out my channel and subscribe!! free gift card", "spammer", "Spam"),
    ("you are an idiot and a moron", "troll", "Troll"),
    ("I invested $1,000 and got $11,000 back in a week, thank you @trades_with_ashlie", "shill",
     "Shill"),
    ("my holiday photos: holiday\u202egnp.exe", "dropper", "Dropper"),
]


def comments():
    out = []
    for line in SAMPLES.joinpath("security_cases.jsonl").read_text().splitlines():
        try:
            raw = json.loads(line)
        except ValueError:
            continue  # the bundled malformed line
        author = raw.get("author") or {}
        out.append(Comment("file", "", raw["id"], raw["text"],
                           author=Author(author.get("id"), author.get("handle"),
                                         author.get("name"))))
    for i, (text, handle, name) in enumerate(CRAFTED):
        out.append(Comment("file", "", f"x{i}", text, author=Author(f"u{i}", handle, name)))
    # Flooding: the same text by one author, over and over.
    out += [Comment("file", "", f"f{i}", "Join my telegram group for signals now",
                    author=Author("u-flood", "flooder", "F")) for i in range(8)]
    return out


def test_every_finding_names_a_contract_and_keeps_to_its_keys():
    with resources.as_file(SAMPLES.joinpath("demo.toml")) as path:
        settings = config.load(path)
    judgement = Judge.for_account(settings, None, network=False).judge(comments())
    findings = [f for item in judgement.items for f in item.findings]
    assert judgement.failures == []
    fired = {f.rule for f in findings}
    assert {"links.lookalike", "charter.pii", "impersonation.fake_support",
            "charter.flood", "charter.scam_testimonial", "charter.disguised_file"} <= fired, fired
    for f in findings:
        spec = contract(f.rule)
        assert spec is not None, f"{f.rule} has no evidence contract"
        keys = set(f.evidence)
        assert keys <= set(spec.keys), (f.rule, keys - set(spec.keys))
        assert set(spec.keys) - spec.optional <= keys, (f.rule, set(spec.keys) - keys)
