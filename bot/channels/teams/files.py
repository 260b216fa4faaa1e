"""Files in Teams: a bot may put a file in someone's OneDrive only after they accept it, so a
report or export is offered with a consent card; on Accept, Teams gives an upload URL, the bot
uploads the bytes there and shows the file. (No botbuilder here: plain HTTP and card JSON.)"""

from __future__ import annotations

from typing import Any

import aiohttp

FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"


class UploadFailed(Exception):
    """OneDrive did not take the file."""


def consent_activity(*, file_id: int, filename: str, size: int, description: str) -> dict[str, Any]:
    """The card asking the person to accept the file."""
    context = {"file_id": file_id}
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": FILE_CONSENT,
                "name": filename,
                "content": {
                    "description": description,
                    "sizeInBytes": size,
                    "acceptContext": context,
                    "declineContext": context,
                },
            }
        ],
    }


def info_activity(upload_info: dict[str, Any]) -> dict[str, Any]:
    """The file, shown in the chat once it is uploaded."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": FILE_INFO,
                "contentUrl": upload_info.get("contentUrl"),
                "name": upload_info.get("name"),
                "content": {
                    "uniqueId": upload_info.get("uniqueId"),
                    "fileType": upload_info.get("fileType"),
                },
            }
        ],
    }


async def upload(url: str, content: bytes) -> None:
    """Put the bytes at the upload URL Teams gave (one request, the whole file)."""
    headers = {
        "Content-Length": str(len(content)),
        "Content-Range": f"bytes 0-{len(content) - 1}/{len(content)}",
    }
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.put(
                url, data=content, headers=headers, timeout=aiohttp.ClientTimeout(total=60)
            ) as response,
        ):
            if response.status >= 300:
                raise UploadFailed(f"OneDrive answered {response.status}")
    except aiohttp.ClientError as error:
        raise UploadFailed(str(error)) from error
