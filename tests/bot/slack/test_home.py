"""The App Home tab: what is due for the person, their placements, buttons that start dialogs."""

from __future__ import annotations

from dialogs import wording
from tests.support.factories import build_world, place
from tests.support.slack import Posted

TEACHER = "UTEACHER"


async def test_home_tab_shows_checks_and_placements_and_starts_dialogs(
    db, clock, workspace
) -> None:
    world = await build_world(db, clock)
    workspace.api.add_user(TEACHER, email=world.teacher.email)
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=clock.now().date(),
        )
    assert await workspace.open_home(TEACHER) == 200
    published = workspace.api.calls_to("views.publish")[-1].args
    assert published["user_id"] == TEACHER and published["view"]["type"] == "home"
    view_blocks = published["view"]["blocks"]
    text = str(view_blocks)
    assert "Hello Tess" in text
    assert "overdue" in text.lower() or "due" in text.lower()
    assert placement.reference in text and world.pupil.full_name in text
    buttons = {e["value"]: e for b in view_blocks if b["type"] == "actions" for e in b["elements"]}
    # A teacher can start a placement but not confirm a provider's register.
    assert "start" in buttons and "visit" in buttons and "present" not in buttons

    home = Posted(channel=f"D{TEACHER}", ts="", blocks=view_blocks, text="")
    action = {"type": "button", "block_id": "home_start", **buttons["visit"]}
    payload_message = Posted(channel=f"D{TEACHER}", ts="", blocks=home.blocks, text="")
    await workspace.act(TEACHER, payload_message, action)
    asked = workspace.last(user=TEACHER)
    assert asked.field is not None and "QA visit" in str(workspace.posted(user=TEACHER)[0].words)


async def test_home_tab_for_a_stranger_is_the_access_message(db, clock, workspace) -> None:
    workspace.api.add_user("USTRANGER", email="nobody@nowhere.test")
    await workspace.open_home("USTRANGER")
    published = workspace.api.calls_to("views.publish")[-1].args
    assert str(published["view"]["blocks"]).count("Sorry, I don") == 1
    assert "actions" not in str(published["view"]["blocks"])
    assert wording.NO_ACCESS.split(",")[0] in str(published["view"]["blocks"])
