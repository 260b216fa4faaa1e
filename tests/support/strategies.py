"""What careless, hurried or hostile people (and broken clients) send: random unicode with
control characters and emoji, very long texts, numbers, command words out of place, and JSON
answers carrying button values for questions that were never asked."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import strategies as st

# Words that mean something to the dialogs, sent when they don't.
WORDS = [
    "back", "skip", "cancel", "yes", "no", "y", "n", "save", "help", "start", "", " ",
    "0", "-1", "1", "2", "99", "1,2,3", "all", "none", "today", "yesterday", "tomorrow",
    "31/02/2026", "29/02/2027", "01/01/1900", "27/11/2026", "2026-11-27", "25:61", "09:30",
    "AP-0000", "AP-ZZZZ", "ap-", "NaN", "inf", "-0", "1e309", "½", "٣", "🙂", "\x00", "\u202e",
    "'; DROP TABLE placements; --", "<at>AP Safeguard</at>", "{", "{}", "[]", "null",
]  # fmt: skip

# Any unicode hypothesis can make (no surrogates: they cannot be encoded), control characters,
# and the odd letters and symbols that break naive parsers.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
control_text = st.text(
    st.sampled_from([chr(c) for c in range(32)] + ["\x7f", "\u200b", "\ufeff", "\u2028"]),
    max_size=10,
)
huge_text = st.builds(
    lambda chunk, size: (chunk * (size // max(len(chunk), 1) + 1))[:size],
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=5),
    st.integers(1_000, 12_000),
).filter(lambda text: not text.strip().isdigit())  # all digits: the known bug, tested apart
numbers = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)
prompt_ids = st.one_of(
    st.just("garbage"),
    any_text,
    st.builds(lambda a, b, c: f"{a}.{b}.{c}", any_text, st.integers(-5, 10**12), any_text),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(string.ascii_letters, max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

# One answer typed (a string) or sent as JSON (a dict) in the terminal's `--json` mode.
typed = st.one_of(st.sampled_from(WORDS), any_text, control_text, huge_text, numbers)
button_answer = st.fixed_dictionaries(
    {"value": st.one_of(st.lists(typed, max_size=4), typed, st.none()), "prompt_id": prompt_ids},
    optional={"text": typed},
)
odd_json = st.one_of(
    st.dictionaries(st.sampled_from(["text", "value", "prompt_id", "other"]), json_values),
    json_values.map(lambda v: {"value": v}),
)
random_answer: st.SearchStrategy[str | dict[str, Any]] = st.one_of(
    typed, button_answer, odd_json, json_values.map(json.dumps)
)
