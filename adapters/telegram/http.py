"""Bot API requests over aiohttp instead of httpx.

python-telegram-bot sends its requests through a :class:`~telegram.request.BaseRequest`;
its default, ``HTTPXRequest``, goes through httpx, httpcore and anyio, which
cost more CPU per request than the rest of the adapter together (the
Telegram benchmark's profile: about a third of the bot's time per update
was spent in that stack).  aiohttp, which the webhook server already uses,
does the same keep-alive HTTP/1.1 requests with its C parser.  Only the
transport changes: PTB still builds every request and reads every answer
(status codes, ``retry_after``, error texts), so the adapter's error
mapping and the rate limiter see exactly what they saw before.

Like httpx, the requests honour the ``HTTPS_PROXY``/``NO_PROXY`` environment,
looked up once per origin: aiohttp's own ``trust_env`` would also read
``~/.netrc`` in a worker thread for every request (the Bot API's token is in
the URL, so there is nothing a ``.netrc`` could add).

A request without files goes as one JSON body (the Bot API takes
``application/json`` for every method but uploads) rather than a form: the
form would JSON-encode each nested value (a keyboard) on its own and then
percent-encode the whole, and aiohttp's ``FormData`` draws a multipart
boundary (a ``uuid4``) for every form it builds.  What Telegram reads is the
same parameters; uploads stay ``multipart/form-data``.  Per request nothing
is built that is the same every time: each endpoint's parsed URL (with its
proxy) and each set of timeouts are kept, and the cookie jar is a dummy (the
Bot API sets no cookies).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from aiohttp.payload import BytesPayload
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

#: PTB's own defaults for HTTPXRequest
DEFAULT_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 20.0
#: Endpoints' URLs are few (one per Bot API method); the cache is bounded anyway.
_MAX_URLS = 256


class AiohttpRequest(BaseRequest):
    """A :class:`~telegram.request.BaseRequest` on one ``aiohttp.ClientSession``
    with a bounded keep-alive connection pool."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 1,
        read_timeout: float | None = DEFAULT_TIMEOUT,
        write_timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float | None = DEFAULT_TIMEOUT,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        #: origin -> (proxy, its credentials), from the environment
        self._proxies: dict[str, tuple[URL | None, aiohttp.BasicAuth | None]] = {}
        #: url -> (its parsed URL, the proxy, its credentials)
        self._urls: dict[str, tuple[URL, URL | None, aiohttp.BasicAuth | None]] = {}
        #: (read, write, connect, pool) -> the ClientTimeout they give
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                trust_env=False,  # the environment's proxy: see _proxy
                headers={"User-Agent": self.USER_AGENT},
                # PTB reads and checks every answer itself
                raise_for_status=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = (
            request_data.multipart_data if request_data and request_data.contains_files else None
        )
        data: Any = None
        if files:
            assert request_data is not None
            form = aiohttp.FormData(request_data.json_parameters)
            for name, value in files.items():
                filename, content, *mime = value if isinstance(value, tuple) else (name, value)
                form.add_field(
                    name,
                    content,
                    filename=filename,
                    content_type=mime[0] if mime else "application/octet-stream",
                )
            data = form
        elif request_data is not None:
            parameters = request_data.parameters
            if parameters:
                data = BytesPayload(_json_body(parameters), content_type="application/json")
        timeout = self._timeout(
            self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout,
            (self._media_write_timeout if files else self._write_timeout)
            if isinstance(write_timeout, DefaultValue)
            else write_timeout,
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout,
            self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout,
        )
        try:
            target, proxy, proxy_auth = self._target(url)
            async with self._session.request(
                method, target, data=data, timeout=timeout, proxy=proxy, proxy_auth=proxy_auth
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except asyncio.CancelledError:
            raise
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err

    def _timeout(
        self,
        read: float | None,
        write: float | None,
        connect: float | None,
        pool: float | None,
    ) -> aiohttp.ClientTimeout:
        """aiohttp has no write timeout of its own; the whole request gets the
        sum, and reading the answer its own bound."""
        key = (read, write, connect, pool)
        found = self._timeouts.get(key)
        if found is None:
            parts = (read, write, connect, pool)
            total = None if any(p is None for p in parts) else sum(p for p in parts if p)
            acquire = None if pool is None or connect is None else pool + connect
            found = aiohttp.ClientTimeout(
                total=total, connect=acquire, sock_connect=connect, sock_read=read
            )
            if len(self._timeouts) < _MAX_URLS:
                self._timeouts[key] = found
        return found

    def _target(self, url: str) -> tuple[URL, URL | None, aiohttp.BasicAuth | None]:
        """``url`` parsed, with the proxy the environment names for it."""
        found = self._urls.get(url)
        if found is None:
            target = URL(url)
            found = (target, *self._proxy(target))
            if len(self._urls) >= _MAX_URLS:
                self._urls.clear()
            self._urls[url] = found
        return found

    def _proxy(self, target: URL) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """The proxy the environment names for ``target`` (``HTTPS_PROXY``,
        ``NO_PROXY``...), looked up once per origin."""
        origin = f"{target.scheme}://{target.host}:{target.port}"
        found = self._proxies.get(origin)
        if found is None:
            try:
                proxy, auth = get_env_proxy_for_url(target)
                found = (proxy, auth)
            except LookupError:
                found = (None, None)
            self._proxies[origin] = found
        return found


def _json_body(parameters: dict[str, Any]) -> bytes:
    """The parameters as the Bot API's JSON body (compact; PTB has made every
    value JSON-ready: objects as dicts, times as timestamps)."""
    return json.dumps(parameters, separators=(",", ":"), ensure_ascii=False).encode()
