"""The safeguarding checklist: the seed's items, in its order, applying where they should."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.rules.checklist import (
    ALL_ITEMS,
    ATTENDANCE,
    COMMUNICATION,
    POLICIES,
    REASON_CONDITIONS,
    SAFER_RECRUITMENT,
    SECTIONS,
    TRAVEL,
    ApplyWhen,
    ChecklistConditions,
    applicable_items,
    default_due_date,
    definition,
    items_in_section,
)

SCHOOL_PLACEMENT = ChecklistConditions(
    fsm_eligible=False, commissioner_is_school=True, other_providers_involved=False
)
LA_PLACEMENT = ChecklistConditions(
    fsm_eligible=False, commissioner_is_school=False, other_providers_involved=False
)


def keys(items: list) -> list[str]:
    return [item.key for item in items]


def test_sections_in_the_seeds_order() -> None:
    assert SECTIONS == (
        "Safer recruitment",
        "Policies and procedures",
        "Communication",
        "Attendance",
        "Travel",
    )
    # Items are grouped by section, and the sections come in that order.
    seen = [item.section for item in ALL_ITEMS]
    first_seen = list(dict.fromkeys(seen))
    assert first_seen == list(SECTIONS)
    assert seen == sorted(seen, key=SECTIONS.index)


def test_keys_are_unique_and_as_specified() -> None:
    all_keys = [item.key for item in ALL_ITEMS]
    assert len(all_keys) == len(set(all_keys))
    assert keys(items_in_section(SAFER_RECRUITMENT)) == ["letter_of_assurance", "checks_sighted"]
    assert keys(items_in_section(POLICIES)) == [
        "our_policy_shared",
        "ap_policy_received",
        "issue_sharing_agreed",
    ]
    assert keys(items_in_section(COMMUNICATION)) == [
        "chronology_shared",
        "plans_shared",
        "other_providers_told",
        "fsm_arranged",
        "parents_informed",
        "length_and_return_agreed",
        "la_notified",
        "off_site_notice_given",
        "off_site_review_held",
        "health_needs_la_involved",
        "ehc_la_consulted",
    ]
    assert keys(items_in_section(ATTENDANCE)) == [
        "absence_sharing_agreed",
        "absence_deadline_agreed",
        "welfare_calls_agreed",
        "attendance_code_agreed",
        "full_time_provision",
    ]
    assert keys(items_in_section(TRAVEL)) == ["travel_provider_qa", "travel_policy_shared"]


def test_every_item_has_a_label_and_one_sentence_of_guidance() -> None:
    for item in ALL_ITEMS:
        assert item.label and item.label[0].isupper(), item.key
        assert item.guidance.endswith("."), item.key
        assert item.default_due_days >= 0, item.key


def test_only_checks_sighted_is_optional() -> None:
    assert [item.key for item in ALL_ITEMS if item.optional] == ["checks_sighted"]


def test_automatic_items_are_the_attendance_agreements_the_dialog_asks_for() -> None:
    assert {item.key for item in ALL_ITEMS if item.automatic} == {
        "absence_deadline_agreed",
        "welfare_calls_agreed",
        "attendance_code_agreed",
        "full_time_provision",
        "other_providers_told",
    }


def test_letter_of_assurance_and_policies_are_needed_before_the_pupil_starts() -> None:
    start = dt.date(2026, 9, 7)
    for key in ("letter_of_assurance", "our_policy_shared", "ap_policy_received"):
        assert default_due_date(definition(key), start) == start
    assert default_due_date(definition("la_notified"), start) == dt.date(2026, 9, 14)
    assert default_due_date(definition("length_and_return_agreed"), start) == dt.date(2026, 9, 21)


def test_free_school_meals_only_when_eligible() -> None:
    assert "fsm_arranged" not in keys(applicable_items(SCHOOL_PLACEMENT))
    eligible = ChecklistConditions(
        fsm_eligible=True, commissioner_is_school=True, other_providers_involved=False
    )
    assert "fsm_arranged" in keys(applicable_items(eligible))


def test_la_notified_only_when_a_school_commissions() -> None:
    assert "la_notified" in keys(applicable_items(SCHOOL_PLACEMENT))
    assert "la_notified" not in keys(applicable_items(LA_PLACEMENT))


def test_other_providers_told_only_when_others_are_involved() -> None:
    assert "other_providers_told" not in keys(applicable_items(SCHOOL_PLACEMENT))
    several = ChecklistConditions(
        fsm_eligible=False, commissioner_is_school=True, other_providers_involved=True
    )
    assert "other_providers_told" in keys(applicable_items(several))


def test_applicable_items_keep_the_guidances_order() -> None:
    everything = ChecklistConditions(
        fsm_eligible=True, commissioner_is_school=True, other_providers_involved=True
    )
    # Every item but those a reason for AP brings (one reason at a time).
    by_reason = REASON_CONDITIONS
    assert applicable_items(everything) == [i for i in ALL_ITEMS if i.applies not in by_reason]
    fewest = applicable_items(LA_PLACEMENT)
    assert fewest == [item for item in ALL_ITEMS if item in fewest]
    assert len(fewest) == len(ALL_ITEMS) - 3 - len([i for i in ALL_ITEMS if i.applies in by_reason])


def test_apply_when_describes_itself() -> None:
    assert "free school meals" in ApplyWhen.fsm_eligible.description
    assert definition("la_notified").applies is ApplyWhen.school_commissions


def test_unknown_key_is_a_clear_key_error() -> None:
    with pytest.raises(KeyError, match="letter_of_assurnace"):
        definition("letter_of_assurnace")
    with pytest.raises(ValueError, match="Unknown checklist section"):
        items_in_section("Reporting")
