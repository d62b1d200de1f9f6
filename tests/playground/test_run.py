"""`mjbot run` with no DISCORD_TOKEN and no .env (a fresh clone) starts the playground: one
line with the address, a page that answers, and a job that goes through; Ctrl-C stops it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from tests.playground.test_page import free_port

pytestmark = pytest.mark.e2e
MJBOT = Path(sys.executable).with_name("mjbot")
STARTED_WITHIN = 60.0  # the promise for `make run`


async def started(process: asyncio.subprocess.Process) -> tuple[list[str], str]:
    """Lines printed until the playground's address; the address."""
    assert process.stdout is not None
    lines: list[str] = []
    while True:
        line = (await process.stdout.readline()).decode()
        if not line:
            raise AssertionError(f"mjbot exited before the playground was ready: {lines}")
        lines.append(line.rstrip())
        found = re.search(r"Playground: open (http://127\.0\.0\.1:\d+/)", line)
        if found:
            return lines, found.group(1)


async def test_run_without_a_token_opens_the_playground(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISCORD_TOKEN", "COMETAPI_KEY", "DISPLAY", "WAYLAND_DISPLAY")
    }
    env.update(PLAYGROUND_PORT=str(free_port()), SIM_SPEED="50", LOG_LEVEL="WARNING")
    process = await asyncio.create_subprocess_exec(
        str(MJBOT),
        "run",
        cwd=tmp_path,  # no .env here
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        lines, url = await asyncio.wait_for(started(process), STARTED_WITHIN)
        assert any("DISCORD_TOKEN is not set: starting the playground" in line for line in lines)
        assert (tmp_path / "data" / "playground.db").exists()
        assert not (tmp_path / "data" / "mjbot.db").exists()  # a real deployment's, untouched
        async with httpx.AsyncClient(base_url=url, timeout=10) as web:
            page = await web.get("/")
            assert page.status_code == 200 and "MJBot playground" in page.text
            assert (await web.get("/play/static/play.js")).status_code == 200
            world = (await web.get("/play/api/world")).json()
            general = world["channels"][0]["id"]
            assert [p["role"] for p in world["people"]] == [
                "Member",
                "Member",
                "Moderator",
                "Server owner",
            ]
            answer = await web.post(
                "/play/api/command",
                json={
                    "user": "alex",
                    "channel": general,
                    "command": "imagine",
                    "options": {"prompt": "a kite over the sea"},
                },
            )
            assert answer.json() == {"ok": True}
            for _ in range(400):  # the job finishes in seconds at SIM_SPEED=50
                shown = (await web.get(f"/play/api/messages?user=alex&channel={general}")).json()
                done = [
                    m
                    for m in shown["messages"]
                    if m["attachments"] and m["components"] and not m["loading"]
                ]
                if done:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"no result: {shown['messages']}")
            assert "a kite over the sea" in str(done[0]["embeds"])
            assert shown["warnings"] == []
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)  # Ctrl-C
        code = await asyncio.wait_for(process.wait(), 20)
    assert code in (0, 130)


async def test_bad_input_from_the_page_gets_a_sentence(tmp_path: Path) -> None:
    from bot.playground.launch import open_playground
    from bot.settings import load_settings

    settings = load_settings(database_path=tmp_path / "m.db", discord_token=None)
    async with open_playground(settings, port=free_port(), web_port=free_port()) as running:
        channel = str(running.guild.channel_ids[0])
        async with httpx.AsyncClient(base_url=running.url, timeout=10) as web:
            missing = await web.post(
                "/play/api/command",
                json={"user": "alex", "channel": channel, "command": "imagine", "options": {}},
            )
            assert missing.status_code == 400
            assert missing.json()["error"] == "The required option 'prompt' is missing."
            nobody = await web.get(f"/play/api/messages?user=mallory&channel={channel}")
            assert nobody.json() == {"error": "Nobody called 'mallory' is in the playground."}
            hidden = await web.post(
                "/play/api/command",
                json={"user": "alex", "channel": channel, "command": "nosuch", "options": {}},
            )
            assert hidden.status_code == 400 and "nosuch" in hidden.json()["error"]
            gone = await web.post(
                "/play/api/modal", json={"user": "alex", "modal": "1", "values": {}}
            )
            assert gone.json() == {"error": "That form was already sent or has expired."}
        assert running.fake.violations == []


async def test_a_busy_port_gets_a_sentence(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "COMETAPI_KEY")}
        process = await asyncio.create_subprocess_exec(
            str(MJBOT),
            "play",
            "--port",
            str(port),
            "--no-browser",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 3
    assert f"The playground cannot listen on port {port}" in err.decode()
    assert "Traceback" not in err.decode()
