"""People who use the bot, and pupils (who never do)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.crypto import EncryptedText
from storage.models.base import Base, UtcDateTime, enum_column
from storage.models.enums import Role
from storage.models.organisations import Organisation


class Person(Base):
    """A member of staff at a school, provider or LA, or an admin, with their chat identities."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    # The Slack workspace (team id) that user belongs to: messages to them are sent with that
    # workspace's bot token when the app is installed in several (None: the single workspace).
    slack_team_id: Mapped[str | None] = mapped_column(String(32))
    teams_aad_object_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The Microsoft 365 tenant of that Teams user: a Teams user is (tenant, object id). A link
    # with no tenant (made before it was stored) counts only once confirmed (identity_links.py).
    teams_tenant_id: Mapped[str | None] = mapped_column(String(64))
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


class Pupil(Base):
    """A child placed in AP. Their name is never posted in a shared channel."""

    __tablename__ = "pupils"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The school (or LA, for a permanently excluded pupil) responsible for the pupil.
    home_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Names are encrypted at rest (storage/crypto.py); they cannot be searched or sorted in SQL.
    first_name: Mapped[str] = mapped_column(EncryptedText)
    last_name: Mapped[str] = mapped_column(EncryptedText)
    # The name the pupil goes by, if not their legal first name (from the MIS export).
    preferred_name: Mapped[str | None] = mapped_column(EncryptedText)
    # The UPN identifies the child nationally: encrypted too (never looked up in SQL).
    upn: Mapped[str | None] = mapped_column(EncryptedText)
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    year_group: Mapped[int] = mapped_column(Integer)
    fsm_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    ehcp: Mapped[bool] = mapped_column(Boolean, default=False)
    cp_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    cin_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    looked_after: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    home_org: Mapped[Organisation] = relationship(lazy="joined")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def known_as(self) -> str:
        """How staff are told about the pupil in private: the preferred name with the legal
        name beside it ("Jamie (legal name James Smith)"), or the legal name alone."""
        preferred = (self.preferred_name or "").strip()
        if not preferred or preferred in (self.first_name, self.full_name):
            return self.full_name
        return f"{preferred} (legal name {self.full_name})"

    @property
    def initials(self) -> str:
        return f"{self.first_name[:1]}{self.last_name[:1]}".upper()
