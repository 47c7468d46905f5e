"""bench/train_spam.py's choice of C and thresholds (the recipe of the shipped spam model): every
score comes from a model that did not see the video it scores, and the false-positive limit holds
on each training video, not only pooled (the target is per video)."""

import importlib.util
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _train_spam():
    spec = importlib.util.spec_from_file_location("train_spam", ROOT / "bench" / "train_spam.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Written:
    """A stand-in model whose score for a text is written at its start ("0.46#b12")."""

    def __init__(self, seen: list[str]):
        self.seen = set(seen)

    def scores(self, texts):
        assert not self.seen & set(texts), "a video was scored by a model trained on it"
        return np.array([float(t.split("#")[0]) for t in texts])


def _video(name: str, ham: list[float], spam: list[float]):
    texts = [f"{s}#{name}{i}" for i, s in enumerate(ham + spam)]
    return name, texts, np.array([0] * len(ham) + [1] * len(spam))


def test_thresholds_keep_each_training_videos_false_positives_under_the_limit(monkeypatch):
    train_spam = _train_spam()
    fitted = []

    def fake_fit(texts, labels, *args, **kwargs):
        fitted.append(kwargs.get("c"))
        return _Written(texts)

    monkeypatch.setattr(train_spam, "fit", fake_fit)
    a = _video("a", [0.1] * 100, [0.9] * 100)
    # b: 5 of 100 ham at 0.5 (5% of b's ham, 2.5% pooled); half its spam at 0.46
    b = _video("b", [0.1] * 95 + [0.5] * 5, [0.6] * 50 + [0.46] * 50)
    c, review, confident = train_spam.choose([a, b])
    # pooled, 2.5% would pass and 0.46 would give the best F1; per video, b's 5% does not
    assert review > 0.5 and confident >= review
    assert c in train_spam.CS and set(fitted) == set(train_spam.CS)


def test_scamspot_training_comments_come_from_tuning_accounts_only(tmp_path):
    """The protocol's split (bench/charter.md, sixth round): even accounts train, odd ones are
    the test set, so no test account's comment may reach the model."""
    import json
    train_spam = _train_spam()
    accounts = [f"account{i}" for i in range(12)]
    comments = {f"{a}-{kind}-{n}": {"text": f"{a} {kind} {n}", "account": a, "type": kind}
                for a in accounts for kind in ("scam", "real", "ignore", "unknown") for n in range(2)}
    path = tmp_path / "comments_extracted.json"
    path.write_text(json.dumps(comments), encoding="utf-8")
    texts, labels = train_spam.load_scamspot_tuning(path)
    tuning = {a for a in accounts if train_spam.scamspot_side(a) == 0}
    assert tuning and tuning != set(accounts)  # both sides hold accounts here
    assert sorted(texts) == sorted(f"{a} {kind} {n}" for a in tuning for kind in ("scam", "real")
                                   for n in range(2))
    assert [int(t.split()[1] == "scam") for t in texts] == labels.tolist()


def test_rows_that_are_not_the_collections_are_dropped(tmp_path, capsys):
    """A GitHub copy of the Eminem video carries keyboard-mash rows labelled spam ("Hi", "Good
    Morning"); the collection's rows have an empty DATE or a timestamp."""
    train_spam = _train_spam()
    (tmp_path / "Youtube09-Test.csv").write_text(
        "COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS\n"
        "z12a,Ann,2014-11-07T19:01:37,nice song,0\n"
        "z12b,Bob,,check out my channel,1\n"
        "ubwsvgubgv,ihbsgvibse,oisngvins,Good Morning,1\n", encoding="utf-8")
    [(name, texts, labels)] = [v for v in train_spam.load_videos(tmp_path / "none", tmp_path)]
    assert name == "Youtube09-Test" and texts == ["nice song", "check out my channel"]
    assert labels.tolist() == [0, 1]
    assert "1 row(s) dropped" in capsys.readouterr().err
