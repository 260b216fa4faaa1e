"""Making the class of bug hard to write: a new column that can hold text is either encrypted
at rest or listed here as clear by design, with the reason (docs/privacy.md gives the same
list). A free-text field added in clear fails this test until someone decides."""

from __future__ import annotations

from sqlalchemy import JSON, Enum, String, Text

from storage.crypto import EncryptedText
from storage.models import Base
from storage.services.encryption import encrypted_columns

CLEAR_BY_DESIGN = {
    # Establishments: public details (Get Information about Schools), looked up by name.
    "organisations.name": "public",
    "organisations.urn": "public",
    "organisations.ukprn": "public",
    "organisations.address": "public",
    "sites.name": "public",
    "sites.address": "public",
    "sites.postcode": "public",
    # A subcontracted site's establishment (public, Get Information about Schools) and the
    # site's office phone: an establishment's details, not a person's.
    "sites.subcontractor_name": "public",
    "sites.subcontractor_urn": "public",
    "sites.phone": "an establishment's office number",
    "term_breaks.name": "public",
    # Staff: found by email and chat id at every message.
    "people.name": "staff, shown to colleagues",
    "people.email": "staff, looked up when they write",
    "people.slack_user_id": "looked up at every Slack message",
    "people.teams_aad_object_id": "looked up at every Teams message",
    "people.teams_tenant_id": "the Microsoft 365 tenant, looked up with the object id",
    "people.time_zone": "a setting",
    # Codes, references and keys the rules and the scheduler query.
    "placements.reference": "the short reference used in shared channels",
    "placements.provider_days": "weekdays",
    "placement_days.weekday": "mon to fri",
    "placements.attendance_code": "a DfE code",
    "placements.end_outcome": "a code",
    "attendance.code": "a DfE code",
    "attendance.proposed_code": "a DfE code a provider proposed",
    "attendance_changes.from_status": "a code",
    "attendance_changes.from_code": "a DfE code",
    "attendance_changes.to_status": "a code",
    "attendance_changes.to_code": "a DfE code",
    "attendance_changes.source": "a code",
    "welfare_call_attempts.outcome_code": "a DfE code",
    "checklist_items.key": "which check",
    "part_time_timetables.covered_days": "weekdays",
    "part_time_reviews.outcome": "a code (continue or full_time)",
    "chronology.shared_with": "organisation ids",
    "nudge_snoozes.subject": "e.g. check:12",
    "reminder_sweeps.instance": "a host name",
    "reminder_preparations.instance": "a host name",
    "reminder_preparations.outcome": "counts, or the kind of record that changed (a Person updated)",
    # The bot's bookkeeping: platform ids, message keys, errors from the platform.
    "chat_channels.platform": "slack or teams",
    "chat_channels.external_id": "the platform's channel id",
    "chat_channels.name": "the channel's name, e.g. pathways-ap",
    "workspace_links.platform": "slack or teams",
    "workspace_links.external_id": "a Slack team id or a Microsoft 365 tenant id, looked up",
    "workspace_links.name": "the workspace's or tenant's name, e.g. Oakfield Academy",
    "conversation_refs.platform": "slack or teams",
    "conversation_refs.target": "person:<id> or channel:<id>",
    "conversation_refs.conversation_id": "the platform's conversation id",
    "inbound_events.platform": "slack or teams",
    "inbound_events.event_id": "the platform's delivery id",
    "inbound_queue.platform": "slack or teams",
    "inbound_queue.kind": "e.g. message, /ap, activity",
    "inbound_queue.sender": "the platform's user (and conversation) id, as in identity links",
    "inbound_queue.claimed_by": "a bot process's host name and pid",
    "dialog_states.conversation": "the platform's conversation id",
    "dialog_states.dialog": "the dialog's name",
    "dialog_states.history": "field names answered",
    "outbox.key": "e.g. digest:12:2026-11-27",
    "outbox.kind": "nudge, digest, alert",
    "outbox.channel_ref": "the platform's channel id",
    "outbox.last_error": "the platform's error code",
    "outbox.claimed_by": "a bot instance",
    "outbox.delivered_via": "slack, teams or log",
    "reading_cursors.conversation": "the platform's conversation id",
    "reading_cursors.reading": "chronology, visits, contacts or history",
    "reading_cursors.reference": "a placement reference",
    "reading_cursors.after": "the sort key of the last item read (dates and ids)",
    "pending_files.filename": "named by placement reference and date",
    "pending_files.media_type": "e.g. application/pdf",
    # The audit log's own columns; `changes` holds "(recorded)" / "(changed)" for every
    # sealed field (see test_sealed_at_rest.py).
    "audit_log.channel": "terminal, slack, teams, cli",
    "audit_log.action": "created, updated, ...",
    "audit_log.record_type": "a table's name",
    "audit_log.changes": "values of fields not sealed",
    "audit_log.hash": "the hash chain (SHA-256 of each row and the one before)",
    "audit_checks.instance": "which bot process checked the chain",
    "audit_checks.head_hash": "a hash of the chain's head",
    "audit_checks.problem": "what the check found (row ids, never a row's contents)",
    # Slack installations (slack_sdk's columns; every token and webhook URL is sealed).
    "people.slack_team_id": "the Slack workspace of that user, to pick its bot token",
    "chat_channels.workspace_id": "the Slack workspace whose bot token posts there",
    **{
        f"{table}.{column}": "Slack's ids, names and scopes of an installation"
        for table in ("slack_installations", "slack_bots")
        for column in (
            "client_id",
            "app_id",
            "enterprise_id",
            "enterprise_name",
            "team_id",
            "team_name",
            "bot_id",
            "bot_user_id",
            "bot_scopes",
        )
    },
    "slack_installations.enterprise_url": "the Grid organisation's Slack address",
    "slack_installations.user_id": "the Slack user who installed the app",
    "slack_installations.user_scopes": "scopes",
    "slack_installations.incoming_webhook_channel": "a channel name",
    "slack_installations.incoming_webhook_channel_id": "a channel id",
    "slack_installations.incoming_webhook_configuration_url": "a Slack settings page",
    "slack_installations.token_type": "bot or user",
    "slack_oauth_states.state": "a one-time random value, minutes long",
}


def test_every_text_column_is_sealed_or_clear_by_design() -> None:
    textual = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String | Text | JSON | EncryptedText)
        and not isinstance(column.type, Enum)
    }
    sealed = {f"{table.name}.{column}" for table, column in encrypted_columns()}
    assert textual - sealed - set(CLEAR_BY_DESIGN) == set()
    assert set(CLEAR_BY_DESIGN) <= textual  # no stale entries
