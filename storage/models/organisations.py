"""Schools, AP providers (with their sites) and local authorities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, UtcDateTime, enum_column
from storage.models.enums import OrgKind, RegistrationStatus, SiteKind

DEFAULT_FULL_TIME_HOURS = Decimal("32.5")


class Organisation(Base):
    """A school, an AP provider or a local authority."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind, "org_kind"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    urn: Mapped[str | None] = mapped_column(String(20))
    ukprn: Mapped[str | None] = mapped_column(String(20))
    # The local authority a school or provider sits in (none for an LA itself).
    la_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    registration_status: Mapped[RegistrationStatus | None] = mapped_column(
        enum_column(RegistrationStatus, "registration_status")
    )
    address: Mapped[str | None] = mapped_column(Text)
    # A school's full-time week in hours (the full-time check compares against it).
    full_time_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=DEFAULT_FULL_TIME_HOURS)
    # How often QA visits fall due, in days (default: every half-term, i.e. twice a term).
    qa_interval_days: Mapped[int] = mapped_column(Integer, default=42)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    # Loaded only where asked for (`selectinload(Organisation.sites)`): an organisation comes
    # with nearly every record (a person's, a placement's commissioner and provider), and
    # loading every one's sites each time cost four queries a dialog turn.
    sites: Mapped[list[Site]] = relationship(
        back_populates="provider", order_by="Site.id", lazy="raise_on_sql"
    )

    @property
    def is_unregistered(self) -> bool:
        return self.registration_status == RegistrationStatus.unregistered


class Site(Base):
    """One address where a provider teaches pupils: its main site, a satellite site, or a
    subcontracted provider's site (another organisation teaching on the provider's behalf,
    named with its URN if it has one)."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(12))
    kind: Mapped[SiteKind] = mapped_column(
        enum_column(SiteKind, "site_kind"), default=SiteKind.main
    )
    subcontractor_name: Mapped[str | None] = mapped_column(String(200))
    subcontractor_urn: Mapped[str | None] = mapped_column(String(20))
    # Who to ring at this address (where is the child now? is answered with it).
    phone: Mapped[str | None] = mapped_column(String(40))

    provider: Mapped[Organisation] = relationship(back_populates="sites")
