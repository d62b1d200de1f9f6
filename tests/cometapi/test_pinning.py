"""DNS rebinding: a download goes to the exact address that was checked, with the name in the
Host header and as the TLS SNI name; every redirect hop is resolved, checked and pinned again.
The transport only records what the client sent (httpx's in-process transport)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from bot.cometapi.client import CometAPIClient
from bot.cometapi.errors import UnsafeURL
from tests.cometapi.recorder import BASE, KEY, Recorder

PUBLIC = "93.184.216.34"
OTHER_PUBLIC = "151.101.1.69"


class Resolver:
    """Answers from a table, one answer list per call (the last repeats); counts lookups."""

    def __init__(self, table: dict[str, list[list[str]]]) -> None:
        self.table = table
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append((host, port))
        answers = self.table[host]
        return answers.pop(0) if len(answers) > 1 else answers[0]


def image(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"\x89PNG-bytes")


@pytest.mark.fault(28)
async def test_a_download_goes_to_the_checked_address_with_the_name_kept() -> None:
    # A rebinding name: public for the check, loopback for anyone who asks again.
    resolve = Resolver({"cdn.rebind.test": [[PUBLIC], ["127.0.0.1"]]})
    rec = Recorder(image)
    async with rec.client(resolver=resolve) as client:
        data = await client.download("https://cdn.rebind.test:8443/a/b.png?x=1", max_bytes=100)
    assert data == b"\x89PNG-bytes"
    assert resolve.calls == [("cdn.rebind.test", 8443)]  # resolved once, by the check only
    (sent,) = rec.requests
    assert str(sent.url) == f"https://{PUBLIC}:8443/a/b.png?x=1"
    assert sent.headers["host"] == "cdn.rebind.test:8443"
    assert sent.extensions["sni_hostname"] == "cdn.rebind.test"  # TLS verifies the name
    assert sent.headers["connection"] == "close"  # no pooled connection reused for other names
    assert "authorization" not in sent.headers


async def test_ipv6_addresses_are_bracketed() -> None:
    resolve = Resolver({"v6.example.test": [["2606:2800:220:1:248:1893:25c8:1946"]]})
    rec = Recorder(image)
    async with rec.client(resolver=resolve) as client:
        await client.download("http://v6.example.test/x.png", max_bytes=100)
    (sent,) = rec.requests
    assert str(sent.url) == "http://[2606:2800:220:1:248:1893:25c8:1946]/x.png"
    assert sent.headers["host"] == "v6.example.test"


async def test_every_redirect_hop_is_resolved_and_pinned_again() -> None:
    resolve = Resolver({"a.example.test": [[PUBLIC]], "b.example.test": [[OTHER_PUBLIC]]})

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["host"] == "a.example.test":
            return httpx.Response(302, headers={"Location": "https://b.example.test/final.png"})
        return image(request)

    rec = Recorder(handler)
    async with rec.client(resolver=resolve) as client:
        await client.download("https://a.example.test/start", max_bytes=100)
    assert [r.url.host for r in rec.requests] == [PUBLIC, OTHER_PUBLIC]
    assert [r.headers["host"] for r in rec.requests] == ["a.example.test", "b.example.test"]
    assert [r.extensions["sni_hostname"] for r in rec.requests] == [
        "a.example.test",
        "b.example.test",
    ]
    assert [host for host, _ in resolve.calls] == ["a.example.test", "b.example.test"]


@pytest.mark.fault(28)
async def test_a_redirect_to_a_name_that_resolves_privately_is_refused() -> None:
    resolve = Resolver({"a.example.test": [[PUBLIC]], "inside.example.test": [["10.0.0.7"]]})

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://inside.example.test/admin"})

    rec = Recorder(handler)
    async with rec.client(resolver=resolve) as client:
        with pytest.raises(UnsafeURL):
            await client.download("https://a.example.test/start", max_bytes=100)
    assert len(rec.requests) == 1  # the private hop was never asked


@pytest.mark.fault(28)
@pytest.mark.parametrize(
    "answers",
    [
        ["127.0.0.1"],
        [PUBLIC, "127.0.0.1"],  # one private answer among public ones is enough
        ["::1"],
        [PUBLIC, "fe80::1%eth0"],
        ["10.1.2.3"],
        ["192.168.0.1"],
        ["169.254.169.254"],
        ["::ffff:127.0.0.1"],
        ["224.0.0.1"],
        ["0.0.0.0"],
        ["not an address"],
        [],
    ],
)
async def test_a_name_resolving_to_any_private_address_is_refused(answers: list[str]) -> None:
    resolve = Resolver({"cdn.example.test": [answers]})
    rec = Recorder(image)
    async with rec.client(resolver=resolve) as client:
        with pytest.raises(UnsafeURL):
            await client.download("https://cdn.example.test/x.png", max_bytes=100)
    assert rec.requests == []


async def test_the_key_never_goes_to_a_pinned_host_even_at_the_base_address() -> None:
    # The name resolves to the very IP the client is configured with as its base.
    resolve = Resolver({"cdn.example.test": [[PUBLIC]]})
    rec = Recorder(image)
    http = httpx.AsyncClient(transport=httpx.MockTransport(rec))
    async with CometAPIClient(f"https://{PUBLIC}", KEY, http=http, resolver=resolve) as client:
        await client.download("https://cdn.example.test/x.png", max_bytes=100)
        await client.download(f"https://{PUBLIC}/mj/image/1", max_bytes=100)
    assert [r.headers.get("authorization") for r in rec.requests] == [None, f"Bearer {KEY}"]
    await http.aclose()


@pytest.mark.fault(28)
async def test_an_ip_literal_is_checked_without_a_lookup() -> None:
    resolve = Resolver({})
    rec = Recorder(image)
    async with rec.client(resolver=resolve) as client:
        await client.download(f"https://{PUBLIC}/x.png", max_bytes=100)
        with pytest.raises(UnsafeURL):
            await client.download("http://[::1]:8080/x.png", max_bytes=100)
    assert resolve.calls == []
    assert [str(r.url) for r in rec.requests] == [f"https://{PUBLIC}/x.png"]
    assert "sni_hostname" not in rec.requests[0].extensions


async def test_the_base_origin_is_not_resolved_or_rewritten() -> None:
    resolve = Resolver({})
    rec = Recorder(image)
    async with rec.client(resolver=resolve) as client:
        await client.download(f"{BASE}/mj/image/5", max_bytes=100)
    assert resolve.calls == []
    assert rec.requests[0].url.host == "api.example.test"
    assert "sni_hostname" not in rec.requests[0].extensions


async def test_the_system_resolver_is_used_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an injected resolver the loop's getaddrinfo answers (here: patched)."""
    loop = asyncio.get_running_loop()
    asked: list[Any] = []

    async def getaddrinfo(host: str, port: int, **kwargs: Any) -> list[Any]:
        asked.append((host, port))
        address = PUBLIC if host == "good.example.test" else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    rec = Recorder(image)
    async with rec.client() as client:
        await client.download("https://good.example.test/x.png", max_bytes=100)
        with pytest.raises(UnsafeURL):
            await client.download("https://evil.example.test/x.png", max_bytes=100)
    assert asked == [("good.example.test", 443), ("evil.example.test", 443)]
    assert [r.url.host for r in rec.requests] == [PUBLIC]
