"""An account's WeChat identity per mini-program, and the app's access token shared by replicas."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from identity.database import Base


class WeChatIdentity(Base):
    """(appid, openid) is the user within one mini-program; `unionid` spans the developer's apps."""

    __tablename__ = "wechat_identity"

    appid: Mapped[str] = mapped_column(String(40), primary_key=True)
    openid: Mapped[str] = mapped_column(String(128), primary_key=True)
    unionid: Mapped[str | None] = mapped_column(String(128), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id"), index=True)
    # replaced at each login; sealed, never returned or logged
    session_key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))


class WeChatAccessToken(Base):
    """The app's client-credential token: one row per appid, refreshed by one replica at a time."""

    __tablename__ = "wechat_access_token"

    appid: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    token_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    refresh_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
