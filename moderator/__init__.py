"""Moderator: self-hosted comment moderation for an organization's social media accounts."""

__version__ = "0.1.0"
