"""Slack in many workspaces: where each workspace's installation of the app is kept, and which
installation (so which bot token) a request is answered with.

- **Stores.** slack_sdk's own async SQLAlchemy stores, on our database and our tables
  (`storage/models/slack_installations.py`, made by our migrations, never `create_all`): the
  tables there seal every token at rest, so a token is encrypted as it is written and opened as
  it is read, and the stores see only plain tokens. A state is consumed with one DELETE, so
  two callbacks racing with the same state cannot both install.
- **Authorize.** Every request is answered with the bot token of the installation bolt reads
  from the request (its team, or for an event in a Slack Connect channel its
  `authorizations[0]`): `StoredBotAuthorize`, from the stored bot, without a call to Slack.
- **Turns.** A kept turn may run in another process (`apbot worker`) after the
  acknowledgement, so its workspace is read again from the stored request
  (`Installations.request_workspace`): the installation it came through (whose token posts the
  replies, in a DM or a shared channel it reached us from) and the workspace of the person
  who sent it (whose organisations they must belong to: `identity.py`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.internals import (
    extract_actor_enterprise_id,
    extract_actor_team_id,
    extract_enterprise_id,
    extract_is_enterprise_install,
    extract_team_id,
)
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import MetaData, Table, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import slack_bots, slack_installations, slack_oauth_states

log = logging.getLogger(__name__)

# How long an install may take between "Add to Slack" and Slack's redirect back.
STATE_EXPIRES_SECONDS = 600


class SealedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's store, on our `slack_installations` and `slack_bots` (tokens sealed)."""

    @classmethod
    def build_installations_table(cls, metadata: MetaData, table_name: str) -> Table:
        return slack_installations

    @classmethod
    def build_bots_table(cls, metadata: MetaData, table_name: str) -> Table:
        return slack_bots

    async def create_tables(self) -> None:
        raise NotImplementedError("the tables are made by `apbot migrate`")


class OAuthStates(AsyncSQLAlchemyOAuthStateStore):
    """slack_sdk's state store, on our `slack_oauth_states`; a state is used at most once."""

    @classmethod
    def build_oauth_states_table(cls, metadata: MetaData, table_name: str) -> Table:
        return slack_oauth_states

    async def create_tables(self) -> None:
        raise NotImplementedError("the tables are made by `apbot migrate`")

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state; the expired ones (installs begun and never finished) go first."""
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        async with self.engine.begin() as connection:
            await connection.execute(
                delete(slack_oauth_states).where(slack_oauth_states.c.expire_at <= now)
            )
        state: str = await super().async_issue(*args, **kwargs)
        return state

    async def async_consume(self, state: str) -> bool:
        """Whether `state` was issued here, has not expired, and was not used before: deleted in
        the same statement that finds it (no window for a second callback with it)."""
        if not state:
            return False
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        c = slack_oauth_states.c
        async with self.engine.begin() as connection:
            gone = await connection.execute(
                delete(slack_oauth_states).where(and_(c.state == state, c.expire_at > now))
            )
        return bool(gone.rowcount)


@dataclass(frozen=True)
class RequestWorkspace:
    """Where a request came from: the installation it reached us through (`client` holds its
    bot token) and the workspace (team, Grid organisation) of the person who sent it, which
    differs from the installation's in a Slack Connect channel shared across organisations."""

    client: AsyncWebClient
    team_id: str | None
    enterprise_id: str | None
    actor_team_id: str | None
    actor_enterprise_id: str | None

    @property
    def actor_ids(self) -> list[str]:
        """The sender's workspace ids, as the workspace mapping knows them."""
        return [i for i in (self.actor_team_id, self.actor_enterprise_id) if i]


def actor_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The workspace (team, Grid organisation) of the person who sent a request: an event's
    `user_team` in a shared channel, a click's `user.team_id`, a command's `team_id`."""
    user = body.get("user")
    if isinstance(user, dict) and user.get("team_id"):
        return str(user["team_id"]), extract_enterprise_id(body)
    return extract_actor_team_id(body), extract_actor_enterprise_id(body)


class Installations:
    """The app's installations, one per workspace that added it (OAuth mode)."""

    def __init__(self, *, client_id: str, engine: AsyncEngine, base_client: AsyncWebClient):
        self.store = SealedInstallationStore(client_id=client_id, engine=engine, logger=log)
        self.states = OAuthStates(
            expiration_seconds=STATE_EXPIRES_SECONDS, engine=engine, logger=log
        )
        self.client_id = client_id
        self.engine = engine
        self.base_client = base_client

    async def bot(
        self, *, team_id: str | None, enterprise_id: str | None, enterprise_install: bool = False
    ) -> Bot | None:
        """The installed bot of a workspace (or of a Grid organisation, installed org-wide)."""
        if not team_id and not enterprise_id:
            return None
        return await self.store.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=enterprise_install,
        )

    async def bot_for_team(self, team_id: str) -> Bot | None:
        """The installed bot that can reach a member of this workspace (for a message the bot
        sends on its own: we know the person's team, not their Grid organisation)."""
        c = slack_bots.c
        query = (
            select(slack_bots)
            .where(c.client_id == self.client_id, c.team_id == team_id, c.bot_token.is_not(None))
            .order_by(c.installed_at.desc())
            .limit(1)
        )
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        return None if row is None else SQLAlchemyInstallationStore.build_bot_entity(row)

    def client_with(self, token: str) -> AsyncWebClient:
        """A Web API client with one workspace's token, sharing the process's HTTP session,
        address and rate-limit handling."""
        base = self.base_client
        return AsyncWebClient(
            token=token,
            base_url=base.base_url,
            session=base.session,
            timeout=base.timeout,
            retry_handlers=base.retry_handlers,
        )

    async def request_workspace(self, body: dict[str, Any]) -> RequestWorkspace | None:
        """The installation a kept request came through, with its token, and its sender's
        workspace; None when that workspace has no installation any more."""
        team_id = extract_team_id(body)
        enterprise_id = extract_enterprise_id(body)
        found = await self.bot(
            team_id=team_id,
            enterprise_id=enterprise_id,
            enterprise_install=bool(extract_is_enterprise_install(body)),
        )
        if found is None or not found.bot_token:
            return None
        actor_team, actor_enterprise = actor_of(body)
        return RequestWorkspace(
            client=self.client_with(found.bot_token),
            team_id=team_id,
            enterprise_id=enterprise_id,
            actor_team_id=actor_team or team_id,
            actor_enterprise_id=actor_enterprise if actor_team else enterprise_id,
        )

    async def forget(self, *, team_id: str | None, enterprise_id: str | None) -> int:
        """Delete a workspace's installations and bots (its tokens); how many rows went."""
        removed = 0
        async with self.engine.begin() as connection:
            for table in (slack_installations, slack_bots):
                c = table.c
                whose = (
                    c.team_id == team_id
                    if team_id
                    else and_(c.team_id.is_(None), c.enterprise_id == enterprise_id)
                )
                gone = await connection.execute(
                    delete(table).where(c.client_id == self.client_id, whose)
                )
                removed += gone.rowcount or 0
        return removed

    async def names(self, team_ids: Sequence[str]) -> dict[str, str]:
        """The workspaces' names as Slack gave them at install, by team id."""
        if not team_ids:
            return {}
        c = slack_bots.c
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                select(c.team_id, c.team_name).where(or_(*(c.team_id == team for team in team_ids)))
            )
            return {str(team): str(name or "") for team, name in rows.all()}


class StoredBotAuthorize(AsyncAuthorize):
    """bolt's authorize for many workspaces: the stored bot of the request's installation, with
    no call to Slack (bolt's own would call `auth.test` on every request)."""

    def __init__(self, installations: Installations) -> None:
        super().__init__()
        self.installations = installations

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        bot = await self.installations.bot(
            team_id=team_id,
            enterprise_id=enterprise_id,
            enterprise_install=bool(context.is_enterprise_install),
        )
        if bot is None or not bot.bot_token:
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            team=bot.team_name,
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )
