"""Standard Webhooks secrets and signatures: `whsec_` secrets, rotated with a 24-hour overlap."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Sequence

from standardwebhooks import Webhook

ROTATION_OVERLAP = dt.timedelta(hours=24)


def new_secret() -> str:
    """A fresh `whsec_` signing secret (24 random bytes, base64)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def signature_header(message_id: str, timestamp: dt.datetime, body: bytes, secrets_: Sequence[str]) -> str:
    """`webhook-signature`: one `v1,<base64>` per active secret, space separated."""
    data = body.decode()
    return " ".join(Webhook(secret).sign(message_id, timestamp, data) for secret in secrets_)
