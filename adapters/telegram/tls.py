"""The Bot API clients' TLS context, built on another thread while the start imports.

Reading the certificate store into a TLS context (about 150 certificates
parsed by OpenSSL) takes some hundredths of a second of every start.  OpenSSL
does it with the interpreter's lock released, so a thread begun early
(:func:`prepare`, called by ``mentorbot run`` before it imports the database
layer and python-telegram-bot) builds it on the second core meanwhile; the
Application then takes the finished context (:func:`context`).  Without
:func:`prepare` the context is built on the spot, as before.

The context is the one httpx builds by default (``httpx.create_ssl_context()``,
whose choice of certificates this mirrors): ``SSL_CERT_FILE``, else
``SSL_CERT_DIR``, else certifi's bundle, verification and host names checked.
"""

from __future__ import annotations

import os
import ssl
import threading

_lock = threading.Lock()
_thread: threading.Thread | None = None
_built: list[ssl.SSLContext | BaseException] = []


def build() -> ssl.SSLContext:
    """What ``httpx.create_ssl_context()`` returns (``trust_env`` on)."""
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _build_into() -> None:
    try:
        _built.append(build())
    except BaseException as exc:  # raised again, on the main thread, by context()
        _built.append(exc)


def prepare() -> None:
    """Begin building the context on a daemon thread (once per process)."""
    global _thread
    with _lock:
        if _thread is None and not _built:
            _thread = threading.Thread(target=_build_into, name="tls-context", daemon=True)
            _thread.start()


def context() -> ssl.SSLContext:
    """The prepared context (waiting for the thread if it is still at work),
    else one built now.  Each call after a :func:`prepare` takes that
    context; later calls build their own, as httpx would."""
    global _thread
    with _lock:
        thread, _thread = _thread, None
    if thread is None:
        return build()
    thread.join()
    made = _built.pop()
    if isinstance(made, BaseException):
        raise made
    return made
