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
NUDGES_UNAVAILABLE = (
    "Sorry, I couldn't act on that button just now; nothing was changed. Please try again later."
)

FILES_ONLY_IN_PERSONAL_CHAT = (
    "Files are sent only in your personal chat with me, where no one else can read them. "
    "Ask me there."
)
FILE_DESCRIPTION = "{name}, from AP Safeguard. Accept to save it to your OneDrive."
FILE_DECLINED = "Not sent: {name}. Ask again whenever you need it."
FILE_GONE = "That file has already been sent, or was offered more than a day ago. Ask again."
FILE_UPLOAD_FAILED = "I couldn't save the file to your OneDrive. Please ask for it again."
