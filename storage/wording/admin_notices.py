"""Notices to the bot's admins: something an admin must look into."""

from __future__ import annotations


def audit_chain_broken(problem: str) -> str:
    """The daily check found the audit log changed outside the bot (`problem`: what it found)."""
    return (
        f"{problem}\nSomeone changed the audit log outside the bot. Run "
        "`apbot audit verify` on the server, keep a copy of the database as it is, and see "
        "docs/audit.md for what to do next."
    )


def teams_link_conflict(*, tenant: str, object_id: str, upn: str, reason: str, email: str) -> str:
    """A Teams user wrote to the bot as someone already linked to another Teams account."""
    return (
        f"Teams sign-in refused: a Teams user (tenant {tenant}, object {object_id}) whose user "
        f"principal name is {upn} wrote to the bot, but {reason} Nothing was changed. If this "
        "is the same person on a new account, unlink the old one (`apbot people unlink-teams "
        f"{email}`) and ask them to write again; if not, find out who it was."
    )


def slack_workspace_installed(*, team_id: str, name: str, mapped_to: list[str]) -> str:
    """A Slack workspace added the app ("Add to Slack"); its people are answered only once it
    is mapped to their organisation."""
    if mapped_to:
        return (
            f"AP Safeguard was added to the Slack workspace {name or team_id} ({team_id}), "
            f"which is mapped to {', '.join(mapped_to)}. Nothing else to do."
        )
    return (
        f"AP Safeguard was added to the Slack workspace {name or team_id} ({team_id}). Nobody "
        "there can use it until you map it to the organisation whose staff use it: "
        f'`apbot workspaces link slack {team_id} "Organisation name"`. If you do not know '
        "this workspace, remove the app from it in Slack instead."
    )


def slack_workspace_removed(*, team_id: str, name: str, how: str) -> str:
    """A Slack workspace removed the app, or revoked its token: its token is deleted, its
    people and channels are kept."""
    return (
        f"AP Safeguard was {how} in the Slack workspace {name or team_id} ({team_id}). Its "
        "token is deleted, so the bot can no longer answer or remind anyone there; the people "
        "and channels linked to it, and everything they recorded, are kept. Reminders for them "
        "go by another way they can be reached, or wait in the outbox. To carry on in Slack, "
        "someone there adds the app again (the install link in docs/slack-setup.md)."
    )
