"""Writes tests/data/pii_labeled.jsonl: the labeled personal-data set (run once; the JSONL is
committed). Every item names its source. Positives use published example/test values so that no
real person's data is in the repository; negatives are look-alikes written for this set.

Sources:
- libphonenumber example numbers (``phonenumbers.example_number(region)``, Google's metadata),
  written in the international, national and E.164 formats people type;
- RFC 2606 reserved domains (example.com/.org/.net) for e-mail addresses;
- card test numbers published by payment processors (Stripe "Testing" docs, PayPal sandbox);
- IBAN examples from the SWIFT IBAN registry (one per country);
- python-stdnum's documented examples for national identifiers (docstrings of each module).
"""
import json
from pathlib import Path

import phonenumbers as pn

items = []


def add(text, pii, source, region="US"):
    items.append({"text": text, "region": region,
                  "pii": [{"kind": k, "value": v} for k, v in pii], "source": source})


templates = ["call me on {}", "my number is {} text me", "{} <- whatsapp", "ring {} after 6pm",
             "Contact: {}"]
regions = ["US", "GB", "DE", "FR", "ES", "IT", "NL", "BR", "IN", "AU", "JP", "MX", "ZA", "NG",
           "SE", "PL", "CA", "CH", "TR", "KR", "AR", "IE", "BE", "PT", "SG"]
for i, region in enumerate(regions):
    number = pn.example_number_for_type(region, pn.PhoneNumberType.MOBILE) or pn.example_number(region)
    intl = pn.format_number(number, pn.PhoneNumberFormat.INTERNATIONAL)
    national = pn.format_number(number, pn.PhoneNumberFormat.NATIONAL)
    e164 = pn.format_number(number, pn.PhoneNumberFormat.E164)
    src = f"libphonenumber example mobile number for {region}"
    add(templates[i % 5].format(intl), [("phone", intl)], src + " (international format)", "US")
    add(templates[(i + 2) % 5].format(national), [("phone", national)], src + " (national format)", region)
    if i % 3 == 0:
        add(f"pls call {e164} asap", [("phone", e164)], src + " (E.164)", "US")

emails = ["john.doe@example.com", "maria_garcia+promo@example.org", "j.smith@mail.example.net",
          "o'brien.kate@example.co.uk", "x1@example.io", "ANNA.MUELLER@EXAMPLE.DE"]
for i, e in enumerate(emails):
    add(["email me at {}", "{} is her address", "contact {} for the files", "DM or {}",
         "send it to {}!", "({})"][i].format(e), [("email", e)], "RFC 2606 reserved domain, written for this set")
add("write to john [at] example [dot] com", [("email", "john@example.com")], "obfuscated form, RFC 2606 domain")
add("mail: peter(at)example.org", [("email", "peter@example.org")], "obfuscated form, RFC 2606 domain")
add("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ fullwidth", [("email", "jane@example.com")], "fullwidth form, RFC 2606 domain")

cards = [("4242 4242 4242 4242", "Stripe test Visa"), ("5555-5555-5555-4444", "Stripe test Mastercard"),
         ("378282246310005", "Stripe test Amex"), ("6011 1111 1111 1117", "Stripe test Discover"),
         ("3566 0020 2036 0505", "Stripe test JCB"), ("3056 9300 0902 0004", "Stripe test Diners"),
         ("6200000000000005", "Stripe test UnionPay"), ("4000 0566 5566 5556", "Stripe test Visa debit"),
         ("2223 0031 2200 3222", "Stripe test Mastercard 2-series"), ("4012888888881881", "PayPal sandbox Visa")]
for i, (c, src) in enumerate(cards):
    add(["my card is {} exp 04/28", "{} cvv 123", "pay with {} pls", "card number: {}", "use {}"][i % 5].format(c),
        [("card", c)], src)

ibans = [("DE89 3704 0044 0532 0130 00", "DE"), ("GB29 NWBK 6016 1331 9268 19", "GB"),
         ("FR14 2004 1010 0505 0001 3M02 606", "FR"), ("NL91ABNA0417164300", "NL"),
         ("ES91 2100 0418 4502 0005 1332", "ES"), ("IT60 X054 2811 1010 0000 0123 456", "IT"),
         ("BE71 0961 2345 6769", "BE"), ("CH93 0076 2011 6238 5295 7", "CH"),
         ("AT61 1904 3002 3457 3201", "AT"), ("PL61 1090 1014 0000 0712 1981 2874", "PL"),
         ("SE45 5000 0000 0583 9825 7466", "SE"), ("NO9386011117947", "NO")]
for i, (v, cc) in enumerate(ibans):
    add(["send the money to {} thanks", "IBAN: {}", "transfer to {} now", "my iban {}"][i % 4].format(v),
        [("iban", v)], f"SWIFT IBAN registry example for {cc}")

ids = [("536-90-4399", "stdnum us.ssn docstring"), ("390.533.447-05", "stdnum br.cpf docstring"),
       ("54362315K", "stdnum es.dni docstring"), ("RCCMNL83S18D969H", "stdnum it.codicefiscale docstring"),
       ("2 95 10 99 126 111 93", "stdnum fr.nir docstring"), ("234123412346", "stdnum in_.aadhaar docstring")]
for v, src in ids:
    add(f"his id is {v} lol", [("national_id", v)], src)

add("Jane Smith from the Denver branch gave me her cell 0491 570 156",
    [("phone", "0491 570 156"), ("staff", "Jane Smith")], "ACMA fictional drama number (AU), written for this set", "AU")
add("jane smith lives at 42 Elm Street, go tell her", [("staff", "Jane Smith")], "written for this set")
add("Email Jane Smith directly: jane.smith@example.org", [("email", "jane.smith@example.org"), ("staff", "Jane Smith")],
    "written for this set, RFC 2606 domain")
add("020 7946 0018 is the number of J Bloggs", [("phone", "020 7946 0018")], "Ofcom drama number range (GB)", "GB")

negatives = [
    "Order #10023456 still not delivered", "tracking 1Z999AA10123456784 says lost",
    "posted on 2026-11-24 at 10:00", "since 24/11/2026 nothing", "price went from $1,299.99 to $999",
    "ISBN 978-3-16-148410-0 is the book", "server at 192.168.1.10 is down", "update to v2.10.3 please",
    "follow @acme_support for updates", "2,000,000,000 views!!!", "1000000 views when?",
    "room 1204, building 7", "invoice INV-2026-000123 unpaid", "Ref: 884213557", "score was 3-1 at 45:12",
    "call 911 if it happens again", "card 1234 5678 9012 3456 is not real", "SKU 4432-991-20",
    "born in 1987, married 2012", "my account number ends in 4471", "Jane Smith is doing a great job",
    "email me on here not outside", "user@ is not an address", "meet at 10.30 on 12.12.2025",
    "zip 90210 area", "lottery numbers 4 8 15 16 23 42", "order 4111-1111 shipped", "coordinates 40.7128, -74.0060",
    "the year 2025 and 2026 were bad", "bitcoin went 98000 to 64000", "model number 8806094512345 (EAN)",
    "ticket TCK-558812-90", "it costs 49,99 EUR", "time 12:30-14:45", "GPU RTX 4090 vs 4080",
    "I called 3 times on 11/20, 11/21, 11/22", "my gamertag is xXsniper1999Xx", "see page 112-118",
    "patch notes 1.2.3.4", "call of duty 2 season 4", "IBAN please? i forgot mine", "DE is my country code lol",
    "scores: 12 - 15 - 18 - 21", "HTTP 404 error on /orders/123456", "10/10 would buy again",
    "mortgage 250000 over 25 years", "support case 2026112400123", "my dog is 12 and my cat 9",
    "version 20.04.6 LTS", "ABC123DEF456 license key", "serial 5CG1234XYZ", "Jane called about dept stuff",
]
for t in negatives:
    add(t, [], "look-alike written for this set (no personal data)")

out = Path(__file__).with_name("pii_labeled.jsonl")
out.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
print(len(items), "items ->", out)
