"""The Telegram webhook server: secret first, size second, 200 after the store.

python-telegram-bot's webhook server (tornado) reads a request's whole body
before it looks at the secret token, so anyone who finds the URL can make
the bot hold bodies of up to 100 MB in memory.  This server is aiohttp's:

1. a request without the right ``X-Telegram-Bot-Api-Secret-Token`` is
   refused (403) before one byte of its body is read;
2. a body that announces more than :data:`MAX_BODY` is refused (413) unread,
   and one without a length stops at the limit (aiohttp's ``client_max_size``);
3. the update is stored in the core's inbox, and only then answered 200, so
   Telegram sends it again if the bot dies before the store.

A button press in a private chat is answered (its spinner stopped) in that
200 itself: the Bot API runs one method given in a webhook's response, so
the press costs no ``answerCallbackQuery`` request of its own.  Only that
answer rides on the response -- never a message, whose delivery must be
recorded (the outbox); a lost response only lets the spinner time out.

Private presses, texts and commands -- nearly every update -- are read
straight from the JSON (:func:`~adapters.telegram.translate.private_press`,
:func:`~adapters.telegram.from_json.private_message`); only the rest is
parsed by PTB.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Bot, CallbackQuery, Update

from adapters.telegram.from_json import private_message
from adapters.telegram.intake import TelegramIntake
from adapters.telegram.translate import private_press

_log = logging.getLogger(__name__)

#: Telegram's updates are a few kilobytes; 1 MB is generous.
MAX_BODY = 1024 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_app(bot: Bot, intake: TelegramIntake, path: str, secret: str) -> web.Application:
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.Response(status=403)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.Response(status=413)
        try:
            data = json.loads(await request.read())
            press = private_press(data)
            message = None if press is not None else private_message(data, bot.username)
            update = None if press or message else Update.de_json(data, bot)
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413)
        except Exception:
            return web.Response(status=400)
        if press is None and message is None and update is None:
            return web.Response(status=400)
        queries: list[CallbackQuery] = []
        try:
            if update is not None:
                queries = await intake.accept([update], answer_inline=True)
            elif press is not None:  # most updates: no PTB objects but the query's
                update_id, query_id, event, ref = press
                actor = data["callback_query"]["from"]
                query = intake.press(query_id, actor["id"], actor["first_name"])
                queries = await intake.admit([(update_id, query, event, ref)], answer_inline=True)
            elif message is not None:  # a private text or command: no PTB objects at all
                await intake.admit([(message[0], None, message[1], None)], answer_inline=True)
        except Exception as exc:
            # Not stored: a 5xx makes Telegram send it again later.
            _log.warning("could not store a Telegram update (%s)", type(exc).__name__)
            return web.Response(status=503)
        if queries:  # one update per request, so at most one press
            return web.json_response(
                {"method": "answerCallbackQuery", "callback_query_id": queries[0].id}
            )
        return web.Response(status=200)

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/" + path.lstrip("/"), receive)
    return app


async def start_webhook(
    bot: Bot, intake: TelegramIntake, *, host: str, port: int, path: str, secret: str
) -> web.AppRunner:
    """Start listening; the caller cleans the runner up."""
    runner = web.AppRunner(webhook_app(bot, intake, path, secret), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
