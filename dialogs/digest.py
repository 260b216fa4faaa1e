"""Digest: the daily safeguarding digest, now (DSLs for their school, LA officers for the LA)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.prompts import Done, Reply
from storage.access import Task
from storage.services.digest import build_digest
from storage.services.terms import calendar_for


class DigestDialog(Dialog):
    name = "digest"
    title = "digest"
    words = ("digest", "daily digest")
    needs = Task.digest
    summary = "the daily safeguarding digest, now (it also arrives at 08:00 on school days)"

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        return
        yield  # a one-shot command: nothing to ask

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        organisation_id = ctx.person.organisation_id
        assert organisation_id is not None  # DSLs and LA officers belong to an organisation
        calendar = await calendar_for(ctx.session, organisation_id, today=ctx.today)
        digest = await build_digest(ctx.session, ctx.person, now=ctx.now, calendar=calendar)
        return [
            Done(
                dialog=self.name,
                text=digest.text,
                record={"heading": digest.heading, "sections": digest.sections_payload},
            )
        ]
