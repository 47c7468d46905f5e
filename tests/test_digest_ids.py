"""Error lines in the digest keep platform object ids readable and still mask personal data."""

from datetime import timedelta

from moderator import config
from moderator.digest import collect, resolve_period
from moderator.render import safe_excerpt
from moderator.store import Store, now


def test_graph_ids_in_error_lines_are_not_masked_as_phone_numbers(tmp_path):
    settings = config.parse({"store": {"path": "m.db"}}, base_dir=tmp_path)
    message = ("instagram acme-ig: GET 17841400000000000/media: HTTP 500; facebook acme-fb: "
               "hide 1000000001_1234567890123: (#100) error; the page said call +44 20 7946 0018")
    with Store(settings.store_path) as store:
        store.record_error("acme-ig", "instagram", "TransientError", message)
        digest = collect(store, settings, resolve_period(store, at=now() + timedelta(seconds=1)))
    [line] = digest.errors
    assert "GET 17841400000000000/media" in line.message
    assert "hide 1000000001_1234567890123:" in line.message
    assert "+44 20 7946 0018" not in line.message and "**18" in line.message


def test_keeping_ids_still_masks_a_card_number():
    shown = safe_excerpt("charge 4111111111111111 failed for 17841400000000000/x", keep_ids=True)
    assert "4111111111111111" not in shown and "17841400000000000/x" in shown
