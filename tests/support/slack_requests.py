"""Raw Slack request bodies of each kind the bot keeps, for tests that post the same body two
ways (the lean path in front of bolt, and bolt's own dispatch) or from a stranger's workspace."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from tests.fakes.slack_api import TEAM_ID

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def command(user: str, text: str, *, team_id: str = TEAM_ID, n: int = 1, **extra: str) -> str:
    """`/ap <text>`, form-encoded as Slack sends it."""
    fields = {
        "token": "legacy",
        "team_id": team_id,
        "team_domain": "ap-test",
        "channel_id": f"D{user}",
        "channel_name": "directmessage",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/ap",
        "text": text,
        "api_app_id": "A0001",
        "response_url": f"http://127.0.0.1:9/response/cmd{n}",
        "trigger_id": f"trigger.lean.{n}",
        **extra,
    }
    return urlencode(fields)


def dm(user: str, text: str, *, team_id: str = TEAM_ID, n: int = 1, **top: object) -> str:
    """`user` typing `text` in their DM with the bot (an Events API `message.im`)."""
    body = {
        "token": "legacy",
        "team_id": team_id,
        "api_app_id": "A0001",
        "event": {
            "type": "message",
            "channel": f"D{user}",
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": f"1800000000.{n:06d}",
            "event_ts": f"1800000000.{n:06d}",
        },
        "type": "event_callback",
        "event_id": f"EvLEAN{n:08d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": "UBOT", "is_bot": True}],
        **top,
    }
    return json.dumps(body)


def click(
    user: str,
    action_id: str,
    value: str,
    *,
    team_id: str = TEAM_ID,
    n: int = 1,
    block_id: str = "p1",
    response_url: str | None = None,
) -> str:
    """`user` clicking a button (`block_actions`, form-encoded with a `payload` field)."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "team_id": team_id},
        "api_app_id": "A0001",
        "token": "legacy",
        "team": {"id": team_id, "domain": "ap-test"},
        "trigger_id": f"trigger.lean.click.{n}",
        "container": {
            "type": "message",
            "message_ts": f"1800000001.{n:06d}",
            "channel_id": f"D{user}",
            "is_ephemeral": False,
        },
        "channel": {"id": f"D{user}"},
        "response_url": response_url or f"http://127.0.0.1:9/response/act{n}",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "text": {"type": "plain_text", "text": "Yes ✓ & <b>"},
                "action_ts": f"{time.time():.6f}",
            }
        ],
        "message": {"ts": f"1800000001.{n:06d}", "text": "Save?", "blocks": []},
        "state": {"values": {}},
    }
    return urlencode({"payload": json.dumps(payload)})
