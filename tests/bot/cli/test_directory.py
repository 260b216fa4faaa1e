"""`apbot seed-demo`, `apbot people ...` and `apbot orgs ...`, run in-process as a person would."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main

TABLES = (
    "organisations",
    "sites",
    "people",
    "pupils",
    "placements",
    "checklist_items",
    "audit_log",
)


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in TABLES
        }


def _rows(path: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


def test_seed_demo_loads_once_then_changes_nothing(
    migrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed-demo"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Demo data loaded: 1 local authority, 2 schools, 3 providers,")
    assert "5 placements." in out
    first = _counts(migrated)
    assert first["placements"] == 5

    assert main(["seed-demo"]) == 0
    assert capsys.readouterr().out.strip() == "Demo data already present; nothing changed."
    assert main(["seed-demo", "--if-empty", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert _counts(migrated) == first


def test_seed_demo_if_empty_leaves_a_real_setup_alone(
    migrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["orgs", "add", "--kind", "local_authority", "--name", "Testshire Council"]) == 0
    capsys.readouterr()

    assert main(["seed-demo", "--if-empty"]) == 0

    assert "demo data not loaded" in capsys.readouterr().out
    assert _counts(migrated)["organisations"] == 1
    assert _counts(migrated)["people"] == 0


def test_people_list_shows_the_demo_dsl_with_role_and_organisation(
    migrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["seed-demo", "--quiet"])

    assert main(["people", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["email", "name", "role", "organisation"]
    dsl_line = next(line for line in lines if line.startswith("dsl@oakfield.example "))
    assert " dsl " in dsl_line and dsl_line.endswith("Oakfield Academy")
    assert lines[-1].startswith("admin@apsafeguard.example") and lines[-1].endswith("-")

    assert main(["people", "list", "--json"]) == 0
    people = json.loads(capsys.readouterr().out)
    dsl = next(p for p in people if p["email"] == "dsl@oakfield.example")
    assert dsl["role"] == "dsl" and dsl["organisation"] == "Oakfield Academy"
    assert set(dsl) == {
        "email",
        "name",
        "role",
        "organisation",
        "slack_user_id",
        "teams_aad_object_id",
    }


def test_people_add_sets_someone_up_and_audits_it(
    migrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["seed-demo", "--quiet"])

    code = main(
        ["people", "add", "--name", "Priya Shah", "--email", "Priya.Shah@Oakfield.example",
         "--role", "teacher", "--org", "oakfield academy", "--slack-user-id", "U0TEST1"]
    )  # fmt: skip

    assert code == 0
    assert capsys.readouterr().out.strip() == (
        "Added Priya Shah <priya.shah@oakfield.example> as teacher at Oakfield Academy."
    )
    [(person_id, slack)] = _rows(
        migrated, "SELECT id, slack_user_id FROM people WHERE email = 'priya.shah@oakfield.example'"
    )
    assert slack == "U0TEST1"
    audit = _rows(
        migrated,
        f"SELECT channel, action FROM audit_log WHERE record_type = 'Person' AND record_id = {person_id}",
    )
    assert audit == [("cli", "created")]


def test_a_duplicate_email_is_refused_and_nothing_saved(
    migrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["seed-demo", "--quiet"])
    before = _counts(migrated)

    code = main(
        ["people", "add", "--name", "Helen Again", "--email", " DSL@oakfield.example",
         "--role", "dsl", "--org", "Oakfield Academy"]
    )  # fmt: skip

    assert code == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == "Someone with the email dsl@oakfield.example is already set up."
    assert captured.out == ""
    assert _counts(migrated) == before


def test_people_add_refuses_an_unknown_organisation_or_a_role_that_does_not_fit(
    migrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["seed-demo", "--quiet"])
    before = _counts(migrated)

    unknown = ["people", "add", "--name", "A B", "--email", "a@b.example", "--role", "teacher"]
    assert main([*unknown, "--org", "Nowhere School"]) == 2
    assert "No organisation is called (or numbered) Nowhere School" in capsys.readouterr().err
    assert main([*unknown, "--org", "Horizon Learning Centre"]) == 2
    assert "Horizon Learning Centre is not one" in capsys.readouterr().err
    assert _counts(migrated) == before


def test_orgs_add_add_site_and_list(migrated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["orgs", "add", "--kind", "local_authority", "--name", "Testshire Council"]) == 0
    code = main(
        ["orgs", "add", "--kind", "provider", "--name", "Wheels Workshop", "--la", "Testshire Council",
         "--registration", "unregistered", "--ukprn", "19999999", "--address", "Unit 4, Test Estate"]
    )  # fmt: skip
    assert code == 0
    assert main(["orgs", "add", "--kind", "school", "--name", "Elm Park School", "--urn", "900001",
                 "--la", "1", "--full-time-hours", "31"]) == 0  # fmt: skip
    assert main(["orgs", "add-site", "--provider", "wheels workshop", "--name", "Workshop",
                 "--address", "Unit 4, Test Estate", "--postcode", "tt2 3cc"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "Added provider Wheels Workshop" in out
    assert "Added site Workshop to Wheels Workshop" in out

    assert main(["orgs", "list", "--kind", "provider", "--json"]) == 0
    [provider] = json.loads(capsys.readouterr().out)
    assert provider["name"] == "Wheels Workshop"
    assert provider["registration_status"] == "unregistered"
    assert provider["la_id"] == 1
    assert provider["sites"] == [
        {
            "id": 1,
            "name": "Workshop",
            "address": "Unit 4, Test Estate",
            "postcode": "TT2 3CC",
            "kind": "main",
            "subcontractor_name": None,
            "subcontractor_urn": None,
            "phone": None,
        }
    ]

    assert main(["orgs", "list"]) == 0
    table = capsys.readouterr().out
    assert "Unregistered provider" in table
    assert "Elm Park School" in table and "900001" in table
    assert _rows(migrated, "SELECT full_time_hours FROM organisations WHERE urn = '900001'") == [
        (31,)
    ]


def test_orgs_add_refuses_a_provider_without_its_registration(
    migrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["orgs", "add", "--kind", "provider", "--name", "Pathways"]) == 2
    assert "Say how Pathways is registered" in capsys.readouterr().err
    school = ["orgs", "add", "--kind", "school", "--name", "Elm Park School"]
    assert main([*school, "--full-time-hours", "lots"]) == 2
    assert capsys.readouterr().err == (
        "--full-time-hours: Please give a number of hours a week, like 25 or 7.5.\n"
    )
    assert _counts(migrated)["organisations"] == 0


def test_people_unlink_teams_forgets_a_teams_account_and_audits_it(
    migrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["seed-demo", "--quiet"])
    main(
        ["people", "add", "--name", "Priya Shah", "--email", "priya.shah@oakfield.example",
         "--role", "teacher", "--org", "oakfield academy", "--teams-aad-object-id", "aad-priya"]
    )  # fmt: skip
    capsys.readouterr()

    assert main(["people", "unlink-teams", "Priya.Shah@Oakfield.example"]) == 0
    assert capsys.readouterr().out.strip() == (
        "Unlinked priya.shah@oakfield.example from their Teams account."
    )
    assert _rows(
        migrated,
        "SELECT teams_aad_object_id, teams_tenant_id FROM people"
        " WHERE email = 'priya.shah@oakfield.example'",
    ) == [(None, None)]
    [(changes,)] = _rows(
        migrated,
        "SELECT changes FROM audit_log WHERE record_type = 'Person' AND action = 'updated'",
    )
    assert json.loads(changes)["teams_aad_object_id"] == {"from": "aad-priya", "to": None}
    assert main(["people", "unlink-teams", "priya.shah@oakfield.example"]) == 0
    assert "was not linked" in capsys.readouterr().out
    assert main(["people", "unlink-teams", "nobody@nowhere.example"]) == 2


def test_add_site_records_a_satellite_or_a_subcontracted_providers_site(
    migrated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["orgs", "add", "--kind", "provider", "--name", "Wheels Workshop",
                 "--registration", "unregistered", "--ukprn", "19999999"]) == 0  # fmt: skip
    site = ["orgs", "add-site", "--provider", "Wheels Workshop", "--address", "Test Yard, Testtown"]
    # A subcontracted site names who runs it; a URN is digits.
    assert main([*site, "--name", "Boxing gym", "--kind", "subcontracted"]) == 2
    assert "needs the subcontractor's name" in capsys.readouterr().err
    assert main([*site, "--name", "Boxing gym", "--kind", "subcontracted",
                 "--subcontractor", "Testtown Boxing CIC", "--subcontractor-urn", "abc"]) == 2  # fmt: skip
    assert "is not a URN" in capsys.readouterr().err
    assert main([*site, "--name", "Farm", "--subcontractor", "Someone"]) == 2
    assert "Only a subcontracted provider's site has a subcontractor" in capsys.readouterr().err

    assert main([*site, "--name", "Boxing gym", "--kind", "subcontracted", "--subcontractor",
                 "Testtown Boxing CIC", "--subcontractor-urn", "123456", "--phone", "01632 960999"]) == 0  # fmt: skip
    assert main([*site, "--name", "Farm", "--kind", "satellite"]) == 0
    out = capsys.readouterr().out
    assert (
        "Added site Boxing gym to Wheels Workshop (site id 1, subcontracted provider's site "
        "run by Testtown Boxing CIC)." in out
    )
    assert "Added site Farm to Wheels Workshop (site id 2, satellite site)." in out
    assert main(["orgs", "list", "--kind", "provider", "--json"]) == 0
    [provider] = json.loads(capsys.readouterr().out)
    gym, farm = provider["sites"]
    assert (gym["kind"], gym["subcontractor_name"], gym["subcontractor_urn"], gym["phone"]) == (
        "subcontracted", "Testtown Boxing CIC", "123456", "01632 960999"
    )  # fmt: skip
    assert (farm["kind"], farm["subcontractor_name"]) == ("satellite", None)
