"""The description search without an index: the gram index cost every submission more than the
rest of its insert

Revision ID: c5e8f2a1d947
Revises: b7d41e9c2a53
Create Date: 2026-12-04 18:30:00

Every GIN index over the description that was tried made each submission spend about 0.45 ms more
PostgreSQL CPU on the requests bench (0.63-0.70 ms against 0.16-0.19 without; the SQL `text_grams`
function, the characters by `string_to_array`, pg_trgm, and both), which took submissions through
the gateway from 0.45x of the baseline to 0.35x (docs/benchmarks.md, issue 23). `q` is LIKE over
the rows the other filters select, read newest first (docs/service-requests.md).
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


def downgrade() -> None:
    op.execute(GRAMS)
    op.create_index(
        'ix_service_request_description_grams',
        'service_request',
        [sa.text('requests.text_grams(description)')],
        schema='requests',
        postgresql_using='gin',
    )
