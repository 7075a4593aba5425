"""How flows plug into the engine: commands, button prefixes, text, jobs.

Each flow module has a ``register(flows)`` function; :func:`build_flows`
calls them all.  No global state: the engine owns its :class:`Flows`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.commands import CommandRegistry

if TYPE_CHECKING:
    from bot.context import Ctx, Dialog, Work
    from bot.store.models import Group, Job, Meeting, Member, Programme

ChoiceHandler = Callable[["Ctx", list[str]], Awaitable[None]]
TextHandler = Callable[["Ctx", "Dialog", str], Awaitable[None]]
JobHandler = Callable[["Work", "Job"], Awaitable[None]]
GroupHook = Callable[["Ctx", "Group"], Awaitable[None]]
MeetingHook = Callable[["Work", "Meeting"], Awaitable[None]]
WorkGroupHook = Callable[["Work", "Group"], Awaitable[None]]
#: (work, group, person ids to send calendar cancellations to, whether the group stops)
StopHook = Callable[["Work", "Group", list[int], bool], Awaitable[None]]
ProgrammeHook = Callable[["Work", "Programme"], Awaitable[None]]
MemberHook = Callable[["Ctx", "Group", "Member"], Awaitable[None]]


@dataclass
class Flows:
    commands: CommandRegistry = field(default_factory=CommandRegistry)
    choices: dict[str, ChoiceHandler] = field(default_factory=dict)
    texts: dict[str, TextHandler] = field(default_factory=dict)
    jobs: dict[str, JobHandler] = field(default_factory=dict)
    #: called when the last member of a pair or circle has joined
    group_complete: list[GroupHook] = field(default_factory=list)
    #: called when a group's agreement is complete (health closes its flag)
    agreement_complete: list[WorkGroupHook] = field(default_factory=list)
    #: called when a meeting is booked (reminders, coaching nudges plan themselves)
    meeting_planned: list[MeetingHook] = field(default_factory=list)
    #: called when a member says a meeting took place (feedback, reflection)
    meeting_held: list[MeetingHook] = field(default_factory=list)
    #: called when a group stops meeting, or someone leaves it (see bot.lifecycle)
    meetings_stopping: list[StopHook] = field(default_factory=list)
    #: called when a programme's dates change (the close, calendars, evaluations re-plan)
    programme_dates: list[ProgrammeHook] = field(default_factory=list)
    #: called when a group agrees a new rhythm (health re-plans, the agreement follows)
    rhythm_changed: list[WorkGroupHook] = field(default_factory=list)
    #: called when a member asks to change the agreed rhythm from the agreement
    rhythm_change_asked: list[MemberHook] = field(default_factory=list)
    #: called for each open group at the programme's end, before it becomes completed
    group_closing: list[WorkGroupHook] = field(default_factory=list)

    def on_choice(self, prefix: str, handler: ChoiceHandler) -> None:
        if prefix in self.choices:
            raise ValueError(f"choice prefix {prefix!r} registered twice")
        self.choices[prefix] = handler

    def on_text(self, conversation: str, handler: TextHandler) -> None:
        self.texts[conversation] = handler

    def on_job(self, kind: str, handler: JobHandler) -> None:
        self.jobs[kind] = handler


def build_flows() -> Flows:
    from bot.flows import (
        agreement,
        basics,
        chasing,
        circles,
        closing,
        coaching,
        companion,
        feedback,
        final_round,
        health,
        leaving,
        meeting_stop,
        meetings,
        onboarding,
        organiser,
        privacy,
        rhythm,
        rhythm_change,
        series_end,
        which,
    )

    flows = Flows()
    modules = (
        basics,
        onboarding,
        organiser,
        agreement,
        rhythm,
        meetings,
        meeting_stop,
        coaching,
        companion,
        feedback,
        health,
        privacy,
        circles,
        which,
        leaving,
        chasing,
        closing,
        final_round,
        series_end,
        rhythm_change,
    )
    for module in modules:
        module.register(flows)
    return flows
