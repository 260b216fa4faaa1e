"""`SlackDeliverer`: how an owed message (a nudge, an alert, a digest) reaches a person's DM or
a provider's shared channel in Slack.

A person is reached by their Slack user id (chat.postMessage to a user id opens the DM); a
shared channel by its channel id. The Web API client already retries a 429 after Retry-After;
if Slack still says 429, or fails in a way that may pass, `DeliveryFailed` says so (with the
wait Slack asked for) and the scheduler tries again later. Failures that will not pass (the
user left, the channel was archived) are marked permanent.

With many workspaces (OAuth) each message goes with the bot token of the recipient's workspace
(the person's Slack team, or the workspace whose bot was in the channel when it was linked);
a recipient whose workspace removed the app cannot be reached in Slack (another channel may).
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack import blocks
from bot.channels.slack.channel import PLATFORM, retry_after_seconds
from bot.channels.slack.installations import Installations
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

    def __init__(self, client: AsyncWebClient, installations: Installations | None = None) -> None:
        self.client = client
        self.installations = installations

    async def can_reach(self, recipient: Recipient) -> bool:
        """A person with a Slack user id, or a Slack shared channel (with many workspaces: in
        a workspace the app is installed in)."""
        if recipient.is_channel:
            reachable = recipient.channel_platform == PLATFORM
        else:
            reachable = bool(recipient.slack_user_id)
        if reachable and self.installations is not None:
            return await self._client_for(recipient) is not None
        return reachable

    async def _client_for(self, recipient: Recipient) -> AsyncWebClient | None:
        """The client to send with: the recipient's workspace's (many workspaces), else ours."""
        if self.installations is None:
            return self.client
        if not recipient.slack_team_id:
            return None
        bot = await self.installations.bot_for_team(recipient.slack_team_id)
        if bot is None or not bot.bot_token:
            return None
        return self.installations.client_with(bot.bot_token)

    async def send(self, notice: Notice) -> None:
        """Post the notice, or raise DeliveryFailed."""
        recipient = notice.recipient
        target = recipient.channel_external_id if recipient.is_channel else recipient.slack_user_id
        client = await self._client_for(recipient)
        if not target or client is None or not await self.can_reach(recipient):
            raise DeliveryFailed("not reachable in Slack", permanent=True)
        try:
            await client.chat_postMessage(
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
