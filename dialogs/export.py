"""Export: a pupil's full record for the transfer of the safeguarding file (DSL only)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from dialogs.common import id_of
from dialogs.context import Answers, DialogContext
from dialogs.documents.render import html_to_pdf, render_html
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError
from dialogs.prompts import Attachment, Choice, Done, PromptKind, Reply
from storage.access import Action, can, placements_query
from storage.models import Placement, Pupil
from storage.services.audit import audit
from storage.services.placements import find_by_reference
from storage.services.pupil_record import pupil_record


async def _exportable(ctx: DialogContext) -> dict[int, Placement]:
    """One placement per pupil whose full record this person may export."""
    rows = await ctx.session.scalars(placements_query(ctx.person, active_only=False))
    found: dict[int, Placement] = {}
    for placement in rows.unique():
        if can(ctx.person, Action.report, placement):
            found.setdefault(placement.pupil_id, placement)
    return found


class ExportDialog(Dialog):
    name = "export"
    title = "export a pupil's record"
    words = ("export", "export pupil", "transfer file")
    needs = Action.report
    summary = "a pupil's full record (JSON and PDF) for a transfer of the safeguarding file"

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        if args.strip():
            placement = await find_by_reference(ctx.session, args.split()[0])
            if placement is None or not can(ctx.person, Action.report, placement):
                raise AnswerError(
                    f"I can't find a placement {args.split()[0].upper()!r} whose record you can export."
                )
            return Answers({"pupil": f"pupil-{placement.pupil_id}"})
        if not await _exportable(ctx):
            raise AnswerError("There are no pupils whose record you can export.")
        return Answers()

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        placements = await _exportable(ctx)
        yield Step(
            "pupil",
            PromptKind.choice,
            "Whose record?",
            choices=[
                Choice(value=f"pupil-{p.pupil_id}", label=f"{p.pupil.known_as} ({p.reference})")
                for p in placements.values()
            ],
        )
        yield Step(
            "confirm",
            PromptKind.confirm,
            "This is the pupil's full safeguarding record, including the chronology. Share it "
            "only through your secure transfer process. Export it now?",
        )

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        pupil_id = id_of(answers.text("pupil"))
        placements = await _exportable(ctx)
        if pupil_id not in placements:
            raise AnswerError("That pupil's record is not yours to export.")
        commissioner_id = placements[pupil_id].commissioner_id
        record = await pupil_record(
            ctx.session, pupil_id=pupil_id, commissioner_id=commissioner_id, today=ctx.today
        )
        pupil = await ctx.session.get(Pupil, pupil_id)
        assert pupil is not None
        # Reading a whole safeguarding file is itself worth a line in the audit log.
        await audit(
            ctx.session,
            ctx.change,
            action="exported",
            record=pupil,
            changes={"placements": [p["reference"] for p in record["placements"]]},
        )
        stem = f"pupil-record-{placements[pupil_id].reference}-{ctx.today:%Y%m%d}"
        html = render_html(
            "pupil_record.html.j2",
            record=record,
            exported_by=ctx.person.name,
            exported_on=ctx.today,
        )
        files = [
            Attachment(
                filename=f"{stem}.json",
                media_type="application/json",
                content=json.dumps(record, indent=2, ensure_ascii=False).encode(),
            ),
            Attachment(
                filename=f"{stem}.pdf", media_type="application/pdf", content=html_to_pdf(html)
            ),
        ]
        return [
            Done(
                dialog=self.name,
                text=f"Exported the full record of {pupil.known_as}: {len(record['placements'])} placement(s), {len(record['chronology'])} chronology entr{'y' if len(record['chronology']) == 1 else 'ies'}. The export is recorded in the audit log.",
                record={"placements": [p["reference"] for p in record["placements"]]},
                files=files,
            )
        ]
