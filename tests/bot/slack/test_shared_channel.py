"""A provider's shared channel: `/ap absent` and `/ap present` work there; the channel sees the
placement reference only; everything naming the pupil goes only to the reporter; the DSL is told."""

from __future__ import annotations

from sqlalchemy import select

from bot.channels.slack import blocks
from bot.channels.slack.delivery import SlackDeliverer
from bot.delivery import Notice, Recipient
from dialogs import wording
from storage.models import AttendanceRecord, ChatChannel, OutboxMessage, WelfareCall
from tests.support.factories import build_world, place
from tests.support.slack import SlackWorkspace

ADMIN, PROVIDER, DSL, TEACHER = "UADMIN", "UPROVIDER", "UDSL", "UTEACHER"
CHANNEL = "CPATHWAYS"


async def _shared_channel(db, clock, workspace: SlackWorkspace):
    world = await build_world(db, clock)
    for user, person in (
        (ADMIN, world.admin),
        (PROVIDER, world.provider_staff),
        (TEACHER, world.teacher),
    ):
        workspace.api.add_user(user, email=person.email)
    workspace.api.add_user(DSL, email=None)  # no email on the profile: an admin links them
    async with db.sessions() as session, session.begin():
        placement = await place(
            session,
            clock,
            by=world.teacher,
            pupil=world.pupil,
            provider=world.provider,
            start=clock.now().date(),
        )
    await workspace.command(
        ADMIN, "link-channel Pathways AP Academy", channel=CHANNEL, channel_name="pathways-ap"
    )
    assert "now belongs to Pathways AP Academy" in workspace.responses()[-1].args["text"]
    await workspace.command(
        ADMIN, f"link <@{DSL}|dee> <mailto:{world.dsl.email}|{world.dsl.email}>"
    )
    assert f"Linked Slack user {DSL} to Dee Lead" in workspace.responses()[-1].args["text"]
    return world, placement


async def test_provider_reports_an_absence_in_the_shared_channel(db, clock, workspace) -> None:
    world, placement = await _shared_channel(db, clock, workspace)
    name, initials = world.pupil.full_name, world.pupil.initials
    await workspace.command(PROVIDER, "absent", channel=CHANNEL, channel_name="pathways-ap")

    pupil = workspace.last(channel=CHANNEL)
    assert pupil.ephemeral and pupil.user == PROVIDER and pupil.field == "placement"
    await workspace.click(PROVIDER, pupil, placement.reference)
    day = workspace.last(channel=CHANNEL)
    assert day.field == "date"
    await workspace.click(PROVIDER, day, "today")
    sessions = workspace.last(channel=CHANNEL)
    assert sessions.field == "sessions"
    checks = next(e for _, e in sessions.elements() if e["action_id"] == blocks.CHECKS)
    submit = next(e for _, e in sessions.elements() if e["action_id"] == blocks.SUBMIT)
    state = {
        sessions.prompt_id: {
            blocks.CHECKS: {"type": "checkboxes", "selected_options": checks["options"]}
        }
    }
    await workspace.act(PROVIDER, sessions, {"block_id": sessions.prompt_id, **submit}, state=state)
    reason = workspace.last(channel=CHANNEL)
    assert reason.field == "reason" and "no health or family detail" in reason.words
    # Typed into the message's own text box (sent on Enter): never posted to the channel.
    text_box = {
        "type": "plain_text_input",
        "block_id": reason.prompt_id,
        "action_id": blocks.TEXT,
        "value": "Unwell; parent rang at 08:40",
    }
    await workspace.act(PROVIDER, reason, text_box)
    code = workspace.last(channel=CHANNEL)
    assert code.field == "code"
    select_block, menu = next((b, e) for b, e in code.elements() if e["type"] == "static_select")
    illness = next(o for o in menu["options"] if o["value"] == "I")
    await workspace.act(
        PROVIDER,
        code,
        {
            "type": "static_select",
            "block_id": select_block,
            "action_id": menu["action_id"],
            "selected_option": illness,
        },
    )
    confirm = workspace.last(channel=CHANNEL)
    assert confirm.field == "confirm" and placement.reference in confirm.words
    await workspace.click(PROVIDER, confirm, "Save")

    # The channel sees the reference only; everything else went to the reporter alone.
    public = [p for p in workspace.posted(channel=CHANNEL) if not p.ephemeral]
    assert len(public) == 1
    assert placement.reference in public[0].words and "absence recorded" in public[0].words
    for message in public:
        said = message.words + message.text
        assert name not in said and world.pupil.first_name not in said
        # Initials anywhere but inside the reference itself (AP-8SRM holds "RM").
        assert initials not in said.replace(placement.reference, "")
        assert "Unwell" not in said
    private = [p for p in workspace.posted(channel=CHANNEL) if p.ephemeral]
    assert private and all(p.user == PROVIDER for p in private)
    assert all(name not in p.words for p in private)  # initials at most, even privately here
    # Each answered question lost its buttons (ephemeral: through its response_url).
    replaced = [c for c in workspace.responses() if c.args.get("replace_original")]
    assert len(replaced) == 6
    assert all("actions" not in str(c.args.get("blocks")) for c in replaced)

    async with db.sessions() as session:
        records = list(await session.scalars(select(AttendanceRecord)))
        # I is the school's to authorise: the provider's choice is kept as a proposal.
        assert {(r.session.value, r.code, r.proposed_code) for r in records} == {
            ("AM", "N", "I"),
            ("PM", "N", "I"),
        }
        assert all(r.reason == "Unwell; parent rang at 08:40" for r in records)
        assert await session.scalar(select(WelfareCall)) is not None
        alert = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.recipient_id == world.dsl.id)
        )
        assert alert is not None and name in alert.text

    # The DSL is told in Slack, by direct message (the scheduler hands the alert to Slack).
    deliverer = SlackDeliverer(workspace.slack.client)
    recipient = Recipient(person_id=world.dsl.id, slack_user_id=DSL)
    assert await deliverer.can_reach(recipient)
    await deliverer.send(
        Notice(
            outbox_id=alert.id, key=alert.key, kind=alert.kind, text=alert.text, recipient=recipient
        )
    )
    told = workspace.last(user=DSL)
    assert not told.ephemeral and name in told.words


async def test_present_typed_with_slash_commands_and_dm_only_dialogs_refused(
    db, clock, workspace
) -> None:
    world, _ = await _shared_channel(db, clock, workspace)
    await workspace.command(PROVIDER, "present today", channel=CHANNEL)
    confirm = workspace.last(channel=CHANNEL)
    assert confirm.ephemeral and confirm.field == "confirm"
    await workspace.command(PROVIDER, "yes", channel=CHANNEL)  # a typed answer, privately
    public = workspace.last(channel=CHANNEL)
    assert not public.ephemeral and "Register confirmed" in public.words
    assert world.pupil.first_name not in public.words + public.text

    # A dialog not meant for a shared channel is refused there, privately.
    await workspace.command(TEACHER, "start", channel=CHANNEL)
    refused = workspace.last(channel=CHANNEL)
    assert refused.ephemeral and refused.user == TEACHER
    assert wording.NOT_IN_SHARED_CHANNEL in refused.words.replace("&#x27;", "'")
    async with db.sessions() as session:
        channel = await session.scalar(select(ChatChannel))
        assert channel is not None and channel.name == "pathways-ap"


async def test_only_admins_link(db, clock, workspace) -> None:
    world, _ = await _shared_channel(db, clock, workspace)
    await workspace.command(TEACHER, f"link <@{TEACHER}> {world.dsl.email}")
    assert "only an AP Safeguard admin" in workspace.responses()[-1].args["text"]
    await workspace.command(TEACHER, "link-channel Pathways AP Academy", channel="COTHER")
    assert "only an AP Safeguard admin" in workspace.responses()[-1].args["text"]
    # A Slack user already linked to someone is not moved to someone else.
    await workspace.command(ADMIN, f"link <@{DSL}> {world.other_dsl.email}")
    assert "already linked" in workspace.responses()[-1].args["text"]
