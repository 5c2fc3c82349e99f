"""name grams with trigrams, so a rare fragment of three or more characters is found from rare grams

Revision ID: 5e7a1c9d3b40
Revises: d8b146e2b232
Create Date: 2026-11-26 23:45:00

A fragment of four characters used to be looked up by its three character pairs; pairs of common
words have posting lists that grow with the table, and intersecting them was most of the cost of
a rare search at 1,000,000 enterprises. With trigrams in the index, a fragment of three or more
characters is looked up by its trigrams, whose lists hold little more than the matches.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '5e7a1c9d3b40'
down_revision: str | None = 'd8b146e2b232'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _grams(longest: int) -> str:
    trigrams = (
        """
        IF i < size - 1 THEN
            grams := grams || substr(name, i, 3);
        END IF;"""
        if longest == 3
        else ""
    )
    return f"""
CREATE OR REPLACE FUNCTION registry.enterprise_name_grams(name text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    grams text[] := '{{}}';
    size int := char_length(name);
BEGIN
    FOR i IN 1..size LOOP
        grams := grams || substr(name, i, 1);
        IF i < size THEN
            grams := grams || substr(name, i, 2);
        END IF;{trigrams}
    END LOOP;
    RETURN grams;
END $$
"""


def upgrade() -> None:
    op.execute(_grams(3))
    op.execute("REINDEX INDEX registry.ix_enterprise_name_grams")  # the indexed function changed


def downgrade() -> None:
    op.execute(_grams(2))
    op.execute("REINDEX INDEX registry.ix_enterprise_name_grams")
