"""The Teams app package: `manifest/teams/manifest.json` and its two icons, zipped, with the bot's
app id filled in. Upload the zip in Teams (Apps, Manage your apps, Upload an app)."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).resolve().parents[3] / "manifest" / "teams"
FILES = ("manifest.json", "color.png", "outline.png")
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class ManifestError(ValueError):
    """The package can't be built, with the words to tell an admin why."""


def filled(manifest: dict[str, Any], app_id: str) -> dict[str, Any]:
    """The manifest with the app id as the Teams app's id and the bot's id."""
    if not GUID.match(app_id.strip()):
        raise ManifestError(
            f"{app_id!r} is not an app id: it looks like 00000000-0000-0000-0000-000000000000 "
            "(the Application (client) ID of the bot's Azure registration)."
        )
    app_id = app_id.strip().lower()
    bots = [{**bot, "botId": app_id} for bot in manifest.get("bots", [])]
    return {**manifest, "id": app_id, "bots": bots}


def build_package(out: Path, app_id: str, *, source: Path = SOURCE) -> Path:
    """Write the app package zip to `out` (the three files at the zip's top level)."""
    missing = [name for name in FILES if not (source / name).is_file()]
    if missing:
        raise ManifestError(f"Missing from {source}: {', '.join(missing)}.")
    manifest = filled(json.loads((source / "manifest.json").read_text("utf-8")), app_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for name in FILES[1:]:
            package.write(source / name, arcname=name)
    return out
