"""Fragment search over Chinese text, shared by the registry's enterprise names and the service
requests' descriptions: an index finds the candidates and LIKE is the exact check.

pg_trgm's trigrams cannot index the one- and two-character fragments most Chinese searches are.
The registry's names (written rarely, searched by every resident) keep a GIN index over every
character, pair and trigram (`registry.enterprise_name_grams`); the descriptions (written on the
submission's hot path) keep two indexes built by C functions, their characters and pg_trgm's
trigrams (service_requests.requests.repository.description_contains, docs/service-requests.md).
"""

from __future__ import annotations


def like_fragment(fragment: str) -> str:
    """`%fragment%` with LIKE's own characters escaped (backslash is PostgreSQL's default escape)."""
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
