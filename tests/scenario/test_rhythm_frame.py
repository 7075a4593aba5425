"""The programme's frame around a rhythm (guide section 5, issue 19).

The compromise is pulled into the frame wherever somebody's wish lies inside
it; a rhythm everyone wants outside the frame waits for an organiser's yes,
asked in the organiser's language with buttons; a no sends the pair back to
suggest again.  Only an organiser of the pair's programme may answer.
"""

from __future__ import annotations

from tests.harness import Harness
from tests.meeting_steps import agree_rhythm, latest_choice, make_pair, propose_rhythm


def side_by_side(texts: list[str]) -> str:
    return next(t for t in reversed(texts) if t.startswith(("Här är era förslag", "Here are your")))


async def test_the_compromise_stays_inside_the_frame_when_a_wish_allows_it(h: Harness) -> None:
    pair = await make_pair(h)
    anna, bea = pair.people
    await propose_rhythm(pair, anna, freq="monthly", minutes=45)
    await propose_rhythm(pair, bea, freq="monthly", minutes=90)
    # the mean, 67.5 minutes, would round to 75: outside a 20–60 frame, so 60
    assert side_by_side(anna.texts()).endswith(
        "Mitt förslag till kompromiss: en gång i månaden · 60 min · online"
    )
    for who in pair.people:
        await who.presses(latest_choice(who, f"rhy:{pair.group_id}:accept:"))
    rhythm = await pair.rhythm()
    assert rhythm is not None and (rhythm.minutes, rhythm.outside_frame) == (60, False)


async def test_outside_the_frame_waits_for_the_organiser_who_approves_in_swedish(
    h: Harness,
) -> None:
    pair = await make_pair(h, mentee_lang="en", organiser_lang="sv")
    anna, bea = pair.people
    olga = h.person("olga")
    await propose_rhythm(pair, anna, freq="weekly", minutes=90)
    await propose_rhythm(pair, bea, freq="weekly", minutes=90)
    assert side_by_side(anna.texts()).endswith(
        "Mitt förslag till kompromiss: varje vecka · 90 min · online\n"
        "Obs! Det ligger utanför programmets ram. Programmet rekommenderar: en gång i månaden, "
        "20–60 minuter per möte. Väljer ni det ändå frågar jag organisatörerna först – rytmen "
        "gäller när de har sagt ja."
    )
    assert side_by_side(bea.texts()).endswith(
        "Note: this is outside the programme's frame. The programme recommends: once a month, "
        "20–60 minutes per meeting. If you choose it anyway, I'll ask the organisers first – "
        "the rhythm applies once they've said yes."
    )
    assert not any("går bra" in t or "that's fine" in t for t in anna.texts() + bea.texts())
    await anna.presses(latest_choice(anna, f"rhy:{pair.group_id}:accept:"))
    await bea.presses(latest_choice(bea, f"rhy:{pair.group_id}:accept:"))
    # nothing is agreed yet: the pair waits, the organiser is asked
    assert await pair.rhythm() is None
    assert bea.last.text.startswith("You're agreed! As the rhythm is outside the programme's")
    assert anna.last.text.startswith("Ni är överens! Eftersom rytmen ligger utanför")
    request = olga.last
    assert request.text == (
        "Anna och Bea i STEM Up vill träffas utanför programmets ram: "
        "varje vecka · 90 min · online\n"
        "Programmet rekommenderar: en gång i månaden, 20–60 minuter per möte.\n"
        "Godkänner du den rytmen?"
    )
    assert [c.label for c in request.choices] == ["Godkänn", "Be dem hålla sig inom ramen"]
    # a member cannot answer in the organiser's place
    approve = request.choices[0].id
    await bea.presses(approve)
    assert await pair.rhythm() is None
    assert bea.last.text == "That button belongs to someone else, so I'll leave it be."
    await olga.presses(approve)
    assert olga.last.text == "Tack! Jag har meddelat Anna och Bea att rytmen är godkänd."
    rhythm = await pair.rhythm()
    assert rhythm is not None and rhythm.outside_frame is True
    assert (rhythm.frequency_days, rhythm.minutes) == (7, 90)
    assert (
        "Ni har kommit överens om er mötesrytm: varje vecka · 90 min · online\n"
        "(utanför programmets ram – godkänt av organisatörerna)"
    ) in anna.texts()
    assert (
        "You've agreed on your meeting rhythm: every week · 90 min · online\n"
        "(outside the programme's frame – approved by the organisers)"
    ) in bea.texts()
    assert any(t.startswith("Time to book your first meeting!") for t in bea.texts())
    # a second answer changes nothing
    await olga.presses(request.choices[1].id)
    assert olga.last.text == "Den här förfrågan är redan besvarad."


async def test_an_english_organiser_declines_and_the_pair_suggests_again(h: Harness) -> None:
    pair = await make_pair(h, organiser_lang="en")
    anna, bea = pair.people
    olga = h.person("olga")
    for who in pair.people:
        await propose_rhythm(pair, who, freq="weekly", minutes=30)
    for who in pair.people:
        await who.presses(latest_choice(who, f"rhy:{pair.group_id}:accept:"))
    request = olga.last
    assert request.text.startswith(
        "Anna and Bea in STEM Up would like to meet outside the programme's frame: "
        "every week · 30 min · online\n"
    )
    assert [c.label for c in request.choices] == ["Approve", "Ask them to stay within the frame"]
    await olga.presses(request.choices[1].id)
    assert (
        olga.last.text == "Thank you! I'll ask Anna and Bea to suggest a rhythm within the frame."
    )
    assert await pair.rhythm() is None
    told = (
        "Organisatörerna vill att ni håller er inom programmets ram. Programmet rekommenderar: "
        "en gång i månaden, 20–60 minuter per möte. Föreslå gärna en ny rytm inom den."
    )
    assert anna.last.text == told and bea.last.text == told
    # asked again: the button opens the rhythm questions, and a rhythm within the frame agrees
    await anna.presses("Föreslå en ny rytm")
    assert anna.last.text == "Hur ofta vill du ses?"
    for who in pair.people:
        await propose_rhythm(pair, who, freq="monthly", minutes=30)
    for who in pair.people:
        await who.presses(latest_choice(who, f"rhy:{pair.group_id}:accept:"))
    rhythm = await pair.rhythm()
    assert rhythm is not None and (rhythm.frequency_days, rhythm.outside_frame) == (30, False)


async def test_without_an_organiser_the_pair_is_asked_to_stay_within_the_frame(
    h: Harness,
) -> None:
    pair = await make_pair(h, mentor_lang="en")
    anna, bea = pair.people
    for who in pair.people:
        await propose_rhythm(pair, who, freq="weekly", minutes=90)
    for who in pair.people:
        await who.presses(latest_choice(who, f"rhy:{pair.group_id}:accept:"))
    assert await pair.rhythm() is None
    assert anna.last.text.startswith(
        "The rhythm is outside the programme's frame, and the programme has no organiser"
    )
    assert bea.last.text.startswith("Rytmen ligger utanför programmets ram")


async def test_a_change_outside_the_frame_waits_and_a_no_keeps_the_agreed_rhythm(
    h: Harness,
) -> None:
    pair = await make_pair(h, mentor_lang="en", organiser_lang="en")
    anna, bea = pair.people
    olga = h.person("olga")
    await agree_rhythm(pair, freq="monthly", minutes=60)
    await anna.says("/rhythm")
    await anna.presses(f"rchg:{pair.group_id}:start")
    for who in pair.people:
        await propose_rhythm(pair, who, freq="weekly", minutes=60)
    for who in pair.people:
        await who.presses(latest_choice(who, f"rhy:{pair.group_id}:accept:"))
    assert olga.last.text.startswith(
        "Anna and Bea in STEM Up would like to meet outside the programme's frame: "
        "every week · 60 min · online\n"
    )
    rhythm = await pair.rhythm()
    assert rhythm is not None and (rhythm.frequency_days, rhythm.outside_frame) == (30, False)
    assert anna.last.text.startswith("You're agreed! As the rhythm is outside the programme's")
    assert bea.last.text.startswith("Ni är överens! Eftersom rytmen ligger utanför")
    # pressing accept again only says that the organisers are asked
    await bea.presses(latest_choice(bea, f"rhy:{pair.group_id}:accept:"))
    assert bea.last.text.startswith("Ni är överens! Eftersom rytmen ligger utanför")
    await olga.presses(olga.last.choices[1].id)  # stay within the frame
    rhythm = await pair.rhythm()
    assert rhythm is not None and (rhythm.frequency_days, rhythm.outside_frame) == (30, False)
    assert bea.last.text.startswith("Organisatörerna vill att ni håller er inom programmets ram.")
    assert anna.last.text.startswith("The organisers would like you to stay within")
    # asked again, a change within the frame applies at once
    await anna.presses("Suggest a new rhythm")
    assert anna.last.text == "How often would you like to meet?"
    for who in pair.people:
        await propose_rhythm(pair, who, freq="monthly", minutes=45)
    for who in pair.people:
        await who.presses(latest_choice(who, f"rhy:{pair.group_id}:accept:"))
    rhythm = await pair.rhythm()
    assert rhythm is not None and (rhythm.frequency_days, rhythm.minutes) == (30, 45)
    assert not rhythm.outside_frame
