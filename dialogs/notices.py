"""`notices`: your unread nudges, alerts and digests, for whoever has no Slack or Teams (the
terminal channel shows them when you start, too). Each is marked read once shown to you."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.prompts import Done, Message, Reply
from storage.access import Task
from storage.clock import LONDON
from storage.models import OutboxMessage
from storage.services.notices import mark_read, unread_notices

# What each kind of notice is called in the list (the rest are "notice").
KIND_NAMES = {
    "digest": "daily digest",
    "la_digest": "LA digest",
    "chronology_update": "chronology update",
    "chronology_shared": "chronology shared with you",
    "cme_risk": "children-missing-education risk",
    "no_report": "no attendance report",
    "no_report_dsl": "no attendance report",
    "qa_due": "QA visit due",
    "qa_overdue": "QA visit overdue",
    "qa_concern": "QA visit concern",
    "qa_revisit": "QA revisit",
}


def _line(notice: OutboxMessage) -> str:
    when = notice.due_at.astimezone(LONDON)
    kind = KIND_NAMES.get(notice.kind, notice.kind.replace("_", " "))
    return f"• {when:%d/%m/%Y %H:%M} · {kind}: {notice.text}"


async def unread_replies(ctx: DialogContext, *, quiet: bool = False) -> list[Reply]:
    """The person's unread notices (newest first), marked read now that they are shown. In a
    shared channel only a count. `quiet`: nothing at all when there are none (on arrival)."""
    unread = await unread_notices(ctx.session, ctx.person.id, now=ctx.clock.now())
    count = len(unread.notices) + unread.more
    if not unread.notices:
        return [] if quiet else [Message(text="No unread notices.")]
    if ctx.shared:
        return [
            Message(
                text=f"You have {count} unread notice(s). Send me notices in a direct message "
                "to read them."
            )
        ]
    await mark_read(ctx.session, ctx.person.id, unread.notices, at=ctx.clock.now())
    head = f"Your unread notices, newest first ({len(unread.notices)} of {count}):"
    lines = [head, *map(_line, unread.notices)]
    if unread.more:
        lines.append(f"{unread.more} more unread: type notices to see them.")
    return [
        Done(
            dialog="notices",
            text="\n".join(lines),
            record={"shown": len(unread.notices), "more": unread.more},
        )
    ]


class NoticesDialog(Dialog):
    name = "notices"
    title = "notices"
    words = ("notices", "inbox")
    needs = Task.ask
    summary = "your unread nudges, alerts and digests (each is marked read once shown)"
    shared_ok = True

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        return
        yield  # a one-shot command

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        return await unread_replies(ctx)
