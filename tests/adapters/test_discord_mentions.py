"""What people typed and the bot echoes into a channel pings nobody.

A /poll option the bot cannot read is quoted back in the circle's channel; with
``@everyone``, a role and a user in it, the real discord.py client against the
fake Discord sends it with ``allowed_mentions: {"parse": []}``, so Discord
notifies no one (the fake applies Discord's documented rules in ``pings``).
"""

from __future__ import annotations

import asyncio

from bot.app import Core
from tests.adapters.discord_fixtures import running_bot
from tests.adapters.test_discord_journeys import (
    GRETA,
    JOURNEY_LIMIT,
    Journey,
    core,
    fake,
    onboard_circle,
)
from tests.fakes.discord_api import FakeDiscord

__all__ = ["core", "fake"]  # fixtures, imported explicitly

ECHO = "@everyone <@&555> <@800000000000000002> kl 16"


async def test_a_poll_option_with_everyone_a_role_and_a_user_pings_nobody(
    core: Core, fake: FakeDiscord
) -> None:
    channel = fake.channel_id
    async with running_bot(core, fake, core.settings), asyncio.timeout(JOURNEY_LIMIT):
        j = Journey(core, fake)
        await onboard_circle(j)
        await j.slash(GRETA, "bind", channel=channel)
        polled = await j.slash(GRETA, "poll", f"{ECHO}; nästa torsdag kl 17", channel=channel)
        answer = polled.answer()
    assert "@everyone" in answer.content and "<@&555>" in answer.content  # echoed as typed
    assert not answer.ephemeral  # in the channel, for everyone to see
    assert answer.data["allowed_mentions"] == {"parse": []}
    assert answer.pings == set()
    # every message and edit the bot made in this journey carried the same
    for recorded in fake.recorded:
        if recorded.kind in ("callback", "followup", "edit_original", "message", "edit_message"):
            if "content" in recorded.data:
                assert recorded.data.get("allowed_mentions") == {"parse": []}, recorded
