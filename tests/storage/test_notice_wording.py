"""What the bot sends on its own is worded in one place (`storage/wording/`), where a DSL or a
data protection officer can read all of it: every kind of notice has its wording there, every
notice queued is of a kind listed there, and no service writes a notice's sentence itself."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import select

from storage.clock import FixedClock
from storage.demo import seed_demo
from storage.models import OutboxMessage
from storage.wording import WORDED_BY, NoticeKind
from tests.support.database import Database

ROOT = Path(__file__).resolve().parents[2]
# Calls that queue a notice (or make a nudge that will be queued), and so take its `text`.
QUEUEING = {"enqueue", "MessageToQueue", "tell_leads", "tell_admins", "Nudge", "_reminder"}


def test_every_kind_of_notice_has_its_wording_in_the_wording_package() -> None:
    assert set(WORDED_BY) == set(NoticeKind)
    for kind, functions in WORDED_BY.items():
        assert functions, kind
        for function in functions:
            assert function.__module__.startswith("storage.wording."), (kind, function)


async def test_every_notice_queued_for_the_demo_is_of_a_listed_kind(
    db: Database, clock: FixedClock
) -> None:
    async with db.sessions() as session, session.begin():
        await seed_demo(session, clock=clock)
    async with db.sessions() as session:
        kinds = set(await session.scalars(select(OutboxMessage.kind)))
    assert kinds, "the demo queues notices (placements started, absences, welfare calls)"
    assert kinds <= {kind.value for kind in NoticeKind}


def _inline_wording(path: Path) -> list[str]:
    """Calls in the file that queue a notice with a sentence written in place."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else None
        called = node.func.id if isinstance(node.func, ast.Name) else called
        if called not in QUEUEING:
            continue
        for keyword in node.keywords:
            if keyword.arg == "text" and any(
                isinstance(part, ast.JoinedStr)
                or (isinstance(part, ast.Constant) and isinstance(part.value, str))
                for part in ast.walk(keyword.value)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_service_or_channel_writes_a_notice_sentence_itself() -> None:
    sources = [
        path
        for folder in ("storage", "bot", "dialogs")
        for path in (ROOT / folder).rglob("*.py")
        if "wording" not in path.relative_to(ROOT).parts
    ]
    assert len(sources) > 100
    assert [where for path in sources for where in _inline_wording(path)] == []
