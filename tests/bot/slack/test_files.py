"""Reports and exports arrive in Slack as files, uploaded into the person's DM."""

from __future__ import annotations

from tests.support.world import school_with_ap

DSL = "UDSL"


async def test_governors_report_is_uploaded_to_the_dsl(db, clock, workspace) -> None:
    world, _, _ = await school_with_ap(db, clock)
    workspace.api.add_user(DSL, email=world.dsl.email)
    assert await workspace.dm(DSL, "report governors this term") == 200
    completed = workspace.api.calls_to("files.completeUploadExternal")
    assert [c.args["channel_id"] for c in completed] == [f"D{DSL}"] * 3
    names = [c.args["filename"] for c in workspace.api.calls_to("files.getUploadURLExternal")]
    assert names == [
        "governors-report-autumn-2026.html",
        "governors-report-autumn-2026.pdf",
        "governors-report-autumn-2026.csv",
    ]
    pdf = next(iter(v for v in workspace.api.uploads.values() if v.startswith(b"%PDF")))
    assert len(pdf) > 1000
    uploaded = b" ".join(workspace.api.uploads.values())
    assert b"Jamie" not in uploaded and b"Testpupil" not in uploaded
