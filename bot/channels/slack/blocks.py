"""The dialogs' replies as Slack Block Kit. Pure functions: replies in, blocks out.

Every prompt carries its `prompt_id` as the block id of its buttons, so a click names the
question it answers (an old click is refused by the runner instead of saved twice). Everything
a person typed reaches Slack escaped, so `<!channel>` or `<@U123>` in an answer never pings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bot.channels.slack import wording
from bot.delivery import Notice
from dialogs.prompts import Choice, Done, ErrorReply, Message, Prompt, PromptKind, Reply

Block = dict[str, Any]

# Action ids (the listeners in actions.py match on their prefixes).
CHOICE = "prompt_choice"  # a button per choice; value = the choice's value
SELECT = "prompt_select"  # a static select (more than five choices)
DATE = "prompt_date"
TIME = "prompt_time"
CHECKS = "prompt_checks"  # ticking boxes only changes state; SUBMIT sends them
SUBMIT = "prompt_submit"
TEXT = "prompt_text"  # a text box that sends on Enter (used in shared channels)
WORD = "prompt_word"  # a button that means a typed word: yes, no, back, cancel, skip, a default
HOME_START = "home_start"
NUDGE = "nudge_"

MAX_BUTTONS = 5
MAX_SELECT_OPTIONS = 100
MAX_CHECKBOXES = 10
MAX_SECTION = 3000
MAX_LABEL = 75
MORE_SUFFIX = "#more"
HINT_SUFFIX = "#hint"


def escape(text: str) -> str:
    """Escape text for Slack mrkdwn: `&`, `<` and `>` become entities, so nothing a person
    typed can become a mention, a link or a broadcast."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int = MAX_LABEL) -> dict[str, Any]:
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": shown or " ", "emoji": True}


def _sections(text: str) -> list[Block]:
    """Escaped mrkdwn sections, split to fit Slack's 3,000-character limit."""
    escaped = escape(text) or " "
    chunks = [escaped[i : i + MAX_SECTION] for i in range(0, len(escaped), MAX_SECTION)]
    return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in chunks]


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(label: str, value: str, action_id: str, *, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": _plain(label),
        "value": value[:2000],
        "action_id": action_id,
    }
    if style:
        button["style"] = style
    return button


def _option(choice: Choice) -> dict[str, Any]:
    return {"text": _plain(choice.label), "value": choice.value[:150]}


def _word_buttons(prompt: Prompt) -> list[dict[str, Any]]:
    """Buttons for a default answer and for skipping an optional one."""
    buttons = []
    few_choices = prompt.kind == PromptKind.choice and len(prompt.choices) <= MAX_BUTTONS
    if prompt.default is not None and prompt.kind != PromptKind.yesno and not few_choices:
        label = wording.USE_DEFAULT.format(default=prompt.default)
        buttons.append(_button(label, prompt.default, f"{WORD}_default"))
    if prompt.optional:
        buttons.append(_button(wording.SKIP, "skip", f"{WORD}_skip"))
    return buttons


def _interactive(prompt: Prompt, *, shared: bool) -> list[Block]:
    """The elements that answer a prompt, in an actions (or input) block named by prompt_id."""
    pid = prompt.prompt_id
    elements: list[dict[str, Any]] = []
    blocks: list[Block] = []
    match prompt.kind:
        case PromptKind.choice if len(prompt.choices) <= MAX_BUTTONS:
            elements = [
                _button(
                    c.label,
                    c.value,
                    f"{CHOICE}_{n}",
                    style="primary" if prompt.default in (c.value, c.label) else None,
                )
                for n, c in enumerate(prompt.choices)
            ]
        case PromptKind.choice:
            options = [_option(c) for c in prompt.choices[:MAX_SELECT_OPTIONS]]
            select: dict[str, Any] = {
                "type": "static_select",
                "action_id": SELECT,
                "placeholder": _plain(wording.PICK_ONE),
                "options": options,
            }
            elements = [select]
            if len(prompt.choices) > MAX_SELECT_OPTIONS:
                more = wording.MORE_OPTIONS.format(
                    shown=MAX_SELECT_OPTIONS, total=len(prompt.choices)
                )
                blocks.append(_context(more))
        case PromptKind.yesno:
            elements = [
                _button(wording.YES, "yes", f"{WORD}_yes"),
                _button(wording.NO, "no", f"{WORD}_no"),
            ]
        case PromptKind.confirm:
            elements = [
                _button(wording.SAVE, "yes", f"{WORD}_save", style="primary"),
                _button(wording.CHANGE_AN_ANSWER, "back", f"{WORD}_back"),
                _button(wording.CANCEL, "cancel", f"{WORD}_cancel", style="danger"),
            ]
        case PromptKind.date:
            elements = [
                {"type": "datepicker", "action_id": DATE, "placeholder": _plain("Pick a date")}
            ]
        case PromptKind.time:
            elements = [
                {"type": "timepicker", "action_id": TIME, "placeholder": _plain("Pick a time")}
            ]
        case PromptKind.multichoice:
            options = [_option(c) for c in prompt.choices[:MAX_SELECT_OPTIONS]]
            picker: dict[str, Any] = (
                {"type": "checkboxes", "action_id": CHECKS, "options": options}
                if len(options) <= MAX_CHECKBOXES
                else {
                    "type": "multi_static_select",
                    "action_id": CHECKS,
                    "placeholder": _plain(wording.PICK_ONE),
                    "options": options,
                }
            )
            elements = [picker, _button(wording.DONE_PICKING, "submit", SUBMIT, style="primary")]
        case PromptKind.text if shared:
            blocks.append(
                {
                    "type": "input",
                    "block_id": pid,
                    "dispatch_action": True,
                    "label": _plain("Your answer"),
                    "element": {
                        "type": "plain_text_input",
                        "action_id": TEXT,
                        "multiline": False,
                        "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
                    },
                }
            )
    extra = _word_buttons(prompt)
    if elements:
        blocks.insert(0, {"type": "actions", "block_id": pid, "elements": elements})
        if extra:
            blocks.append({"type": "actions", "block_id": pid + MORE_SUFFIX, "elements": extra})
    elif extra:
        blocks.append({"type": "actions", "block_id": pid + MORE_SUFFIX, "elements": extra})
    return blocks


def prompt_blocks(prompt: Prompt, *, shared: bool = False) -> list[Block]:
    """One question: its words, the buttons or pickers that answer it, and how to type it."""
    blocks = [*_sections(prompt.text), *_interactive(prompt, shared=shared)]
    if prompt.kind == PromptKind.text:
        hint = wording.TYPE_IN_SHARED if shared else wording.TYPE_IN_DM
    else:
        hint = wording.OR_TYPE_SHARED if shared else wording.OR_TYPE_DM
    # Named after the question too, so even a typed-answer question says which it is.
    blocks.append({**_context(hint), "block_id": prompt.prompt_id + HINT_SUFFIX})
    return blocks


def reply_blocks(reply: Reply, *, shared: bool = False) -> list[Block]:
    """Any reply as blocks."""
    if isinstance(reply, Prompt):
        return prompt_blocks(reply, shared=shared)
    blocks = _sections(reply_text(reply))
    if isinstance(reply, Done) and reply.preformatted:
        # A grid keeps its columns only in a fixed-width code block.
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"```{escape(reply.preformatted)[:2990]}```"},
            }
        )
    return blocks


def reply_text(reply: Reply) -> str:
    """A reply as plain words (unescaped), with a mark for errors, warnings and saves."""
    if isinstance(reply, Prompt):
        return reply.text
    if isinstance(reply, ErrorReply):
        return f"✗ {reply.text}"
    if isinstance(reply, Message):
        return f"⚠️ {reply.text}" if reply.level == "warning" else reply.text
    if isinstance(reply, Done):
        return f"✅ {reply.text}" if reply.text else "✅ Done."
    raise TypeError(f"not a reply: {reply!r}")  # pragma: no cover


def group_replies(replies: Sequence[Reply]) -> list[list[Reply]]:
    """Replies grouped into Slack messages: each prompt closes a message with the words before
    it; a finished dialog's confirmation is a message of its own."""
    groups: list[list[Reply]] = []
    current: list[Reply] = []
    for reply in replies:
        if isinstance(reply, Done):
            if current:
                groups.append(current)
            groups.append([reply])
            current = []
            continue
        current.append(reply)
        if isinstance(reply, Prompt):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def message_blocks(replies: Sequence[Reply], *, shared: bool = False) -> list[Block]:
    """One Slack message from a group of replies."""
    return [block for reply in replies for block in reply_blocks(reply, shared=shared)]


def fallback_text(replies: Sequence[Reply]) -> str:
    """The notification text of a message (escaped: Slack reads it as mrkdwn too)."""
    return escape("\n".join(reply_text(r) for r in replies))[:3000]


def note(text: str) -> Block:
    """A small line of (escaped) text under a message."""
    return _context(escape(text))


def answered_note(answer: str) -> Block:
    """The line under an answered question: what was picked or typed (escaped)."""
    return _context(escape(wording.ANSWERED.format(answer=answer)))


def answered_blocks(question_blocks: Sequence[Block], answer: str) -> list[Block]:
    """A clicked question once answered: its words as they were and the answer, with no
    buttons left to click twice."""
    kept = [block for block in question_blocks if block.get("type") == "section"]
    return [*kept, answered_note(answer)]


def closed_blocks(question: str, note: str) -> list[Block]:
    """A question that moved on without this message being used (asked again, cancelled)."""
    return [*_sections(question), _context(escape(note))]


def show_date(value: str) -> str:
    """A datepicker's ISO date as a school writes it (27/11/2026)."""
    try:
        return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
    except ValueError:
        return value


def notice_blocks(notice: Notice) -> list[Block]:
    """A nudge, alert or digest: its words, any structured sections, its buttons (each carrying
    the outbox id, so a click acts on exactly this notice)."""
    blocks = _sections(notice.text)
    for section in notice.sections:
        title = str(section.get("title", ""))
        lines = section.get("lines", [])
        body = "\n".join(f"• {line}" for line in lines) if isinstance(lines, list) else str(lines)
        text = f"{title}\n{body}".strip()
        if text:
            blocks += _sections(text)
    if notice.buttons:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"notice_{notice.outbox_id}",
                "elements": [
                    _button(b.label, str(notice.outbox_id), f"{NUDGE}{b.action}")
                    for b in notice.buttons
                ],
            }
        )
    return blocks[:50]
