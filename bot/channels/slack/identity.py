"""Who is who: a Slack user is a person of ours by the email on their Slack profile
(`users.info`, checked once and then remembered), or because an admin linked them with
`/ap link @user email`. Anyone else is told politely how to get access, and nothing else.

Only a member of the installed workspace is linked by profile email: a guest from another
workspace in a shared (Slack Connect) channel has an email their own workspace's admin
controls, so an admin of ours links them by hand."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.channels.slack import wording
from bot.channels.slack.channel import CHANNEL, PLATFORM, SlackChannel
from storage.db import retry_when_raced, transaction
from storage.models import Person, Role
from storage.services.audit import Change
from storage.services.directory import find_person_by_email
from storage.services.identity_links import LinkError, link_chat_user, person_by_chat_id

log = logging.getLogger(__name__)

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


async def person_for(slack: SlackChannel, user_id: str) -> Person | None:
    """The active person behind a Slack user, linking them by profile email the first time."""
    async with transaction(slack.runtime.sessions) as session:
        person = await person_by_chat_id(session, PLATFORM, user_id)
        if person is not None:
            return person
    try:
        info = await slack.client.users_info(user=user_id)
    except SlackApiError as error:
        log.info("slack: users.info %s failed: %s", user_id, error.response.get("error"))
        return None
    user = info.get("user") or {}
    email = (user.get("profile") or {}).get("email")
    if not email or user.get("is_bot") or user.get("deleted"):
        return None
    if not _of_our_workspace(slack, user):
        log.info("slack: %s is from another workspace; not linking by email", user_id)
        return None
    return await retry_when_raced(
        lambda: _link_by_email(slack, user_id, str(email)), what=f"slack: linking {user_id}"
    )


def _of_our_workspace(slack: SlackChannel, user: dict[str, Any]) -> bool:
    """Whether a `users.info` user belongs to the workspace the bot is installed in."""
    ours = slack.workspace
    if ours is None:
        return False
    enterprise = (user.get("enterprise_user") or {}).get("enterprise_id")
    if ours.enterprise_id is not None and enterprise == ours.enterprise_id:
        return True  # a member of the same Enterprise Grid organisation
    return bool(user.get("team_id") == ours.team_id)


async def _link_by_email(slack: SlackChannel, user_id: str, email: str) -> Person | None:
    async with transaction(slack.runtime.sessions) as session:
        person = await person_by_chat_id(session, PLATFORM, user_id)
        if person is not None:  # linked meanwhile by a request that arrived at the same time
            return person
        person = await find_person_by_email(session, email)
        if person is None or not person.active:
            return None
        change = Change(person_id=person.id, channel=CHANNEL, at=slack.runtime.clock.now())
        try:
            return await link_chat_user(
                session, change, person=person, platform=PLATFORM, user_id=user_id
            )
        except LinkError as error:  # e.g. the email's owner is linked to another Slack user
            log.warning("slack: not linking %s by email: %s", user_id, error)
            return None


def parse_user(text: str) -> str | None:
    """A Slack user from `<@U123|name>` (how Slack sends an @mention) or a bare `U123`."""
    text = text.strip()
    mention = MENTION.match(text)
    if mention:
        return mention[1]
    return text if USER_ID.match(text) else None


async def link_user(slack: SlackChannel, admin: Person, args: str) -> str:
    """`/ap link @user email`: an admin links a Slack user to a person. Returns what to say."""
    if admin.role != Role.admin:
        return wording.ADMINS_ONLY
    parts = args.split()
    user_id = parse_user(parts[0]) if len(parts) == 2 else None
    if user_id is None:
        return wording.LINK_USAGE
    email = parts[1].removeprefix("<mailto:").split("|")[0].rstrip(">")
    async with transaction(slack.runtime.sessions) as session:
        person = await find_person_by_email(session, email)
        if person is None:
            return wording.NO_SUCH_PERSON.format(email=email)
        change = Change(person_id=admin.id, channel=CHANNEL, at=slack.runtime.clock.now())
        try:
            await link_chat_user(session, change, person=person, platform=PLATFORM, user_id=user_id)
        except LinkError as error:
            return str(error)
        return wording.LINKED_PERSON.format(user_id=user_id, name=person.name, email=person.email)
