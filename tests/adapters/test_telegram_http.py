"""The aiohttp transport under python-telegram-bot: what PTB expects of a request.

The adapter's other tests run every Bot API call through it against the fake
Bot API (documents as multipart, 429s, 403s); these cover what the fake does
not: timeouts, a refused connection, and connection reuse.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, RetryAfter, TimedOut

from adapters.telegram.http import AiohttpRequest
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123:abc"


@pytest.fixture
async def slow_api(tg_env: None) -> AsyncIterator[tuple[str, list[int]]]:
    """A Bot API that answers ``getMe`` after 2 s; the peer ports it saw."""
    ports: list[int] = []

    async def answer(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        ports.append(peer[1] if peer else 0)
        if request.match_info["method"] == "getMe":
            await asyncio.sleep(2)
        user = {"id": 1, "is_bot": True, "first_name": "B", "username": "b_bot"}
        return web.json_response({"ok": True, "result": user})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", ports
    await runner.cleanup()


async def test_a_slow_answer_times_out_as_ptb_expects(slow_api: tuple[str, list[int]]) -> None:
    url, _ports = slow_api
    request = AiohttpRequest(read_timeout=0.3)
    bot = Bot(TOKEN, base_url=f"{url}/bot", request=request)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await bot.get_me()
    finally:
        await request.shutdown()


async def test_a_refused_connection_is_a_network_error(tg_env: None) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nobody listens there
    request = AiohttpRequest()
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await bot.get_me()
        assert not isinstance(caught.value, TimedOut)
    finally:
        await request.shutdown()


async def test_requests_reuse_their_connections(slow_api: tuple[str, list[int]]) -> None:
    url, ports = slow_api
    request = AiohttpRequest(connection_pool_size=2)
    bot = Bot(TOKEN, base_url=f"{url}/bot", request=request)
    await request.initialize()
    try:
        for _ in range(3):
            await asyncio.gather(*(bot.log_out() for _ in range(4)))
    finally:
        await request.shutdown()
    assert len(ports) == 12
    assert len(set(ports)) <= 2  # at most the pool's two connections, kept alive


async def test_a_429_reaches_ptb_with_its_retry_after(tg_fake: FakeTelegram) -> None:
    request = AiohttpRequest()
    bot = Bot(tg_fake.token, base_url=f"{tg_fake.url}/bot", request=request)
    await request.initialize()
    tg_fake.known_chat(7)
    tg_fake.fail_next("sendMessage", status=429, retry_after=3)
    try:
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(chat_id=7, text="hej")
        assert caught.value.retry_after.total_seconds() == 3  # type: ignore[union-attr]
        sent = await bot.send_message(chat_id=7, text="hej")
        assert sent.text == "hej"
    finally:
        await request.shutdown()


async def test_the_environments_proxy_is_used_and_no_proxy_respected(
    slow_api: tuple[str, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host only the proxy can reach: through ``HTTP_PROXY`` the request
    arrives (at the stand-in API, acting as the proxy); with the host in
    ``NO_PROXY`` it goes direct and fails."""
    url, ports = slow_api
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.setenv("NO_PROXY", "localhost")
    monkeypatch.delenv("no_proxy", raising=False)
    request = AiohttpRequest()
    bot = Bot(TOKEN, base_url="http://bot-api.invalid/bot", request=request)
    await request.initialize()
    try:
        await bot.log_out()
        assert len(ports) == 1  # reached the proxy
    finally:
        await request.shutdown()
    monkeypatch.setenv("NO_PROXY", "bot-api.invalid")
    request = AiohttpRequest()
    bot = Bot(TOKEN, base_url="http://bot-api.invalid/bot", request=request)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await bot.log_out()
        assert len(ports) == 1  # not through the proxy this time
    finally:
        await request.shutdown()


async def test_parameters_go_as_json_and_files_as_multipart(tg_env: None) -> None:
    """A request without files is one JSON body (nested objects as objects,
    ``None`` left out); an upload stays ``multipart/form-data``."""
    seen: list[tuple[str, str, bytes]] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append((request.match_info["method"], request.content_type, await request.read()))
        message = {"message_id": 9, "date": 1, "chat": {"id": 7, "type": "private"}}
        return web.json_response({"ok": True, "result": message})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    request = AiohttpRequest()
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
    await request.initialize()
    keyboard = {"inline_keyboard": [[{"text": "Ja 😀", "callback_data": "x:1"}]]}
    try:
        await bot._post(
            "sendMessage",
            {"chat_id": 7, "text": "Hej Åsa", "reply_markup": keyboard, "message_thread_id": None},
        )
        await bot.send_document(7, InputFile(b"BEGIN:VCALENDAR", filename="m.ics"))
    finally:
        await request.shutdown()
        await runner.cleanup()
    (method, kind, body), (upload, upload_kind, upload_body) = seen
    assert (method, kind) == ("sendMessage", "application/json")
    assert json.loads(body) == {"chat_id": 7, "text": "Hej Åsa", "reply_markup": keyboard}
    assert (upload, upload_kind) == ("sendDocument", "multipart/form-data")
    assert b"BEGIN:VCALENDAR" in upload_body and b'name="chat_id"' in upload_body
