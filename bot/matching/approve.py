"""An approved suggestion becomes a pair or a circle, and the two are introduced.

Approval goes through :func:`bot.programmes.create_group`, the same code as
``mentorbot pair create``, seating people who are in the programme already.
Each member is then introduced in their own language with what they share
(guide section 4: find aspects where you are alike), and a ``match_start`` job
due at once runs the usual start of a complete group (the agreement, the
feedback rounds, the health clock) through the registry's hooks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.core.context import Work
from bot.core.types import Reply
from bot.matching.explain import facts, render
from bot.matching.models import Intake, MatchApproval
from bot.matching.profile import Profile
from bot.matching.scoring import Weights, pair_score
from bot.matching.store import Pool
from bot.organiser.programmes import SetupError, create_group
from bot.store.db import to_db
from bot.store.jobs import schedule
from bot.store.models import Group


@dataclass(frozen=True)
class Approved:
    group: Group
    mentor: Profile
    mentees: list[Profile]


def grouping(programme_format: str, mentees: list[Profile]) -> list[tuple[str, list[Profile]]]:
    """Pairs or a circle for one mentor's mentees, as the programme's format allows."""
    if programme_format == "one_to_one":
        return [("pair", [m]) for m in mentees]
    if programme_format == "group":
        if len(mentees) < 2:
            raise SetupError("this programme meets in circles: a circle needs at least two mentees")
        return [("circle", mentees)]
    circle = [m for m in mentees if m.prefers_group != "pair"]
    if len(circle) >= 2 and any(m.prefers_group == "group" for m in circle):
        return [("circle", circle)] + [("pair", [m]) for m in mentees if m not in circle]
    return [("pair", [m]) for m in mentees]


def check(pool: Pool, mentor_key: int, mentee_keys: list[int], weights: Weights) -> None:
    """Raise :class:`SetupError` unless every hard constraint holds for these people now."""
    mentor = pool.profile(mentor_key)
    if mentor is None or mentor.role != "mentor":
        raise SetupError("that mentor cannot take a mentee now (matched, full, or not ready)")
    if len(mentee_keys) > mentor.capacity:
        raise SetupError(f"{mentor.name} has room for {mentor.capacity} more mentee(s)")
    for key in mentee_keys:
        mentee = pool.profile(key)
        if mentee is None or mentee.role != "mentee":
            raise SetupError("that mentee cannot be matched now (matched already, or not ready)")
        _, blocker = pair_score(mentor, mentee, weights)
        if (mentor_key, key) in pool.forbidden:
            blocker = "forbidden"
        if blocker is not None:
            raise SetupError(f"{mentor.name} and {mentee.name} cannot be matched ({blocker})")


async def approve(
    work: Work, pool: Pool, mentor_key: int, mentee_keys: list[int], weights: Weights
) -> list[Approved]:
    check(pool, mentor_key, mentee_keys, weights)
    mentor = pool.profile(mentor_key)
    assert mentor is not None
    mentees = [p for k in mentee_keys if (p := pool.profile(k)) is not None]
    programme = pool.programme
    done: list[Approved] = []
    for kind, members in grouping(programme.format, mentees):
        joined = {p.name: pool.people[p.key].id for p in (mentor, *members)}
        group, _ = await create_group(
            work.session,
            programme,
            kind,  # type: ignore[arg-type]
            mentor.name,
            [m.name for m in members],
            work.now,
            work.settings.invite_days,
            joined=joined,
        )
        group.status = "active"
        group.completed_at = to_db(work.now)
        for mentee in members:
            work.session.add(
                MatchApproval(
                    programme_id=programme.id,
                    group_id=group.id,
                    mentor_member_id=mentor.key,
                    mentee_member_id=mentee.key,
                    approved_at=to_db(work.now),
                )
            )
        await _introduce(work, pool, group, mentor, members)
        await schedule(
            work.session, "match_start", work.now, key=f"match_start:{group.id}", group_id=group.id
        )
        done.append(Approved(group, mentor, members))
    await _mark_matched(work, pool, mentor, mentees)
    return done


async def _mark_matched(work: Work, pool: Pool, mentor: Profile, mentees: list[Profile]) -> None:
    keys = [m.key for m in mentees] + ([mentor.key] if len(mentees) >= mentor.capacity else [])
    for intake in await work.session.scalars(select(Intake).where(Intake.member_id.in_(keys))):
        intake.status = "matched"
        intake.updated_at = to_db(work.now)


async def _introduce(
    work: Work, pool: Pool, group: Group, mentor: Profile, mentees: list[Profile]
) -> None:
    """Each member hears who they are matched with and what they share, in their language."""
    programme = pool.programme
    mentor_person = pool.people[mentor.key]
    lang = mentor_person.language
    lines = [
        work.t_for(
            lang,
            f"matching.intro.mentor_{group.kind}",
            name=mentor.name,
            programme=programme.name,
            others=", ".join(m.name for m in mentees),
        )
    ]
    for mentee in mentees:
        common, _ = render(work.content, lang, facts(mentor, mentee), mentor.name, mentee.name)
        shared = "; ".join(common)
        lines.append(work.t_for(lang, "matching.intro.shared", other=mentee.name, common=shared))
    lines.append(work.t_for(lang, "matching.intro.next"))
    await work.tell(mentor_person.id, Reply("\n\n".join(lines)), key=f"match_intro:{group.id}:m")
    for mentee in mentees:
        person = pool.people[mentee.key]
        lang = person.language
        common, _ = render(work.content, lang, facts(mentor, mentee), mentor.name, mentee.name)
        others = [m.name for m in mentees if m.key != mentee.key]
        text = "\n\n".join(
            [
                work.t_for(
                    lang,
                    f"matching.intro.mentee_{group.kind}",
                    name=mentee.name,
                    mentor=mentor.name,
                    programme=programme.name,
                    others=", ".join(others),
                ),
                work.t_for(
                    lang, "matching.intro.shared", other=mentor.name, common="; ".join(common)
                ),
                work.t_for(lang, "matching.intro.next"),
            ]
        )
        await work.tell(person.id, Reply(text), key=f"match_intro:{group.id}:{mentee.key}")
