import csv
from pathlib import Path


from rules.charter.termviews import term_views
from rules.text import fold, views

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
SAMPLES = ["Hello  World\t!", "FR33 G1FT", "s p a m", "freeeee", "ｆｕｌｌ", "Ca\u0301fe\u200b",
           "іdіоt", "a.b.c.d", "$$$ cash $$$", "", "   ", "x\x1fy", "İstanbul ß"]


def corpus():
    texts = list(SAMPLES)
    for path in sorted((SHARED / "youtube_spam").glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            texts += [r["CONTENT"] for r in csv.DictReader(f)]
    return texts


def test_fast_views_equal_the_shared_views_plus_one():
    # The samples always; the real comments too where the shared data is present.
    for text in corpus():
        mine, shared = term_views(text), views(text)
        assert mine[:len(shared)] == shared, text
        assert len(mine) - len(shared) <= 1


def test_one_letter_squeeze_view():
    assert "you fuck" in term_views("you fuuuuuck")


def test_flat_view_is_the_one_letter_squeeze_of_the_folded_text():
    from rules.charter.termviews import term_views_and_flat
    from rules.text import squeeze
    for text in corpus() + ["loooool", "aaa bbb", "Ｆｒｅｅｅｅ"]:
        views, flat = term_views_and_flat(text)
        assert views == term_views(text)
        assert flat == squeeze(fold(text), keep=1), text
