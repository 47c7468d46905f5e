"""The charter's shortcuts (checks that skip a scan when a text cannot match) give exactly what
the straightforward code gives: compared on the sample comments, the shared corpora when present,
and texts made to sit at each shortcut's edge."""


from rules.charter import pii
from rules.charter.disguise import BIDI_CONTROLS, has_bidi_control
from tests.corpus_texts import real_texts

EDGES = [
    "SSN 123-45-6789", "ssn: 078051120", "social security number is 078 05 1120", "12-34-5678",
    "CPF 111.444.777-35", "111.444.77735", "DNI 12345678Z", "1234567Z", "RSSMRA85T10A562S",
    "RSSMRA8T10A562S", "NIR 2 84 05 2A 123 456 78", "1 84 05 75 123 456 78", "aadhaar 2345 6789 0123",
    "2345 6789 012", "٠٧٨-٠٥-١١٢٠", "SSN ۰۷۸۰۵۱۱۲۰", "１２３-４５-６７８９", "no digits at all", "",
    "12345678", "a-b.c 123456789012345", "photo\u202egnp.exe", "abc\u2066", "\u202a", "plain ascii",
]


def corpus() -> list[str]:
    return EDGES + real_texts()


def national_ids_without_shortcut(text: str) -> list[pii.PiiHit]:
    hits = [pii.PiiHit("national_id", pii.mask_digits(m.group(1), 2), m.start(1), m.end(1), "us.ssn")
            for m in pii._SSN_NAMED.finditer(text)
            if pii.ssn.is_valid(m.group(1).replace(" ", ""))]
    for pattern, is_valid, name in (
            (pii._SSN, pii.ssn.is_valid, "us.ssn"), (pii._CPF, pii.cpf.is_valid, "br.cpf"),
            (pii._DNI, pii.dni.is_valid, "es.dni"),
            (pii._CODICE_FISCALE, pii.codicefiscale.is_valid, "it.codicefiscale"),
            (pii._NIR, pii.nir.is_valid, "fr.nir"), (pii._AADHAAR, pii.aadhaar.is_valid, "in.aadhaar")):
        for m in pattern.finditer(text):
            try:
                ok = is_valid(m.group(0).upper())
            except Exception:
                ok = False
            if ok:
                hits.append(pii.PiiHit("national_id", pii.mask_digits(m.group(0), 2), m.start(),
                                       m.end(), name))
    return hits


def test_national_id_shortcut_changes_nothing():
    texts = [pii.normalize(t) for t in corpus()]
    found = 0
    for text in texts:
        expected = national_ids_without_shortcut(text)
        assert list(pii._national_ids(text)) == expected, text
        found += bool(expected)
    assert found >= 5  # the edge cases that hold a valid identifier were really found


def test_bidi_shortcut_changes_nothing():
    texts = corpus()
    for text in texts:
        assert has_bidi_control(text) == any(c in text for c in BIDI_CONTROLS), text
    assert sum(map(has_bidi_control, texts)) >= 3


def test_digit_and_email_shortcuts_change_nothing():
    texts = [pii.normalize(t) for t in corpus()] + ["a@b.c", "x [at] y [dot] z", "(at)", "@me", "１２３４５６"]
    for text in texts:
        digits = pii.ascii_digits(text)
        if digits is not None:
            assert (digits >= 6) == (pii._SIX_DIGITS.search(text) is not None), text
        assert pii.may_hold_email(text) == (pii._EMAIL_HINT.search(text) is not None), text
    assert sum(map(pii.may_hold_email, texts)) >= 3


def test_personal_data_gate_changes_nothing():
    """A comment find_pii skips (too few digits, no e-mail hint, no staff name) is one where
    every detector, run without any gate, finds nothing."""
    options = pii.PiiOptions(staff=("Jane Smith", "Bob"))
    texts = corpus() + ["Jane Smith works in the billing department", "bob lives at 12 Elm Street",
                        "call 555 0100", "janesmith", "j a n e", "&#128514;&#128514; 12345",
                        "&#1234567;&#1234567; 555 0100", "ssn &#078051120;", "&#12345678;",
                        "&#55;5 555 0100 &#128514;", "DNI 1234567&#56;Z", "&#2345;6789 0123"]
    skipped = 0
    for text in texts:
        normalized = pii.normalize(text)
        everything = pii._detect(normalized, options, None, True, True, None)
        gated = pii.find_pii(text, options)
        assert gated == everything, text
        digits = pii.ascii_digits(normalized)
        skipped += digits is not None and digits < 6 and not pii.may_hold_email(normalized) \
            and not pii._may_name_staff(normalized, options, None)
    assert skipped >= len(texts) // 2  # the gate really skips most comments


def test_leet_byte_table_changes_nothing():
    """deleet's byte table for ASCII text gives what the str table gives, on every ASCII
    character and every corpus comment."""
    from rules.text import _LEET, deleet, fold
    texts = ["".join(map(chr, range(128))), "fr33 g1ft @ll $h!t |o+ 4 7 8", "€100 fr33"]
    texts += [fold(t) for t in corpus()]
    for text in texts:
        assert deleet(text) == text.translate(_LEET), text


def test_flood_keys_of_ascii_text_by_bytes_equal_the_letters_pattern():
    import hashlib
    import re

    from rules.charter import flood
    from rules.text import fold, squeeze

    def by_pattern(flat: str) -> tuple[str, int]:
        words = sorted(set((re.compile(r"[A-Za-z]+") if flat.isascii() else flood._LETTERS)
                           .findall(flat)))
        joined = " ".join(words)
        return (hashlib.blake2b(joined.encode(), digest_size=8).hexdigest(),
                len(joined) - len(words) + 1 if words else 0)

    texts = corpus() + ["Ünïcödé wörds and ascii", "a1b2c3 d_e-f", "\x7f\x00 ok", "ÀB ab", "日本 語"]
    texts = [t for t in texts if "<" not in t and "&" not in t and "/" not in t and "www." not in t]
    for text in texts:
        folded = fold(text)
        flat = squeeze(folded, keep=1)
        assert flood._text_key(text, folded, flat) == by_pattern(flat), text
