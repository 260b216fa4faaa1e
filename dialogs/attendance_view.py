"""`attendance AP-7K3Q`: one pupil's last four weeks at the provider as a compact grid (AM and PM
marks by day) with the attendance percentage. Text for the terminal (monospace-friendly) in
`Done.text`, and the same as data in `Done.record` for a Slack block or a Teams card.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from dialogs.common import pupil_label
from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.parsing import AnswerError
from dialogs.prompts import Done, Reply
from storage.access import Action, can
from storage.models import Placement, RegisterSession
from storage.rules.attendance import recent_window
from storage.services.marks import (
    MarkKind,
    SessionMark,
    attendance_rate,
    marks_for,
)
from storage.services.placements import find_by_reference
from storage.services.terms import calendar_for

WEEKS = 4
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri")
# What a cell shows when there is no register mark.
BLANKS = {
    MarkKind.not_at_provider: "·",
    MarkKind.closed: "~",
    MarkKind.future: " ",
}
KEY = (
    "Key: B/K attended (confirmed by the provider; D: at a school where the pupil is also "
    "registered, not counted) · other letters: absence codes · - no report from the provider "
    "(today: not reported yet) · · not timetabled at the provider · ~ school closed"
)


def cell(row: SessionMark | None) -> str:
    """One session's symbol in the grid."""
    if row is None:
        return ""
    return row.mark or BLANKS.get(row.kind, " ")


def grid(rows: list[SessionMark], first_monday: dt.date, weeks: int) -> list[dict[str, Any]]:
    """The marks as weeks of days, each day with its AM and PM marks (for cards and text)."""
    by_day = {(r.date, r.session): r for r in rows}
    out = []
    for week in range(weeks):
        monday = first_monday + dt.timedelta(weeks=week)
        days = []
        for offset in range(5):
            day = monday + dt.timedelta(days=offset)
            am, pm = by_day.get((day, RegisterSession.am)), by_day.get((day, RegisterSession.pm))
            days.append(
                {
                    "date": day.isoformat(),
                    "am": cell(am),
                    "pm": cell(pm),
                    "am_kind": am.kind.value if am else None,
                    "pm_kind": pm.kind.value if pm else None,
                }
            )
        out.append({"week_of": monday.isoformat(), "days": days})
    return out


def grid_text(weeks: list[dict[str, Any]]) -> str:
    """The grid in fixed-width columns."""
    lines = ["Week of     " + "".join(f"{name:<7}" for name in DAY_NAMES).rstrip()]
    for week in weeks:
        monday = dt.date.fromisoformat(week["week_of"])
        cells = "".join(f"{(d['am'] + ' ' + d['pm']).strip():<7}" for d in week["days"])
        lines.append(f"{monday:%d/%m/%Y}  {cells}".rstrip())
    return "\n".join(lines)


async def placement_grid(
    ctx: DialogContext, placement: Placement, *, weeks: int = WEEKS
) -> tuple[str, dict[str, Any]]:
    """The last `weeks` weeks (this one included) as text and as data."""
    today = ctx.today
    first_monday, _ = recent_window(today, weeks)
    calendar = await calendar_for(ctx.session, placement.commissioner_id, today=today)
    rows = await marks_for(
        ctx.session, [placement], start=first_monday, end=today, today=today, calendar=calendar
    )
    rate = attendance_rate(rows)
    data = grid(rows, first_monday, weeks)
    header = (
        f"{placement.reference} · {pupil_label(ctx, placement)} · {placement.provider.name} "
        f"(code {placement.attendance_code}), last {weeks} weeks"
    )
    text = "\n".join([header, f"Attendance at the provider: {rate.text}.", KEY])
    record = {
        "reference": placement.reference,
        "attendance_code": placement.attendance_code,
        "from": first_monday.isoformat(),
        "to": today.isoformat(),
        "weeks": data,
        "attended": rate.attended,
        "possible": rate.possible,
        "absent": rate.absent,
        "no_report": rate.no_report,
        "percent": rate.percent,
        "percent_text": rate.percent_text,
    }
    return text, record


class AttendanceDialog(Dialog):
    name = "attendance"
    title = "attendance"
    words = ("attendance", "attendance view", "register view")
    needs = Action.view
    summary = "`attendance AP-XXXX`: the last 4 weeks as a grid, with the percentage"

    async def begin(self, ctx: DialogContext, args: str) -> Answers:
        if not args.strip():
            raise AnswerError(
                "Which placement? Type attendance and its reference, e.g. attendance AP-7K3Q."
            )
        return Answers({"reference": args.split()[0]})

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        return
        yield  # a one-shot command: nothing to ask

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        reference = answers.text("reference") or ""
        placement = await find_by_reference(ctx.session, reference)
        if placement is None or not can(
            ctx.person, Action.view, placement, today=ctx.today, place=ctx.place
        ):
            raise AnswerError(f"I can't find a placement {reference.upper()!r} that you can see.")
        text, record = await placement_grid(ctx, placement)
        grid = grid_text(record["weeks"])
        return [Done(dialog=self.name, text=text, record=record, preformatted=grid)]
