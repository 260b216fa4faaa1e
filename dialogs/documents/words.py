"""Words for documents: the record's stored values (ISO dates, internal names) as a reader
would say them, and text the PDF's fonts can print.

Used as Jinja filters by `render.environment()`: `uk_date` (27/11/2026), `uk_time`
(27/11/2026 14:05), `yes_no`, `words` (an internal value in words: "requires improvement"),
`check_status` ("not done, due 06/12/2026") and `printable` (emoji dropped: DejaVu Sans, the
documents' font, has none, and a missing glyph prints as an empty box).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from storage.clock import LONDON

# Internal values and the words a DSL would use for them. Anything not here has its
# underscores turned into spaces.
WORDS = {
    # QA ratings
    "requires_improvement": "requires improvement",
    # Placement status and end outcomes
    "returned_to_school": "returned to school",
    "moved_to_mainstream": "moved to a mainstream school",
    "moved_to_special_school": "moved to a special school",
    "moved_to_other_ap": "moved to other alternative provision",
    # Who was contacted, and how
    "parent_carer": "a parent or carer",
    "provider": "the provider",
    "pupil": "the pupil",
    "school": "the school",
    "phone": "phone call",
    "video": "video call",
    "local_authority": "the local authority",
    # Registration
    "registered_school": "registered school",
    "pru": "pupil referral unit (PRU)",
    "ap_academy": "AP academy",
    "ap_free_school": "AP free school",
    "unregistered": "unregistered provider",
    # Welfare calls
    "not_reached": "nobody reached",
    "other": "someone else",
    "home_visit": "a home visit",
    "refer_dsl": "referred to the DSL",
    "police_or_social_care": "police or children's social care",
    "none": "nothing more",
    # Mark changes: what made the change
    "welfare_call": "a welfare call",
    "explain": "the absence explained",
    "late": "a late arrival",
    # Checklist statuses
    "not_done": "not done",
    "not_applicable": "not applicable",
}
# Characters that only join or vary emoji.
_JOINERS = {"\u200d", "\ufe0e", "\ufe0f", "\u20e3"}


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(LONDON).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return _as_date(dt.datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def uk_date(value: Any) -> str:
    """27/11/2026, from a date, a datetime (London time) or its ISO text; "—" when none."""
    day = _as_date(value)
    return f"{day:%d/%m/%Y}" if day is not None else "—"


def uk_time(value: Any) -> str:
    """27/11/2026 14:05 (London time), from an aware datetime or its ISO text; "—" when none."""
    if isinstance(value, str) and value:
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        at = value.astimezone(LONDON) if value.tzinfo else value
        return f"{at:%d/%m/%Y %H:%M}"
    return uk_date(value)


def clock_time(value: Any) -> str:
    """09:30, from a time or its ISO text ("09:30:00")."""
    if isinstance(value, str) and value:
        try:
            value = dt.time.fromisoformat(value)
        except ValueError:
            return value
    return f"{value:%H:%M}" if isinstance(value, dt.time) else "—"


def yes_no(value: Any) -> str:
    """yes / no / not known."""
    return "not known" if value is None else ("yes" if value else "no")


def words(value: Any) -> str:
    """An internal value ("requires_improvement") in words ("requires improvement")."""
    if value is None or value == "":
        return "—"
    text = str(getattr(value, "value", value))
    return WORDS.get(text, text.replace("_", " "))


def check_status(item: dict[str, Any]) -> str:
    """A checklist item's status in words: "done 27/11/2026", "not done, due 06/12/2026",
    "not applicable"."""
    status = item.get("status")
    if status == "done":
        return f"done {uk_date(item.get('done_at'))}" if item.get("done_at") else "done"
    if status == "not_done":
        due = item.get("due_date")
        return f"not done, due {uk_date(due)}" if due else "not done"
    return words(status)


def printable(value: Any) -> str:
    """The text without emoji (and the joiners and variation selectors that build them), which
    the documents' font cannot print; everything else, accents and punctuation, kept."""
    if value is None:
        return ""
    kept = []
    for char in str(value):
        code = ord(char)
        if char in _JOINERS or 0x1F3FB <= code <= 0x1F3FF:
            continue
        if code > 0xFFFF and unicodedata.category(char) in ("So", "Sk", "Cn", "Co"):
            continue
        if 0x2600 <= code <= 0x27BF and unicodedata.category(char) == "So":
            continue  # miscellaneous symbols and dingbats drawn as emoji (☀, ✅)
        kept.append(char)
    text = "".join(kept)
    if len(kept) < len(str(value)):  # something dropped: no gap left before punctuation
        text = re.sub(r" +([.,;:!?)])", r"\1", text)
    return re.sub(r" {2,}", " ", text).strip()


def no_stop(value: Any) -> str:
    """Text without its closing full stop, for a sentence that goes on."""
    return str(value or "").rstrip().rstrip(".")


def hours(value: Any) -> str:
    """Hours as a person writes them: "25", "7.5" (not "25.00")."""
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except (InvalidOperation, ValueError):
        return str(value)
