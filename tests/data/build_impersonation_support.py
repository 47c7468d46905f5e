"""Builds impersonation_support.jsonl: the labeled set for the fake-support ("angler phishing") check.

Run from the repository root: /work/main/.venv/bin/python tests/data/build_impersonation_support.py

Provenance of every item (field ``source``):
- ``youtube_spam/<file>#<COMMENT_ID>``: real YouTube comments (UCI YouTube Spam Collection,
  Alberto, Lochter, Almeida, ICMLA 2015; via wolfgangweintritt/ML_2017W_Ass3 @ 375c524b), label 0.
- ``offensive_davidson/labeled_data.csv#<row>``: real tweets (Davidson et al., ICWSM 2017;
  t-davidson/hate-speech-and-offensive-language @ cb50f7e9, MIT), label 0.
  Real items are chosen as every comment that mentions help/support/DM/WhatsApp/call/contact/...
  (the hard negatives the real data holds) plus a seeded random sample of the rest; each was read
  and none is a fake-support reply.
- ``written``: written for this project by the author of the impersonation rule, modeled on the
  angler-phishing replies described in public security guidance (fake support accounts asking
  customers to DM, WhatsApp/Telegram, call a number, fill a form, give account numbers), and
  hard negatives (real customers asking for help, warnings about scams, praise of support).
  Protocol: ``dev1`` was written after the rule's first patterns as a held-out test; its first
  measurement (precision 1.00, recall 0.65) showed gaps, so it became development data. ``test``
  (the TEST2 lists) was then written and committed before the patterns were changed, and is
  measured once after tuning on ``dev``/``dev1``. Real items are split at random into dev/test.
  ``test3``/``dev3`` (issue #14, security alerts such as "your card is blocked, call 1-800..."):
  ``test3`` written and committed before the patterns were changed for it, with brands that
  neither the patterns nor ``dev3`` name; tuned on ``dev3`` only.
"""

from __future__ import annotations

import csv
import glob
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".." / "shared" / "data"
OUT = Path(__file__).with_name("impersonation_support.jsonl")

HARD = re.compile(r"\b(help|support|dm|inbox|message|whats ?app|telegram|call|contact|e-?mail|sorry|"
                  r"kindly|agent|account|pm me|text me)\b", re.IGNORECASE)

WRITTEN_TEST_POS = [
    "Hi there, we're sorry to hear about the issue with your card. Please send us a DM with your full name and account number so we can look into it.",
    "Hello! This is Acme Bank Support. For a faster resolution please reach our team on WhatsApp: +1 (917) 555-0148",
    "We understand your frustration. Our agents are available 24/7 on Telegram @AcmeHelpDesk_Official",
    "Sorry for the inconvenience caused. Kindly fill the form below and an agent will contact you shortly: forms.gle/x7Yb2KqP",
    "Please don't worry, your funds are safe. Contact our recovery team via email: acmebank.recovery@gmail.com",
    "Hi Sarah, we can assist you with the refund. Please message us privately so we can verify your account.",
    "Hey, Acme customer care here. DM your registered phone number and the last 4 digits of your card and we'll sort this out",
    "Good day, I'm an agent with the Acme help desk. Text us at +44 7700 900123 and we will get your account restored.",
    "sorry about the delay with your transfer! follow the link in our bio to chat with a live agent 👉 acme-support-chat.com",
    "To get this resolved quickly please inbox us your login email and the OTP you receive.",
    "Hello, this has been escalated to our support team. Please WhatsApp our manager on +234 803 555 0199 for immediate help.",
    "We apologise for any trouble. Our official helpline is +1 888 555 0170, call now and quote ticket #44812.",
    "Hi! I work for Acme's fraud department. Please send me a private message with your card details so I can block the charge.",
    "Kindly reach out to our support via the official support portal: https://acmebank-verify.help/login",
    "Dear customer, your complaint has been received. Please contact our agent Mr. David on Telegram (t.me/acme_care_agent) to complete the process.",
    "Thanks for reaching out! For security reasons we can't discuss this here, please DM us your account details.",
    "Hi, I'm from the Acme support team 😊 we'd be glad to help, just drop us a message on WhatsApp.",
    "Having trouble with your wallet? Our technical support desk can help you, write to help.acmewallet@outlook.com",
    "We're here to help! Please send a DM to @AcmeSupportCare with your full name, DOB and account number.",
    "Sorry to hear that! Please fill out this short form so our team can process your refund: https://docs.google.com/forms/d/e/1FAIpQLSf/viewform",
    "Hey there, I can help you recover the account. My colleague handles these cases, contact him on WhatsApp +1 646 555 0111",
    "Hello, the Acme support team has noticed your post. Message us on Signal for a secure chat.",
    "Please stop posting your issue publicly. Our customer service team will assist you in DM.",
    "Apologies for the experience. Click the link below to speak to an agent: bit.ly/acme-live-help",
    "hi, we r sorry 4 the trouble, pls dm us ur acct number n we fix it asap",
    "Good afternoon. For further assistance please call our 24hr support line on 1-800-555-0199.",
    "Hi Mark, I'm a representative for Acme Bank. I've sent you a DM, please reply there with the verification code you just got.",
    "We noticed you had issues logging in. Send us a direct message and our tech team will walk you through resetting your password.",
    "Your account has been flagged. To avoid suspension, kindly verify your identity with our agent on WhatsApp.",
    "Hello dear, sorry for the issue. Our customer care representative is waiting for you on Telegram: @acmecare_rep",
    "Acme here 👋 we can definitely help with the chargeback. Email our claims desk at claims-acmebank@protonmail.com",
    "Hi, sorry your transfer failed! Get in touch with our support on WhatsApp wa.me/15551234567 and we'll reverse it.",
    "We'd be happy to look into this for you. Please share your account number and phone number in a private message.",
    "Hi. Official Acme support. Please contact us via our helpdesk form: acme-helpdesk.typeform.com/to/Kx9",
    "I had the same problem and Acme's support agent Linda fixed it in minutes, she's on WhatsApp +1 202 555 0143, tell her I sent you",
    "sorry for what you're going through, contact my account manager on telegram he helped me recover my funds",
    "Hello, we've received your complaint. Please provide your card number and expiry date via DM for verification.",
    "Thank you for your patience. A support specialist will reach you shortly, please make sure your DMs are open.",
    "To resolve this issue, kindly message our live chat support using this link https://acmebank-care.online/chat",
    "Hi there! Acme Bank help centre. We'll need you to confirm your PIN through our secure portal, link sent to your inbox.",
]
WRITTEN_TEST_NEG = [
    "I DMed @AcmeSupport three days ago and nobody has answered. This is ridiculous.",
    "Be careful, accounts pretending to be Acme support are replying here asking people to DM them. Acme will never ask for your PIN.",
    "Does anyone know the real customer service number? The one on the website keeps hanging up on me.",
    "Called the number on the back of my card and they fixed it in ten minutes. Thanks Acme!",
    "Please help, my card got declined at the store and I can't log into the app",
    "Whoever is running this page, please DM me, I have a complaint about a branch manager.",
    "My cousin works at Acme and she said the outage should be fixed by tonight.",
    "lol the support team told me to restart my phone. genius",
    "Sorry for the rant but I've been on hold for 2 hours with customer service.",
    "If anyone from Acme support reads this, I've sent you an email to the official address from your website.",
    "Never give your account number to anyone in the comments, folks. Call the bank directly.",
    "Selling my old iPhone, message me on WhatsApp if interested",
    "I can help you with that! Just go to Settings > Security > Reset password in the app.",
    "Acme's support team was great, they called me back within an hour.",
    "Is it safe to give my phone number when the app asks for 2FA?",
    "Thanks for the help yesterday, the agent I chatted with in the app was super kind.",
    "We are a small business and we'd love to help spread the word about your savings accounts!",
    "Please call me back, I'm waiting since morning",
    "Just got a text from 'Acme' asking for my OTP. Obviously a scam, reported it.",
    "Can you help me understand the new fees? Reply here please, I don't use DMs.",
    "The support agent I spoke to said I need to visit a branch with ID.",
    "I'm sorry for your loss, Acme should refund you, keep pushing them.",
    "Telegram is blocked in my country so I can't join your community channel 😞",
    "Does Acme have an official WhatsApp? I only trust the app.",
    "Good job on the new app update team, login is way faster now",
    "My email to support@acmebank.com bounced, is that address still in use?",
    "Sorry for the inconvenience? That's all you have to say after a 3 day outage?",
    "how do i contact the fraud team, the phone menu is useless",
    "Guys if you have issues just go to the branch, the staff there actually help you.",
    "I reported the fake 'Acme Help' account that messaged me on Instagram.",
]
# Written after the first measurement (which used the lists above as held-out test and found
# recall 0.65), before any pattern was changed; committed before the rule was tuned on the rest.
WRITTEN_TEST2_POS = [
    "Greetings from the Acme Bank social care team. Your issue has been noted, kindly send a WhatsApp message to +1 (347) 555-0188 for a prompt response.",
    "Hello Jenny, sorry to see this. We have a dedicated resolution officer for cases like yours, text her on +1 312 555 0144.",
    "Acme Bank Customer Relations: please reach out through our Telegram channel t.me/AcmeBankRelations so we can investigate.",
    "Hi, we've been trying to reach you about this transaction. Kindly respond to our email sent from acmebank.disputes@gmail.com",
    "We apologize for the mix-up! A member of our staff will help you privately, just follow us and send a message.",
    "Hey, don't stress 🙏 our helpline can reverse unauthorized payments. Ring +1-855-555-0162 and choose option 2.",
    "Dear valued customer, your account is under review. Complete verification here to avoid closure: acme-secure-review.com",
    "This is Acme Bank's official complaints unit. Please forward your card number and CVV to our secure mailbox complaints@acme-bank-support.net",
    "Sorry you're having problems with the app! Our tech support is reachable on WhatsApp, message +44 7911 123456",
    "Hi, Acme here. We'd like to resolve this with you personally. Could you DM us the email linked to your account and your date of birth?",
    "hello, acme bank agent here. kindly contact me on whatsapp so i can guide you through the refund process",
    "Hi there, I can see your payment is stuck. Connect with our support officer on Telegram: @acme_officer_jay",
    "We understand how frustrating this must be. Please provide your online banking username via private message and we'll unlock it.",
    "For urgent account issues, reach our 24/7 support agents on WhatsApp (+1 929 555 0107). We're always here for you!",
    "Hello! A refund has been approved for you. Claim it by filling out this form within 24 hours: https://forms.gle/Acme-Refund-2026",
    "Hi, this is Tom from the Acme security team. Please call me back at 646-555-0190 so we can secure your account.",
    "Sorry for the experience, we are here to help. Kindly send a mail to acmecustomerhelp@yahoo.com with your details.",
    "Your concern has been escalated. Please follow the link to chat with a support agent: acmehelp-center.site/live",
    "Good evening. Acme Support here, please message our live agent on Telegram for faster help.",
    "Hi friend, I'm part of Acme's customer success team, please drop your phone number in my inbox and I'll call you.",
    "We are deeply sorry. Please share the OTP sent to your phone with our agent via WhatsApp so we can cancel the transaction.",
    "Hello, I'm an account specialist at Acme. Reach me on Signal at +1 (702) 555-0135 and I'll walk you through the recovery.",
    "Hi, we can sort this out for you! Send us a DM with the account number and the amount that was debited.",
    "Thanks for flagging this. For privacy, our help desk continues the conversation by email only: acme.helpdesk@mail.com",
    "hi sorry for the trouble u are facing, u can reach our support team on +2348035550177 whatsapp for quick fix",
    "Hey there, Acme's resolution center can get your money back. Visit acme-refunds.info and log in with your bank credentials.",
    "Dear customer, we regret the inconvenience. Please send your full name, account number and registered phone number to our inbox.",
    "We're on it! A representative will assist you once you message our support account @AcmeBankHelpline.",
    "Hello, my name is Grace and I handle complaints for Acme. Kindly send me a direct message so I can help you.",
    "Sorry to hear about the fraud on your card. Call our fraud unit directly on 0800 555 0123 (24 hours).",
]
WRITTEN_TEST2_NEG = [
    "Acme's real support told me they will never DM first, so ignore the accounts replying here.",
    "I messaged the support chat in the app and got a refund the same day, very happy.",
    "Is the WhatsApp number on your website real? Someone sent me a different one.",
    "I'm sorry but the new logo is ugly.",
    "Please fix the app, I can't see my transactions since the update.",
    "Whoever handles this account, can you please answer in the comments instead of DMs?",
    "My sister works in customer service for a bank and the stories she tells...",
    "If you need help with the app, the FAQ page actually explains the new card limits well.",
    "Got a call from someone claiming to be Acme fraud team asking for my PIN. Hung up.",
    "Happy to help test the new features if you need beta testers!",
    "Called support, waited 40 minutes, problem still not fixed.",
    "Can I get a DM? I have a question about my mortgage application.",
    "Thank you Acme team for sorting my issue so quickly!",
    "Kindly explain why my transfer took 5 days.",
    "Does anyone have the email for complaints? I want to escalate.",
    "I sent my account details to a fake support page last year, lost everything. Be careful people.",
    "The agent at the branch was rude and didn't help at all.",
    "Text me when you get home, mom",
    "Acme should hire more support staff, the wait times are insane.",
    "Reported three fake 'Acme Support' accounts today. Please verify your official handle!",
]
WRITTEN_DEV_POS = [
    "We're sorry for the trouble! Please DM us so we can help.",
    "Hello, Acme support here. Contact our agent on WhatsApp +1 415 555 0132 to resolve this.",
    "Kindly send us a direct message with your account number and we will fix it.",
    "Sorry about that, our team can help you. Reach us on Telegram @acme_support_team",
    "For quick assistance email acmehelpdesk@gmail.com with your login details.",
    "Hi, I'm an Acme representative. Message me privately and I'll get your refund processed.",
    "Please fill out the form to recover your account: forms.gle/AbCdEf123",
    "Our customer care team is available on WhatsApp: wa.me/447700900555",
    "We apologize for the inconvenience, please call our support line at +1 (800) 555-0123",
    "Hey! We can help you get your money back. Inbox us now.",
]
WRITTEN_DEV_NEG = [
    "Acme support is useless, I've messaged them five times.",
    "Please help me, I lost my card!",
    "Don't DM anyone claiming to be support, it's a scam.",
    "I love Acme's app, the support team is amazing.",
    "Sorry for the inconvenience is all they ever say.",
    "Message me on WhatsApp for the concert tickets, 2 left",
    "Can someone from Acme help? I'll wait for a reply here.",
    "my phone number changed, how do I update it in the app?",
    "Their customer service line was busy all day.",
    "Kindly note that branches close at 4pm on Fridays.",
]


# Issue #14: security-alert fake support ("your card is blocked, call 1-800..."). TEST3 was
# written and committed before any pattern was changed for it and uses brands (Contoso, Globex,
# Fabrikam) that the patterns and DEV3 never name; DEV3 (Northwind, Acme) is what was tuned on.
WRITTEN_TEST3_POS = [
    "Security alert: your card has been blocked due to suspicious activity. Call 1-800-555-0199 immediately to unblock it.",
    "Your Contoso account is temporarily suspended. To restore access call our fraud department at +1 888 555 0147.",
    "We detected unusual activity on your account. Please call this number now: (866) 555-0123",
    "Fraud alert! A payment of $950 was flagged on your card. Reply or call 1 (877) 555-0110 to cancel it.",
    "Hello, your debit card is locked for your protection. Verify your identity at globex-verify.com to unlock it.",
    "Your account will be closed within 24 hours unless you verify it here: fabrikam-secure-login.net",
    "Hi, this is the Globex security desk. Your card was compromised, call us back on +44 20 7946 0321.",
    "Urgent: suspicious login detected on your wallet. Contact our security team on Telegram @globex_secure",
    "Your card ending 4417 has been frozen. Text YES to +1 202 555 0186 to reactivate.",
    "Our records show your account has been restricted. Please WhatsApp our verification team: +234 803 555 0199",
    "We noticed a fraudulent transaction on your account, call the number 1-855-555-0134 so we can reverse it.",
    "Account locked. Call 800-555-0177 to speak to an agent and unlock it today.",
    "Dear customer, your online banking has been disabled. Reactivate it at www.contoso-reactivate.com",
    "Your payment was declined and your card blocked. DM us your card number and expiry date to fix it.",
    "Due to a security breach your account is on hold. Call our helpline 0800 555 0188 right away.",
    "ALERT: unauthorized access to your account. Call immediately 1-844-555-0166",
    "Your card has been suspended for verification. Please call +1-646-555-0102 to verify your identity.",
    "Suspicious activity was detected on your card. Our fraud team is waiting for your call at 1 800 555 0143",
    "Hi there, your account has been flagged. To avoid suspension contact verification@contoso-alerts.com",
    "Your Fabrikam card was used in another country. If this wasn't you call us now on 888-555-0155.",
]
WRITTEN_TEST3_NEG = [
    "My card got blocked again while travelling, had to call the number on the back of the card. Annoying.",
    "PSA: the bank will never call you to 'unblock' your card. Hang up and call the number on their website.",
    "Got a text saying my account was suspended, call 1-800-555-0100. Obviously a scam, reported it.",
    "Is anyone else's card blocked today? The app says 'suspicious activity'.",
    "Fraud alert texts from Contoso are legit, I checked with the branch.",
    "They blocked my card for suspicious activity and I had to wait 40 minutes on the phone.",
    "Call me when you land, my number is still 555-0142",
    "My account was locked after three wrong passwords, reset it in the app, took 2 minutes.",
    "Security tip: never share your one-time code with anyone, not even someone who says they are from the bank.",
    "The store's card machine was down, call ahead before you go: 415-555-0133",
    "Why does my card get frozen every time I buy something online?? Ridiculous.",
    "Our team's new security blog post is out, link in bio",
    "If you see unusual activity, report it in the app under Help > Report fraud.",
    "Account suspended on Twitter for a joke lol",
    "Verified my account finally, the security questions were easy.",
]
WRITTEN_DEV3_POS = [
    "Northwind security here: your card is blocked, call 1-800-555-0100 to unblock.",
    "Your account has been suspended due to suspicious activity. Call this number to restore it: 1-888-555-0122",
    "Fraud alert: your card was used for a $600 purchase. Call us at (800) 555-0111 if this wasn't you.",
    "Your card is blocked. Verify your details at northwind-verify.com",
    "Unusual sign-in detected. Please call our security team now on +1 415 555 0199.",
    "Your Acme account has been locked. DM us your login to unlock it.",
    "Security notice: your account will be disabled today unless you call 877-555-0103.",
    "We've put a hold on your card. To remove it, reach our fraud unit on WhatsApp +1 305 555 0177.",
]
WRITTEN_DEV3_NEG = [
    "My card is blocked, I called 1-800 number on the back and they fixed it.",
    "Never call a number someone posts in the replies, Northwind will never ask.",
    "Fraud alert from Northwind saved me today, they blocked a fake purchase.",
    "Account suspended again?? what did I do",
    "The security guard at the branch was super helpful.",
    "Call this number if you want pizza: 555-0100",
    "Your card is blocked? Same here, their system is down.",
    "I got a 'your account is locked' email, deleted it, it was phishing.",
]


def real_items() -> list[dict]:
    rng = random.Random(44)
    items = []
    for path in sorted(glob.glob(str(DATA / "youtube_spam" / "*.csv"))):
        with open(path, encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        name = Path(path).name
        hard = [r for r in rows if HARD.search(r["CONTENT"])]
        rest = [r for r in rows if not HARD.search(r["CONTENT"])]
        for r in hard + rng.sample(rest, 25):
            items.append({"text": r["CONTENT"], "source": f"youtube_spam/{name}#{r['COMMENT_ID']}"})
    with open(DATA / "offensive_davidson" / "labeled_data.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    hard = [r for r in rows if HARD.search(r["tweet"])]
    rest = [r for r in rows if not HARD.search(r["tweet"])]
    for r in rng.sample(hard, 120) + rng.sample(rest, 60):
        items.append({"text": r["tweet"], "source": f"offensive_davidson/labeled_data.csv#{r['']}"})
    return items


def main() -> None:
    rng = random.Random(4)
    out = []
    for i, item in enumerate(real_items()):
        out.append({"id": f"real-{i}", "label": 0, "split": rng.choice(("dev", "test")), **item})
    for split, pos, neg in (("dev1", WRITTEN_TEST_POS, WRITTEN_TEST_NEG),
                            ("test", WRITTEN_TEST2_POS, WRITTEN_TEST2_NEG),
                            ("dev", WRITTEN_DEV_POS, WRITTEN_DEV_NEG),
                            ("test3", WRITTEN_TEST3_POS, WRITTEN_TEST3_NEG),
                            ("dev3", WRITTEN_DEV3_POS, WRITTEN_DEV3_NEG)):
        for label, texts in ((1, pos), (0, neg)):
            for i, text in enumerate(texts):
                out.append({"id": f"{split}-{'pos' if label else 'neg'}-{i}", "label": label,
                            "split": split, "source": "written", "text": text})
    with open(OUT, "w", encoding="utf-8") as f:
        for item in out:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} items to {OUT}")


if __name__ == "__main__":
    main()
