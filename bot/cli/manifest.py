"""`apbot manifest teams --out FILE.zip`: the app package to upload to Teams."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.channels.teams.manifest import build_package
from bot.cli.runner import Refused
from bot.settings import get_settings


def register(subparsers: Any) -> None:
    """Add `manifest teams` to `apbot` (other platforms' packages can join as siblings)."""
    manifest = subparsers.add_parser("manifest", help="build an app package to upload")
    platforms = manifest.add_subparsers(dest="manifest_platform", metavar="PLATFORM", required=True)
    teams = platforms.add_parser(
        "teams",
        help="the Teams app package (manifest and icons, zipped)",
        description="Zip manifest/teams/ with the bot's app id filled in, ready to upload.",
    )
    teams.add_argument("--out", required=True, type=Path, help="where to write the .zip")
    teams.add_argument(
        "--app-id", help="the bot's Microsoft app id (default: the MicrosoftAppId setting)"
    )
    teams.set_defaults(handler=run_teams)


def run_teams(args: argparse.Namespace) -> int:
    """Build the package, or say what is missing."""
    app_id = args.app_id or get_settings().microsoft_app_id
    if not app_id:
        raise Refused(
            "No app id: set MicrosoftAppId (the bot's Azure registration) or pass --app-id."
        )
    out = build_package(args.out, app_id)
    print(f"Wrote {out}. Upload it in Teams: Apps, Manage your apps, Upload an app.")
    return 0
