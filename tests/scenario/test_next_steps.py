"""Next steps between meetings (issue 19, part 2; guide section 2), in Swedish and English.

After "we met" either member notes a step; both see it before the next meeting
(the reminder, the mentee's preparation); after that meeting each is asked
about it (done / not yet / drop); a done step is not shown again; ``/forget``
takes the steps a person noted with them.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from adapters.console.session import actor
from bot.core.types import Address, Choice, ChoiceIn
from bot.store.models import Group, Member
from bot.store.steps_model import NextStep
from tests.console_harness import Console
from tests.scenario.lifecycle_steps import agree_and_book, programme_with_pair, said

W = {
    "sv": {
        "first": "nästa tisdag kl 15",
        "second": "tisdag 22 december kl 15",
        "third": "tisdag 12 januari kl 15",
        "met": "Ja, vi sågs",
        "add": "Lägg till",
        "fits": "Det passar",
        "step_a": "Skicka ansökan till forskarskolan",
        "step_b": "Boka samtal med studievägledaren",
        "offer": "Kom ni överens om något att göra innan ni ses igen?",
        "before": "Era nästa steg – följ gärna upp dem på mötet:",
        "ask": "Ett av era nästa steg: ”{}”. Hann ni med det?",
        "reminder": "Påminnelse: ni ses",
        "told_added": "Anna har skrivit ner ett nästa steg som ni kom överens om: ”{}”",
        "told_done": "Anna har bockat av ”{}” – klart! ✓",
        "marked_done": "Snyggt jobbat – ”{}” är klart! ✓",
        "kept": "Okej, ”{}” står kvar.",
        "settled": "Anna har redan bockat av ”{}” som klart.",
        "not_met": "Nästa steg skriver ni ner efter ett möte",
        "not_yours": "hör till någon annan",
        "stale": "gäller inte längre",
    },
    "en": {
        "first": "next tuesday at 3pm",
        "second": "tuesday 22 december at 3pm",
        "third": "tuesday 12 january at 3pm",
        "met": "Yes, we met",
        "add": "Add a next step",
        "fits": "That works",
        "step_a": "Send the application to the graduate school",
        "step_b": "Book a chat with the study counsellor",
        "offer": "Did you agree on something to do before you meet again?",
        "before": "Your next steps, to follow up at the meeting:",
        "ask": "One of your next steps: “{}”. Did you get to it?",
        "reminder": "Reminder: you're meeting",
        "told_added": "Anna noted a next step you agreed on: “{}”",
        "told_done": "Anna ticked off “{}” – done! ✓",
        "marked_done": "Well done – “{}” is done! ✓",
        "kept": "Fine, “{}” stays on the list.",
        "settled": "Anna has already ticked off “{}” as done.",
        "not_met": "Next steps are noted after a meeting",
        "not_yours": "belongs to someone else",
        "stale": "has expired",
    },
}


async def press_id(console: Console, name: str, choice_id: str) -> list[str]:
    """Press a button by its id (the console presses only the newest message's)."""
    start = len(console.lines)
    who = actor(name)
    console.lines.append(f"@{name} <{choice_id}>")
    event = ChoiceIn(who, Address("console", who.user_id, None, "dm"), choice_id)
    for out in await console.core.handle(event):
        console.session.transport.show(out)
    await console.core.deliver_outbox()
    return console.lines[start:]


async def group_id(console: Console) -> int:
    async with console.core.db.sessions() as s:
        found = await s.scalar(select(Group.id))
        assert found is not None
        return found


def offered(console: Console, chat: str) -> list[Choice]:
    """Every button sent to ``chat`` so far."""
    log = console.session.transport.log
    return [c for o in log if o.address.chat_id == chat for c in o.reply.choices]


async def steps(console: Console) -> dict[str, NextStep]:
    async with console.core.db.sessions() as s:
        return {r.text: r for r in await s.scalars(select(NextStep).order_by(NextStep.id))}


async def seat_id(console: Console, name: str) -> int:
    async with console.core.db.sessions() as s:
        found = await s.scalar(select(Member.id).where(Member.name == name))
        assert found is not None
        return found


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_next_step_is_shown_before_the_next_meeting_and_asked_about_after_it(
    console: Console, lang: str
) -> None:
    w = W[lang]
    await programme_with_pair(console, lang)
    await console.run(agree_and_book("Anna", "Bea", w["first"]))
    # before any meeting there is nothing to follow up yet
    out = await console.run("@bea /steps")
    assert w["not_met"] in said(console, "bea", out)
    out = await console.run("wait 6d\nwait 7h")  # the first meeting, Tuesday 1 December 15-16
    out = await console.run(f"@anna [{w['met']}]")
    assert w["offer"] in said(console, "anna", out) and w["offer"] in said(console, "bea", out)
    # the offer's button (the feedback pulse's ratings came after it)
    add = f"nxt:add:{await group_id(console)}"
    assert any(c.id == add and c.label.startswith(w["add"]) for c in offered(console, "bea"))
    out = await console.run("wait 1m") + await press_id(console, "anna", add)
    out += await console.run(f"@anna {w['step_a']}")
    assert w["told_added"].format(w["step_a"]) in said(console, "bea", out)
    out = await console.run("wait 1m") + await press_id(console, "bea", add)
    out += await console.run(f"@bea {w['step_b']}")
    assert w["step_b"] in said(console, "anna", out)
    # each is stored once, with who noted it
    found = await steps(console)
    assert {t: (r.status, r.member_id) for t, r in found.items()} == {
        w["step_a"]: ("open", await seat_id(console, "Anna")),
        w["step_b"]: ("open", await seat_id(console, "Bea")),
    }
    # the next meeting is booked; before it both see both steps
    out = await console.run(f"wait 1m\n@anna {w['second']}\n@bea [{w['fits']}]")
    out = await console.run("wait 20d")  # to 21 December: preparation (48 h), reminder (24 h)
    for who in ("anna", "bea"):
        text = said(console, who, out)
        reminder = text[text.index(w["reminder"]) :]
        assert w["before"] in reminder, text
        assert f"1. {w['step_a']} (Anna)" in reminder and f"2. {w['step_b']} (Bea)" in reminder
    prep = said(console, "bea", out)
    prep = prep[: prep.index(w["reminder"])]
    assert w["before"] in prep and w["step_a"] in prep and w["step_b"] in prep
    # after the meeting both are asked about each step
    out = await console.run(f"wait 1d\n@anna [{w['met']}]")
    for who in ("anna", "bea"):
        text = said(console, who, out)
        assert w["ask"].format(w["step_a"]) in text and w["ask"].format(w["step_b"]) in text
    ids = {t: r.id for t, r in (await steps(console)).items()}
    out = await press_id(console, "anna", f"nxt:did:{ids[w['step_a']]}:done")
    assert w["marked_done"].format(w["step_a"]) in said(console, "anna", out)
    assert w["told_done"].format(w["step_a"]) in said(console, "bea", out)
    out = await press_id(console, "bea", f"nxt:did:{ids[w['step_b']]}:later")
    assert w["kept"].format(w["step_b"]) in said(console, "bea", out)
    # Bea's own question about the step Anna settled: answered clearly, nothing changes
    out = await press_id(console, "bea", f"nxt:did:{ids[w['step_a']]}:drop")
    assert w["settled"].format(w["step_a"]) in said(console, "bea", out)
    # someone outside the pair, and a made-up step
    out = await press_id(console, "olga", f"nxt:did:{ids[w['step_b']]}:drop")
    assert w["not_yours"] in said(console, "olga", out)
    out = await press_id(console, "bea", f"nxt:did:{ids[w['step_b']] + 99}:done")
    assert w["stale"] in said(console, "bea", out)
    found = await steps(console)
    assert found[w["step_a"]].status == "done"
    assert found[w["step_a"]].closed_by == await seat_id(console, "Anna")
    assert found[w["step_b"]].status == "open" and found[w["step_b"]].closed_at is None
    # before the third meeting only the open step is shown
    out = await console.run(f"wait 1m\n@anna {w['third']}\n@bea [{w['fits']}]\nwait 20d")
    text = said(console, "bea", out)
    reminder = text[text.index(w["reminder"]) :]
    assert f"1. {w['step_b']} (Bea)" in reminder and w["step_a"] not in reminder
    # /steps lists it with a tick button; the tick settles it
    out = await console.run("@anna /steps\n@anna [✓ 1]")
    assert w["step_b"] in said(console, "anna", out)
    assert (await steps(console))[w["step_b"]].status == "done"


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_forget_takes_the_steps_a_person_noted(console: Console, lang: str) -> None:
    w = W[lang]
    await programme_with_pair(console, lang)
    await console.run(agree_and_book("Anna", "Bea", w["first"]))
    await console.run(f"wait 6d\nwait 7h\n@anna [{w['met']}]")
    await console.run(f"wait 1m\n@anna /steps {w['step_a']}\n@bea /steps {w['step_b']}")
    assert set(await steps(console)) == {w["step_a"], w["step_b"]}
    await console.run("@bea /mydata")
    [export] = [d for n, d in console.session.transport.files.get("bea", []) if n == "mydata.json"]
    assert [s["text"] for s in json.loads(export)["next_steps"]] == [w["step_b"]]
    await console.run("@bea /forget")
    await press_id(console, "bea", "priv:forget:yes")
    assert set(await steps(console)) == {w["step_a"]}
    # nothing Bea wrote is left anywhere in the database
    async with console.core.db.sessions() as s:
        from bot.store.models import Base

        for table in Base.metadata.sorted_tables:
            for row in (await s.execute(select(table))).all():
                assert w["step_b"] not in str(row), table.name
