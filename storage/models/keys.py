"""A known value encrypted under the current key, so the bot can tell at start and in
`/healthz` whether its key opens what the database holds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from storage.crypto import EncryptedText
from storage.models.base import Base, UtcDateTime


class KeyCanary(Base):
    """One row (id 1): a fixed text encrypted like every sealed field, so `apbot rotate-key`
    re-encrypts it with the rest."""

    __tablename__ = "key_canary"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
