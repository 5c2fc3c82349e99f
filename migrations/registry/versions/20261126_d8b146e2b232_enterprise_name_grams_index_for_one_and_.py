"""enterprise name grams index for one- and two-character search

Revision ID: d8b146e2b232
Revises: 30ebe6ed648c
Create Date: 2026-11-26 19:54:16.964883
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'd8b146e2b232'
down_revision: str | None = '30ebe6ed648c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Trigrams cannot index a one- or two-character fragment, the usual length of a Chinese name
# search; every single character and pair of characters of the name can.
GRAMS = """
CREATE FUNCTION registry.enterprise_name_grams(name text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    grams text[] := '{}';
    size int := char_length(name);
BEGIN
    FOR i IN 1..size LOOP
        grams := grams || substr(name, i, 1);
        IF i < size THEN
            grams := grams || substr(name, i, 2);
        END IF;
    END LOOP;
    RETURN grams;
END $$
"""


def upgrade() -> None:
    op.execute(GRAMS)
    op.execute(
        "CREATE INDEX ix_enterprise_name_grams ON registry.enterprise "
        "USING gin (registry.enterprise_name_grams(name::text))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX registry.ix_enterprise_name_grams")
    op.execute("DROP FUNCTION registry.enterprise_name_grams(text)")
