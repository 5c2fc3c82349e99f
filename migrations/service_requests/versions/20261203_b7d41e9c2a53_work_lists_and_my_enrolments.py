"""Staff work lists and residents' enrolments: a gram index for `q` over request descriptions, and
a person's enrolments by subject

Revision ID: b7d41e9c2a53
Revises: d3f8b1a6c29e
Create Date: 2026-12-03 14:10:00

`q` on `GET /v1/service-requests` finds Chinese fragments of one character and more, as the
registry's enterprise search does: a GIN index over every character, character pair and trigram of
the description (`requests.text_grams`), LIKE as the exact check (pg_trgm's trigrams cannot serve
one- and two-character fragments, which most Chinese searches are). `ix_enrollment_subject_created`
serves "my enrolments".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7d41e9c2a53'
down_revision: str | None = 'd3f8b1a6c29e'
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
    op.execute(GRAMS)
    op.create_index(
        'ix_service_request_description_grams',
        'service_request',
        [sa.text('requests.text_grams(description)')],
        schema='requests',
        postgresql_using='gin',
    )
    op.create_index(
        'ix_enrollment_subject_created', 'enrollment', ['subject', 'created_at', 'id'], schema='requests'
    )


def downgrade() -> None:
    op.drop_index('ix_enrollment_subject_created', table_name='enrollment', schema='requests')
    op.drop_index('ix_service_request_description_grams', table_name='service_request', schema='requests')
    op.execute('DROP FUNCTION requests.text_grams(text)')
