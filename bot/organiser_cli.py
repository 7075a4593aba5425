"""Organiser commands of the CLI (programmes, pairs, circles, rosters, reports)."""

from __future__ import annotations

import argparse
from typing import Any


def add_commands(sub: Any) -> None:  # argparse's subparsers action has no public type
    """Register organiser subcommands; filled in by the programme features."""
    del sub


__all__ = ["add_commands", "argparse"]
