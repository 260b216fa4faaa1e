"""What a dialog says, in platform-neutral form. Channels render these; they never invent wording."""

from __future__ import annotations

import enum
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator


class PromptKind(enum.StrEnum):
    text = "text"
    choice = "choice"
    multichoice = "multichoice"
    yesno = "yesno"
    date = "date"
    time = "time"
    confirm = "confirm"


class Choice(BaseModel):
    value: str
    label: str


class Prompt(BaseModel):
    """One question, asked of one person."""

    type: Literal["prompt"] = "prompt"
    dialog: str
    field: str
    kind: PromptKind
    text: str
    choices: list[Choice] = Field(default_factory=list)
    optional: bool = False
    # What an empty answer means, shown to the person ("leave blank for 09:30").
    default: str | None = None
    # For a date question: `happened` (a weekday means the last one) or `planned` (the next one).
    date_sense: Literal["happened", "planned"] | None = None
    # Identifies this exact question in this exact dialog; a button pressed on an older
    # question carries an old id and is refused instead of being saved twice.
    prompt_id: str = ""


class Message(BaseModel):
    """Something to tell the person. `level` is `warning` for the loud ones."""

    type: Literal["message"] = "message"
    text: str
    level: Literal["info", "warning"] = "info"

    @field_validator("text")
    @classmethod
    def _no_warning_sign(cls, text: str) -> str:
        # Each channel marks a warning its own way (⚠ in text, a coloured card); a sign typed
        # into the wording as well showed twice ("⚠ ⚠").
        return text.lstrip().removeprefix("⚠️").removeprefix("⚠").lstrip()


class ErrorReply(BaseModel):
    """The last answer could not be used; the question follows again."""

    type: Literal["error"] = "error"
    text: str


class Attachment(BaseModel):
    """A file a dialog produced (a report, an export). The content is never put in JSON
    output: the terminal writes it to disk, Slack and Teams upload it."""

    filename: str
    media_type: str
    content: bytes = Field(exclude=True, repr=False)
    # Where a channel saved it (the terminal writes files to disk).
    path: str | None = None


class Done(BaseModel):
    """A dialog finished and saved a record; `record` holds its public fields."""

    type: Literal["done"] = "done"
    dialog: str
    text: str = ""
    record: dict[str, Any] = Field(default_factory=dict)
    files: list[Attachment] = Field(default_factory=list)
    # A grid or table to show in a fixed-width font under the text (e.g. an attendance grid).
    preformatted: str | None = None


Reply = Prompt | Message | ErrorReply | Done
