"""The dialogs' replies as Teams messages: prompts as Adaptive Cards, the rest as text.

Pure functions from `dialogs.prompts` objects to Bot Framework activity JSON (no botbuilder).
Every card's submit carries the `prompt_id` of its question, so a second click (or a click on
an old card) is refused by the runner instead of being saved twice, and the person it was for,
so a colleague's click in a shared channel cannot close someone else's question.

The one input on a card is called `answer`; buttons that do something other than answer
(`back`, `cancel`, `skip`) send a `command` instead and ignore the inputs.

Teams reads a message's text and a card's TextBlocks as markdown, so every text is escaped
(`escape`), as Slack's blocks are: nothing a person typed (a provider's absence reason, a
pupil's voice) can become a masked link, a mention or formatting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.channels.teams import wording
from dialogs.prompts import Done, ErrorReply, Message, Prompt, PromptKind, Reply

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"
ANSWER = "answer"
QUESTION_IN_DATA = 200  # characters of the question kept in a card's data, to close it later
EXPANDED_UP_TO = 5  # choice lists this short show as radio buttons, longer as a drop-down

Card = dict[str, Any]
Activity = dict[str, Any]
# Markdown's link, image, autolink, HTML, emphasis and code marks (and the escape itself).
_MARKDOWN = re.compile(r"([\\`*_~\[\]<>])")


def escape(text: str) -> str:
    """Text for Teams' markdown, shown as typed: `[Open](https://x)` stays words, not a link."""
    return _MARKDOWN.sub(r"\\\1", text)


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    card: Card = {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": CARD_VERSION}
    card["body"] = body
    if actions:
        card["actions"] = actions
    return card


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": escape(text), "wrap": True, **style}


def _submit(title: str, data: dict[str, Any], *, inputs: bool = True) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "Action.Submit", "title": title, "data": data}
    if not inputs:
        action["associatedInputs"] = "none"
    return action


def submit_data(prompt: Prompt, person_id: int) -> dict[str, Any]:
    """What every submit of this prompt's card carries besides the answer."""
    return {
        "prompt_id": prompt.prompt_id,
        "kind": prompt.kind.value,
        "person": person_id,
        "question": prompt.text[:QUESTION_IN_DATA],
    }


def _hints(prompt: Prompt) -> list[str]:
    hints = {
        PromptKind.text: [wording.OR_TYPE],
        PromptKind.choice: [wording.OR_TYPE],
        PromptKind.multichoice: [wording.MULTI_HINT],
        PromptKind.date: [wording.DATE_HINTS.get(prompt.date_sense or "", wording.DATE_HINT)],
        PromptKind.time: [wording.TIME_HINT],
    }.get(prompt.kind, [])
    if prompt.default is not None and prompt.kind not in (PromptKind.choice, PromptKind.yesno):
        hints.append(wording.BLANK_FOR.format(default=prompt.default))
    if prompt.optional:
        hints.append(wording.OPTIONAL)
    return hints


def _input(prompt: Prompt) -> dict[str, Any] | None:
    """The card's input for the prompt's kind (None for button-only kinds)."""
    field: dict[str, Any]
    match prompt.kind:
        case PromptKind.text:
            field = {"type": "Input.Text", "isMultiline": True, "maxLength": 4000}
        case PromptKind.date:
            field = {"type": "Input.Date"}
        case PromptKind.time:
            field = {"type": "Input.Time"}
        case PromptKind.choice | PromptKind.multichoice:
            multi = prompt.kind == PromptKind.multichoice
            field = {
                "type": "Input.ChoiceSet",
                "choices": [{"title": c.label, "value": c.value} for c in prompt.choices],
                "isMultiSelect": multi,
                "style": "expanded"
                if multi or len(prompt.choices) <= EXPANDED_UP_TO
                else "compact",
            }
            values = {c.value for c in prompt.choices}
            if prompt.default in values:
                field["value"] = prompt.default
        case _:
            return None
    return {"id": ANSWER, **field}


def prompt_card(prompt: Prompt, *, person_id: int) -> Card:
    """One question as an Adaptive Card: the question, an input for its kind, and buttons."""
    data = submit_data(prompt, person_id)
    body: list[dict[str, Any]] = [_text(prompt.text, weight="Bolder")]
    field = _input(prompt)
    if field is not None:
        body.append(field)
    body += [_text(hint, isSubtle=True, size="Small", spacing="None") for hint in _hints(prompt)]
    actions: list[dict[str, Any]]
    match prompt.kind:
        case PromptKind.yesno:
            actions = [
                _submit(wording.YES, {**data, ANSWER: "yes"}, inputs=False),
                _submit(wording.NO, {**data, ANSWER: "no"}, inputs=False),
            ]
        case PromptKind.confirm:
            actions = [
                _submit(wording.SAVE, {**data, ANSWER: "yes"}, inputs=False),
                _submit(wording.BACK, {**data, "command": "back"}, inputs=False),
                _submit(wording.CANCEL, {**data, "command": "cancel"}, inputs=False),
            ]
        case _:
            actions = [_submit(wording.SEND, data)]
    if prompt.optional and prompt.kind != PromptKind.choice:
        actions.append(_submit(wording.SKIP, {**data, "command": "skip"}, inputs=False))
    return _card(body, actions)


def closed_card(question: str, *, accepted: bool) -> Card:
    """What an answered card becomes: the question, no inputs, no buttons."""
    outcome = wording.ANSWERED if accepted else wording.NOT_ACCEPTED
    return _card(
        [
            _text(question or wording.CLOSED, isSubtle=True),
            _text(outcome, weight="Bolder", color="Good" if accepted else "Attention"),
        ]
    )


def notice_card(
    text: str,
    buttons: Sequence[tuple[str, dict[str, Any]]],
    sections: Sequence[dict[str, Any]] = (),
) -> Card:
    """A proactive message (a nudge, an alert, a digest) with its buttons as Action.Submit."""
    body: list[dict[str, Any]] = [_text(text)]
    for section in sections:
        if section.get("title"):
            body.append(_text(str(section["title"]), weight="Bolder", separator=True))
        if section.get("text"):
            body.append(_text(str(section["text"])))
        body += [_text(f"• {line}", spacing="None") for line in section.get("lines") or []]
    return _card(body, [_submit(label, data, inputs=False) for label, data in buttons])


def attachment(card: Card) -> dict[str, Any]:
    """A card as a message attachment."""
    return {"contentType": ADAPTIVE_CARD, "content": card}


def card_activity(card: Card) -> Activity:
    """A message carrying one card."""
    return {"type": "message", "attachments": [attachment(card)]}


def text_activity(text: str) -> Activity:
    """A message of plain words (escaped markdown: single line breaks are kept)."""
    return {
        "type": "message",
        "text": escape(text).replace("\n", "  \n"),
        "textFormat": "markdown",
    }


def reply_text(reply: Message | ErrorReply | Done) -> str:
    """A reply that is not a question, as text (marked the way the terminal marks it)."""
    if isinstance(reply, ErrorReply):
        return f"✗ {reply.text}"
    if isinstance(reply, Message):
        return f"⚠ {reply.text}" if reply.level == "warning" else reply.text
    return f"✓ {reply.text}" if reply.text else "✓ Done."


def render(replies: Sequence[Reply], *, person_id: int) -> list[Activity]:
    """A turn's replies as activities: consecutive texts in one message, each prompt a card."""
    activities: list[Activity] = []
    texts: list[str] = []
    for reply in replies:
        if isinstance(reply, Prompt):
            if texts:
                activities.append(text_activity("\n\n".join(texts)))
                texts = []
            activities.append(card_activity(prompt_card(reply, person_id=person_id)))
        else:
            texts.append(reply_text(reply))
            if isinstance(reply, Done) and reply.preformatted:
                activities.append(text_activity("\n\n".join(texts)))
                texts = []
                activities.append(card_activity(grid_card(reply.preformatted)))
    if texts:
        activities.append(text_activity("\n\n".join(texts)))
    return activities


def grid_card(grid: str) -> dict[str, Any]:
    """A grid (an attendance register) in a fixed-width font, so its columns line up."""
    return {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": [
            {
                "type": "TextBlock",
                "text": escape(line) or " ",
                "fontType": "Monospace",
                "wrap": False,
                "spacing": "None",
            }
            for line in grid.splitlines()
        ],
    }
