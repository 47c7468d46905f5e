"""Local fake platform servers for tests and benchmarks (127.0.0.1, free port, in-process).

- ``harness``: the reusable threaded HTTP server with fault switches (429 with or without reset
  headers, 500, slow, malformed JSON, 401), a request log, the ``serving()`` pytest fixture and
  the ``Kit`` the connector contract suite uses;
- ``reddit``: the Reddit OAuth API for praw; ``x``: the X API v2 for tweepy;
- ``graph``: the Facebook/Instagram Graph API for facebook-sdk (its own server).

Every fake is stateful: tests add comments while it runs and inspect ``fake.actions``.
"""
