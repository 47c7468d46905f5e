"""What a page owner gets from the charter: decisions of the default config through `moderator scan`.

Protocol (fixed 2026-12-01 01:20 UTC, before any detection change; also in bench/charter.md):

1. Spam, leave-one-video-out on ``../shared/data/youtube_spam`` (Psy, KatyPerry, LMFAO): for each
   video, the spam model is retrained on the two others (``bench/train_spam.py``: recipe and both
   thresholds chosen on those two only; with ``--sms``, the SMS tuning half is in every fit, as
   in the shipped model) and written to a temporary file; the held-out video is
   judged by ``moderator scan`` (a subprocess) with ``config.example.toml`` as shipped, except
   ``[rules.charter.spam] model_file`` pointing at that model. Columns as in ``scan --help``:
   id=COMMENT_ID, text=CONTENT, author_name=AUTHOR, ``--html``. Acted on = a decision other
   than ``none``. Reported twice: for any reason (profanity in a ham comment counts against
   us), and for spam reasons only (the decision the findings other than offensive language and
   personal data would give: the spam, flood, scam-term, link and custom findings).
2. Casual messages: the ham of the UCI SMS Spam Collection (Almeida & Hidalgo 2011; a copy in
   GitHub hamzaaacodes/sms-spam-collection @ f3e73e1e, file ``SMSSpamCollection``, not in this
   repository: pass its path). Its 4,827 ham messages in file order: even positions are the
   tuning half (their findings may be read), odd positions the held-out half (only counted).
   Judged by ``moderator scan`` with ``config.example.toml`` as shipped (bundled models).
   Acted on = review or more.
3. Ham with a link (a web address as the spam model reads one, ``has_link``): how
   many of the YouTube ham comments (per held-out video) and of the SMS ham messages (per half)
   that carry a link are acted on. A neutral comment with a link should be left alone unless
   something says the link or the words are spam.

``--tree DIR`` judges with another checkout (its code, its ``config.example.toml`` and its
``bench/train_spam.py`` recipe) under this script's measurement, for before/after in one run.

    .venv/bin/python bench/charter_scan.py --sms PATH/SMSSpamCollection [--show-tuning 30]
    .venv/bin/python bench/charter_scan.py --sms PATH/SMSSpamCollection --tree ../before
    .venv/bin/python bench/charter_scan.py --no-spam --unseen DIR     # Eminem, Shakira: see below

4. Unseen videos (``--unseen DIR``, added 2026-12-01 06:12 UTC): the collection's two videos that
   ``../shared/data`` lacks (Youtube04-Eminem.csv, Youtube05-Shakira.csv; a copy in GitHub
   shravyashetty04/youtube-spam-detector @ f42fc38, not in this repository), judged with the
   bundled model and the example config as shipped. Nothing here was tuned on them.
   ``--more-videos DIR`` puts them into the leave-one-video-out of part 1 as well.
5. Innocent posts with a link (``--link-posts``, added 2026-12-02): the Davidson tweets of
   ``../shared/data/offensive_davidson`` labelled ``neither`` that carry a web address
   (bench/core.py's URL pattern), judged with the example config (``--spam-option`` applies):
   how many are acted on, hidden, and the spam findings by severity. The spam model never
   trained on them; they are tweets, not comments under a brand's post.
6. Instagram scams (``--scamspot FILE``, added 2026-12-02): the test accounts of the ScamSpot
   comments (odd sha256 of the account name; bench/train_spam.py's ``scamspot_side``), judged
   with the bundled model, on all labels and, with ``--scamspot-helper`` (that repository's
   ``modules/helper.py``), on hand labels only. ``--labelled FILE ...`` judges other labelled
   sets the same way (bench/charter.md, "Sixth round", names them).
7. Casual chat from another corpus (``--casual FILE``, added 2026-12-02): JSON Lines of
   ``{"id": "conversation:turn", "text"}`` (Topical-Chat turns; bench/charter.md, "Seventh
   round"), split by sha256 of the conversation (last hex digit even: tuning half, read; odd:
   test half, counted), judged as the SMS are.
"""

from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import importlib
import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]  # the tree judged; --tree changes it (main())
EXAMPLE = ROOT / "config.example.toml"
train_spam = None  # bench/train_spam.py of the tree judged, imported by main()
OFFENCE_RULES = ("charter.offensive", "charter.pii")
RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}


SPAM_OPTIONS: list[str] = []  # --spam-option KEY=VALUE (TOML), added to [rules.charter.spam]


def config_with(tmp: Path, model_file: Path | None) -> Path:
    text = EXAMPLE.read_text()
    lines = SPAM_OPTIONS + ([f'model_file = "{model_file}"'] if model_file is not None else [])
    if lines:
        text, n = re.subn(r"(?m)^\[rules\.charter\.spam\][^\n]*\n",
                          lambda m: m.group(0) + "".join(f"{line}\n" for line in lines), text)
        assert n == 1, "no [rules.charter.spam] table in config.example.toml"
    path = tmp / "moderator.toml"
    path.write_text(text)
    return path


def scan(config: Path, file: Path, *args: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "moderator", "--config", str(config), "scan",
                          *args, str(file)], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return [json.loads(line) for line in out.stdout.splitlines()]


def has_link(text: str) -> bool:
    """A web address as the spam model reads one (``prepare`` turns it into a link token): a
    scheme, www. or a name under a common TLD. Not the links family's extraction, which also
    reads words glued by a dot ("ok.i", "I.ll") in text messages as host names."""
    from rules.charter.spam import prepare
    return bool(re.search(r"\b(?:urltoken|ytlink)\b", prepare(text)))


def link_line(what: str, texts: list[str], acted: list[bool], ham: list[bool]) -> str:
    linked = [i for i, t in enumerate(texts) if ham[i] and has_link(t)]
    n = sum(acted[i] for i in linked)
    return f"{what}: {n} of {len(linked)} ham with a link" + (
        f" = {n / len(linked):.1%}" if linked else "")


def is_offence(finding: dict) -> bool:
    return finding["rule"] in OFFENCE_RULES or (
        finding["rule"] == "charter.terms" and finding["evidence"].get("list", "").startswith("profanity"))


def spam_reason_action(verdict: dict, policy: dict) -> str:
    """The action the findings other than offensive language and personal data call for."""
    rest = [f for f in verdict["findings"] if not is_offence(f)]
    if not rest:
        return "none"
    return policy[max((f["severity"] for f in rest), key=RANK.get)]


def counts(labels: np.ndarray, acted: np.ndarray) -> dict:
    tp, fp = int((acted & labels).sum()), int((acted & ~labels).sum())
    fn = int((~acted & labels).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1,
            "ham_acted": fp / int((~labels).sum()), "fp": fp}


def spam_lovo(policy: dict, extra: tuple, more: Path | None) -> None:
    videos = train_spam.load_videos(more=more)
    if not videos:
        print("no youtube_spam data: spam part skipped")
        return
    print("Spam, leave one video out, decision of the default config through `moderator scan`")
    print(f"{'held-out':<20} {'thr':>4} {'conf':>5} | any reason: {'P':>5} {'R':>5} {'F1':>5} "
          f"{'ham':>6} | spam reasons: {'P':>5} {'R':>5} {'F1':>5} {'ham':>6} | hidden spam / ham")
    pooled: dict[str, list] = collections.defaultdict(list)
    for i, (name, texts, y) in enumerate(videos):
        model = train_spam.fit_videos([v for j, v in enumerate(videos) if j != i], extra)
        threshold, confident = model.threshold, model.confident_threshold
        with tempfile.TemporaryDirectory() as tmp:
            model_file = Path(tmp) / "spam_model.npz"
            model.save(model_file)
            verdicts = scan(config_with(Path(tmp), model_file), video_file(name, more),
                            "--html", "--column", "id=COMMENT_ID", "--column", "text=CONTENT",
                            "--column", "author_name=AUTHOR")
        assert len(verdicts) == len(texts), (f"{name}: {len(verdicts)} verdicts for {len(texts)} "
                                             "rows (rows that are not the collection's? pass a "
                                             "copy without them)")
        labels = y == 1
        any_reason = np.array([v["decision"] != "none" for v in verdicts])
        spam_reason = np.array([spam_reason_action(v, policy) != "none" for v in verdicts])
        hidden = np.array([v["decision"] in ("hide", "delete", "ban") for v in verdicts])
        a, s = counts(labels, any_reason), counts(labels, spam_reason)
        for key, value in (("labels", labels), ("any", any_reason), ("spam", spam_reason),
                           ("hidden", hidden)):
            pooled[key].append(value)
        print(f"{name:<20} {threshold:>4.2f} {confident:>5.2f} | {'':>11} {a['precision']:>5.3f} "
              f"{a['recall']:>5.3f} {a['f1']:>5.3f} {a['ham_acted']:>6.3f} | {'':>13} "
              f"{s['precision']:>5.3f} {s['recall']:>5.3f} {s['f1']:>5.3f} {s['ham_acted']:>6.3f} | "
              f"{int((hidden & labels).sum())} / {int((hidden & ~labels).sum())}")
        ham = list(~labels)
        print(f"{'':<20} {link_line('acted on, any reason', texts, list(any_reason), ham)}; "
              f"{link_line('spam reasons', texts, list(spam_reason), ham)}")
    labels = np.concatenate(pooled["labels"])
    a = counts(labels, np.concatenate(pooled["any"]))
    s = counts(labels, np.concatenate(pooled["spam"]))
    hidden = np.concatenate(pooled["hidden"])
    print(f"{'pooled':<20} {'':>4} {'':>5} | {'':>11} {a['precision']:>5.3f} {a['recall']:>5.3f} "
          f"{a['f1']:>5.3f} {a['ham_acted']:>6.3f} | {'':>13} {s['precision']:>5.3f} "
          f"{s['recall']:>5.3f} {s['f1']:>5.3f} {s['ham_acted']:>6.3f} | "
          f"{int((hidden & labels).sum())} / {int((hidden & ~labels).sum())}")


def unseen_videos(policy: dict, directory: Path) -> None:
    """Videos of the collection that no model here was trained or tuned on, judged with the
    bundled model and ``config.example.toml`` as shipped (nothing retrained)."""
    known = {name for name, _, _ in train_spam.load_videos()}
    videos = [v for v in train_spam.load_videos(directory) if v[0] not in known]
    print(f"\nSpam on unseen videos ({', '.join(v[0] for v in videos)}), the bundled model, "
          "default config through `moderator scan`")
    pooled: dict[str, list] = collections.defaultdict(list)
    for name, texts, y in videos:
        verdicts = judged(texts, "--html", "--column", "id=COMMENT_ID", "--column",
                          "text=CONTENT", "--column", "author_name=AUTHOR",
                          file=directory / f"{name}.csv")
        labels = y == 1
        acted = acted_on(verdicts, policy)
        pooled["labels"].append(labels)
        for what, value in acted.items():
            pooled[what].append(value)
        _unseen_line(name, labels, acted)
    if len(videos) > 1:
        _unseen_line("pooled", np.concatenate(pooled["labels"]),
                     {what: np.concatenate(pooled[what]) for what in ("any reason", "spam reasons",
                                                                     "hidden")})


def _unseen_line(name: str, labels: np.ndarray, acted: dict) -> None:
    parts = []
    for what in ("any reason", "spam reasons", "hidden"):
        m = counts(labels, acted[what])
        parts.append(f"{what}: P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f} "
                     f"ham {m['ham_acted']:.3f} ({m['fp']})")
    print(f"  {name:<20} {len(labels)} comments, {int(labels.sum())} spam | " + " | ".join(parts))


def video_file(name: str, more: Path | None) -> Path:
    path = train_spam.DATA / f"{name}.csv"
    return path if path.exists() or more is None else more / f"{name}.csv"


def sms_ham(path: Path) -> tuple[list[str], list[str]]:
    """(tuning half, held-out half) of the collection's ham, in file order."""
    ham = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        label, _, text = line.partition("\t")
        if label == "ham":
            ham.append(text)
    return ham[0::2], ham[1::2]


def swearing_free(texts: list[str]) -> list[bool]:
    """Messages with no word of the LDNOOBW English list as published (the bundled profanity-en
    and profanity-en-mild lists together), apart from 'xx' and 'xxx' (hugs and kisses)."""
    from moderator.models import Brand, Comment
    from rules.charter import CharterRule
    rule = CharterRule.from_config(
        {"builtin_lists": ["profanity-en", "profanity-en-mild"], "offensive": {"enabled": False},
         "spam": {"enabled": False}, "pii": {"enabled": False}, "flood": {"enabled": False}},
        Brand(name="x"), path="rules.charter")
    found = rule.check_batch([Comment("sms", "a", str(i), t) for i, t in enumerate(texts)])
    return [not f for f in found]


def chat_halves(path: Path) -> tuple[list[str], list[str]]:
    """(tuning half, test half) of JSON Lines chat turns, split by conversation (part 7)."""
    halves: tuple[list[str], list[str]] = ([], [])
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        conversation = row["id"].rpartition(":")[0]
        digit = int(hashlib.sha256(conversation.encode()).hexdigest()[-1], 16)
        halves[digit % 2].append(row["text"])
    return halves


def casual(path: Path, show: int, chat: bool = False) -> None:
    tuning, held_out = chat_halves(path) if chat else sms_ham(path)
    print(f"\nCasual messages: {'chat turns' if chat else 'SMS Spam Collection ham'}, "
          f"{len(tuning)} tuning / {len(held_out)} held out, default config through `moderator scan`")
    with tempfile.TemporaryDirectory() as tmp:
        config = config_with(Path(tmp), None)
        for label, texts in (("tuning half", tuning), ("held-out half", held_out)):
            file = Path(tmp) / "sms.jsonl"
            file.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n"
                                    for i, t in enumerate(texts)))
            verdicts = scan(config, file, "--jobs", "1")
            assert len(verdicts) == len(texts)
            acted = [v for v in verdicts if v["decision"] != "none"]
            innocent = swearing_free(texts)
            print(f"  {label}: " + link_line("acted on", texts, [v["decision"] != "none"
                                                                  for v in verdicts],
                                             [True] * len(texts)))
            acted_innocent = sum(1 for v in acted if innocent[int(v["id"])])
            by_rule = collections.Counter(
                f["rule"] + (f"[{f['evidence']['list']}]" if f["rule"] == "charter.terms" else "")
                for v in acted for f in v["findings"])
            print(f"  {label}: acted on {len(acted)} of {len(texts)} = "
                  f"{len(acted) / len(texts):.2%}; of the {sum(innocent)} without a word of the "
                  f"LDNOOBW list: {acted_innocent} = {acted_innocent / sum(innocent):.2%}; "
                  f"findings among the acted on: {dict(by_rule)}")
            if label == "tuning half":
                for v in acted[:show]:
                    print(f"      {texts[int(v['id'])][:70]!r} -> "
                          f"{[(f['rule'], f['evidence'].get('term') or f['evidence'].get('score')) for f in v['findings']]}")


def link_posts() -> None:
    """Part 5: the Davidson ``neither`` tweets with a web address, through ``scan``."""
    from core import URL, shared  # bench/core.py
    with shared("offensive_davidson", "labeled_data.csv").open(encoding="utf-8") as f:
        texts = [r["tweet"] for r in csv.DictReader(f)
                 if r["class"] == "2" and URL.search(r["tweet"])]
    verdicts = judged(texts)
    acted = sum(v["decision"] != "none" for v in verdicts)
    hidden = sum(v["decision"] in ("hide", "delete") for v in verdicts)
    spam = collections.Counter(f["severity"] for v in verdicts for f in v["findings"]
                               if f["rule"] == "charter.spam")
    print(f"\nInnocent posts with a link (Davidson `neither`): acted on {acted} of {len(texts)} = "
          f"{acted / len(texts):.1%}, hidden {hidden}; charter.spam findings {dict(spam)}")


def judged(texts: list[str], *args: str, file: Path | None = None) -> list[dict]:
    """Verdicts of the example config (bundled model) on ``texts``, or on ``file`` as given
    (CSV options in ``args``)."""
    with tempfile.TemporaryDirectory() as tmp:
        if file is None:
            file = Path(tmp) / "texts.jsonl"
            file.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n"
                                    for i, t in enumerate(texts)))
        verdicts = scan(config_with(Path(tmp), None), file, "--jobs", "1", *args)
    assert len(verdicts) == len(texts), f"{len(verdicts)} verdicts for {len(texts)} texts"
    return verdicts


def acted_on(verdicts: list[dict], policy: dict) -> dict:
    return {"any reason": np.array([v["decision"] != "none" for v in verdicts]),
            "spam reasons": np.array([spam_reason_action(v, policy) != "none" for v in verdicts]),
            "hidden": np.array([v["decision"] in ("hide", "delete", "ban") for v in verdicts])}


def scamspot(policy: dict, path: Path, helper: Path | None) -> None:
    """Part 6: the test accounts of the ScamSpot Instagram comments (the split of
    bench/train_spam.py's ``scamspot_side``: odd), all labels and, given the repository's
    ``modules/helper.py``, hand labels only (what its data_prep scripts labelled by rule left out:
    a spam phrase, or nothing but emoji)."""
    split = _this_train_spam().scamspot_side
    comments = [c for c in json.loads(path.read_text(encoding="utf-8")).values()
                if c.get("type") in ("scam", "real") and split(c["account"]) == 1]
    texts = [c["text"] for c in comments]
    labels = np.array([c["type"] == "scam" for c in comments])
    acted = acted_on(judged(texts), policy)
    print(f"\nScamSpot Instagram comments, test accounts ({len({c['account'] for c in comments})}), "
          "the bundled model, default config through `moderator scan`")
    _unseen_line("all labels", labels, acted)
    if helper is not None:
        module = _module_at(helper)
        hand = np.array([not module.check_for_spam_phrases(t) and not module.remove_emojis(t)[0]
                         for t in texts])
        _unseen_line("hand labels only", labels[hand], {k: v[hand] for k, v in acted.items()})


def _this_train_spam():
    """This checkout's bench/train_spam.py (``--tree``'s may predate what is asked of it)."""
    return _module_at(Path(__file__).with_name("train_spam.py"))


def _module_at(path: Path):
    """The Python file at ``path``, imported under its own name."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def labelled(policy: dict, paths: list[Path]) -> None:
    """Other labelled sets, judged with the bundled model: a YouTube-collection CSV (CONTENT,
    CLASS, COMMENT_ID; read as ``--html``) or JSON Lines of ``{"text", "label"}`` (1 = spam)."""
    print("\nOther labelled sets, the bundled model, default config through `moderator scan`")
    for path in paths:
        if path.suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as f:
                rows = list(csv.DictReader(f))
            texts, labels = [r["CONTENT"] for r in rows], [r["CLASS"] == "1" for r in rows]
            verdicts = judged(texts, "--html", "--column", "id=COMMENT_ID", "--column",
                              "text=CONTENT", file=path)
        else:
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
            texts, labels = [r["text"] for r in rows], [int(r["label"]) == 1 for r in rows]
            verdicts = judged(texts)
        _unseen_line(path.name, np.array(labels), acted_on(verdicts, policy))


def use_tree(tree: Path) -> None:
    global ROOT, EXAMPLE, train_spam
    ROOT, EXAMPLE = tree, tree / "config.example.toml"
    sys.path[:0] = [str(tree), str(tree / "bench")]
    train_spam = importlib.import_module("train_spam")
    assert Path(train_spam.__file__).resolve().parent == tree / "bench", train_spam.__file__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sms", type=Path, help="the SMS Spam Collection file (see above)")
    parser.add_argument("--show-tuning", type=int, default=0,
                        help="print this many acted-on messages of the tuning half")
    parser.add_argument("--no-spam", action="store_true", help="skip the spam part")
    parser.add_argument("--unseen", type=Path, metavar="DIR",
                        help="also judge the YouTube CSVs in DIR that are not in the training data "
                             "(Youtube04-Eminem, Youtube05-Shakira) with the bundled model")
    parser.add_argument("--more-videos", type=Path, metavar="DIR",
                        help="leave one video out over the videos of DIR too (each held-out "
                             "video's model is trained on all the others)")
    parser.add_argument("--tree", type=Path, default=ROOT,
                        help="judge with this checkout (code, example config, training recipe)")
    parser.add_argument("--spam-option", action="append", default=[], metavar="KEY=VALUE",
                        help='a setting added to [rules.charter.spam], e.g. link_only_severity="low"')
    parser.add_argument("--link-posts", action="store_true",
                        help="judge the Davidson `neither` tweets that carry a web address (part 5)")
    parser.add_argument("--scamspot", type=Path, metavar="FILE",
                        help="ScamSpot's data/comments_extracted.json: judge its test accounts (part 6)")
    parser.add_argument("--scamspot-helper", type=Path, metavar="FILE",
                        help="ScamSpot's modules/helper.py: also report hand labels only")
    parser.add_argument("--casual", type=Path, metavar="FILE",
                        help="chat turns as JSON Lines of {id, text}: the casual row again (part 7)")
    parser.add_argument("--labelled", type=Path, nargs="+", default=[], metavar="FILE",
                        help="other labelled sets (CSV of the YouTube collection's columns, or "
                             'JSON Lines of {"text", "label"})')
    args = parser.parse_args()
    SPAM_OPTIONS.extend(args.spam_option)
    use_tree(args.tree.resolve())
    started = time.perf_counter()
    policy = tomllib.loads(EXAMPLE.read_text())["policy"]
    if not args.no_spam:
        spam_lovo(policy, train_spam.load_sms_tuning_half(args.sms) if args.sms
                  else train_spam.NO_EXTRA, args.more_videos)
    if args.unseen:
        unseen_videos(policy, args.unseen)
    if args.sms:
        casual(args.sms, args.show_tuning)
    if args.casual:
        casual(args.casual, args.show_tuning, chat=True)
    if args.link_posts:
        link_posts()
    if args.scamspot:
        scamspot(policy, args.scamspot, args.scamspot_helper)
    if args.labelled:
        labelled(policy, args.labelled)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
