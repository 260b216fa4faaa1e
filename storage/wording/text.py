"""Putting what people typed into our sentences without doubled punctuation."""

from __future__ import annotations

SENTENCE_ENDS = (".", "!", "?")


def sentence(text: str) -> str:
    """Typed text as the end of a sentence: with one full stop, never two ("He's ill." stays
    "He's ill.", "He's ill" becomes "He's ill.", "Unsure..." is left as typed)."""
    text = text.strip()
    return text if not text or text.endswith(SENTENCE_ENDS) else f"{text}."
