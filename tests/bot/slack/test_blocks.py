"""Every prompt kind as Block Kit (pure functions, no Slack needed)."""

from __future__ import annotations

from bot.channels.slack import blocks
from dialogs.prompts import Choice, Done, ErrorReply, Message, Prompt, PromptKind


def prompt(kind: PromptKind, n: int = 0, **extra: object) -> Prompt:
    choices = [Choice(value=f"v-{i}", label=f"Label {i}") for i in range(n)]
    return Prompt(
        dialog="d",
        field="f",
        kind=kind,
        text="Question?",
        choices=choices,
        prompt_id="7.2.f",
        **extra,
    )  # type: ignore[arg-type]


def elements(rendered: list[dict]) -> list[dict]:
    return [e for b in rendered if b["type"] == "actions" for e in b["elements"]]


def test_choices_are_buttons_up_to_five_then_a_select() -> None:
    few = blocks.prompt_blocks(prompt(PromptKind.choice, 5, default="v-2"))
    buttons = elements(few)
    assert [b["value"] for b in buttons] == [f"v-{i}" for i in range(5)]
    assert [b.get("style") for b in buttons].count("primary") == 1  # the default stands out
    assert next(b for b in few if b["type"] == "actions")["block_id"] == "7.2.f"
    many = elements(blocks.prompt_blocks(prompt(PromptKind.choice, 6, default="v-1")))
    assert many[0]["type"] == "static_select" and len(many[0]["options"]) == 6
    assert many[1]["value"] == "v-1"  # "Use v-1" for the default
    huge = blocks.prompt_blocks(prompt(PromptKind.choice, 130))
    assert len(elements(huge)[0]["options"]) == 100
    assert "type the name" in str(huge)


def test_yes_no_confirm_date_time_multichoice_and_text() -> None:
    assert [e["value"] for e in elements(blocks.prompt_blocks(prompt(PromptKind.yesno)))] == [
        "yes",
        "no",
    ]
    confirm = elements(blocks.prompt_blocks(prompt(PromptKind.confirm)))
    assert [e["value"] for e in confirm] == ["yes", "back", "cancel"]
    date = elements(blocks.prompt_blocks(prompt(PromptKind.date, default="today", optional=True)))
    assert date[0]["type"] == "datepicker"
    assert [e["value"] for e in date[1:]] == ["today", "skip"]
    time = elements(blocks.prompt_blocks(prompt(PromptKind.time, default="09:30")))
    assert time[0]["type"] == "timepicker" and time[1]["value"] == "09:30"
    ticks = elements(blocks.prompt_blocks(prompt(PromptKind.multichoice, 5)))
    assert ticks[0]["type"] == "checkboxes" and ticks[1]["action_id"] == blocks.SUBMIT
    wide = elements(blocks.prompt_blocks(prompt(PromptKind.multichoice, 12)))
    assert wide[0]["type"] == "multi_static_select"
    text_dm = blocks.prompt_blocks(prompt(PromptKind.text))
    assert not elements(text_dm) and "Reply with a message" in str(text_dm)
    text_shared = blocks.prompt_blocks(prompt(PromptKind.text), shared=True)
    box = next(b for b in text_shared if b["type"] == "input")
    assert box["dispatch_action"] and box["block_id"] == "7.2.f"
    assert box["element"]["action_id"] == blocks.TEXT


def test_everything_typed_is_escaped_and_long_text_split() -> None:
    shown = blocks.reply_blocks(Message(text="<!channel> <@U1> & <http://x|y>"))
    assert shown[0]["text"]["text"] == "&lt;!channel&gt; &lt;@U1&gt; &amp; &lt;http://x|y&gt;"
    long = blocks.reply_blocks(Done(dialog="d", text="x" * 7000))
    assert len(long) == 3 and all(len(b["text"]["text"]) <= 3000 for b in long)
    assert blocks.reply_text(ErrorReply(text="No")) == "✗ No"
    label = elements(blocks.prompt_blocks(prompt(PromptKind.choice, 1)))[0]["text"]
    assert label["type"] == "plain_text"  # labels are plain text: never formatted


def test_replies_group_into_messages_and_answered_questions_lose_buttons() -> None:
    question = prompt(PromptKind.yesno)
    groups = blocks.group_replies([Message(text="Intro"), question, Done(dialog="d", text="Saved")])
    assert [len(g) for g in groups] == [2, 1]
    answered = blocks.answered_blocks(blocks.prompt_blocks(question), "Yes")
    assert [b["type"] for b in answered] == ["section", "context"]
    assert "Answered: Yes" in str(answered)
    assert blocks.show_date("2026-11-30") == "30/11/2026"
