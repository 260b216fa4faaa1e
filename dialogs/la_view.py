"""`providers`: the LA's view across its schools (LA officers only). Every provider with
active placements from the LA's schools: the placements by reference and school, grouped by
why the pupil is in AP; QA visits in the last week and this half-term, and by how many
schools; a provider no school has visited this half-term flagged; and an unregistered
provider that looks like it needs to register as an independent school. No pupil is named."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.prompts import Done, Reply
from storage.access import Task
from storage.models import ReasonForAp
from storage.services.la_view import ProviderView, la_view
from storage.wording import la_view as wording


def _provider_lines(view: ProviderView) -> list[str]:
    provider = view.provider
    status = provider.registration_status.label if provider.registration_status else "—"
    placed_by = [f"{view.schools} school(s)"] if view.schools else []
    placed_by += ["the local authority"] if view.by_la else []
    lines = [
        f"*{provider.name}* ({status}): {len(view.placements)} active placement(s) from "
        + " and ".join(placed_by)
    ]
    for reason, placements in view.by_reason():
        listed = ", ".join(f"{p.reference} ({p.commissioner.name})" for p in placements)
        words = ReasonForAp(reason).label if reason else "Reason not recorded"
        lines.append(f"  {words} ({len(placements)}): {listed}")
    visits = (
        f"  QA visits: {view.visits_week} in the last week by {view.schools_week} "
        f"commissioner(s); {view.visits_half_term} this half-term by "
        f"{view.schools_half_term} commissioner(s)"
    )
    if view.visits_half_term == 0:
        visits += ": NOT VISITED by any school this half-term"
    lines.append(visits)
    if view.finding is not None and view.finding.triggers:
        lines.append("  ⚠ " + wording.registration_line(provider.name, list(view.finding.triggers)))
        lines.append(f"  {wording.ACT_2026}")
    return lines


class LaViewDialog(Dialog):
    name = "providers"
    title = "the LA's view of its providers"
    words = ("providers", "la view", "provider view")
    needs = Task.la_view
    summary = (
        "every provider your LA's schools use: placements by reference and school, QA visit "
        "coverage, providers that may need to register (LA officers)"
    )

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        return
        yield  # a one-shot command: nothing to ask

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        view = await la_view(ctx.session, ctx.person, today=ctx.today)
        if not view.providers:
            text = "No active placements in your local authority's schools."
        else:
            lines = [
                f"Providers used by your local authority's schools, {ctx.today:%d/%m/%Y}: "
                f"{view.placements} active placement(s) at {len(view.providers)} provider(s). "
                + (
                    f"This half-term from {view.half_term_from:%d/%m/%Y}."
                    if view.term_dates_known
                    else f'No term dates recorded: "this half-term" is the last six weeks, '
                    f"from {view.half_term_from:%d/%m/%Y}."
                )
            ]
            for provider in view.providers:
                lines += _provider_lines(provider)
            if view.not_visited:
                names = ", ".join(v.provider.name for v in view.not_visited)
                lines.append(f"Not visited by any school this half-term: {names}.")
            text = "\n".join(lines)
        return [
            Done(
                dialog=self.name,
                text=text,
                record={
                    "placements": view.placements,
                    "providers": [
                        {
                            "name": v.provider.name,
                            "placements": [p.reference for p in v.placements],
                            "schools": v.schools,
                            "visits_week": v.visits_week,
                            "schools_week": v.schools_week,
                            "visits_half_term": v.visits_half_term,
                            "schools_half_term": v.schools_half_term,
                            "registration": [
                                t.value for t in (v.finding.triggers if v.finding else ())
                            ],
                        }
                        for v in view.providers
                    ],
                },
            )
        ]
