"""The links family: suspicious links in comments.

One job per module: ``extraction`` (links in free text), ``domains`` (hosts, the Public Suffix
List, parsed URLs), ``brands`` (whom we protect), ``lookalikes`` (does a host imitate a brand),
``feeds`` (threat feed files, parsing only), ``signals`` (weak signals scored together),
``settings`` (``[rules.links]``) and ``rule`` (the rule that ties them together).
"""

from rules.links.domains import parse_url
from rules.links.extraction import FoundLink, extract_links
from rules.links.rule import LinksRule, defang

__all__ = ["FoundLink", "LinksRule", "defang", "extract_links", "parse_url"]
