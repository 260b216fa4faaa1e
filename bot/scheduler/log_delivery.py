"""The log channel: when neither Slack nor Teams is set up (`make run`, the demo, scripts), a
notice is written to the log and counts as delivered. The log never carries a pupil's name:
it names the placement by reference and says what kind of notice it was."""

from __future__ import annotations

import logging

from bot.delivery import Notice, Recipient

log = logging.getLogger("apbot.notices")


class LogDeliverer:
    """Reaches everyone, by writing to the log (name-free)."""

    platform = "log"

    def __init__(self, logger: logging.Logger = log) -> None:
        self.logger = logger

    async def can_reach(self, recipient: Recipient) -> bool:
        """Anyone: the log is the channel of last resort when no chat platform is set up."""
        return True

    async def send(self, notice: Notice) -> None:
        """Log the notice by kind, recipient id and placement reference (never its text)."""
        to = (
            f"person {notice.recipient.person_id}"
            if notice.recipient.person_id is not None
            else f"channel {notice.recipient.channel_external_id}"
        )
        self.logger.info(
            "notice %s (%s) to %s%s",
            notice.key,
            notice.kind,
            to,
            f" about {notice.placement_reference}" if notice.placement_reference else "",
        )
