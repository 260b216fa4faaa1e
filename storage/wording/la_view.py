"""The LA's view across its schools (`providers`) and the alert that an unregistered provider
may need to register as an independent school: word for word, for a DSL or DPO to review."""

from __future__ import annotations

from storage.rules.registration import FULL_TIME_AT_PROVIDER, RegistrationTrigger

ACT_2026 = (
    "The Children's Wellbeing and Schools Act 2026 widens the single-pupil test once that "
    "part is in force."
)
TRIGGER_WORDS = {
    RegistrationTrigger.five_or_more: "five or more pupils in full-time education there",
    RegistrationTrigger.looked_after_or_ehcp: (
        "a pupil who is looked after or has an EHC plan in full-time education there"
    ),
}


def registration_needed(
    provider: str, trigger: RegistrationTrigger, *, full_time: int, special: int
) -> str:
    """The alert to an LA's officers (no pupil named: counts only)."""
    found = (
        f"{full_time} pupil(s) from your schools spend {FULL_TIME_AT_PROVIDER} hours a week or "
        "more there"
        if trigger == RegistrationTrigger.five_or_more
        else f"{special} pupil(s) there full-time are looked after or have an EHC plan"
    )
    return (
        f"Registration check: {provider} is an unregistered provider with "
        f"{TRIGGER_WORDS[trigger]} ({found}). An institution giving full-time education to five "
        "or more pupils, or to one looked-after pupil or pupil with an EHC plan, must register "
        f"as an independent school. {ACT_2026} Check the hours with the provider and the "
        "schools; if it should be registered, raise it with DfE and Ofsted (unregistered "
        "schools). Type providers to see its placements."
    )


def registration_line(provider: str, triggers: list[RegistrationTrigger]) -> str:
    """One line in the LA digest and the view."""
    why = " and ".join(TRIGGER_WORDS[t] for t in triggers)
    return f"{provider}: unregistered, with {why}: it may need to register as an independent school"
