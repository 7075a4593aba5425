"""The mentoring agreement (issue 4), in Swedish and in English.

Anna (mentor) and Bea (mentee) are created with the organiser CLI and join
through the console adapter, choosing the scenario's language; every text is
checked against content in that language.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.app import Core
from bot.config import load_settings
from bot.content import Content, load_content
from bot.core.types import Event
from bot.store.db import Database
from tests.agreement_steps import GOAL, ITEMS, MENTEE, MENTOR, Pairing
from tests.conftest import database_url

LANGS = ["sv", "en"]
FILENAME = {"sv": "overenskommelse-v{v}.txt", "en": "agreement-v{v}.txt"}
NEW_WORDING = {
    "sv": "Det vi säger stannar mellan oss, men Bea får berätta om sin egen utveckling.",
    "en": "What we say stays between us, but Bea may talk about her own progress.",
}


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(load_settings().content_dir)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """An empty, migrated SQLite file to copy: migrating every test's file costs more
    than the scenario itself.  None on PostgreSQL."""
    folder = tmp_path_factory.mktemp("template")
    url = database_url(folder)
    if not url.startswith("sqlite"):
        return None

    async def migrate() -> None:
        db = Database(url)
        await db.upgrade()
        await db.dispose()

    asyncio.run(migrate())
    return folder / "t.db"


@pytest.fixture(params=LANGS)
async def p(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    content: Content,
    template: Path | None,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Pairing]:
    monkeypatch.setattr("bot.app.load_content", lambda _directory: content)
    if template is not None:
        shutil.copy(template, tmp_path / "t.db")
    pairing = await Pairing.open(tmp_path, request.param)
    yield pairing
    await pairing.close()


def completions(p: Pairing, who: str) -> list[str]:
    return [r.text for r in p.inbox(who) if r.text.startswith(p.t("agreement.complete"))]


def assert_document(p: Pairing, text: str, version: int) -> None:
    """The written agreement: every item marked agreed, with what was agreed."""
    lines = text.splitlines()
    assert lines[0] == p.t("agreement.doc.title_complete", programme="STEM Up", version=version)
    assert lines[1] == f"Anna ({p.t('roles.mentor')}), Bea ({p.t('roles.mentee')})"
    for n, item in enumerate(ITEMS, 1):
        assert f"{n}. ✓ {p.title(item)}" in lines, f"item {item} not marked agreed"
    assert not any(line[:3].rstrip(". ").isdigit() and " … " in line for line in lines)
    assert GOAL[p.lang] in text
    assert f"Bea: {p.support_label('career')}, {p.support_label('emotional')}" in text
    for goal in p.goals():
        assert f"  • {goal}" in text
    assert p.when() in text
    assert ("30 november 2027" if p.lang == "sv" else "30 November 2027") in text
    assert lines[-1].startswith(p.t("agreement.doc.agreed_on", date="")[:6])


# 1 -----------------------------------------------------------------------------------
async def test_both_agree_everything(p: Pairing) -> None:
    await p.create()
    intro = p.t("agreement.intro", programme="STEM Up", count=len(ITEMS))
    for who in (MENTOR, MENTEE):
        assert intro in [r.text for r in p.inbox(who)]
        assert p.current_item(who) == "goal"
    await p.mentee_fills_in()
    # the mentor is asked to confirm what the mentee chose and wrote
    mentor_got = "\n".join(r.text for r in p.inbox(MENTOR))
    assert p.t("agreement.support.partner_done", name="Bea") in mentor_got
    assert p.t("agreement.goals.partner_done", name="Bea") in mentor_got
    assert all(goal in mentor_got for goal in p.goals())
    await p.mentor_confirms()
    await p.accept_rhythm(MENTOR)
    await p.accept_rhythm(MENTEE)
    await p.agree_until(MENTEE)
    assert (await p.agreement()).status == "open"  # Anna has not agreed everything yet
    await p.agree_until(MENTOR)

    agreement = await p.agreement()
    assert (agreement.version, agreement.status, agreement.completed) == (1, "complete", True)
    answers = await p.answers()
    assert answers == {(item, who): "agree" for item in ITEMS for who in (MENTOR, MENTEE)}
    stored = await p.agreement_items()
    bea_seat = next(iter(stored["support"]))
    assert stored["support"][bea_seat] == ["career", "emotional"]
    assert stored["goals"][bea_seat] == p.goals()

    filename = FILENAME[p.lang].format(v=1)
    assert p.t("agreement.doc.filename", version=1) == filename
    for who in (MENTOR, MENTEE):
        assert len(completions(p, who)) == 1, f"{who} should be told once"
        files = p.files(who)
        assert list(files) == [filename]
        assert_document(p, files[filename], version=1)
        assert files[filename] in completions(p, who)[0]

    # /agreement shows it any time afterwards, with the file again, word for word
    # as agreed even when the organisers later edit the programme
    await p.wait("10d")
    await p.edit_programme(goal="Something else entirely", end_date=date(2027, 6, 30))
    mark = p.mark(MENTEE)
    await p.says(MENTEE, "/agreement")
    shown = p.since(MENTEE, mark)
    assert len(shown) == 1
    assert shown[0].text == p.files(MENTEE)[filename]
    assert [a.filename for a in shown[0].attachments] == [filename]
    assert shown[0].attachments[0].content.decode() == p.files(MENTEE)[filename]
    assert "Something else entirely" not in shown[0].text
    assert [c.label for c in shown[0].choices] == [p.t("agreement.buttons.revise")]


# 2 -------------------------------------------------------------------------------------
async def test_mentee_changes_an_item_and_the_mentor_agrees(p: Pairing) -> None:
    await p.create()
    await p.mentee_fills_in()
    await p.agree_until(MENTEE, stop="confidentiality")
    await p.press(MENTEE, p.t("agreement.buttons.change"))
    title = p.title("confidentiality")
    assert p.last(MENTEE).text == p.t("agreement.change.ask", title=title)
    mark = p.mark(MENTOR)
    await p.says(MENTEE, NEW_WORDING[p.lang])

    told = p.since(MENTOR, mark)
    assert len(told) == 1
    assert title in told[0].text and NEW_WORDING[p.lang] in told[0].text
    assert p.t("agreement.change.notice", name="Bea", title=title) in told[0].text
    assert p.current_item(MENTOR) == "confidentiality"
    assert p.t("agreement.change.sent", title=title) in [r.text for r in p.inbox(MENTEE)]
    stored = await p.agreement_items()
    assert stored["changes"]["confidentiality"]["text"] == NEW_WORDING[p.lang]
    assert await p.status("confidentiality") == "open"
    assert (await p.answers())[("confidentiality", MENTEE)] == "agree"
    # Bea carries on with her walk meanwhile
    assert p.current_item(MENTEE) == "contact"

    await p.press(MENTOR, p.t("agreement.buttons.agree"))
    assert await p.status("confidentiality") == "agreed"

    # the rest of the way, and the new wording is what the document says
    await p.agree_until(MENTEE)
    await p.mentor_confirms()
    await p.accept_rhythm(MENTEE)
    await p.accept_rhythm(MENTOR)
    await p.agree_until(MENTOR)
    assert (await p.agreement()).status == "complete"
    doc = p.files(MENTOR)[FILENAME[p.lang].format(v=1)].splitlines()
    at = doc.index(f"7. ✓ {title}")
    assert doc[at + 1].strip() == NEW_WORDING[p.lang]


async def test_every_counter_proposal_reaches_the_other(p: Pairing) -> None:
    await p.create()
    aid = (await p.agreement()).id
    wordings = [f"{NEW_WORDING[p.lang]} ({n})" for n in range(3)]
    for n, (who, other) in enumerate([(MENTEE, MENTOR), (MENTOR, MENTEE), (MENTEE, MENTOR)]):
        mark = p.mark(other)
        await p.choose(who, f"agr:{aid}:confidentiality:change")
        await p.says(who, wordings[n])
        told = [r.text for r in p.since(other, mark)]
        assert any(wordings[n] in text for text in told), f"proposal {n} did not reach {other}"
        answers = await p.answers()
        assert answers.get(("confidentiality", who)) == "agree"
        assert ("confidentiality", other) not in answers
    assert await p.status("confidentiality") == "open"


# 3 -------------------------------------------------------------------------------------
async def test_the_rhythm_item_waits_for_the_rhythm_agreement(p: Pairing) -> None:
    await p.create()
    aid = (await p.agreement()).id
    await p.mentee_fills_in()
    await p.agree_until(MENTEE)
    assert p.last(MENTEE).text == p.t("agreement.walk_done_rhythm")
    await p.mentor_confirms()  # both proposals are in; the compromise is shown
    assert p.last(MENTOR).choices[0].label == p.t("rhythm.accept")
    # the rhythm item cannot be agreed by hand before the rhythm is
    refused = await p.choose(MENTOR, f"agr:{aid}:rhythm:agree")
    assert [r.text for r in refused] == [p.t("basics.stale_button")]
    # Anna finishes the other items through /agreement → Continue
    await p.says(MENTOR, "/agreement")
    await p.press(MENTOR, p.t("agreement.buttons.continue"))
    await p.agree_until(MENTOR)
    others = [i for i in ITEMS if i != "rhythm"]
    assert [await p.status(i) for i in others] == ["agreed"] * len(others)
    assert await p.status("rhythm") == "open"
    assert (await p.agreement()).status == "open"
    assert completions(p, MENTOR) == completions(p, MENTEE) == []

    await p.accept_rhythm(MENTEE)
    assert not await p.rhythm_agreed()
    assert (await p.agreement()).status == "open"
    await p.accept_rhythm(MENTOR)  # the last acceptance fills the rhythm item: complete
    assert await p.rhythm_agreed()
    assert await p.status("rhythm") == "agreed"
    assert (await p.agreement()).status == "complete"
    for who in (MENTOR, MENTEE):
        assert len(completions(p, who)) == 1
        assert_document(p, p.files(who)[FILENAME[p.lang].format(v=1)], version=1)


async def test_a_changed_rhythm_proposal_is_shown_to_everyone_again(p: Pairing) -> None:
    await p.create()
    await p.mentee_fills_in()
    await p.mentor_confirms()  # Anna proposed last: Bea was sent the compromise
    await p.accept_rhythm(MENTEE)
    redo = next(c.id for r in p.inbox(MENTOR) for c in r.choices if c.id.endswith(":redo"))
    await p.choose(MENTOR, redo)
    mark = p.mark(MENTEE)
    await p.propose_rhythm(MENTOR, "monthly", 60, "online", p.when())  # the same again
    shown = [r for r in p.since(MENTEE, mark) if r.choices]
    assert len(shown) == 1 and shown[0].text.startswith(p.t("rhythm.side_by_side"))
    assert shown[0].choices[0].label == p.t("rhythm.accept")
    await p.accept_rhythm(MENTOR)
    assert not await p.rhythm_agreed()  # Bea's earlier yes was to the earlier round
    await p.accept_rhythm(MENTEE)
    assert await p.rhythm_agreed()
    assert await p.status("rhythm") == "agreed"


# 4 -------------------------------------------------------------------------------------
async def test_a_revision_two_months_later(p: Pairing) -> None:
    await p.create()
    await p.everything_agreed()
    v1 = await p.agreement()
    v1_answers = await p.answers(v1.id)
    await p.wait("60d")

    await p.says(MENTOR, "/agreement")
    mark = p.mark(MENTEE)
    await p.press(MENTOR, p.t("agreement.buttons.revise"))
    v2 = await p.agreement()
    assert (v2.version, v2.status) == (2, "open") and v2.id != v1.id
    told = [r.text for r in p.since(MENTEE, mark)]
    assert p.t("agreement.revision_started", name="Anna", version=2) in told
    assert p.current_item(MENTEE) == "goal" and p.current_item(MENTOR) == "goal"
    # during the revision /agreement shows the draft and leads back into it
    await p.says(MENTEE, "/agreement")
    draft = p.last(MENTEE)
    assert draft.text.startswith(p.t("agreement.doc.title_draft", programme="STEM Up", version=2))
    assert [c.label for c in draft.choices] == [
        p.t("agreement.buttons.continue"),
        p.t("agreement.buttons.in_force"),
    ]
    await p.press(MENTEE, p.t("agreement.buttons.in_force"))  # version 1 still holds
    v1_file = FILENAME[p.lang].format(v=1)
    assert p.last(MENTEE).text == p.files(MENTEE)[v1_file]
    assert [a.filename for a in p.last(MENTEE).attachments] == [v1_file]
    await p.says(MENTEE, "/agreement")
    await p.press(MENTEE, p.t("agreement.buttons.continue"))
    assert p.current_item(MENTEE) == "goal"

    await p.agree_until(MENTOR)  # Anna alone cannot complete it
    assert (await p.agreement()).status == "open"
    assert {a.status for a in await p.agreements()} == {"complete", "open"}
    await p.agree_until(MENTEE, stop="support")
    await p.press(MENTEE, p.t("agreement.done"))  # her areas carry over from version 1
    await p.press(MENTEE, p.t("agreement.done"))  # and so do her goals
    await p.agree_until(MENTEE)
    assert (await p.agreement()).status == "open"  # Anna must still confirm support and goals
    await p.agree_until(MENTOR)

    rows = await p.agreements()
    assert [(a.version, a.status) for a in rows] == [(1, "superseded"), (2, "complete")]
    assert await p.answers(v1.id) == v1_answers  # version 1 is kept as it was
    assert len(await p.answers(v2.id)) == 2 * len(ITEMS)
    name = FILENAME[p.lang].format(v=2)
    for who in (MENTOR, MENTEE):
        files = p.files(who)
        assert set(files) == {FILENAME[p.lang].format(v=1), name}
        assert_document(p, files[name], version=2)
    mark = p.mark(MENTOR)
    await p.says(MENTOR, "/agreement")
    assert [a.filename for a in p.since(MENTOR, mark)[0].attachments] == [name]
    # the old version can still be read, marked as replaced
    old = (await p.choose(MENTOR, f"agr:{v1.id}:show"))[0]
    v1_text = p.files(MENTOR)[FILENAME[p.lang].format(v=1)]
    assert old.text == p.t("agreement.superseded_note", version=2) + "\n\n" + v1_text
    assert old.choices == ()


# 5 -------------------------------------------------------------------------------------
async def test_both_answer_the_same_item_at_once_on_one_core(p: Pairing) -> None:
    await p.create()
    aid = (await p.agreement()).id
    choice = f"agr:{aid}:goal:agree"
    results = await asyncio.gather(
        p.core.handle(p.event(MENTOR, choice)), p.core.handle(p.event(MENTEE, choice))
    )
    for outs in results:
        await p.deliver(outs)
        assert outs[0].reply.text == p.t(
            "agreement.recorded", title=p.title("goal"), answer=p.t("agreement.yours.agree")
        )
    answers = await p.answers()
    assert answers[("goal", MENTOR)] == answers[("goal", MENTEE)] == "agree"
    assert await p.status("goal") == "agreed"


async def on_two_workers(p: Pairing, first: Event, second: Event) -> None:
    """Handle two events at the same moment on two cores sharing one database."""
    other = await Core.open(load_settings(database_url=p.db_url), p.core.clock)
    other.add_transport(p.console.session.transport)
    try:
        await other.handle(p.event("warmup", "agr:0:show"))  # its first connection is slow
        first_outs, second_outs = await asyncio.gather(p.core.handle(first), other.handle(second))
        await p.deliver(first_outs)
        for out in second_outs:
            p.console.session.transport.show(out)
        await other.deliver_outbox()
    finally:
        await other.close()


async def test_both_answer_the_last_item_at_once_on_two_workers(p: Pairing) -> None:
    await p.create()
    await p.mentee_fills_in()
    await p.mentor_confirms()
    await p.accept_rhythm(MENTOR)
    await p.accept_rhythm(MENTEE)
    await p.agree_until(MENTEE, stop="closing")
    await p.agree_until(MENTOR, stop="closing")
    choice = f"agr:{(await p.agreement()).id}:closing:agree"
    await on_two_workers(p, p.event(MENTOR, choice), p.event(MENTEE, choice))
    answers = await p.answers()
    assert answers[("closing", MENTOR)] == answers[("closing", MENTEE)] == "agree"
    assert (await p.agreement()).status == "complete"
    for who in (MENTOR, MENTEE):
        assert len(completions(p, who)) == 1, f"{who} should get the agreement exactly once"


async def test_both_accept_the_rhythm_at_once_on_two_workers(p: Pairing) -> None:
    """The last two acceptances of the rhythm (which fill the last open item) at once."""
    await p.create()
    await p.mentee_fills_in()
    await p.agree_until(MENTEE)
    await p.mentor_confirms()
    await p.says(MENTOR, "/agreement")
    await p.press(MENTOR, p.t("agreement.buttons.continue"))
    await p.agree_until(MENTOR)
    accepts = {
        who: next(c.id for r in p.inbox(who) for c in r.choices if ":accept:" in c.id)
        for who in (MENTOR, MENTEE)
    }
    await on_two_workers(p, p.event(MENTOR, accepts[MENTOR]), p.event(MENTEE, accepts[MENTEE]))
    assert await p.rhythm_agreed()
    assert await p.status("rhythm") == "agreed"
    assert (await p.agreement()).status == "complete"
    for who in (MENTOR, MENTEE):
        assert len(completions(p, who)) == 1, f"{who} should get the agreement exactly once"


async def test_the_last_item_and_the_rhythm_at_once_on_two_workers(p: Pairing) -> None:
    """Anna agrees her last item while Bea's acceptance agrees the rhythm."""
    await p.create()
    await p.mentee_fills_in()
    await p.agree_until(MENTEE)
    await p.mentor_confirms()
    await p.accept_rhythm(MENTOR)
    await p.says(MENTOR, "/agreement")
    await p.press(MENTOR, p.t("agreement.buttons.continue"))
    await p.agree_until(MENTOR, stop="closing")
    accept = next(c.id for r in p.inbox(MENTEE) for c in r.choices if ":accept:" in c.id)
    closing = f"agr:{(await p.agreement()).id}:closing:agree"
    await on_two_workers(p, p.event(MENTOR, closing), p.event(MENTEE, accept))
    assert await p.status("rhythm") == await p.status("closing") == "agreed"
    assert (await p.agreement()).status == "complete"
    for who in (MENTOR, MENTEE):
        assert len(completions(p, who)) == 1, f"{who} should get the agreement exactly once"


# 6 -------------------------------------------------------------------------------------
async def test_strangers_and_other_pairs_cannot_press_this_pairs_buttons(p: Pairing) -> None:
    await p.create(second_pair=True)
    await p.says("mallory", f"/language {p.lang}")
    aid = (await p.agreement()).id
    gid = await p.group_id(MENTOR)
    assert (await p.agreement("dana")).id != aid
    before = (await p.answers(), await p.agreement_items(), await p.agenda(), await p.agreements())
    marks = {who: p.mark(who) for who in (MENTOR, MENTEE)}
    forged = [
        f"agr:{aid}:goal:agree",
        f"agr:{aid}:confidentiality:discuss",
        f"agr:{aid}:confidentiality:change",
        f"agr:{aid}:support:t:career",
        f"agr:{aid}:revise",
        f"agr:{aid}:show",
        f"rhy:{gid}:freq:weekly",
    ]
    for intruder in ("mallory", "dana"):
        for choice in forged:
            replies = await p.choose(intruder, choice)
            assert [r.text for r in replies] == [p.t("basics.not_yours")], (intruder, choice)
    after = (await p.answers(), await p.agreement_items(), await p.agenda(), await p.agreements())
    assert after == before
    assert all(p.since(who, marks[who]) == [] for who in (MENTOR, MENTEE))
    # the very same button works for a member of the pair
    await p.choose(MENTOR, f"agr:{aid}:goal:agree")
    assert (await p.answers())[("goal", MENTOR)] == "agree"


# 7 -------------------------------------------------------------------------------------
async def test_discuss_puts_the_item_on_the_agenda(p: Pairing) -> None:
    await p.create()
    assert await p.agenda() == []
    await p.press(MENTOR, p.t("agreement.buttons.discuss"))
    title = p.title("goal")
    assert await p.agenda() == [(title, "agreement")]
    assert await p.status("goal") == "discuss"
    await p.press(MENTEE, p.t("agreement.buttons.agree"))
    assert await p.status("goal") == "discuss"  # not agreed while Anna wants to discuss it
    await p.choose(MENTEE, f"agr:{(await p.agreement()).id}:goal:discuss")
    assert await p.agenda() == [(title, "agreement")]  # on the agenda once
    assert (await p.agreement()).status == "open"


# 8 -------------------------------------------------------------------------------------
async def test_reminder_lists_the_open_items_a_week_after_joining(p: Pairing) -> None:
    await p.create()
    await p.press(MENTOR, p.t("agreement.buttons.agree"))
    await p.press(MENTEE, p.t("agreement.buttons.agree"))
    open_items = [p.title(i) for i in ITEMS if i != "goal"]
    reminder = p.t(
        "agreement.reminder",
        count=len(open_items),
        items="\n".join(f"• {t}" for t in open_items),
    )
    marks = {who: p.mark(who) for who in (MENTOR, MENTEE)}
    await p.wait("6d")
    assert all(reminder not in [r.text for r in p.since(w, marks[w])] for w in marks)
    await p.wait("1d")
    for who in (MENTOR, MENTEE):
        got = [r for r in p.since(who, marks[who]) if r.text == reminder]
        assert len(got) == 1, f"{who} should get one reminder"
        assert [c.label for c in got[0].choices] == [p.t("agreement.buttons.continue")]
    await p.wait("14d")
    assert all(len([r for r in p.inbox(w) if r.text == reminder]) == 1 for w in (MENTOR, MENTEE))


async def test_no_reminder_for_a_complete_agreement(p: Pairing) -> None:
    await p.create()
    await p.everything_agreed()
    marks = {who: p.mark(who) for who in (MENTOR, MENTEE)}
    await p.wait("8d")
    head = p.t("agreement.reminder", count=0, items="").splitlines()[0][:20]
    for who in (MENTOR, MENTEE):
        assert not any(r.text.startswith(head) for r in p.since(who, marks[who]))


async def test_a_discussed_item_leaves_the_agenda_once_agreed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """After the meeting the pair agrees the item: it is no longer an open agenda point."""
    from sqlalchemy import select

    from bot.store.models import AgendaItem, Agreement
    from tests.conftest import START, database_url
    from tests.console_harness import Console
    from tests.pair_steps import SETUP

    console = await Console.open(database_url(tmp_path), START)
    try:
        await console.run(SETUP + "\n@anna [Ta upp]\n@bea [Vi är överens]")
        async with console.core.db.sessions() as s:
            points = (await s.scalars(select(AgendaItem))).all()
            assert [(p.source, p.done_at is None) for p in points] == [("agreement", True)]
            aid = await s.scalar(select(Agreement.id))
        await console.run("@anna /agreement\n@anna [Fortsätt]")
        from bot.core.types import Actor, Address, ChoiceIn

        anna = Actor("console", "anna", "Anna")
        await console.core.handle(ChoiceIn(anna, Address("console", "anna"), f"agr:{aid}:review"))
        await console.core.handle(
            ChoiceIn(anna, Address("console", "anna"), f"agr:{aid}:goal:agree")
        )
        async with console.core.db.sessions() as s:
            points = (await s.scalars(select(AgendaItem))).all()
            assert len(points) == 1 and points[0].done_at is not None
    finally:
        await console.close()
