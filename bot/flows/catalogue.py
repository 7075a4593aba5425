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
    health,
    intake,
    leaving,
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
    )
    for module in modules:
        module.register(flows)
    return flows
