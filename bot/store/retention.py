"""How long the bot keeps people who never joined.

Anyone who writes to the bot becomes a ``Person`` (with their platform name and
id) before they redeem an invite.  Someone who never redeems one and never
consents is a stranger: 30 days after their last activity everything about
them is deleted by a job (``stranger_purge``, handled in
:mod:`bot.flows.erasure`).  The job is planned when the person is first seen;
state is in the database and time comes from the Clock, like every job.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.store.jobs import schedule
from bot.store.session import DbSession

STRANGER_JOB = "stranger_purge"
STRANGER_DAYS = timedelta(days=30)


async def plan_stranger_purge(session: DbSession, person_id: int, at: datetime) -> None:
    """Check on ``person_id`` at ``at`` (idempotent per person and time)."""
    await schedule(
        session,
        STRANGER_JOB,
        at,
        key=f"stranger:{person_id}:{at.isoformat()}",
        # in the payload, not the person_id column: the job must outlive the
        # person it deletes (that column cascades)
        payload={"person_id": person_id},
    )
