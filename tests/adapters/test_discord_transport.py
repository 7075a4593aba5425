"""DiscordTransport with the real discord.py client against the fake Discord:
DMs (by channel id and by user id), files, channels, and the errors the
outbox must tell apart."""

from __future__ import annotations

import asyncio

import pytest

from adapters.discord.runner import build_client
from bot.core.ports import DeliveryError
from bot.core.types import Address, Attachment, Choice, Event, Outgoing, Reply
from tests.adapters.discord_fixtures import (
    MENTEE,
    MENTOR,
    Spec,
    StandInCore,
    fake,
    reply_to,
    running_bot,
    settings_for,
)
from tests.fakes.discord_api import FakeDiscord

__all__ = ["fake"]


def core() -> StandInCore:
    return StandInCore(lambda e: reply_to(e, Reply("ok")))


def dm(chat_id: str) -> Address:
    return Address("discord", chat_id, None, "dm")


async def test_send_to_user_id_opens_the_dm_and_sends_buttons_and_files(fake: FakeDiscord) -> None:
    reply = Reply(
        "Här är din sammanfattning",
        (Choice("feedback:1:ok", "Bra"),),
        attachments=(Attachment("möte.ics", b"BEGIN:VCALENDAR", "text/calendar"),),
    )
    async with running_bot(core(), fake) as client:
        await client.transport.send(Outgoing(dm("u" + MENTEE), reply))
        posted = await fake.wait_for(lambda r: r.kind == "message")
    assert posted.channel_id == fake.dm_channels[MENTEE]
    assert posted.content == "Här är din sammanfattning"
    assert posted.custom_ids == ["mb:feedback:1:ok"]
    assert posted.files == [("möte.ics", b"BEGIN:VCALENDAR")]


async def test_send_to_channel_splits_long_text_and_keeps_buttons_last(fake: FakeDiscord) -> None:
    text = ("ord " * 700).strip()  # about 2800 characters
    async with running_bot(core(), fake) as client:
        group = Address("discord", fake.channel_id, None, "group")
        await client.transport.send(Outgoing(group, Reply(text, (Choice("x:1", "X"),))))
        first = await fake.message_in(fake.channel_id)
        second = await fake.message_in(fake.channel_id, start=fake.recorded.index(first) + 1)
    assert len(first.content) <= 2000 and len(second.content) <= 2000
    assert (first.content + " " + second.content) == text
    assert first.custom_ids == [] and second.custom_ids == ["mb:x:1"]


async def test_closed_dms_are_a_permanent_delivery_error(fake: FakeDiscord) -> None:
    fake.forbidden_users.add(MENTOR)
    async with running_bot(core(), fake) as client:
        with pytest.raises(DeliveryError) as info:
            await client.transport.send(Outgoing(dm("u" + MENTOR), Reply("hej")))
    assert info.value.permanent
    assert "50007" in info.value.reason


async def test_unknown_user_and_bad_chat_id_are_permanent(fake: FakeDiscord) -> None:
    async with running_bot(core(), fake) as client:
        with pytest.raises(DeliveryError) as unknown:
            await client.transport.send(Outgoing(dm("u123456789"), Reply("hej")))
        with pytest.raises(DeliveryError) as malformed:
            await client.transport.send(Outgoing(dm("not-a-number"), Reply("hej")))
    assert unknown.value.permanent and malformed.value.permanent


async def test_a_bad_token_or_no_login_yet_is_temporary_not_the_recipients_fault(
    fake: FakeDiscord,
) -> None:
    """Neither may mark the person unreachable: the outbox retries instead."""
    client = build_client(core(), settings_for(fake))
    with pytest.raises(DeliveryError) as early:
        await client.transport.send(Outgoing(dm("u" + MENTOR), Reply("hej")))
    assert not early.value.permanent and "not logged in" in early.value.reason
    async with running_bot(core(), fake) as client:
        client.http.token = "revoked"
        with pytest.raises(DeliveryError) as revoked:
            await client.transport.send(Outgoing(dm("u" + MENTOR), Reply("hej")))
    assert not revoked.value.permanent and "401" in revoked.value.reason
    assert fake.created_messages() == []


async def test_private_reply_is_never_posted_in_a_channel(fake: FakeDiscord) -> None:
    async with running_bot(core(), fake) as client:
        group = Address("discord", fake.channel_id, None, "group")
        with pytest.raises(DeliveryError):
            await client.transport.send(Outgoing(group, Reply("hemligt", private=True)))
    assert not [r for r in fake.recorded if r.kind == "message"]


async def test_interaction_reply_to_closed_dm_marks_person_unreachable(fake: FakeDiscord) -> None:
    fake.forbidden_users.add(MENTEE)

    def answer_in_dm(event: Event) -> list[Outgoing]:
        return [
            Outgoing(event.address, Reply("ok", private=True)),
            Outgoing(dm("u" + event.actor.user_id), Reply("privat")),
        ]

    stand_in = StandInCore(answer_in_dm, [Spec("circle", {"sv": "Cirkel", "en": "Circle"})])
    async with running_bot(stand_in, fake):
        iid = await fake.slash(MENTEE, "circle", in_guild=True)
        await fake.response_to(iid)
        for _ in range(50):
            if stand_in.unreachable:
                break
            await asyncio.sleep(0.02)
    assert stand_in.unreachable == [("discord", "u" + MENTEE)]


async def test_private_channel_for_a_circle(fake: FakeDiscord) -> None:
    async with running_bot(core(), fake) as client:
        channel_id = await client.transport.create_private_channel(
            fake.guild_id, "cirkel-1", [MENTOR, MENTEE]
        )
        fake.forbid_channel_creation = True
        refused = await client.transport.create_private_channel(fake.guild_id, "c2", [MENTOR])
    assert refused is None
    (created,) = fake.created_channels
    assert created["id"] == channel_id and created["name"] == "cirkel-1"
    overwrites = {str(o["id"]): o for o in created["permission_overwrites"]}
    everyone = overwrites[fake.guild_id]
    assert everyone["type"] == 0 and int(everyone["deny"]) & 1024  # VIEW_CHANNEL denied
    for member in (MENTOR, MENTEE, fake.bot.id):
        assert overwrites[member]["type"] == 1 and int(overwrites[member]["allow"]) & 1024


async def test_outbox_messages_carry_a_stable_nonce_so_a_resend_creates_nothing(
    fake: FakeDiscord,
) -> None:
    text = ("ord " * 700).strip()  # two messages
    queued = Outgoing(dm("u" + MENTEE), Reply(text), idem_key="job:7")
    async with running_bot(core(), fake) as client:
        await client.transport.send(queued)
        await client.transport.send(queued)  # a worker died before marking it sent
        other = Outgoing(dm("u" + MENTEE), Reply(text), idem_key="job:8")
        await client.transport.send(other)
    created = fake.created_messages()
    assert len(created) == 4 and len(fake.deduplicated) == 2
    first, second = created[0].payload, created[1].payload
    assert first["enforce_nonce"] is True and second["enforce_nonce"] is True
    assert first["nonce"] != second["nonce"]  # each part its own nonce
    assert [d.payload["nonce"] for d in fake.deduplicated] == [first["nonce"], second["nonce"]]
    assert {created[2].payload["nonce"], created[3].payload["nonce"]}.isdisjoint(
        {first["nonce"], second["nonce"]}
    )
    assert all(len(str(r.payload["nonce"])) <= 25 for r in created)


async def test_direct_replies_have_no_stable_nonce(fake: FakeDiscord) -> None:
    direct = Outgoing(dm("u" + MENTEE), Reply("hej"))
    async with running_bot(core(), fake) as client:
        await client.transport.send(direct)
        await client.transport.send(direct)
    # discord.py gives every message a random nonce; sending twice is two messages
    assert len(fake.created_messages()) == 2 and not fake.deduplicated


async def test_a_resend_after_the_message_was_deleted_counts_as_delivered(
    fake: FakeDiscord,
) -> None:
    queued = Outgoing(dm("u" + MENTEE), Reply("hej"), idem_key="seed:1")
    async with running_bot(core(), fake) as client:
        await client.transport.send(queued)
        (created,) = fake.created_messages()
        assert created.message is not None
        fake.delete_message(created.message["id"])
        await client.transport.send(queued)  # Discord: 404 Unknown Message
    assert len(fake.created_messages()) == 1 and not fake.deduplicated
