"""Bulk rows for process tests that need many people at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from bot.store.db import to_db
from bot.store.models import Identity, Person
from bot.store.session import DbSession


async def insert_people(session: DbSession, platform: str, chats: list[str], now: datetime) -> None:
    """One person per chat (ids 1..n, named P0..Pn-1), each reachable in that
    private chat; a ``u``-prefixed chat (a Discord user) gives the user id."""
    await session.execute(
        insert(Person),
        [
            {
                "id": i + 1,
                "display_name": f"P{i}",
                "language": "sv",
                "timezone": "Europe/Stockholm",
                "created_at": to_db(now),
            }
            for i in range(len(chats))
        ],
    )
    await session.execute(
        insert(Identity),
        [
            {
                "person_id": i + 1,
                "platform": platform,
                "user_id": chat.removeprefix("u"),
                "dm_chat_id": chat,
            }
            for i, chat in enumerate(chats)
        ],
    )
