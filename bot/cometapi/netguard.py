"""Links from upstream never reach this machine or its network (faults.md #28), DNS rebinding
included.

Checking a name and then letting httpx resolve it again to connect leaves a gap: a hostile
name can answer a public address to the check and 127.0.0.1 to the connection. So a request
to any host other than CometAPI's own origin is sent to the exact address that was checked:
the URL's host becomes that IP, the `Host` header keeps the name, and TLS gets the name as
`sni_hostname`, so certificates are still verified against the name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx

from bot.cometapi.errors import UnsafeURL

# host, port -> the addresses it resolves to (strings, as getaddrinfo gives them).
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
DEFAULT_PORTS = {"http": 80, "https": 443}


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone ("%eth0")
    except ValueError:
        return None


async def checked_address(host: str, port: int, resolve: Resolver) -> str:
    """The address to connect to for `host`, once every address it resolves to is public.
    One private, loopback, link-local, multicast or unreadable answer refuses the host."""
    if _address(host) is not None:
        answers = [host]  # an IP literal needs no lookup
    else:
        try:
            answers = list(await resolve(host, port))
        except (OSError, UnicodeError, ValueError) as exc:
            raise UnsafeURL(f"download: cannot resolve {host}") from exc
    addresses = [_address(a) for a in answers]
    if not addresses:
        raise UnsafeURL(f"download: {host} resolves to nothing")
    for address in addresses:
        if address is None or not address.is_global or address.is_multicast:
            raise UnsafeURL(f"download: {host} is not a public address")
    checked = [a for a in addresses if a is not None]
    # Prefer IPv4: a pinned connection gets no happy-eyeballs fallback if IPv6 has no route.
    chosen = next((a for a in checked if a.version == 4), checked[0])
    return str(chosen)


async def pin(
    url: httpx.URL, resolve: Resolver
) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """(URL to request, extra headers, request extensions) that make httpx connect to the
    checked address of `url`'s host. Raises `UnsafeURL` for a private one."""
    host = url.raw_host.decode("ascii")
    port = url.port or DEFAULT_PORTS.get(url.scheme, 443)
    address = await checked_address(host, port, resolve)
    if _address(host) is not None:
        return url, {}, {}  # an IP literal: connecting to it is already exact
    headers = {
        "Host": url.netloc.decode("ascii"),
        # httpx pools connections by (scheme, IP, port), not by SNI name: never leave a
        # connection verified for one name behind for a request to another name on that IP.
        "Connection": "close",
    }
    return url.copy_with(host=address), headers, {"sni_hostname": host}
