"""`SlackDeliverer`: how an owed message (a nudge, an alert, a digest) reaches a person's DM or
a provider's shared channel in Slack.

A person is reached by their Slack user id (chat.postMessage to a user id opens the DM); a
shared channel by its channel id. The Web API client already retries a 429 after Retry-After;
if Slack still says 429, or fails in a way that may pass, `DeliveryFailed` says so (with the
wait Slack asked for) and the scheduler tries again later. Failures that will not pass (the
user left, the channel was archived) are marked permanent.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack import blocks
from bot.channels.slack.channel import PLATFORM, retry_after_seconds
from bot.delivery import DeliveryFailed, Notice, Recipient

# Slack errors that retrying will not fix.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "user_not_found",
        "user_disabled",
        "account_inactive",
        "cannot_dm_bot",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "missing_scope",
    }
)


class SlackDeliverer:
    """Sends notices through the Slack Web API (implements `bot.delivery.Deliverer`)."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def can_reach(self, recipient: Recipient) -> bool:
        """A person with a Slack user id, or a Slack shared channel."""
        if recipient.is_channel:
            return recipient.channel_platform == PLATFORM
        return bool(recipient.slack_user_id)

    async def send(self, notice: Notice) -> None:
        """Post the notice, or raise DeliveryFailed."""
        recipient = notice.recipient
        target = recipient.channel_external_id if recipient.is_channel else recipient.slack_user_id
        if not target or not await self.can_reach(recipient):
            raise DeliveryFailed("not reachable in Slack", permanent=True)
        try:
            await self.client.chat_postMessage(
                channel=target,
                text=blocks.escape(notice.text)[:3000],
                blocks=blocks.notice_blocks(notice),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            response = error.response
            code = str(response.get("error") or f"HTTP {response.status_code}")
            if response.status_code == 429:
                wait = retry_after_seconds(dict(response.headers))
                raise DeliveryFailed("rate limited by Slack", retry_after=wait) from error
            raise DeliveryFailed(
                f"Slack said {code}", permanent=code in PERMANENT_ERRORS
            ) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryFailed(f"could not reach Slack: {type(error).__name__}") from error
