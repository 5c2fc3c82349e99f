"""The description search by an index of its characters, built by a C function

Revision ID: c5e8f2a1d947
Revises: b7d41e9c2a53
Create Date: 2026-12-04 18:30:00

`requests.text_grams` (a SQL function over every 1-3 character gram) made each submission spend
about 0.5 ms of PostgreSQL CPU on the index, three times the rest of the insert (docs/benchmarks.md,
issue 23). This index holds the description's characters (`string_to_array(description, NULL)`,
built-in C): a fragment's text must hold each of its characters, and LIKE is the exact check.
Measured on the requests bench (PostgreSQL CPU per submission through the gateway): no index
0.19 ms, this index 0.21, pg_trgm's `gin_trgm_ops` alone 0.23, both 0.51, the grams 0.64-0.70.
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


def downgrade() -> None:
    op.drop_index('ix_service_request_description_characters', table_name='service_request', schema='requests')
    op.execute(GRAMS)
    op.create_index(
        'ix_service_request_description_grams',
        'service_request',
        [sa.text('requests.text_grams(description)')],
        schema='requests',
        postgresql_using='gin',
    )
