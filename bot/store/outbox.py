"""Outbox rows: written inside the causing transaction, delivered after commit."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.core.types import Address, Attachment, Choice, Outgoing, Reply
from bot.store.db import to_db
from bot.store.models import OutboxMessage
from bot.store.session import DbSession


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "choices": [[c.id, c.label] for c in reply.choices],
        "private": reply.private,
        "attachments": [
            [a.filename, a.mime_type, base64.b64encode(a.content).decode()]
            for a in reply.attachments
        ],
        "question": reply.question,
        "clears": reply.clears,
    }


def payload_to_reply(payload: dict[str, Any]) -> Reply:
    return Reply(
        text=payload["text"],
        choices=tuple(Choice(i, label) for i, label in payload.get("choices", [])),
        private=bool(payload.get("private", False)),
        attachments=tuple(
            Attachment(name, base64.b64decode(data), mime)
            for name, mime, data in payload.get("attachments", [])
        ),
        question=payload.get("question"),
        clears=payload.get("clears"),
    )


def row_to_outgoing(row: OutboxMessage) -> Outgoing:
    address = Address(row.platform, row.chat_id, row.thread_id, row.address_kind)  # type: ignore[arg-type]
    return Outgoing(address, payload_to_reply(row.payload), idem_key=row.idem_key)


async def enqueue(
    session: DbSession,
    address: Address,
    reply: Reply,
    now: datetime,
    *,
    person_id: int | None = None,
    key: str | None = None,
) -> int | None:
    """Add a message; with a ``key`` already present, nothing is added (idempotent)."""
    idem = key or f"u:{uuid.uuid4().hex}"
    if key is not None:
        found = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.idem_key == key))
        if found is not None:
            return None
    row = OutboxMessage(
        idem_key=idem,
        person_id=person_id,
        platform=address.platform,
        chat_id=address.chat_id,
        thread_id=address.thread_id,
        address_kind=address.kind,
        payload=reply_to_payload(reply),
        created_at=to_db(now),
        next_attempt_at=to_db(now),
        attempts=0,
    )
    session.add(row)
    await session.flush()
    return row.id
