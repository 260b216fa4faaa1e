"""Who may knock at /api/messages, decided before a turn runs (no botbuilder here).

With an app id, the Bot Framework's token proves an activity came from Microsoft; only Teams'
own channel (`msteams`) and the allowed tenants are then let in. Without one (the local trial,
for the Microsoft 365 Agents Playground) nothing is proven, so the request must come straight
from this machine: its TCP peer on loopback, no proxy's `Forwarded` / `X-Forwarded-*` header,
and a loopback `serviceUrl`, so replies (and uploads) can only go back to this machine too.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

TEAMS_CHANNEL = "msteams"
# The tenant a local trial's activity is taken to come from when it names none.
LOCAL_TRIAL_TENANT = "local-trial"
# Headers a proxy adds: a request carrying one was passed on, whatever its TCP peer says.
PROXY_HEADERS = ("forwarded", "via", "x-real-ip")
PROXY_HEADER_PREFIX = "x-forwarded-"


# The answers below depend on their text alone, and a deployment meets few peers and service
# URLs: remembered (bounded), as parsing them was a tenth of a local trial's acknowledgement.
ANSWERS_REMEMBERED = 512


@functools.lru_cache(maxsize=ANSWERS_REMEMBERED)
def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 (also as ::ffff:127.0.0.1), localhost."""
    if not host:
        return False
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def is_loopback_url(url: object) -> bool:
    """An http(s) address on this machine (where the Agents Playground listens)."""
    if not url:
        return False
    if isinstance(url, str):
        return _is_loopback_url(url)
    return _is_loopback_url(str(url))


@functools.lru_cache(maxsize=ANSWERS_REMEMBERED)
def _is_loopback_url(url: str) -> bool:
    try:
        parts = urlsplit(str(url))
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and is_loopback(host)


def local_caller_refusal(peer: Any, header_names: Iterable[str]) -> str | None:
    """Why a request without a token is refused (None: it came straight from this machine).
    `peer` is the transport's peername: (host, port, ...) for TCP."""
    host = peer[0] if isinstance(peer, tuple | list) and peer else None
    if not is_loopback(str(host) if host is not None else None):
        return "caller is not on this machine"
    for name in header_names:
        lowered = name.lower()
        if lowered in PROXY_HEADERS or lowered.startswith(PROXY_HEADER_PREFIX):
            return "request was passed on by a proxy"
    return None


def activity_tenant(activity: dict[str, Any]) -> str | None:
    """The Microsoft 365 tenant an activity comes from (channelData.tenant, or the
    conversation's tenantId), lower-cased."""
    data = activity.get("channelData")
    tenant = (data.get("tenant") or {}) if isinstance(data, dict) else {}
    found = tenant.get("id") if isinstance(tenant, dict) else None
    if not found:
        conversation = activity.get("conversation")
        found = conversation.get("tenantId") if isinstance(conversation, dict) else None
    return str(found).strip().lower() if found else None


def tenant_allowed(activity: dict[str, Any], allowed: frozenset[str], *, local_trial: bool) -> bool:
    """The activity's tenant is on the allow-list. In the local trial with no list, any tenant
    (the Playground makes one up; only this machine can reach the bot then)."""
    if local_trial and not allowed:
        return True
    tenant = activity_tenant(activity)
    return tenant is not None and tenant in allowed
