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
