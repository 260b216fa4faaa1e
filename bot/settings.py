"""Every setting of the bot, in one place, read from the environment (and a `.env` file)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/apsafeguard.db"


class Settings(BaseSettings):
    """Settings by their conventional names (`DATABASE_URL`, `PORT`, `SLACK_BOT_TOKEN`, ...)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        populate_by_name=True,
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL. SQLite file by default; postgresql://... for scale.",
    )
    migration_database_url: str | None = Field(
        default=None,
        description=(
            "URL `apbot migrate` connects with: on PostgreSQL the role that owns the tables "
            "(DATABASE_URL is then the bot's own, restricted role). Unset: DATABASE_URL."
        ),
    )
    database_app_role: str | None = Field(
        default=None,
        description=(
            "PostgreSQL role the bot runs as: `apbot migrate` grants it what the bot needs "
            "(only INSERT and SELECT on the audit log). Unset: no grants are made."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=3978, description="Port the server listens on.")
    log_level: str = Field(default="INFO")
    time_zone: str = Field(default="Europe/London", description="Schools' time zone.")
    reports_dir: str = Field(
        default="./data/reports", description="Where the terminal saves reports and exports."
    )
    exports_keep_hours: float = Field(
        default=24,
        gt=0,
        description="Hours the terminal's reports and exports are kept before they are removed.",
    )
    retention_attendance_years: int = Field(
        default=6, ge=1, description="Years attendance records are kept."
    )
    retention_safeguarding_years: int = Field(
        default=25,
        ge=1,
        description="Years a placement's safeguarding records are kept after it ends (school policy).",
    )
    public_base_url: str | None = Field(
        default=None, description="The public https address, shown in set-up hints."
    )

    encryption_keys: SecretStr | None = Field(
        default=None,
        description=(
            "Comma-separated Fernet keys for pupils' names and safeguarding text; the first "
            "encrypts. Unset with the embedded SQLite default: a key file beside the database."
        ),
    )

    # The scheduler (nudges and digests). Times are school wall-clock times, Europe/London.
    digest_time: dt.time = Field(
        default=dt.time(8, 0), description="When the daily digest goes out on school days."
    )
    reminder_time: dt.time = Field(
        default=dt.time(8, 30), description="When the day's reminders go out on school days."
    )
    reminder_prepare_at: dt.time = Field(
        default=dt.time(6, 0),
        description=(
            "When the day's reminders are prepared ahead (held, and only what changed since "
            "reconciled at REMINDER_TIME); at or after REMINDER_TIME: not prepared, the day "
            "swept whole at REMINDER_TIME."
        ),
    )
    register_prompt_time: dt.time = Field(
        default=dt.time(9, 0),
        description="When providers are asked to take the register (sooner for an early deadline).",
    )
    audit_check_time: dt.time = Field(
        default=dt.time(6, 0),
        description="When the audit log's hash chain is checked, every day (admins alerted on a break).",
    )
    scheduler_enabled: bool = Field(
        default=True, description="Run the scheduler in the background of `apbot serve`."
    )
    scheduler_interval_seconds: float = Field(default=60.0, gt=0)
    reminder_sweep_parts: int = Field(
        default=1,
        ge=1,
        le=1000,
        description=(
            "PostgreSQL: the parts (sets of LAs) the day's reminders are swept in, shared by "
            "the instances running the scheduler (the same on every instance; 1: the whole "
            "day by one instance). Worth 4 or so only with CPUs to spare. SQLite: always 1."
        ),
    )
    durable_inbound: bool = Field(
        default=True,
        description=(
            "Keep each delivery in the database before acknowledging it, so a killed process "
            "loses nothing acknowledged (false: the turn is held in memory only, as before)."
        ),
    )
    serve_runs_turns: bool = Field(
        default=True,
        description=(
            "`apbot serve` runs the turns it acknowledges (false, on PostgreSQL: it only "
            "acknowledges, and `apbot worker` processes run the turns)."
        ),
    )
    inbound_lease_seconds: float = Field(
        default=30.0, gt=0, description="How long a worker holds a turn before another may take it."
    )
    inbound_poll_seconds: float = Field(
        default=0.5, gt=0, description="How often a worker looks for turns others acknowledged."
    )
    instance_name: str | None = Field(
        default=None, description="This instance's name in the outbox (default: host and pid)."
    )

    # Slack (issue: Slack channel). Unset means Slack is off.
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_team_id: str | None = Field(
        default=None,
        description=(
            "The Slack workspace (T...) whose requests are accepted; unset: the workspace the "
            "bot token belongs to (auth.test). Requests from any other workspace are refused."
        ),
    )
    slack_enterprise_id: str | None = Field(
        default=None,
        description="The Enterprise Grid organisation (E...) accepted; unset: auth.test's.",
    )

    # Slack in many workspaces (docs/slack-setup.md, "OAuth"): with both set, each workspace
    # installs the app with "Add to Slack" (/slack/install) and SLACK_BOT_TOKEN is not used.
    slack_client_id: str | None = Field(
        default=None, description="The app's Client ID (Basic Information > App Credentials)."
    )
    slack_client_secret: SecretStr | None = Field(
        default=None, description="The app's Client Secret (Basic Information > App Credentials)."
    )

    # Microsoft Teams / Bot Framework (docs/teams-setup.md). Teams is served with an app id, or
    # for a local trial (the Agents Playground) on a loopback HOST; otherwise it is off.
    microsoft_app_id: str | None = Field(default=None, alias="MicrosoftAppId")
    microsoft_app_password: SecretStr | None = Field(default=None, alias="MicrosoftAppPassword")
    microsoft_app_type: str = Field(
        default="SingleTenant",
        alias="MicrosoftAppType",
        description="SingleTenant (needs MicrosoftAppTenantId); UserAssignedMSI, a user-assigned "
        "managed identity (MicrosoftAppId is its client id; needs MicrosoftAppTenantId, no "
        "password); or MultiTenant for a registration made before July 2025 (needs "
        "TEAMS_ALLOWED_TENANTS).",
    )
    microsoft_app_tenant_id: str | None = Field(default=None, alias="MicrosoftAppTenantId")
    teams_allowed_tenants: str = Field(
        default="",
        description="Comma-separated Microsoft 365 tenant ids let in besides those mapped to "
        "organisations (`apbot tenants link`); default: the app's own tenant, "
        "MicrosoftAppTenantId. While no tenant is mapped (the quick start), everyone in these "
        "tenants is matched by user principal name; once tenants are mapped, only whoever runs "
        "the bot (a person with no organisation) is recognised here unless it is mapped too.",
    )
    teams_local_trial: bool = Field(
        default=False,
        description="Without an app id, serve /api/messages to callers on this machine only "
        "(Microsoft 365 Agents Playground); only on a loopback HOST. On in `make run`.",
    )

    def slack_oauth(self) -> bool:
        """Whether Slack serves many workspaces, each installed through OAuth."""
        return bool(self.slack_client_id and self.slack_client_secret)

    def allowed_teams_tenants(self) -> frozenset[str]:
        """The tenant ids allowed in: TEAMS_ALLOWED_TENANTS, or else the app's own tenant."""
        listed = {t.strip().lower() for t in self.teams_allowed_tenants.split(",") if t.strip()}
        if not listed and self.microsoft_app_tenant_id:
            listed = {self.microsoft_app_tenant_id.strip().lower()}
        return frozenset(listed)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (read once)."""
    return Settings()
