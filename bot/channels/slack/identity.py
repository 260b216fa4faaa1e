"""Who is who: a Slack user is a person of ours by the email on their Slack profile
(`users.info`, checked once and then remembered), or because an admin linked them with
`/ap link @user email`. Anyone else is told politely how to get access, and nothing else.

Only a member of the installed workspace is linked by profile email: a guest from another
workspace in a shared (Slack Connect) channel has an email their own workspace's admin
controls, so an admin of ours links them by hand.

With many workspaces (OAuth), the workspace a request comes from (its sender's team, or Grid
organisation) must be mapped to organisations (`apbot workspaces link`), and a Slack user is a
person of ours only if that person's organisation is one of them (a person of no organisation,
a deployment's admin, from any mapped workspace). So a provider's member of staff writing from
the provider's own workspace, in a Slack Connect channel a school's workspace hosts, is
recognised through the provider's mapping; anyone from an unmapped workspace gets the "ask your
admin" answer, logged by workspace id only."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.channels.slack import wording
from bot.channels.slack.channel import CHANNEL, PLATFORM, SlackChannel, request_workspace
from storage.db import retry_when_raced, transaction
from storage.models import Person, Role
from storage.services.audit import Change
from storage.services.directory import find_person_by_email
from storage.services.identity_links import LinkError, link_chat_user, person_by_chat_id
from storage.services.workspaces import organisations_for

log = logging.getLogger(__name__)

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


async def person_for(slack: SlackChannel, user_id: str) -> Person | None:
    """The active person behind a Slack user, linking them by profile email the first time."""
    if slack.installations is not None:
        return await _person_in_mapped_workspace(slack, user_id)
    async with transaction(slack.runtime.sessions) as session:
        person = await person_by_chat_id(session, PLATFORM, user_id)
        if person is not None:
            return person
    user = await _profile(slack, user_id)
    if user is None:
        return None
    if not _of_our_workspace(slack, user):
        log.info("slack: %s is from another workspace; not linking by email", user_id)
        return None
    email = str((user.get("profile") or {}).get("email"))
    return await retry_when_raced(
        lambda: _link_by_email(slack, user_id, email), what=f"slack: linking {user_id}"
    )


async def _profile(slack: SlackChannel, user_id: str) -> dict[str, Any] | None:
    """The user's `users.info`, if they are a person (not a bot, not deleted) with an email."""
    try:
        info = await slack.client.users_info(user=user_id)
    except SlackApiError as error:
        log.info("slack: users.info %s failed: %s", user_id, error.response.get("error"))
        return None
    user: dict[str, Any] = info.get("user") or {}
    email = (user.get("profile") or {}).get("email")
    if not email or user.get("is_bot") or user.get("deleted"):
        return None
    return user


def _in_organisations(person: Person, organisations: set[int]) -> bool:
    """Whether the person may be recognised from a workspace mapped to `organisations`."""
    return person.organisation_id is None or person.organisation_id in organisations


async def _person_in_mapped_workspace(slack: SlackChannel, user_id: str) -> Person | None:
    """`person_for` with many workspaces: only within the organisations the sender's
    workspace is mapped to."""
    found = request_workspace()
    if found is None:
        log.warning("slack: a request's workspace is not known; nobody recognised")
        return None
    workspace = ",".join(found.actor_ids) or "?"
    async with transaction(slack.runtime.sessions) as session:
        organisations = await organisations_for(
            session, platform="slack", external_ids=found.actor_ids
        )
        person = await person_by_chat_id(session, PLATFORM, user_id)
    if not organisations:
        log.info("slack: a request from workspace %s, mapped to no organisation", workspace)
        return None
    if person is not None:
        if not _in_organisations(person, organisations):
            log.info(
                "slack: %s wrote from workspace %s, not mapped to their organisation",
                user_id,
                workspace,
            )
            return None
        if found.actor_team_id and person.slack_team_id != found.actor_team_id:
            await retry_when_raced(
                lambda: _link_by_email(
                    slack, user_id, person.email, team_id=found.actor_team_id, again=True
                ),
                what=f"slack: noting the workspace of {user_id}",
            )
        return person
    user = await _profile(slack, user_id)
    if user is None:
        return None
    enterprise = (user.get("enterprise_user") or {}).get("enterprise_id")
    if user.get("team_id") not in found.actor_ids and enterprise not in found.actor_ids:
        log.info(
            "slack: %s is not a member of workspace %s; not linking by email", user_id, workspace
        )
        return None
    email = str((user.get("profile") or {}).get("email"))
    linked = await retry_when_raced(
        lambda: _link_by_email(
            slack, user_id, email, team_id=str(user.get("team_id") or found.actor_team_id or "")
        ),
        what=f"slack: linking {user_id}",
    )
    if linked is not None and not _in_organisations(linked, organisations):
        log.info(
            "slack: %s wrote from workspace %s, not mapped to their organisation",
            user_id,
            workspace,
        )
        return None
    return linked


def _of_our_workspace(slack: SlackChannel, user: dict[str, Any]) -> bool:
    """Whether a `users.info` user belongs to the workspace the bot is installed in."""
    ours = slack.workspace
    if ours is None:
        return False
    enterprise = (user.get("enterprise_user") or {}).get("enterprise_id")
    if ours.enterprise_id is not None and enterprise == ours.enterprise_id:
        return True  # a member of the same Enterprise Grid organisation
    return bool(user.get("team_id") == ours.team_id)


async def _link_by_email(
    slack: SlackChannel,
    user_id: str,
    email: str,
    *,
    team_id: str | None = None,
    again: bool = False,
) -> Person | None:
    """Link the Slack user (of workspace `team_id`, when known) to the person with this email;
    `again`: they are linked already, and only their workspace is noted."""
    async with transaction(slack.runtime.sessions) as session:
        person = await person_by_chat_id(session, PLATFORM, user_id)
        if person is not None and not again:  # linked meanwhile by a request at the same time
            return person
        person = await find_person_by_email(session, email)
        if person is None or not person.active:
            return None
        change = Change(person_id=person.id, channel=CHANNEL, at=slack.runtime.clock.now())
        try:
            return await link_chat_user(
                session,
                change,
                person=person,
                platform=PLATFORM,
                user_id=user_id,
                slack_team_id=team_id or None,
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
