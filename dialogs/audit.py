"""Audit: who changed what on a placement, when and from which channel (DSL only)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError
from dialogs.prompts import Done, Reply
from storage.access import Action, can
from storage.services.audit_trail import placement_trail
from storage.services.placements import find_by_reference

SHOWN = 30


class AuditDialog(Dialog):
    name = "audit"
    title = "audit trail"
    words = ("audit", "audit trail")
    needs = Action.report
    summary = "`audit AP-XXXX`: who changed what on a placement, when, and from where"

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        if not args.strip():
            raise AnswerError("Say which placement: audit AP-7K3Q.")
        return Answers({"reference": args.split()[0]})

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        return
        yield  # a one-shot command

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        reference = answers.text("reference") or ""
        placement = await find_by_reference(ctx.session, reference)
        if placement is None or not can(ctx.person, Action.report, placement):
            raise AnswerError(
                f"I can't find a placement {reference.upper()!r} whose audit trail you can see."
            )
        trail = await placement_trail(ctx.session, placement)
        shown = trail[-SHOWN:]
        lines = [
            f"Audit trail of {placement.reference}: {len(trail)} change(s)"
            + (f", the last {SHOWN} shown" if len(trail) > SHOWN else "")
        ]
        lines += [f"• {line.as_text()}" for line in shown]
        return [
            Done(
                dialog=self.name,
                text="\n".join(lines),
                record={"reference": placement.reference, "entries": len(trail)},
            )
        ]
