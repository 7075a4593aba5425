"""The mentor's acknowledgement: a small HTML document to keep, print or show.

It names the mentor, the programme, the period (dates written out, as people
write them) and the number of mentoring meetings held -- the mentor's own
ones, counted from when they joined.  It names no mentee: a mentor may show
it to anyone, and the mentee's part in the programme is theirs to tell.
Every sentence comes from content; only the markup lives here.  Nothing is
stored: it is built at the programme's close and sent through the outbox
like the calendar files.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from sqlalchemy import func, select

from bot.core.context import Work
from bot.core.types import Attachment
from bot.store.models import Meeting, Member, Programme
from bot.wording import plural, prose_date

STYLE = (
    "<style>body{font-family:Georgia,serif;max-width:40em;margin:3em auto;padding:0 1em;"
    "line-height:1.5;color:#222}h1{font-weight:normal;border-bottom:1px solid #999}"
    ".issued{color:#666;font-size:.9em;margin-top:3em}</style>"
)


async def meetings_held(work: Work, group_id: int, *, since: datetime | None = None) -> int:
    """Meetings of the group that took place (from ``since``, a seat's joining)."""
    query = select(func.count(Meeting.id)).where(
        Meeting.group_id == group_id, Meeting.status == "held"
    )
    if since is not None:
        query = query.where(Meeting.starts_at >= since)
    return int(await work.session.scalar(query) or 0)


def acknowledgement(
    work: Work,
    lang: str,
    programme: Programme,
    seat: Member,
    kind: str,
    held: int,
    mentees: int,
) -> Attachment:
    key = "last_meeting.acknowledgement"
    params = {
        "name": seat.name,
        "programme": programme.name,
        "start": prose_date(lang, programme.start_date),
        "end": prose_date(lang, programme.end_date),
    }
    paragraphs = [
        work.t_for(lang, f"{key}.body", **params),
        plural(work.content, lang, f"{key}.meetings_{kind}", held, k=mentees, **params),
    ]
    if programme.goal:
        paragraphs.append(work.t_for(lang, f"{key}.goal", goal=programme.goal))
    paragraphs += [
        work.t_for(lang, f"{key}.skills", **params),
        work.t_for(lang, f"{key}.thanks"),
    ]
    issued = work.t_for(
        lang, f"{key}.issued", date=prose_date(lang, work.now.date()), programme=programme.name
    )
    title = work.t_for(lang, f"{key}.title")
    body = "\n".join(f"<p>{escape(p, quote=False)}</p>" for p in paragraphs)
    document = (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head><meta charset="utf-8">'
        f"<title>{escape(title, quote=False)}</title>{STYLE}</head>\n"
        f"<body>\n<h1>{escape(title, quote=False)}</h1>\n{body}\n"
        f'<p class="issued">{escape(issued, quote=False)}</p>\n</body>\n</html>\n'
    )
    return Attachment(work.t_for(lang, f"{key}.filename"), document.encode("utf-8"), "text/html")
