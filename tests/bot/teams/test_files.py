"""Reports and exports in Teams: offered with a consent card, uploaded where Teams says on
Accept, shown as a file; never offered in a shared chat."""

from __future__ import annotations

from bot.channels.teams.files import FILE_CONSENT, FILE_INFO
from tests.support.teams import Chat, TeamsUser
from tests.support.world import school_with_ap


def _consents(activities: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    return [
        a
        for act in activities
        for a in act.get("attachments") or []
        if a["contentType"] == FILE_CONSENT
    ]


async def _answer(dee: TeamsUser, consent: dict, action: str) -> int:  # type: ignore[type-arg]
    name = consent["name"]
    return await dee.post(
        dee.activity(
            Chat.personal("dee"),
            type="invoke",
            name="fileConsent/invoke",
            value={
                "type": "fileUpload",
                "action": action,
                "context": consent["content"]["acceptContext"],
                "uploadInfo": {
                    "name": name,
                    "uploadUrl": dee.connector.upload_url(name),
                    "contentUrl": f"https://onedrive.example/{name}",
                    "uniqueId": "u-1",
                    "fileType": name.rsplit(".", 1)[1],
                },
            },
        )
    )


async def test_the_governors_report_is_offered_then_uploaded_on_accept(
    db, clock, client, connector
) -> None:
    world, _, _ = await school_with_ap(db, clock)
    connector.add_member("29:dee", email=world.dsl.email, aad_object_id="aad-dee")
    dee = TeamsUser(client, connector, "29:dee", "aad-dee")
    said = await dee.say("report governors this term", Chat.personal("dee"))
    offers = _consents(said)
    assert [o["name"] for o in offers] == [
        "governors-report-autumn-2026.html",
        "governors-report-autumn-2026.pdf",
        "governors-report-autumn-2026.csv",
    ]
    pdf = offers[1]
    assert pdf["content"]["sizeInBytes"] > 1000
    assert await _answer(dee, pdf, "accept") == 200
    assert connector.uploads[pdf["name"]].startswith(b"%PDF")
    shown = [
        a
        for act in connector.delivered()
        for a in act.get("attachments") or []
        if a["contentType"] == FILE_INFO
    ]
    assert shown and shown[-1]["contentUrl"].endswith(pdf["name"])
    # The same consent again (a double click): nothing uploaded twice, and said so.
    before = len(connector.uploads)
    assert await _answer(dee, pdf, "accept") == 200
    assert len(connector.uploads) == before and "already been sent" in connector.texts()[-1]
    # Declined: not uploaded, and it can't be accepted afterwards.
    assert await _answer(dee, offers[2], "decline") == 200
    assert offers[2]["name"] not in connector.uploads and "Not sent" in connector.texts()[-1]


async def test_no_files_in_a_shared_chat(db, clock, client, connector) -> None:
    world, _, _ = await school_with_ap(db, clock)
    connector.add_member("29:dee", email=world.dsl.email, aad_object_id="aad-dee")
    dee = TeamsUser(client, connector, "29:dee", "aad-dee")
    said = await dee.say("report governors this term", Chat.group("chat-1"))
    assert _consents(said) == []
