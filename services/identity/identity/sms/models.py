"""One live code per phone, with the send counters the limits are enforced on."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, LargeBinary, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from identity.database import Base

# Fixed by the issue and held by the table's checks, so they are constants, not settings.
MAX_WRONG_TRIES = 5
DAILY_SENDS = 10


class SmsChallenge(Base):
    """The phone's latest code (a new send replaces it) and how often codes went to the phone.

    `code_digest` is an HMAC of phone and code under a key derived from the service's secret: six
    digits are a million guesses, so a plain hash in a database copy would give every code away.
    """

    __tablename__ = "sms_challenge"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    code_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    wrong_tries: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    consumed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # the Asia/Shanghai day of the sends counted in `sent_that_day`
    sent_on: Mapped[dt.date] = mapped_column(Date)
    sent_that_day: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        CheckConstraint(f"wrong_tries BETWEEN 0 AND {MAX_WRONG_TRIES}", name="wrong_tries"),
        CheckConstraint(f"sent_that_day BETWEEN 1 AND {DAILY_SENDS}", name="sent_that_day"),
    )
