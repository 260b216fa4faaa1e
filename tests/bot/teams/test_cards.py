"""Every prompt kind as an Adaptive Card (pure rendering, no server), and a card's submit read
back as the runner's answer."""

from __future__ import annotations

from typing import Any

from bot.channels.teams.activities import Conversation, incoming, strip_mention
from bot.channels.teams.cards import closed_card, prompt_card, render
from bot.channels.teams.retry import ConnectorError, RetryPolicy, with_retries
from dialogs.prompts import Choice, Done, ErrorReply, Message, Prompt, PromptKind

DAYS = [Choice(value="mon", label="Monday"), Choice(value="tue", label="Tuesday")]


def _prompt(kind: PromptKind, **fields: Any) -> Prompt:
    return Prompt(
        dialog="start", field="f", kind=kind, text="Question?", prompt_id="4.2.f", **fields
    )


def _input(card: dict[str, Any]) -> dict[str, Any]:
    [field] = [e for e in card["body"] if e.get("id") == "answer"]
    return field


def _titles(card: dict[str, Any]) -> list[str]:
    return [a["title"] for a in card["actions"]]


def test_each_kind_has_its_input() -> None:
    cases = {
        PromptKind.text: "Input.Text",
        PromptKind.date: "Input.Date",
        PromptKind.time: "Input.Time",
        PromptKind.choice: "Input.ChoiceSet",
        PromptKind.multichoice: "Input.ChoiceSet",
    }
    for kind, input_type in cases.items():
        card = prompt_card(_prompt(kind, choices=DAYS), person_id=9)
        assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
        assert _input(card)["type"] == input_type, kind
        assert _titles(card) == ["Send"]
        assert card["actions"][0]["data"] == {
            "prompt_id": "4.2.f",
            "kind": kind.value,
            "person": 9,
            "question": "Question?",
        }
    multi = _input(prompt_card(_prompt(PromptKind.multichoice, choices=DAYS), person_id=9))
    assert multi["isMultiSelect"] is True
    assert multi["choices"] == [
        {"title": "Monday", "value": "mon"},
        {"title": "Tuesday", "value": "tue"},
    ]


def test_yes_no_and_confirm_are_buttons() -> None:
    yesno = prompt_card(_prompt(PromptKind.yesno), person_id=9)
    assert not any(e.get("id") == "answer" for e in yesno["body"])
    assert [(a["title"], a["data"]["answer"]) for a in yesno["actions"]] == [
        ("Yes", "yes"),
        ("No", "no"),
    ]
    confirm = prompt_card(_prompt(PromptKind.confirm), person_id=9)
    assert _titles(confirm) == ["Yes, save", "Back", "Cancel"]
    assert confirm["actions"][1]["data"]["command"] == "back"
    assert all(a.get("associatedInputs") == "none" for a in confirm["actions"])


def test_defaults_and_optional_answers() -> None:
    choice = prompt_card(_prompt(PromptKind.choice, choices=DAYS, default="tue"), person_id=1)
    assert _input(choice)["value"] == "tue"
    optional = prompt_card(_prompt(PromptKind.text, optional=True), person_id=1)
    assert _titles(optional) == ["Send", "Skip"]
    time = prompt_card(_prompt(PromptKind.time, default="09:30"), person_id=1)
    assert "Leave blank for 09:30." in str(time["body"])


def test_closed_card_has_no_way_to_answer_again() -> None:
    card = closed_card("Question?", accepted=True)
    assert "actions" not in card and not any(e.get("id") for e in card["body"])
    assert "✓ Answered." in str(card)


def test_a_turn_renders_texts_together_and_prompts_as_cards() -> None:
    activities = render(
        [
            Message(text="Start placement."),
            Message(text="Unregistered provider!", level="warning"),
            _prompt(PromptKind.text),
            ErrorReply(text="Not a date."),
            Done(dialog="start", text="Saved."),
        ],
        person_id=3,
    )
    assert activities[0]["text"] == "Start placement.  \n  \n⚠ Unregistered provider!"
    assert (
        activities[1]["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    )
    assert activities[2]["text"] == "✗ Not a date.  \n  \n✓ Saved."


def test_submits_and_typing_become_the_runners_answers() -> None:
    base = {"type": "message", "recipient": {"id": "28:bot"}}
    multi = incoming(
        {**base, "value": {"prompt_id": "1.1.d", "kind": "multichoice", "answer": "mon,tue"}}
    )
    assert multi.value == ["mon", "tue"] and multi.prompt_id == "1.1.d"
    assert incoming({**base, "value": {"prompt_id": "p", "command": "back"}}).text == "back"
    date = incoming({**base, "value": {"prompt_id": "p", "kind": "date", "answer": "2026-11-30"}})
    assert date.value == "2026-11-30"
    typed = {
        **base,
        "text": "<at>AP Safeguard</at>&nbsp;absent AP-7K3Q",
        "entities": [
            {"type": "mention", "text": "<at>AP Safeguard</at>", "mentioned": {"id": "28:bot"}}
        ],
    }
    assert strip_mention(typed) == "absent AP-7K3Q"
    assert incoming(typed).text == "absent AP-7K3Q" and incoming(typed).value is None


def test_conversation_keys_per_person_and_chat() -> None:
    channel = Conversation.of(
        {
            "conversation": {"id": "19:c@thread.tacv2;messageid=17", "conversationType": "channel"},
            "channelData": {"channel": {"id": "19:c@thread.tacv2"}, "team": {"id": "19:t"}},
        }
    )
    assert channel.shared and channel.shared_id == "19:c@thread.tacv2"
    assert channel.key("aad-1") == "teams:19:c@thread.tacv2;messageid=17:aad-1"
    personal = Conversation.of({"conversation": {"id": "a:" + "x" * 300}})
    assert personal.personal and not personal.shared
    assert len(personal.key("aad-1")) <= 200 and personal.key("aad-1").endswith(":aad-1")


async def test_retries_wait_as_asked_then_give_up() -> None:
    waited: list[float] = []
    calls: list[int] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    async def throttled() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectorError("busy", status=429, retry_after=5 if len(calls) == 1 else None)
        return "sent"

    assert await with_retries(throttled, sleep=sleep) == "sent"
    assert waited == [5, 2]

    async def too_long() -> str:
        raise ConnectorError("busy", status=429, retry_after=60)

    try:
        await with_retries(too_long, policy=RetryPolicy(longest_wait=10), sleep=sleep)
    except ConnectorError as error:
        assert error.retry_after == 60  # left for the scheduler's own retry
    assert waited == [5, 2]
