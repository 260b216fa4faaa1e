"""The Bot Framework token is asked for off the event loop: when msal's cached token has expired
it asks Microsoft's login service over HTTP, synchronously, and in the event loop that would stop
every other turn and acknowledgement until it answered."""

from __future__ import annotations

import asyncio
import threading

from botframework.connector.auth import MicrosoftAppCredentials

from bot.channels.teams.adapter import authorization


class SlowLogin(MicrosoftAppCredentials):
    """Credentials whose token comes only once the event loop has run something else: a login
    service that answers slowly, and a loop that must keep going meanwhile."""

    def __init__(self, loop_ran: threading.Event) -> None:
        super().__init__("app-id-of-the-bot", "its-password")
        self.loop_ran = loop_ran

    def get_access_token(self, force_refresh: bool = False) -> str:
        if not self.loop_ran.wait(timeout=10):
            raise AssertionError("the event loop was held while the token was fetched")
        return "token-from-login"


async def test_the_event_loop_keeps_going_while_a_token_is_fetched() -> None:
    loop_ran = threading.Event()
    asked = asyncio.create_task(authorization(SlowLogin(loop_ran)))
    other_turn = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(other_turn.set_result, "answered")
    assert await other_turn == "answered"  # the loop ran while the token was awaited
    loop_ran.set()
    assert await asked == "Bearer token-from-login"


async def test_no_token_is_asked_for_without_an_app_id() -> None:
    assert await authorization(MicrosoftAppCredentials("", "")) is None
