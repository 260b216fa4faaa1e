"""Help: what this person can do, in their words."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dialogs.context import Answers, DialogContext
from dialogs.engine import Dialog, Step
from dialogs.prompts import Done, Reply
from storage.access import Task


class HelpDialog(Dialog):
    name = "help"
    title = "help"
    words = ("help", "?", "hi", "hello", "menu")
    needs = Task.ask
    summary = "this list"
    shared_ok = True

    async def steps(self, ctx: DialogContext, answers: Answers) -> AsyncIterator[Step]:
        return
        yield  # nothing to ask

    async def finish(self, ctx: DialogContext, answers: Answers) -> list[Reply]:
        from dialogs.commands import all_dialogs

        lines = [f"Hello {ctx.person.name.split()[0]}. Here is what you can do:"]
        for dialog in all_dialogs():
            if ctx.person.role in dialog.roles and (dialog.shared_ok or not ctx.shared):
                lines.append(f"• {dialog.words[0]}: {dialog.summary}")
        lines.append(
            "In any conversation, type cancel to stop (nothing is saved) or back to change "
            "your last answer. Dates are day/month/year (27/11/2026), today, yesterday, "
            "tomorrow or a weekday: for what happened, tue is the last Tuesday; for a plan, the "
            "next one (last tue and next tue work too). Times are 24-hour (09:30)."
        )
        return [Done(dialog=self.name, text="\n".join(lines))]
