import time
from datetime import datetime, timedelta, timezone

from moderator.models import Author, Comment, Link
from rules.charter.flood import FloodRecord, FloodSettings, check, fingerprint, records

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
SPAM = "Check out my channel and SUBSCRIBE!!! best vids"


def comment(i, text, author="u1", minutes=0, links=()):
    return Comment("yt", "acme", f"c{i}", text, author=Author(id=author),
                   created_at=T0 + timedelta(minutes=minutes), links=tuple(links))


def test_fingerprint_ignores_case_punctuation_digits_and_disguise():
    a = fingerprint("Check out my channel and subscribe! 1")
    assert a
    assert fingerprint("CHECK OUT MY CHANNEL AND SUBSCRIBEEEE!!! 22") == a
    assert fingerprint("check out my channel 🔥 and subscribe :) 3") == a
    assert fingerprint("Сheck out my сhannel and subscribe") == a  # Cyrillic С
    assert fingerprint("check out my video and subscribe") != a
    assert fingerprint("lol") == "" and fingerprint("first!!!") == ""


def test_fingerprint_is_the_prose_not_its_links_or_markup():
    a = fingerprint("Win a free iPhone today, claim it here")
    assert fingerprint("Win a free iPhone today, claim it here https://bit.ly/3xYz") == a
    assert fingerprint("Win a free iPhone today, claim it here: www.prize-now.example/a?b=1") == a
    assert fingerprint("Win a <b>free</b> iPhone today,<br />claim it here&#39; "
                       "<a href=\"http://evil.example/x\">evil.example/x</a>") == a
    assert fingerprint("https://bit.ly/3xYz https://evil.example/claim-your-free-prize") == ""


def test_link_stripping_is_linear_on_hostile_text():
    start = time.perf_counter()
    for i in range(10):
        for text in ["/" + "a." * 2500, "/ " + "ab." * 1600 + "c", f"<a {i}" * 1600 + "/"]:
            fingerprint(text * 20)  # judged on its first MAX_FINGERPRINT_CHARS
    assert time.perf_counter() - start < 1.0  # a quadratic pattern took ~0.1 s per 5,000 chars


def test_rotating_links_do_not_hide_a_campaign():
    text = "Claim your free crypto airdrop before it ends, verify your wallet at"
    hosts = ["alpha-drop", "bravo-gift", "delta-claim", "kilo-coins", "oscar-prize"]
    batch = [comment(i, f"{text} https://{host}.example/claim?id={i}", author=f"u{i}",
                     minutes=i) for i, host in enumerate(hosts)]
    hits = check(batch, (), FloodSettings(authors=5))
    assert [h is not None for h in hits] == [False] * 4 + [True]
    assert hits[4].kind == "text" and hits[4].authors == 5


def test_one_author_repeating_within_a_batch_without_history():
    batch = [comment(i, SPAM + f" {i}", minutes=i) for i in range(5)]
    hits = check(batch, ())
    assert [h is not None for h in hits] == [False, False, True, True, True]
    assert hits[2].copies_by_author == 3 and hits[2].kind == "text"


def test_many_authors_posting_the_same_long_text():
    long_spam = SPAM + " and win the giveaway of the century tonight"
    batch = [comment(i, long_spam, author=f"u{i}", minutes=i) for i in range(6)]
    hits = check(batch, (), FloodSettings(authors=5))
    assert [h is not None for h in hits] == [False] * 4 + [True, True]
    assert hits[4].authors == 5
    short = [comment(i, "Great video, thanks a lot!", author=f"u{i}") for i in range(8)]
    assert check(short, ()) == [None] * 8  # short praise recurs innocently


def test_history_counts_and_old_copies_expire():
    batch = [comment(9, SPAM, minutes=30)]
    key = records(batch)[0][0].key
    recent = [FloodRecord("u1", key, (T0 + timedelta(minutes=m)).timestamp()) for m in (10, 20)]
    assert check(batch, recent)[0] is not None
    old = [FloodRecord("u1", key, (T0 - timedelta(hours=5)).timestamp())] * 2
    assert check(batch, old)[0] is None


def test_repeated_links_with_different_text():
    url = Link("https://www.evil.example/promo?ref=1")
    batch = [comment(i, f"totally different words number {w}", author="u1", minutes=i,
                     links=[url]) for i, w in enumerate(["alpha", "bravo", "charlie"])]
    hits = check(batch, ())
    assert hits[2] is not None and hits[2].kind == "link"
    assert check(batch, (), FloodSettings(links=False))[2] is None
    assert check(batch, (), FloodSettings(ignore_hosts=("evil.example",)))[2] is None


def test_undated_comments_and_unknown_authors_do_not_crash():
    batch = [Comment("yt", "a", f"c{i}", SPAM) for i in range(6)]
    hits = check(batch, ())
    assert all(h is None for h in hits[:4])  # unknown authors: only the many-authors count
    assert records(batch)[0][0].time is None


def test_a_replayed_batch_does_not_count_itself():
    batch = [comment(i, SPAM, minutes=i) for i in range(2)]
    history = [r for rs in records(batch) for r in rs]
    assert check(batch, history) == [None, None]
    assert check([comment(5, SPAM, minutes=5)], history)[0] is not None
