"""The description search built by C functions: an index of its characters and one of pg_trgm's
trigrams

Revision ID: c5e8f2a1d947
Revises: b7d41e9c2a53
Create Date: 2026-12-04 18:30:00

`requests.text_grams` (a SQL function over every 1-3 character gram, run for every row) cost each
submission about 0.10 ms of PostgreSQL CPU, two thirds of the rest of its insert (the requests
bench on a fresh cluster, docs/benchmarks.md, issue 23). These two indexes are built by C
functions and cost about 0.03 ms together: the description's characters
(`string_to_array(description, NULL)`, for fragments of one and two characters, which have no
trigram) and pg_trgm's trigrams (`gin_trgm_ops`, which serves `LIKE '%fragment%'` itself for three
characters and more). Two indexes rather than one of two columns: a one- or two-character LIKE has
no trigram, and in a shared index it would make the planner cost a full scan and give up the
characters too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c5e8f2a1d947'
down_revision: str | None = 'b7d41e9c2a53'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRAMS = """
CREATE OR REPLACE FUNCTION requests.text_grams(body text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(body, i, n)), '{}')
    FROM generate_series(1, char_length(body)) AS i, (VALUES (1), (2), (3)) AS sizes(n)
    WHERE i + n - 1 <= char_length(body)
$$
"""


def upgrade() -> None:
    op.drop_index('ix_service_request_description_grams', table_name='service_request', schema='requests')
    op.execute('DROP FUNCTION requests.text_grams(text)')
    op.execute(
        'CREATE INDEX ix_service_request_description_characters ON requests.service_request '
        'USING gin (string_to_array(description, NULL))'
    )
    op.execute(
        'CREATE INDEX ix_service_request_description_trgm ON requests.service_request '
        'USING gin (description public.gin_trgm_ops)'
    )


def downgrade() -> None:
    op.drop_index('ix_service_request_description_trgm', table_name='service_request', schema='requests')
    op.drop_index('ix_service_request_description_characters', table_name='service_request', schema='requests')
    op.execute(GRAMS)
    op.create_index(
        'ix_service_request_description_grams',
        'service_request',
        [sa.text('requests.text_grams(description)')],
        schema='requests',
        postgresql_using='gin',
    )
