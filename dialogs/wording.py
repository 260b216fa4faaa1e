"""What the bot says when things go sideways, in one place (the dialogs keep their questions)."""

from __future__ import annotations

from storage.models import Role

NO_ACCESS = (
    "Sorry, I don't know you yet, so I can't show you anything. Ask your school's AP Safeguard "
    "admin (or your designated safeguarding lead) to add you, using the email address you sign "
    "in with."
)
ALREADY_ANSWERED = "That question has already been answered, so I ignored that click."
DATABASE_TROUBLE = (
    "I couldn't reach the database, so your last answer was not saved. Please send it again "
    "in a minute. If this keeps happening, tell your admin (reference {ref})."
)
OUR_FAULT = (
    "Sorry, something went wrong on our side and your last answer was not saved. Please try "
    "again; if it keeps happening, tell your admin (reference {ref})."
)
CROSSED = (
    "Another message of yours arrived at the same moment and was handled first, so this one was "
    "not saved. Please check the question below and answer it again if it still needs it."
)
DIALOG_GONE = "The conversation you were in no longer exists after an update. Please start again."
CANCELLED = "Cancelled {title}. Nothing was saved."
NOT_CONFIRMED = (
    "Not saved yet. Type back to change an answer, cancel to stop without saving, or yes to save."
)
AT_FIRST_QUESTION = "There's no earlier answer to change: this is the first question."
# A command typed where a question's answer was expected (and that is not an answer to it).
ANOTHER_COMMAND = (
    "'{typed}' starts something else, and you're in the middle of {title}. To do that instead, "
    "type cancel first (nothing of {title} is saved), then {typed} again. Or answer the "
    "question below."
)
# A blank line in the terminal for a question with no default.
ANSWER_NEEDED = "This question needs an answer: it has no default to leave blank for."
NOT_IN_SHARED_CHANNEL = (
    "That can't be done in a shared channel, where others can read it. Send it to me in a "
    "direct message instead."
)
NOT_YOUR_SHARED_CHANNEL = (
    "This channel belongs to a provider you don't work for, and none of your pupils are placed "
    "there, so I can't do that here. Send it to me in a direct message instead."
)
STATUS_IN_SHARED = "Counts only here, where others may see your screen; for the detail, send me status in a direct message."

ROLE_NAMES = {
    Role.teacher: "teachers",
    Role.dsl: "designated safeguarding leads",
    Role.provider: "AP providers",
    Role.la_officer: "local-authority officers",
    Role.admin: "admins",
}


NOTHING_TO_CANCEL = (
    "There is nothing in progress to cancel or go back in. Type help to see what you can do."
)


def unknown_command(word: str, meant: str | None = None) -> str:
    shown = word.strip()[:40] or "that"
    if meant:
        return f"I don't know {shown!r}. Did you mean {meant}? Type help to see what I can do."
    return f"I don't know {shown!r}. Type help to see what I can do."


def not_for_role(title: str, role: Role) -> str:
    return (
        f"Sorry, {title} isn't available to {ROLE_NAMES[role]}. Type help to see what you can do."
    )
