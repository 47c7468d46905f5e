"""Making hostile text safe to show: defanging, masking personal data, HTML escaping."""

from __future__ import annotations

import time

import pytest

from moderator.render import (defang_text, defang_url, defang_value, html_text, mask_pii,
                              one_line, safe_excerpt, strip_invisible)


@pytest.mark.parametrize("text, expected", [
    ("see https://evil.com/login now", "see hxxps://evil[.]com/login now"),
    ("http://a.b.example/x.y", "hxxp://a[.]b[.]example/x.y"),
    ("ftp://files.example/a", "fxp://files[.]example/a"),
    ("www.evil.example/path", "www[.]evil[.]example/path"),
    ("visit acme-login.co today", "visit acme-login[.]co today"),
    ("no links here, 3.5 stars", "no links here, 3.5 stars"),
])
def test_defang_text_still_works(text, expected):
    assert defang_text(text) == expected


def test_defanging_twice_changes_nothing():
    once = defang_text("go to https://www.evil.example/a.b and evil.example")
    assert defang_text(once) == once == "go to hxxps://www[.]evil[.]example/a.b and evil[.]example"


def test_defang_helpers():
    assert defang_url("https://evil.example:8443/a.b") == "hxxps://evil[.]example:8443/a.b"
    assert defang_value(["https://a.example", {"host": "b.example"}, 3]) == \
        "hxxps://a[.]example, host=b[.]example, 3"


@pytest.mark.parametrize("text, expected", [
    ("mail jane.doe@example.com now", "mail j***@example.com now"),
    ("a+b@mail.example.org", "a***@mail.example.org"),
    ("call +44 20 7946 0018 today", "call +** ** **** **18 today"),
    ("call 0612345678!", "call ********78!"),
    ("card 4111 1111 1111 1111.", "card **** **** **** 1111."),
    ("card 4111-1111-1111-1111", "card ****-****-****-1111"),
    ("IBAN DE89 3704 0044 0532 0130 00", "IBAN DE8* **** **** **** **30 00"),
    ("met on 2026-11-24 at noon", "met on 2026-11-24 at noon"),  # a date is not a phone
    ("order abc1234567", "order abc1234567"),  # an id glued to letters stays
    ("I live at 221B Baker Street", "I live at 221B Baker Street"),
    ("short 12345", "short 12345"),
])
def test_mask_pii(text, expected):
    assert mask_pii(text) == expected


def test_a_long_digit_run_is_masked_in_pieces():
    masked = mask_pii("1" * 60)
    assert masked.count("1") <= 8  # at most the kept tail of each piece


def test_strip_invisible_drops_direction_and_zero_width_characters():
    assert strip_invisible("evil\u200b.example/\u202egpj.exe\ufeff") == "evil.example/gpj.exe"
    assert strip_invisible("Ana\u00a0María") == "Ana\u00a0María"  # visible text untouched


def test_safe_excerpt_masks_before_defanging_and_bounds_the_line():
    hostile = "Write to jane.doe@example.com\nor https://evil\u200b.example/x " + "z" * 500
    out = safe_excerpt(hostile, width=80)
    assert out.startswith("Write to j***@example[.]com or hxxps://evil[.]example/x ")
    assert len(out) == 80 and out.endswith("…") and "\n" not in out


def test_html_text_escapes_markup_and_quotes():
    assert html_text('<a href="x">\'&') == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;"


def test_one_line():
    assert one_line("a\n  b\tc", 10) == "a b c"
    assert one_line("abcdefghij", 5) == "abcd…"


@pytest.mark.parametrize("hostile", [
    "1 " * 10_000, "a." * 10_000 + "@", "x@" * 10_000, "https://" + "a." * 10_000,
    "+" + "1-" * 10_000, "\u202e" * 20_000, "." * 20_000 + "@example.com",
])
def test_hostile_input_is_handled_in_bounded_time(hostile):
    started = time.perf_counter()
    safe_excerpt(hostile)
    mask_pii(hostile)
    defang_text(hostile)
    assert time.perf_counter() - started < 2.0  # linear time; catastrophic would be minutes
