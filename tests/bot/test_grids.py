"""A grid (the attendance register) keeps its columns in every channel."""

from __future__ import annotations

from bot.channels.slack.blocks import reply_blocks
from bot.channels.teams.cards import render
from bot.channels.terminal import render_text
from dialogs.prompts import Done

GRID = "Week of     Mon    Tue\n23/11/2026  B B    N N"


def test_slack_shows_the_grid_in_a_code_block_with_user_text_escaped() -> None:
    blocks = reply_blocks(
        Done(dialog="attendance", text="AP-7K3Q", preformatted=GRID + " <!channel>")
    )
    code = blocks[-1]["text"]["text"]
    assert code.startswith("```Week of") and code.endswith("```")
    assert "<!channel>" not in code and "&lt;!channel&gt;" in code


def test_teams_shows_the_grid_in_a_monospace_card() -> None:
    activities = render([Done(dialog="attendance", text="AP-7K3Q", preformatted=GRID)], person_id=1)
    card = activities[-1]["attachments"][0]["content"]
    assert [b["text"] for b in card["body"]] == GRID.splitlines()
    assert all(b["fontType"] == "Monospace" for b in card["body"])


def test_the_terminal_prints_it_under_the_text() -> None:
    assert render_text(Done(dialog="attendance", text="AP-7K3Q", preformatted=GRID)).endswith(GRID)
