"""The Teams app package: the manifest is valid against Microsoft's published JSON schema for its
version (from the npm package @microsoft/app-manifest, fetched at set-up), the icons are the
sizes Teams requires, and `apbot manifest teams` zips it with the app id filled in."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.channels.teams.manifest import SOURCE
from bot.cli import main
from dialogs.commands import find_dialog

APP_ID = "6f1b7c2e-8a55-4a3d-9a0c-2b1d3e4f5a6b"


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Microsoft's Teams manifest schemas, unpacked from the npm package."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, so Microsoft's manifest schema can't be fetched")
    folder = tmp_path_factory.mktemp("app-manifest")
    packed = subprocess.run(
        [npm, "pack", "@microsoft/app-manifest", "--silent", "--pack-destination", str(folder)],
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )
    tarball = folder / packed.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as archive:
        archive.extractall(folder, filter="data")
    return folder / "package" / "build" / "json-schemas" / "teams"


def _manifest() -> dict[str, Any]:
    result: dict[str, Any] = json.loads((SOURCE / "manifest.json").read_text("utf-8"))
    return result


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_manifest_is_valid_for_its_schema_version(schemas: Path) -> None:
    manifest = _manifest()
    version = manifest["manifestVersion"]
    assert tuple(int(p) for p in version.split(".")) >= (1, 19)
    assert manifest["$schema"].endswith(f"/v{version}/MicrosoftTeams.schema.json")
    schema = json.loads((schemas / f"v{version}" / "MicrosoftTeams.schema.json").read_text())
    errors = [
        f"{list(e.path)}: {e.message}"
        for e in jsonschema.Draft4Validator(schema).iter_errors(manifest)
    ]
    assert errors == []


def test_the_bot_has_every_scope_and_the_commands_people_type() -> None:
    [bot] = _manifest()["bots"]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    lists = {tuple(c["scopes"]): [x["title"] for x in c["commands"]] for c in bot["commandLists"]}
    assert lists[("personal",)] == [
        "start", "visit", "absent", "present", "contact", "concern", "check", "end", "status", "help"
    ]  # fmt: skip
    for title in lists[("team", "groupChat")]:  # only what works where others can read it
        dialog = find_dialog(title)
        assert dialog is not None and dialog.shared_ok, title


def test_the_icons_are_the_sizes_teams_requires() -> None:
    assert _png_size((SOURCE / "color.png").read_bytes()) == (192, 192)
    assert _png_size((SOURCE / "outline.png").read_bytes()) == (32, 32)


def test_apbot_manifest_teams_builds_the_package(
    schemas: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ap-safeguard-teams.zip"
    assert main(["manifest", "teams", "--out", str(out), "--app-id", APP_ID]) == 0
    assert "Upload it in Teams" in capsys.readouterr().out
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        assert _png_size(package.read("color.png")) == (192, 192)
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    schema = json.loads(
        (schemas / f"v{manifest['manifestVersion']}" / "MicrosoftTeams.schema.json").read_text()
    )
    jsonschema.validate(manifest, schema, cls=jsonschema.Draft4Validator)


def test_apbot_manifest_teams_needs_a_real_app_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "package.zip"
    assert main(["manifest", "teams", "--out", str(out), "--app-id", "my-bot"]) == 2
    assert "is not an app id" in capsys.readouterr().err
    assert not out.exists()
