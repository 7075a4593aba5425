"""Calendar files (RFC 5545) for meetings, built with the icalendar library.

A recurring meeting is one VEVENT with an RRULE anchored in the organiser's
zone (with its VTIMEZONE), so calendar apps keep 16:00 at 16:00 across
daylight-saving changes.  Updates reuse the UID with a higher SEQUENCE;
skipped occurrences become EXDATEs; a series carries UNTIL = the end of its
programme's last day (``data["until"]``, see :func:`series_until`); one
occurrence moved is an override with a RECURRENCE-ID; a cancelled meeting is
METHOD:CANCEL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.store.db import from_db
from bot.store.models import Meeting

PRODID = "-//Mentorbot//mentorbot//SV"


def meeting_ics(
    meeting: Meeting,
    *,
    summary: str,
    description: str,
    now: datetime,
    cancelled: bool = False,
    link: str | None = None,
) -> bytes:
    """One meeting (or series) as a calendar file; ``link``, an online
    meeting's video link, is its LOCATION and URL, so calendar apps offer it.

    The members of a pair mostly share a language, so a booking's files are
    mostly the same bytes: the file is built once for the same meeting,
    wording and moment (a small cache of the last few)."""
    data = meeting.data
    return _ics(
        _Facts(
            tz=meeting.tz,
            starts_at=meeting.starts_at,
            minutes=meeting.minutes,
            series_uid=meeting.series_uid,
            sequence=meeting.sequence,
            rrule=meeting.rrule,
            recurrence_id=data.get("recurrence_id"),
            series_tz=data.get("series_tz"),
            until=data.get("until"),
            exdates=tuple(data.get("exdates", ())),
        ),
        summary,
        description,
        (now, str(now.tzinfo)),  # (equal instants in other zones are written otherwise)
        cancelled,
        link,
    )


@dataclass(frozen=True)
class _Facts:
    """What of a meeting its calendar file shows (hashable, for the cache)."""

    tz: str
    starts_at: datetime
    minutes: int
    series_uid: str
    sequence: int
    rrule: str | None
    recurrence_id: str | None
    series_tz: str | None
    until: str | None
    exdates: tuple[str, ...]


@lru_cache(maxsize=16)
def _ics(
    meeting: _Facts,
    summary: str,
    description: str,
    stamp: tuple[datetime, str],
    cancelled: bool,
    link: str | None,
) -> bytes:
    now = stamp[0]
    # icalendar loads on first use (about 0.1 s), off the start-up path
    from icalendar import Calendar, Event, vRecur

    zone = ZoneInfo(meeting.tz)
    start = from_db(meeting.starts_at).astimezone(zone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"{meeting.series_uid}@mentorbot")
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=meeting.minutes))
    event.add("summary", summary)
    event.add("description", description)
    if link:
        event.add("location", link)
        event.add("url", link)
    event.add("sequence", meeting.sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    moved_from = meeting.recurrence_id
    if moved_from and not meeting.rrule:
        # one occurrence of a series, moved: identified by its original start
        series_zone = ZoneInfo(meeting.series_tz or meeting.tz)
        event.add("recurrence-id", datetime.fromisoformat(moved_from).astimezone(series_zone))
    if meeting.rrule:
        rule = vRecur.from_ical(meeting.rrule)
        until = meeting.until
        if until and "UNTIL" not in rule and "COUNT" not in rule:
            # a series ends with its programme, not in people's calendars forever
            rule["UNTIL"] = [datetime.fromisoformat(until).astimezone(UTC)]
        event.add("rrule", rule)
        for skipped in meeting.exdates:
            event.add("exdate", datetime.fromisoformat(skipped).astimezone(zone))
    cal.add_component(event)
    zones = b"".join(
        _vtimezone_ical(name) for name in sorted({meeting.tz, meeting.series_tz or meeting.tz})
    )
    # The VTIMEZONE blocks go before the event, as icalendar would place them.
    return cal.to_ical().replace(b"BEGIN:VEVENT\r\n", zones + b"BEGIN:VEVENT\r\n", 1)


@lru_cache(maxsize=64)
def _vtimezone_ical(name: str) -> bytes:
    """A zone's VTIMEZONE block, serialised.  Building it costs ~20 ms and
    serialising it another ~1.5 ms per file, so both happen once per zone."""
    from icalendar import Timezone

    return bytes(Timezone.from_tzinfo(ZoneInfo(name)).to_ical())


def series_until(end: date, zone: str) -> str:
    """The last moment of the programme's last day in the series' zone, in UTC (ISO)."""
    last = datetime.combine(end, time(23, 59, 59), tzinfo=ZoneInfo(zone))
    return last.astimezone(UTC).isoformat()
