"""(being written)"""

from __future__ import annotations

from bot.flows.registry import Flows


def register(flows: Flows) -> None:
    """Nothing registered yet."""
    del flows
