"""The words documents use for stored values (`dialogs/documents/words.py`)."""

from __future__ import annotations

import datetime as dt

from dialogs.documents.words import check_status, hours, no_stop, printable, uk_date, uk_time, words


def test_dates_and_times_the_uk_way() -> None:
    assert uk_date("2026-11-27") == "27/11/2026"
    assert uk_date(dt.date(2026, 12, 6)) == "06/12/2026"
    assert uk_date(None) == "—"
    # An instant in UTC, shown in London time (BST in June).
    assert uk_time("2026-06-01T09:05:00+00:00") == "01/06/2026 10:05"


def test_internal_values_in_words() -> None:
    assert words("requires_improvement") == "requires improvement"
    assert words("parent_carer") == "a parent or carer"
    assert check_status({"status": "not_done", "due_date": "2026-12-06"}) == (
        "not done, due 06/12/2026"
    )
    assert check_status({"status": "not_applicable"}) == "not applicable"
    assert hours("25.00") == "25" and hours("7.50") == "7.5"
    assert no_stop("Keep the weekly call going.") == "Keep the weekly call going"


def test_emoji_are_dropped_and_everything_else_kept() -> None:
    assert printable("Dentist 🦷✅ at 10:00 👍🏽.") == "Dentist at 10:00."
    assert printable("Café — “quoted” £5 → ok") == "Café — “quoted” £5 → ok"
    assert printable("👨‍👩‍👧 family") == "family"
    assert printable(None) == ""
