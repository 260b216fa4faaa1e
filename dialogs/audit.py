"""Audit: who changed what on a placement, when and from which channel (DSL only), newest
first, a page at a time (`more` for the next, through every change)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError
from dialogs.prompts import Done, Reply
from storage.access import Action, can
from storage.services.audit_trail import trail_page
from storage.services.placements import find_by_reference
from storage.services.reading import PAGE_SIZE, remember, where_reading

PAGE = PAGE_SIZE  # as the other reading commands
# The name `more` knows this reading by.
READING = "audit"


async def audit_page(ctx: DialogContext, reference: str, *, before: int | None = None) -> Done:
    """One page of the placement's audit trail, newest first, and where `more` carries on."""
    placement = await find_by_reference(ctx.session, reference)
    if placement is None or not can(ctx.person, Action.report, placement):
        raise AnswerError(
            f"I can't find a placement {reference.upper()!r} whose audit trail you can see."
        )
    page = await trail_page(ctx.session, placement, before=before, size=PAGE)
    shown_to = page.total - page.left
    shown_from = shown_to - len(page.lines) + 1
    head = f"Audit trail of {placement.reference}, newest first: {page.total} change(s)"
    if page.total > len(page.lines) or before is not None:
        head += f", {shown_from} to {shown_to} shown" if shown_from != shown_to else ""
    if before is not None:
        head += " (continued)"
    lines = [head, *(f"• {line.as_text()}" for line in page.lines)]
    if page.before is not None:
        lines.append(f"Type more for the next {min(page.left, PAGE)} of {page.left} left.")
        await remember(
            ctx.session,
            person_id=ctx.person.id,
            conversation=ctx.conversation,
            reading=READING,
            reference=placement.reference,
            after=[page.before],
            at=ctx.clock.now(),
        )
    else:
        cursor = await where_reading(
            ctx.session, person_id=ctx.person.id, conversation=ctx.conversation
        )
        if cursor is not None:
            await ctx.session.delete(cursor)
    return Done(
        dialog="audit",
        text="\n".join(lines),
        record={
            "reference": placement.reference,
            "entries": page.total,
            "shown": len(page.lines),
            "left": page.left,
        },
    )


class AuditDialog(Dialog):
    name = "audit"
    title = "audit trail"
    words = ("audit", "audit trail")
    needs = Action.report
    summary = (
        "`audit AP-XXXX`: who changed what on a placement, when, and from where, newest "
        "first (`more` for older changes)"
    )

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        if not args.strip():
            raise AnswerError("Say which placement: audit AP-7K3Q.")
        return Answers({"reference": args.split()[0]})

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        return
        yield  # a one-shot command

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        return [await audit_page(ctx, answers.text("reference") or "")]
