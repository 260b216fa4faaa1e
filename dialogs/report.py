"""Report: the governors' termly report on AP, anonymised, as HTML, PDF and CSV."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.context import Answers, DialogContext
from dialogs.documents.governors import governors_files
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError
from dialogs.prompts import Choice, Done, PromptKind, Reply
from storage.access import Action
from storage.services.governors import build_governors_report, parse_term, previous_term, term_of


class ReportDialog(Dialog):
    name = "report"
    title = "governors' report"
    words = ("report", "report governors", "governors report", "governors")
    needs = Action.report
    summary = "the termly report on AP for governors (anonymised; HTML, PDF and CSV)"

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        if ctx.person.organisation_id is None:
            raise AnswerError("You're not linked to a school yet; ask your admin.")
        words = args.strip().lower().removeprefix("governors").strip()
        if not words:
            return Answers()
        try:
            term = parse_term(words, today=ctx.today)
        except ValueError as error:
            raise AnswerError(str(error)) from error
        return Answers({"term": f"{term.season} {term.year}"})

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        this = term_of(ctx.today)
        last = previous_term(this)
        yield Step(
            "term",
            PromptKind.choice,
            "Which term?",
            choices=[
                Choice(value=f"{this.season} {this.year}", label=f"This term ({this.name})"),
                Choice(value=f"{last.season} {last.year}", label=f"Last term ({last.name})"),
            ],
        )

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        assert ctx.person.organisation_id is not None
        term = parse_term(answers.text("term") or "", today=ctx.today)
        report = await build_governors_report(
            ctx.session, person=ctx.person, term=term, today=ctx.today
        )
        files = governors_files(report)
        text = (
            f"Governors' report for {term.name}: {report.headline()} "
            "Pupils are shown as P1, P2, ... only."
        )
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "term": term.name,
                    "placements": len(report.placements),
                    "attendance": {p.label: p.attendance_text for p in report.placements},
                    "objectives": {
                        p.label: [o.text for o in p.objectives] for p in report.placements
                    },
                    "by_reason": {
                        reason: [p.label for p in lines] for reason, lines in report.by_reason
                    },
                },
                files=files,
            )
        ]
