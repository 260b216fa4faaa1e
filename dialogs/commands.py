"""The words people type to start a dialog, and which dialog each starts."""

from __future__ import annotations

import difflib
import functools

from dialogs.engine import Dialog
from storage.models import Role


def all_dialogs() -> list[Dialog]:
    """Every dialog, in the order help lists them."""
    # Imported here: the dialog modules import the engine, which this module must not precede.
    from dialogs.absence import AbsentDialog, PresentDialog
    from dialogs.attendance_reports import ApListDialog, CodesDialog, MarksDialog
    from dialogs.attendance_view import AttendanceDialog
    from dialogs.audit import AuditDialog
    from dialogs.change_placement import ChangePlacementDialog
    from dialogs.check import CheckDialog
    from dialogs.concern import ConcernDialog
    from dialogs.contact import ContactDialog
    from dialogs.decide import DecideDialog
    from dialogs.digest import DigestDialog
    from dialogs.end_placement import EndPlacementDialog
    from dialogs.export import ExportDialog
    from dialogs.help import HelpDialog
    from dialogs.la_view import LaViewDialog
    from dialogs.notices import NoticesDialog
    from dialogs.outcome import ExplainDialog, LateDialog
    from dialogs.part_time_review import PartTimeReviewDialog
    from dialogs.reading import (
        ChronologyDialog,
        ContactsDialog,
        HistoryDialog,
        MoreDialog,
        VisitsDialog,
    )
    from dialogs.report import ReportDialog
    from dialogs.start_placement import StartPlacementDialog
    from dialogs.status import StatusDialog
    from dialogs.visit import VisitDialog
    from dialogs.welfare import WelfareDialog
    from dialogs.where import WhereDialog
    from dialogs.withdraw import WithdrawDialog

    return [
        StartPlacementDialog(),
        VisitDialog(),
        AbsentDialog(),
        PresentDialog(),
        LateDialog(),
        WelfareDialog(),
        ExplainDialog(),
        AttendanceDialog(),
        MarksDialog(),
        ApListDialog(),
        CodesDialog(),
        ContactDialog(),
        ConcernDialog(),
        DecideDialog(),
        ChronologyDialog(),
        VisitsDialog(),
        ContactsDialog(),
        HistoryDialog(),
        MoreDialog(),
        WhereDialog(),
        CheckDialog(),
        ChangePlacementDialog(),
        PartTimeReviewDialog(),
        EndPlacementDialog(),
        WithdrawDialog(),
        ReportDialog(),
        ExportDialog(),
        AuditDialog(),
        StatusDialog(),
        DigestDialog(),
        LaViewDialog(),
        NoticesDialog(),
        HelpDialog(),
    ]


@functools.cache
def _index() -> dict[str, Dialog]:
    """Each command word and dialog name, to its dialog: built once (a dialog keeps nothing of
    its own between turns; every turn looks its dialog up here)."""
    index: dict[str, Dialog] = {}
    for dialog in all_dialogs():
        index[dialog.name] = dialog
        for word in dialog.words:
            index[word] = dialog
    return index


def find_dialog(word: str) -> Dialog | None:
    """The dialog a command word (or a dialog's name) starts."""
    return _index().get(word.strip().lower())


def closest_command(word: str, role: Role) -> str | None:
    """The command `word` was probably meant to be (a slip of the keyboard: `stauts`), among
    those `role` may use; None when nothing is close."""
    allowed = [w for w, dialog in _index().items() if role in dialog.roles and w == dialog.words[0]]
    close = difflib.get_close_matches(word.strip().lower(), allowed, n=1, cutoff=0.75)
    return close[0] if close else None


def split_command(text: str) -> tuple[str, str]:
    """Split `log visit AP-7K3Q` into the longest known command (`log visit`) and the rest."""
    cleaned = " ".join(text.strip().lstrip("/").split())
    words = cleaned.split(" ")
    index = _index()
    for size in range(min(3, len(words)), 0, -1):
        candidate = " ".join(words[:size]).lower()
        if candidate in index:
            return candidate, " ".join(words[size:])
    return (words[0].lower() if words else ""), " ".join(words[1:])
