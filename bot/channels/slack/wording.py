"""What the bot says in Slack that is about Slack itself (the dialogs keep their own words)."""

from __future__ import annotations

SLACK_OFF = "Slack is off (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to turn it on)"
SLACK_ON_HTTP = "Slack is on: events, /ap and buttons at POST {url}"
SLACK_ON_SOCKET = "Slack is on in Socket Mode (no public URL needed)"
SLACK_MANY_WORKSPACES = "; many workspaces: each can install the app at GET {url}"

REPLIED_IN_DM = "I've replied in our direct message, so nothing here is seen by others."
TYPE_IN_DM = "Reply with a message to answer."
TYPE_IN_SHARED = "Type your answer in the box and press Enter (only you can see this)."
OR_TYPE_DM = "Or type your answer."
OR_TYPE_SHARED = "Or type `/ap` and your answer (only you see it)."
NOT_HERE_ANY_MORE = (
    "This channel isn't linked to a provider (any more), so I won't carry on here, where others "
    "could read it. Nothing was saved. Please start again in our direct message."
)
ANSWERED = "Answered: {answer}"
ASKED_AGAIN = "Asked again below."
CLOSED = "Closed."

SAVE = "Save"
CHANGE_AN_ANSWER = "Change an answer"
CANCEL = "Cancel"
YES = "Yes"
NO = "No"
SKIP = "Skip"
DONE_PICKING = "Done"
USE_DEFAULT = "Use {default}"
PICK_ONE = "Pick one"
MORE_OPTIONS = "Showing the first {shown} of {total}: type the name if yours isn't listed."

# Linking people and channels (admins).
LINK_USAGE = (
    "To link someone: `/ap link @person their.email@school.example`. "
    "To link this channel to a provider: `/ap link-channel Provider Name`."
)
ADMINS_ONLY = "Sorry, only an AP Safeguard admin can link people or channels."
NO_SUCH_PERSON = "Nobody is set up with the email {email}. Add them first (`apbot people add`)."
LINKED_PERSON = "Linked Slack user {user_id} to {name} ({email})."
NO_SUCH_ORG = "I can't find an organisation called {name!r}. Check the name (`apbot orgs list`)."
LINKED_CHANNEL = (
    "This channel now belongs to {org}. `/ap absent` and `/ap present` work here; pupils are "
    "named by placement reference only, and anything with a name goes only to the person asking."
)
NOT_A_CHANNEL = "Run `/ap link-channel` in the provider's shared channel itself, not in a DM."
OUR_FAULT = (
    "Sorry, something went wrong on our side and nothing was saved. Please try again; if it "
    "keeps happening, tell your admin (reference {ref})."
)

# App Home.
HOME_TITLE = "AP Safeguard"
HOME_HELLO = "Hello {first_name}. Here is what needs you."
HOME_PLACEMENTS = "Your active placements"
HOME_NO_PLACEMENTS = "No active placements."
HOME_MORE_PLACEMENTS = "…and {count} more: type `status` to see them all."
HOME_START = "Start something (I'll ask the questions in our direct messages):"
HOME_BUTTONS = {
    "start": "Start a placement",
    "visit": "Log a QA visit",
    "contact": "Log a contact",
    "absent": "Report an absence",
    "present": "All present",
    "concern": "Log a concern",
    "check": "Tick a check",
    "status": "My checks",
    "help": "Help",
}
