"""How an owed message (a row of the outbox) reaches a person or a shared channel.

The scheduler hands each due message to the delivery channels in turn (Slack, Teams, then the
log); the first that can reach the recipient sends it. A channel plugs in by implementing
`Deliverer`. Temporary failures (HTTP 429, 5xx, time-outs) raise `DeliveryFailed` with the
wait the platform asked for; the scheduler retries with backoff and parks a message that keeps
failing, so nothing is silently dropped.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, Field

ButtonAction = Literal["done", "snooze_day", "snooze_week", "open"]


class NoticeButton(BaseModel):
    """A button under a nudge. `value` says what it acts on (e.g. `check:12`, `visit:AP-7K3Q`)."""

    action: ButtonAction
    label: str
    value: str


class Recipient(BaseModel):
    """Who a notice is for: a person (with their chat identities) or a shared channel."""

    person_id: int | None = None
    name: str | None = None
    email: str | None = None
    slack_user_id: str | None = None
    # The Slack workspace of that user, or whose bot posts in the channel (many workspaces).
    slack_team_id: str | None = None
    teams_aad_object_id: str | None = None
    # A shared channel: its platform (`slack`, `teams`) and the platform's id for it.
    channel_platform: str | None = None
    channel_external_id: str | None = None

    @property
    def is_channel(self) -> bool:
        return self.channel_external_id is not None


class Notice(BaseModel):
    """One outbox message, ready to send."""

    outbox_id: int
    key: str
    kind: str
    text: str
    recipient: Recipient
    placement_reference: str | None = None
    buttons: list[NoticeButton] = Field(default_factory=list)
    # Block Kit / Adaptive Card-friendly structured content (e.g. a digest's sections).
    sections: list[dict[str, object]] = Field(default_factory=list)


class DeliveryFailed(Exception):
    """Sending failed. `retry_after` is the wait the platform asked for (seconds), if any;
    `permanent` means retrying will not help (e.g. the user left the workspace)."""

    def __init__(self, reason: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent


class Deliverer(Protocol):
    """A channel that can send notices (Slack, Teams, the log)."""

    platform: str

    async def can_reach(self, recipient: Recipient) -> bool:
        """Whether this channel knows how to reach the recipient."""
        ...

    async def send(self, notice: Notice) -> None:
        """Send it, or raise DeliveryFailed."""
        ...
