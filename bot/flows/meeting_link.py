"""``/link``: an online or hybrid group saves its video link once (behaviour 7).

The link is the group's, not one meeting's: it is added to every reminder and
to the calendar file (LOCATION and URL) of each meeting that is not face to
face.  Saving it sends the next planned meeting's calendar file again, with a
higher SEQUENCE, so calendar apps pick the link up.  The group remembers
whose seat saved it: it may be that person's own room, so ``/forget`` takes it
away with them.  Only an http(s) address
of reasonable length is taken; anything else gets a clear answer and changes
nothing.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from bot.core.context import Ctx
from bot.core.types import Reply
from bot.flows.meeting_basics import ics, member_groups, next_meeting, people_of, send
from bot.flows.which import pick
from bot.store.groups import group_and_programme
from bot.store.models import Group, Rhythm

MAX_LENGTH = 500
REMOVE_WORDS = {"ta bort", "bort", "remove", "delete", "none"}


def valid_link(text: str) -> str | None:
    """The address if it is a plain http(s) URL with a host, else None."""
    link = text.strip().strip("<>")
    if not link or len(link) > MAX_LENGTH or any(c.isspace() for c in link):
        return None
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if "." not in parts.hostname and parts.hostname != "localhost":
        return None
    return link


async def group_mode(ctx: Ctx, group: Group) -> str:
    rhythm = await ctx.session.get(Rhythm, group.id)
    if rhythm is not None:
        return rhythm.mode
    _, programme = await group_and_programme(ctx.session, group.id)
    return programme.mode


async def link_command(ctx: Ctx, args: str) -> None:
    groups = await member_groups(ctx)
    if not groups:
        ctx.say("meetings.no_group")
        return
    group = await pick(ctx, "link", args, groups)
    if group is None:
        return  # asked which mentorship the link is for
    wanted = args.strip()
    if not wanted:
        if group.meeting_link:
            ctx.say("meetings.link.current", link=group.meeting_link)
        else:
            ctx.say("meetings.link.usage")
        return
    if wanted.lower() in REMOVE_WORDS:
        if group.meeting_link is None:
            ctx.say("meetings.link.usage")
        else:
            await store_and_share(ctx, group, None)
        return
    if await group_mode(ctx, group) == "face_to_face":
        ctx.say("meetings.link.face_to_face")
        return
    link = valid_link(wanted)
    if link is None:
        key = "meetings.link.too_long" if len(wanted) > MAX_LENGTH else "meetings.link.invalid"
        ctx.say(key, max=MAX_LENGTH)
        return
    await store_and_share(ctx, group, link)


async def store_and_share(ctx: Ctx, group: Group, link: str | None) -> None:
    """Save (or, with None, remove) the link and tell every member, each with the
    next meeting's calendar file again so their calendar follows."""
    people = await people_of(ctx, group.id)
    mine = next((s for s, p in people if p.id == ctx.person.id), None)
    group.meeting_link = link
    group.meeting_link_by = mine.id if mine is not None and link is not None else None
    meeting = await next_meeting(ctx, group.id)
    if meeting is not None:
        meeting.sequence += 1
    name = mine.name if mine is not None else ctx.person.display_name
    own, others = ("saved", "shared") if link is not None else ("removed", "removed_shared")
    # one message per change, even two changes in the same instant
    what = hashlib.sha1((link or "").encode()).hexdigest()[:8]
    for seat, person in people:
        key = f"meetings.link.{own if person.id == ctx.person.id else others}"
        text = ctx.t_for(person.language, key, link=link or "", name=name)
        attachments = (await ics(ctx, meeting, person),) if meeting is not None else ()
        await send(
            ctx,
            person,
            Reply(text, attachments=attachments),
            key=f"mtg:link:{group.id}:{ctx.now.isoformat()}:{what}:{seat.id}",
        )
