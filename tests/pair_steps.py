"""Shared steps for scenario tests: a programme with a pair that has joined,
agreed the first items and booked a meeting, driven through the console."""

from __future__ import annotations

from tests.console_harness import Console

PROGRAMME = (
    '$ program create --name "STEM Up" --slug stemup '
    '--goal "Stötta kvinnor som doktorerar i STEM" '
    "--start 2026-12-01 --end 2027-06-01 --organiser Olga"
)

SETUP = (
    PROGRAMME
    + """
$ pair create --program stemup --mentor Anna --mentee Bea
@olga /start {code:Olga}
@olga [Svenska]
@olga [Ja]
@olga [Förstått]
@olga [Ja]
@anna /start {code:Anna}
@anna [Svenska]
@anna [Ja]
@anna [Förstått]
@anna [Ja]
@bea /start {code:Bea}
@bea [Svenska]
@bea [Ja]
@bea [Förstått]
@bea [Ja]
"""
)

AGREE_AND_BOOK = """
@anna [Vi är överens]
@bea [Vi är överens]
@bea [Karriär]
@bea [Klar]
@bea Disputera inom två år
@bea [Klar]
@bea [Vi är överens]
@bea [Varannan]
@bea [45 min]
@bea [Online]
@bea tisdagar efter 15
@anna [Vi är överens]
@anna [Vi är överens]
@anna [Vi är överens]
@anna [En gång]
@anna [60 min]
@anna [Online]
@anna [Spelar]
@anna [Det funkar]
@bea [Det funkar]
@bea nästa tisdag kl 15
@anna [Det passar]
"""


async def joined_pair(console: Console) -> list[str]:
    return await console.run(SETUP)


async def booked_pair(console: Console) -> list[str]:
    return await console.run(SETUP + AGREE_AND_BOOK)
