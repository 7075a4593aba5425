"""How flows plug into the engine: commands, button prefixes, text, jobs.

Each flow module has a ``register(flows)`` function; ``build_flows`` in
:mod:`bot.flows.catalogue` calls them all.  No global state: the engine owns its
:class:`Flows`.  Flows never import each other in a circle: one flow reaches
another through the hooks below (a flow appends its handler, another calls them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.core.commands import CommandRegistry

if TYPE_CHECKING:
    from bot.core.context import Ctx, Dialog, Work
    from bot.store.models import Group, Job, Meeting, Member, Person, Programme

ChoiceHandler = Callable[["Ctx", list[str]], Awaitable[None]]
TextHandler = Callable[["Ctx", "Dialog", str], Awaitable[None]]
JobHandler = Callable[["Work", "Job"], Awaitable[None]]
#: reads a batch of same-kind jobs' rows ahead (see :mod:`bot.store.batch_memo`)
JobPreload = Callable[["Work", list["Job"]], Awaitable[None]]
GroupHook = Callable[["Work", "Group"], Awaitable[None]]
MeetingHook = Callable[["Work", "Meeting"], Awaitable[None]]
WorkGroupHook = Callable[["Work", "Group"], Awaitable[None]]
#: a code that is no personal invite: a seat to claim, True when answered, False if not ours
CodeHook = Callable[["Ctx", str], Awaitable["Member | bool"]]
SeatHook = Callable[["Ctx", "Member"], Awaitable[None]]
ExportHook = Callable[["Ctx"], Awaitable[dict[str, Any]]]
EraseHook = Callable[["Ctx", list["Member"], set[str]], Awaitable[None]]
#: (work, group, person ids to send calendar cancellations to, whether the group stops)
StopHook = Callable[["Work", "Group", list[int], bool], Awaitable[None]]
ProgrammeHook = Callable[["Work", "Programme"], Awaitable[None]]
MemberHook = Callable[["Ctx", "Group", "Member"], Awaitable[None]]
AbsenteesHook = Callable[["Work", "Group", list["Member"]], Awaitable[None]]
#: (work, meeting, person): a paragraph to add to what they hear before the meeting, or None
BeforeMeetingHook = Callable[["Work", "Meeting", "Person"], Awaitable["str | None"]]


@dataclass
class Flows:
    commands: CommandRegistry = field(default_factory=CommandRegistry)
    choices: dict[str, ChoiceHandler] = field(default_factory=dict)
    texts: dict[str, TextHandler] = field(default_factory=dict)
    jobs: dict[str, JobHandler] = field(default_factory=dict)
    #: job kinds whose batches may run together, with what reads them ahead
    job_preloads: dict[str, JobPreload] = field(default_factory=dict)
    #: called when a mentor or mentee has finished joining (consented): after
    #: "we wait for ...", before the agreement starts (the mentor primer offers its tour)
    member_joined: list[MemberHook] = field(default_factory=list)
    #: called when the last member of a pair or circle has joined (or a match is approved)
    group_complete: list[GroupHook] = field(default_factory=list)
    #: asked in turn about a /start code that is no personal invite (sign-up links)
    code_redeem: list[CodeHook] = field(default_factory=list)
    #: called when onboarding finishes for a seat without a group (an application)
    seat_ready: list[SeatHook] = field(default_factory=list)
    #: /mydata: each adds its own tables to the export
    export_person: list[ExportHook] = field(default_factory=list)
    #: /forget: each deletes its own rows about the person (seats, names)
    erase_person: list[EraseHook] = field(default_factory=list)
    #: called when a group's agreement is complete (health closes its flag)
    agreement_complete: list[WorkGroupHook] = field(default_factory=list)
    #: called when a meeting is booked (reminders, coaching nudges plan themselves)
    meeting_planned: list[MeetingHook] = field(default_factory=list)
    #: called when a member says a meeting took place (feedback, reflection)
    meeting_held: list[MeetingHook] = field(default_factory=list)
    #: called when a group's meeting rhythm is agreed (by the pair, or by a
    #: circle's poll): the agreement ticks its rhythm item, then meetings asks
    #: for the first date -- in that order, the order the flows register in
    rhythm_agreed: list[MemberHook] = field(default_factory=list)
    #: called when a member has proposed a rhythm and others still have to:
    #: the member's walk through the agreement goes on
    rhythm_proposed: list[MemberHook] = field(default_factory=list)
    #: called on any answer to "did you meet?" (surveys waiting for it go out)
    meeting_answered: list[MeetingHook] = field(default_factory=list)
    #: called by the organisers' never-joined digest once it has told them which
    #: seats of a group are still empty (the members who wait are told)
    absentees_reported: list[AbsenteesHook] = field(default_factory=list)
    #: called when a group stops meeting, or someone leaves it (see bot.organiser.lifecycle)
    meetings_stopping: list[StopHook] = field(default_factory=list)
    #: called when a programme's dates change (the close, calendars, evaluations re-plan)
    programme_dates: list[ProgrammeHook] = field(default_factory=list)
    #: called when a group agrees a new rhythm (health re-plans, the agreement follows)
    rhythm_changed: list[WorkGroupHook] = field(default_factory=list)
    #: called when a member asks to change the agreed rhythm from the agreement
    rhythm_change_asked: list[MemberHook] = field(default_factory=list)
    #: called for each open group at the programme's end, before it becomes completed
    group_closing: list[WorkGroupHook] = field(default_factory=list)
    #: asked for paragraphs to add to a meeting's reminder and the mentee's
    #: preparation (the open next steps)
    before_meeting: list[BeforeMeetingHook] = field(default_factory=list)

    def on_choice(self, prefix: str, handler: ChoiceHandler) -> None:
        if prefix in self.choices:
            raise ValueError(f"choice prefix {prefix!r} registered twice")
        self.choices[prefix] = handler

    def on_text(self, conversation: str, handler: TextHandler) -> None:
        self.texts[conversation] = handler

    def on_job(self, kind: str, handler: JobHandler, *, preload: JobPreload | None = None) -> None:
        """``preload``: the kind's handler only writes its own group's rows,
        reads no jobs and talks to no platform, so a batch of such jobs may run
        without a savepoint each, its reads made ahead by ``preload`` and the
        jobs it plans written at the batch's end (see :mod:`bot.store.batch_memo`)."""
        self.jobs[kind] = handler
        if preload is not None:
            self.job_preloads[kind] = preload
