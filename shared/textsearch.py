"""Fragment search over Chinese text, shared by the registry's enterprise names and the service
requests' descriptions: a GIN index over every character, character pair and trigram of the text
(a per-schema `*_grams` SQL function, made by each service's migration), and LIKE as the exact check.

pg_trgm's trigrams cannot index the one- and two-character fragments most Chinese searches are,
so the index holds the single characters and pairs too; a fragment of three or more characters is
looked up by its trigrams, whose posting lists hold little more than the matches.
"""

from __future__ import annotations


def like_fragment(fragment: str) -> str:
    """`%fragment%` with LIKE's own characters escaped (backslash is PostgreSQL's default escape)."""
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fragment_grams(fragment: str) -> list[str]:
    """The grams a text must hold to contain `fragment`: the character itself, the pair, or every
    trigram of a longer fragment (rarer than its pairs, so the index hands over few candidates)."""
    size = 1 if len(fragment) == 1 else 2 if len(fragment) == 2 else 3
    return sorted({fragment[i : i + size] for i in range(len(fragment) - size + 1)})
