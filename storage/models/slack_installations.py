"""The Slack app's installations, one per workspace (or Enterprise Grid organisation) that
clicked "Add to Slack": the tables slack_sdk's SQLAlchemy stores read and write
(`bot/channels/slack/installations.py`), declared here so that our migrations make them and
every token is sealed at rest like a pupil's name.

The columns are slack_sdk 3.x's own (`SQLAlchemyInstallationStore.build_installations_table`,
`build_bots_table`, `SQLAlchemyOAuthStateStore.build_oauth_states_table`), except that every
token and webhook URL is `EncryptedText`: a leaked database copy gives no one the power to post
as the bot. Times are naive UTC, as slack_sdk writes them.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table, func

from storage.crypto import EncryptedText
from storage.models.base import Base

SLACK_INSTALLATIONS = "slack_installations"
SLACK_BOTS = "slack_bots"
SLACK_OAUTH_STATES = "slack_oauth_states"

slack_installations = Table(
    SLACK_INSTALLATIONS,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", EncryptedText),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", EncryptedText),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", EncryptedText),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", EncryptedText),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", EncryptedText),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(
        f"{SLACK_INSTALLATIONS}_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

slack_bots = Table(
    SLACK_BOTS,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", EncryptedText),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", EncryptedText),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(f"{SLACK_BOTS}_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

# A state is a one-time random value that ties Slack's redirect back to the install that began
# here (it proves nothing once consumed, and expires in minutes): kept in clear.
slack_oauth_states = Table(
    SLACK_OAUTH_STATES,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
