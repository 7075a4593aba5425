"""Every flow, in the order it registers: the one place that knows them all.

Kept apart from :mod:`bot.flows.registry` so that the registry (which every
flow imports) imports no flow, and the flows form no import cycle.

The flow modules, and what they import (matching, the organiser's lifecycle,
agreements, calendars...), are a tenth of a second of a start that only has
to *receive* updates before it is ready.  So the core holds a
:class:`LazyFlows`: the modules load, all together, the first time anything
asks it for a handler or hook -- in the warm-up right after ready
(``bot/cli.py``), or when the first event or job needs them, whichever comes
first.  All together, because the flows reach each other through hooks that
the others register: a flow may only run once every flow has registered.
"""

from __future__ import annotations

import threading
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from bot.flows.registry import Flows

if TYPE_CHECKING:
    from bot.content import Content


def build_flows() -> Flows:
    """Import every flow module and register it, in this order."""
    from bot.flows import (
        agreement,
        basics,
        celebration,
        chasing,
        circles,
        closing,
        coaching,
        companion,
        feedback,
        final_round,
        goal_follow_up,
        health,
        intake,
        last_meeting,
        leaving,
        match_check,
        matching,
        meeting_stop,
        meetings,
        next_steps,
        onboarding,
        organiser,
        primer,
        privacy,
        quiet,
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
        next_steps,  # before feedback: its rating buttons stay the newest after "we met"
        feedback,
        health,
        privacy,
        circles,
        primer,
        intake,
        matching,
        quiet,
        which,
        leaving,
        chasing,
        closing,
        celebration,
        final_round,
        last_meeting,
        series_end,
        rhythm_change,
        goal_follow_up,
        match_check,
    )
    for module in modules:
        module.register(flows)
    return flows


#: what a flow registers: every field of :class:`Flows`
_FIELDS = frozenset(f.name for f in fields(Flows))


class LazyFlows(Flows):
    """:class:`Flows` that builds itself (:func:`build_flows`) on first use.

    Until then it has none of the fields; the first read of any of them
    (``choices``, ``jobs``, a hook list...) builds every flow under a lock
    and takes the finished tables over in one step, so a reader on another
    thread sees either nothing (and waits for the lock) or everything, never
    half the registrations.  ``content``: the command descriptions' texts."""

    def __init__(self, content: Content | None = None) -> None:  # no fields yet
        self.__dict__["_content"] = content
        self.__dict__["_lock"] = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        # only called for a missing attribute: a field before the build
        if name not in _FIELDS:
            raise AttributeError(name)
        self.load()
        return self.__dict__[name]

    @property
    def loaded(self) -> bool:
        return "choices" in self.__dict__

    def load(self) -> None:
        """Build every flow now, unless that was done (idempotent, thread-safe)."""
        with self.__dict__["_lock"]:
            if self.loaded:
                return
            built = build_flows()
            content = self.__dict__["_content"]
            if content is not None:
                built.commands.describe(content)
            self.__dict__.update(built.__dict__)  # one step: all fields at once
