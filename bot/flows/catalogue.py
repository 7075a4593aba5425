"""Every flow, in the order it registers: the one place that knows them all.

Kept apart from :mod:`bot.flows.registry` so that the registry (which every
flow imports) imports no flow, and the flows form no import cycle.
"""

from __future__ import annotations

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
    goal_follow_up,
    health,
    intake,
    leaving,
    match_check,
    matching,
    meeting_stop,
    meetings,
    onboarding,
    organiser,
    privacy,
    quiet,
    rhythm,
    rhythm_change,
    series_end,
    which,
)
from bot.flows.registry import Flows


def build_flows() -> Flows:
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
        intake,
        matching,
        quiet,
        which,
        leaving,
        chasing,
        closing,
        final_round,
        series_end,
        rhythm_change,
        goal_follow_up,
        match_check,
    )
    for module in modules:
        module.register(flows)
    return flows
