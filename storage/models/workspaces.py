"""Which organisations' people use a Slack workspace or a Microsoft 365 tenant.

One deployment serves a whole local authority: each school and each provider has its own Slack
workspace or Microsoft 365 tenant. An admin maps each one to the organisation(s) whose people
use it (a trust's schools may share one tenant), and people are recognised only within a
workspace or tenant mapped to their own organisation.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, UtcDateTime
from storage.models.organisations import Organisation


class WorkspaceLink(Base):
    """A Slack workspace (team id `T...`, or an Enterprise Grid organisation `E...`) or a
    Microsoft 365 tenant (its id, a GUID, lower-case) used by an organisation's people."""

    __tablename__ = "workspace_links"
    __table_args__ = (
        UniqueConstraint(
            "platform",
            "external_id",
            "organisation_id",
            name="uq_workspace_links_platform_external_id_organisation_id",
        ),
        Index("ix_workspace_links_platform_external_id", "platform", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(10))  # slack or teams
    external_id: Mapped[str] = mapped_column(String(64))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
