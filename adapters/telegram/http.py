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
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

#: PTB's own defaults for HTTPXRequest
DEFAULT_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 20.0


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

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            self._session = aiohttp.ClientSession(
                connector=connector,
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
        files = request_data.multipart_data if request_data else None
        data: Any = request_data.json_parameters if request_data else None
        if files:
            form = aiohttp.FormData(data or {})
            for name, value in files.items():
                filename, content, *mime = value if isinstance(value, tuple) else (name, value)
                form.add_field(
                    name,
                    content,
                    filename=filename,
                    content_type=mime[0] if mime else "application/octet-stream",
                )
            data = form
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        write = (
            (self._media_write_timeout if files else self._write_timeout)
            if isinstance(write_timeout, DefaultValue)
            else write_timeout
        )
        # aiohttp has no write timeout of its own; the whole request gets the
        # sum, and reading the answer its own bound.
        parts = (read, write, connect, pool)
        total = None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
        acquire = None if pool is None or connect is None else pool + connect
        timeout = aiohttp.ClientTimeout(
            total=total, connect=acquire, sock_connect=connect, sock_read=read
        )
        try:
            proxy, proxy_auth = self._proxy(url)
            async with self._session.request(
                method, url, data=data, timeout=timeout, proxy=proxy, proxy_auth=proxy_auth
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except asyncio.CancelledError:
            raise
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err

    def _proxy(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """The proxy the environment names for ``url`` (``HTTPS_PROXY``,
        ``NO_PROXY``...), looked up once per origin."""
        target = URL(url)
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
