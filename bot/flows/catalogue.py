"""Every flow, in the order it registers: the one place that knows them all.

Kept apart from :mod:`bot.flows.registry` so that the registry (which every
flow imports) imports no flow, and the flows form no import cycle.
"""

from __future__ import annotations

from bot.flows import (
    agreement,
    basics,
    circles,
    coaching,
    companion,
    feedback,
    health,
    meetings,
    onboarding,
    organiser,
    privacy,
    rhythm,
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
        coaching,
        companion,
        feedback,
        health,
        privacy,
        circles,
    )
    for module in modules:
        module.register(flows)
    return flows
