"""The Slack app manifest's format, as a typed model, and what our code needs from it: the
slash command, the bot events it listens for, and the scopes the Web API methods it calls
require. A test checks `manifest/slack/manifest.yml` against both."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

COMMAND = "/ap"
BOT_EVENTS = frozenset({"app_home_opened", "message.im", "app_uninstalled", "tokens_revoked"})
# Where Slack sends an installer back to ("Add to Slack", many workspaces; served by app.py).
REDIRECT_PATH = "/slack/oauth_redirect"
# Every Web API method the bot calls, and the bot scope it needs (None: no scope needed).
METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "conversations.open": "im:write",
    "users.info": "users:read",
    "views.publish": None,
}
# Scopes needed for something other than a method call.
OTHER_SCOPES = {
    "commands": "the /ap slash command",
    "im:history": "the message.im event (DMs to the bot)",
    "users:read.email": "the email on a Slack profile (users.info), to know who is who",
}
BOT_SCOPES = frozenset({scope for scope in METHOD_SCOPES.values() if scope} | set(OTHER_SCOPES))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Metadata(_Strict):
    major_version: int = 1
    minor_version: int = 1


class DisplayInformation(_Strict):
    name: str = Field(max_length=35)
    description: str | None = Field(default=None, max_length=140)
    long_description: str | None = Field(default=None, min_length=175, max_length=4000)
    background_color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")


class AppHome(_Strict):
    home_tab_enabled: bool = False
    messages_tab_enabled: bool = False
    messages_tab_read_only_enabled: bool = False


class BotUser(_Strict):
    display_name: str = Field(max_length=80)
    always_online: bool = False


class SlashCommand(_Strict):
    command: str = Field(pattern=r"^/[a-z0-9_\-]+$")
    description: str = Field(max_length=2000)
    url: str | None = None
    usage_hint: str | None = Field(default=None, max_length=1000)
    should_escape: bool = False


class Features(_Strict):
    app_home: AppHome | None = None
    bot_user: BotUser | None = None
    slash_commands: list[SlashCommand] = Field(default_factory=list)


class Scopes(_Strict):
    bot: list[str] = Field(default_factory=list)
    user: list[str] = Field(default_factory=list)


class OAuthConfig(_Strict):
    scopes: Scopes
    redirect_urls: list[str] = Field(default_factory=list)


class EventSubscriptions(_Strict):
    request_url: str | None = None
    bot_events: list[str] = Field(default_factory=list)
    user_events: list[str] = Field(default_factory=list)


class Interactivity(_Strict):
    is_enabled: bool
    request_url: str | None = None
    message_menu_options_url: str | None = None


class AppSettings(_Strict):
    event_subscriptions: EventSubscriptions | None = None
    interactivity: Interactivity | None = None
    org_deploy_enabled: bool = False
    socket_mode_enabled: bool = False
    token_rotation_enabled: bool = False


class Manifest(_Strict):
    """A Slack app manifest (the parts of api.slack.com/reference/manifests we use)."""

    metadata: Metadata | None = Field(default=None, alias="_metadata")
    display_information: DisplayInformation
    features: Features
    oauth_config: OAuthConfig
    settings: AppSettings
