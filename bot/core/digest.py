"""One message where there are two: outbox rows folded into digests (issue 23).

The scheduler runs every job due at one moment in one tick and stamps the
messages they queue with the same ``digest`` mark.  When delivery finds
several such rows for the same chat, it sends them as one message: the texts
one after the other (in the order the jobs ran), every button kept, every
attachment kept.  So a mentor gets the 24-hour reminder and the coaching
question as one message, and any two jobs that happen to meet behave the same
– no special cases per pair of messages.

A digest stays within what every platform takes in one message: at most
:data:`MAX_CHOICES` buttons (Discord allows 25 components) and
:data:`MAX_TEXT` characters; rows beyond that start the next message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.types import Outgoing, Reply
from bot.store.models import OutboxMessage
from bot.store.outbox import row_to_outgoing

MAX_CHOICES = 25
MAX_TEXT = 3500
SEPARATOR = "\n\n"


@dataclass
class Parcel:
    """What one send carries: the message and the outbox rows it stands for."""

    outgoing: Outgoing
    rows: list[OutboxMessage]


def parcels(rows: Sequence[OutboxMessage]) -> list[Parcel]:
    """Fold rows with the same chat and digest mark into one message each.

    Rows without a mark are sent as they are.  The order of first appearance
    is kept, so a chat's messages still leave in order.
    """
    out: list[Parcel] = []
    open_digest: dict[tuple[str, str, str | None, str], Parcel] = {}
    for row in rows:
        single = row_to_outgoing(row)
        if row.digest is None:
            out.append(Parcel(single, [row]))
            continue
        slot = (row.platform, row.chat_id, row.thread_id, row.digest)
        parcel = open_digest.get(slot)
        if parcel is not None and _fits(parcel.outgoing.reply, single.reply):
            parcel.outgoing = Outgoing(
                parcel.outgoing.address,
                _join(parcel.outgoing.reply, single.reply),
                idem_key=parcel.outgoing.idem_key,
            )
            parcel.rows.append(row)
            continue
        parcel = Parcel(single, [row])
        open_digest[slot] = parcel
        out.append(parcel)
    return out


def _fits(first: Reply, second: Reply) -> bool:
    return (
        first.clears is None  # a button removal edits its own message, never folded
        and second.clears is None
        and len(first.choices) + len(second.choices) <= MAX_CHOICES
        and len(first.text) + len(SEPARATOR) + len(second.text) <= MAX_TEXT
    )


def _join(first: Reply, second: Reply) -> Reply:
    return Reply(
        text=first.text + SEPARATOR + second.text,
        choices=first.choices + second.choices,
        private=first.private or second.private,
        attachments=first.attachments + second.attachments,
    )
