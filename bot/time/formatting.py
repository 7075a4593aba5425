"""Reading times back to people: in their own zone and language (Babel's CLDR data)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_day_names
from dateutil.rrule import rrulestr

from bot.content import Content
from bot.wording import ordinal_number, ordinal_word

WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


def when(content: Content, lang: str, instant: datetime, tz: str) -> str:
    """ "tisdag 1 december kl. 15:00" / "Tuesday 1 December at 15:00"."""
    pattern = content.t(lang, "meetings.datetime_format")
    return format_datetime(instant.astimezone(ZoneInfo(tz)), pattern, locale=lang)


def day(content: Content, lang: str, instant: datetime, tz: str) -> str:
    """ "söndag 10 januari" / "Sunday 10 January": a date without its time (a pause's end)."""
    pattern = content.t(lang, "meetings.date_format")
    return format_datetime(instant.astimezone(ZoneInfo(tz)), pattern, locale=lang)


def day_name(lang: str, weekday: int) -> str:
    return str(get_day_names("wide", locale=lang)[weekday])


def describe_rule(content: Content, lang: str, rule: str) -> str:
    """A recurrence in words: "varannan torsdag", "första måndagen i månaden"."""
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    freq = parts.get("FREQ", "")
    interval = int(parts.get("INTERVAL", "1") or 1)
    days = [d for d in parts.get("BYDAY", "").split(",") if d]
    if freq == "WEEKLY" and len(days) == 1 and days[0] in WEEKDAYS:
        day = day_name(lang, WEEKDAYS[days[0]])
        if interval == 1:
            return content.t(lang, "meetings.rule.weekly", day=day)
        if interval == 2:
            return content.t(lang, "meetings.rule.biweekly", day=day)
        nth = ordinal_word(lang, interval)
        return content.t(lang, "meetings.rule.every_n_weeks", nth=nth, day=day)
    if freq == "MONTHLY" and len(days) == 1 and days[0][-2:] in WEEKDAYS:
        nth = days[0][:-2] or parts.get("BYSETPOS", "1")
        day = day_name(lang, WEEKDAYS[days[0][-2:]])
        if nth in ("1", "2", "3", "4", "-1", "+1"):
            ordinal = content.t(lang, f"meetings.nth.{nth.lstrip('+')}")
            return content.t(lang, "meetings.rule.monthly_nth", nth=ordinal, day=day)
    if freq == "MONTHLY" and "BYMONTHDAY" in parts:
        nth = ordinal_number(lang, int(parts["BYMONTHDAY"]))
        return content.t(lang, "meetings.rule.monthly_day", nth=nth)
    if freq == "DAILY":
        return content.t(lang, "meetings.rule.daily")
    return content.t(lang, "meetings.rule.other")


def valid_rule(rule: str) -> bool:
    try:
        rrulestr(rule)
    except (ValueError, TypeError):
        return False
    return True
