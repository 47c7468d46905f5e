"""The review inbox in a browser: server-rendered pages over the core's review code.

Flask + Jinja2 (autoescaping) served by waitress. Routes call ``moderator.review``,
``moderator.users`` and the store; nothing here decides what happens to a
comment.
"""
