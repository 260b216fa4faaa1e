"""What the bot says in Teams beyond the dialogs' own words (card buttons and notes), in one place."""

from __future__ import annotations

SEND = "Send"
SKIP = "Skip"
YES = "Yes"
NO = "No"
SAVE = "Yes, save"
BACK = "Back"
CANCEL = "Cancel"
OR_TYPE = "Or type your answer."
DATE_HINT = "Or type a date: 27/11/2026, today, tomorrow, or a weekday."
# A weekday in a question about what happened is the last one; in a plan, the next one.
DATE_HINTS = {
    "happened": "Or type a date: 27/11/2026, today, yesterday, or a weekday (tue: the last one).",
    "planned": "Or type a date: 27/11/2026, today, tomorrow, or a weekday (tue: the next one).",
}
TIME_HINT = "Or type a 24-hour time, e.g. 09:30."
MULTI_HINT = "Pick any (or type them, separated by commas)."
BLANK_FOR = "Leave blank for {default}."
OPTIONAL = "Optional: leave blank or press Skip."

ANSWERED = "✓ Answered."
NOT_ACCEPTED = "✗ Not accepted: see the reply below."
CLOSED = "This question is closed."
NOT_YOUR_CARD = (
    "That card belongs to someone else's conversation, so I left it alone. "
    "To start your own, @mention me with a command (e.g. help)."
)

WELCOME = (
    "Hello {name}, I'm AP Safeguard. I help your school keep Alternative Provision placements "
    "safe: type help to see what you can do."
)
FILES_ONLY_IN_PERSONAL_CHAT = (
    "Files are sent only in your personal chat with me, where no one else can read them. "
    "Ask me there."
)
FILE_DESCRIPTION = "{name}, from AP Safeguard. Accept to save it to your OneDrive."
FILE_DECLINED = "Not sent: {name}. Ask again whenever you need it."
FILE_GONE = "That file has already been sent, or was offered more than a day ago. Ask again."
FILE_UPLOAD_FAILED = "I couldn't save the file to your OneDrive. Please ask for it again."

# Who may use the bot in Teams (identity.py, channel.py).
ORGANISATION_NOT_SET_UP = (
    "Sorry, your organisation isn't set up to use AP Safeguard in Teams. If you think it should "
    "be, ask whoever runs AP Safeguard for your local authority."
)
LINK_REFUSED = (
    "I couldn't match your Teams account to your AP Safeguard record, because that record is "
    "already linked to a different Teams account. Nothing was changed; the admin has been told "
    "and will sort it out."
)

# The start-up banner and log (routes.py).
TEAMS_ON = (
    "on at {url} (Bot Framework tokens checked; {tenants} tenant(s) listed in "
    "TEAMS_ALLOWED_TENANTS, and those mapped to organisations: apbot tenants list)"
)
TEAMS_LOCAL_TRIAL = (
    "local trial at {url}: no app id, so it answers only requests from this machine "
    "(Microsoft 365 Agents Playground)"
)
TEAMS_OFF = (
    "off (no MicrosoftAppId; TEAMS_LOCAL_TRIAL=true on a loopback HOST serves it to the "
    "Agents Playground on this machine)"
)
TEAMS_OFF_PUBLIC = (
    "off: HOST is {host}, not a loopback address, and MicrosoftAppId is not set, so nobody's "
    "Teams token could be checked. Set MicrosoftAppId (docs/teams-setup.md) to serve Teams."
)
UNKNOWN_APP_TYPE = (
    "Refusing to start: MicrosoftAppType is {app_type!r}; use SingleTenant (with "
    "MicrosoftAppTenantId), UserAssignedMSI (a user-assigned managed identity, with "
    "MicrosoftAppTenantId), or MultiTenant (an existing registration, with "
    "TEAMS_ALLOWED_TENANTS). See docs/teams-setup.md."
)
NO_APP_PASSWORD = (
    "Refusing to start: MicrosoftAppId is set but MicrosoftAppPassword is not. Give the bot's "
    "client secret (docs/teams-setup.md)."
)
ONE_TENANT_NEEDS_TENANT = (
    "Refusing to start: MicrosoftAppType is {app_type} (SingleTenant is the default) but "
    "MicrosoftAppTenantId is not set. Give the tenant id the bot is registered in "
    "(docs/teams-setup.md)."
)
MULTI_TENANT_NEEDS_TENANTS = (
    "Refusing to start: a MultiTenant bot needs TEAMS_ALLOWED_TENANTS, the tenant ids whose "
    "people may use it; otherwise anyone in any Microsoft 365 organisation could write to it "
    "(docs/teams-setup.md)."
)
