"""Slash commands, autocomplete and buttons through INTERACTION_CREATE on the fake gateway."""

from __future__ import annotations

import copy
import re
from typing import Any

from discord_support import EPOCH, FUTURE, Connect, a_miss
from fake_discord import APP_ID, Call, FakeDiscord, click, custom_ids, slash, user
from sqlalchemy import select

from adapters.discord.client import QAClient
from adapters.discord.render import LABEL_LIMIT
from bot.models import Answer
from bot.replies import SORRY, Choice
from bot.service import QABot
from bot.store.alias_store import AliasStore
from bot.store.schema import picks

EPHEMERAL = 64
WEBINAR_7 = "Webinar 7: Shipping Course Projects"  # the source label of every fixture entry
LONG_QUESTION = (
    "What is the single most important thing to keep in mind when you are building an "
    "evaluation dataset for a retrieval augmented generation system in production?"
)


async def picked(qabot: QABot) -> list[tuple[str, str | None, str, int | None]]:
    """The picks recorded: (via, the wording the member had asked, entry id, log id)."""
    assert await qabot.flush()
    async with qabot.store.engine.connect() as conn:
        rows = await conn.execute(
            select(picks.c.via, picks.c.question, picks.c.entry_id, picks.c.log_id)
        )
        return [(r.via, r.question, r.entry_id, r.log_id) for r in rows]


async def interact(fake: FakeDiscord, payload: dict[str, Any]) -> Call:
    """Push an interaction and return the bot's callback (its initial response)."""
    await fake.dispatch("INTERACTION_CREATE", payload)
    path = rf"/interactions/{payload['id']}/{re.escape(payload['token'])}/callback"
    [callback] = await fake.wait_for("POST", path)
    return callback


def created(fake: FakeDiscord, callback: Call) -> dict[str, Any]:
    """The message the fake created for a type-4 callback (what members see)."""
    return list(fake.messages.values())[-1] if callback.json["type"] == 4 else {}


async def test_ask_answers_within_the_deadline_with_embed_and_feedback_buttons(
    client: QAClient, fake: FakeDiscord, qabot: QABot
) -> None:
    expected = qabot.matcher.ask("how do I submit my homework")
    assert isinstance(expected, Answer)
    callback = await interact(fake, slash("ask", {"question": "how do I submit my homework"}))
    assert callback.query == {"with_response": "1"}
    assert callback.json["type"] == 4  # answered at once: matching is in memory
    data = callback.json["data"]
    assert data["embeds"][0]["title"] == "How do I submit my homework?"
    assert data["allowed_mentions"] == {"parse": []}
    assert not data.get("flags")  # the answer is public
    ids = [b["custom_id"] for row in data["components"] for b in row["components"]]
    assert ids[0].startswith("qa:vote:up:") and ids[1].startswith("qa:vote:down:")
    keys = [key for key in ids[2].removeprefix("qa:other:").split(".") if key]
    assert ids[2].startswith("qa:other:") and len(keys) == len(expected.runners_up)


async def test_ask_defers_and_follows_up_when_the_answer_is_slow(
    connect: Connect, fake: FakeDiscord
) -> None:
    await connect(respond_within=0)  # as if the database were slow
    payload = slash("ask", {"question": "how do I submit my homework"})
    callback = await interact(fake, payload)
    assert callback.json["type"] == 5  # deferred: "CourseBot is thinking…"
    [followup] = await fake.wait_for("POST", rf"/webhooks/{APP_ID}/{payload['token']}")
    assert followup.json["embeds"][0]["title"] == "How do I submit my homework?"
    assert followup.json["allowed_mentions"] == {"parse": []}


async def test_a_miss_after_a_defer_goes_to_the_asker_only(
    connect: Connect, fake: FakeDiscord, qabot: QABot
) -> None:
    await connect(respond_within=0)
    payload = slash("ask", {"question": a_miss(qabot)[0]})
    assert (await interact(fake, payload)).json["type"] == 5
    webhook = rf"/webhooks/{APP_ID}/{payload['token']}"
    # The public "thinking…" placeholder is removed, so the miss is seen by the asker only.
    await fake.wait_for("DELETE", webhook + "/messages/@original")
    [followup] = await fake.wait_for("POST", webhook)
    assert followup.json["flags"] & EPHEMERAL
    assert "Did you mean" in followup.json["content"]


async def test_autocomplete_offers_at_most_25_choices_of_at_most_100_characters(
    client: QAClient, fake: FakeDiscord
) -> None:
    values = []
    for typed in ("", "what", "what is the single most important"):
        payload = slash("ask", {"question": typed}, focused="question")
        callback = await interact(fake, payload)
        assert callback.json["type"] == 8
        choices = callback.json["data"]["choices"]
        assert 0 < len(choices) <= 25
        assert all(0 < len(c["name"]) <= 100 and 0 < len(c["value"]) <= 100 for c in choices)
        values += [c["value"] for c in choices]
    # Long questions are cut so the source stays readable: near-twins can be told apart.
    question, source = choices[0]["name"].split(" · ")
    assert question.endswith("…") and LONG_QUESTION.startswith(question[:-1])
    assert source == "Webinar 7: Shipping Course…"
    assert choices[0]["value"].startswith("k:")  # the entry id is 187 characters long
    assert any(value.startswith("webinars/") for value in values)  # short ids are used as is


async def test_choosing_a_suggestion_answers_that_very_entry(
    client: QAClient, fake: FakeDiscord, qabot: QABot
) -> None:
    typed = "what is the single most important"
    callback = await interact(fake, slash("ask", {"question": typed}, focused="question"))
    chosen = callback.json["data"]["choices"][0]["value"]
    answer = await interact(fake, slash("ask", {"question": chosen}))
    assert answer.json["data"]["embeds"][0]["title"] == LONG_QUESTION
    # A choice from autocomplete is a pick, not a question: the answer rate is not inflated.
    long_id = next(e.id for e in qabot.knowledge.entries if e.question == LONG_QUESTION)
    assert len(long_id) > 100
    assert await picked(qabot) == [("autocomplete", None, long_id, None)]
    assert await qabot.store.questions(EPOCH, FUTURE) == []


async def test_a_miss_shows_suggestion_buttons_to_the_asker_only(
    client: QAClient, fake: FakeDiscord, qabot: QABot
) -> None:
    question, expected = a_miss(qabot)
    callback = await interact(fake, slash("ask", {"question": question}))
    data = callback.json["data"]
    assert callback.json["type"] == 4 and data["flags"] & EPHEMERAL
    labels = [b["label"] for row in data["components"] for b in row["components"]]
    assert labels == [f"{c.entry.question} · {WEBINAR_7}" for c in expected.suggestions]
    # Picking a suggestion posts that answer for everyone.
    chosen = await interact(fake, click(created(fake, callback), custom_ids(data)[1]))
    assert chosen.json["type"] == 4 and not chosen.json["data"].get("flags")
    assert chosen.json["data"]["embeds"][0]["title"] == expected.suggestions[1].entry.question
    # Recorded as a pick after that miss, proposing the member's wording as an alias.
    [logged] = await qabot.store.questions(EPOCH, FUTURE)
    entry_id = expected.suggestions[1].entry.id
    assert await picked(qabot) == [("suggestion", question, entry_id, logged.id)]
    [proposal] = await AliasStore(qabot.store.engine).proposals()
    assert (proposal.wording, proposal.entry_id, proposal.members) == (question, entry_id, 1)


async def test_votes_are_stored_one_per_member_and_changeable(
    client: QAClient, fake: FakeDiscord, qabot: QABot
) -> None:
    callback = await interact(fake, slash("ask", {"question": "how do I submit my homework"}))
    answer = created(fake, callback)
    up, down, _ = custom_ids(answer)
    log_id = int(up.rsplit(":", 1)[1])
    thanks = await interact(fake, click(answer, up))
    assert thanks.json["data"]["flags"] & EPHEMERAL
    assert "Thanks" in thanks.json["data"]["content"]
    assert await qabot.flush()  # votes are written in the background
    assert await qabot.store.votes(log_id) == {"up": 1, "down": 0}
    await interact(fake, click(answer, down))  # the same member changes their mind
    await interact(fake, click(answer, up, who=user(301, "bob")))
    assert await qabot.flush()
    assert await qabot.store.votes(log_id) == {"up": 1, "down": 1}


async def test_not_what_i_asked_shows_runners_up_to_the_clicker_and_posts_the_choice(
    client: QAClient, fake: FakeDiscord, qabot: QABot
) -> None:
    expected = qabot.matcher.ask("how do I submit my homework")
    assert isinstance(expected, Answer) and expected.runners_up
    callback = await interact(fake, slash("ask", {"question": "how do I submit my homework"}))
    answer = created(fake, callback)
    other = await interact(fake, click(answer, custom_ids(answer)[2]))
    data = other.json["data"]
    assert other.json["type"] == 4 and data["flags"] & EPHEMERAL
    labels = [b["label"] for row in data["components"] for b in row["components"]]
    choices = [Choice(c.entry.id, c.entry.question, WEBINAR_7) for c in expected.runners_up]
    assert labels == [choice.label(LABEL_LIMIT) for choice in choices]
    choice = await interact(fake, click(created(fake, other), custom_ids(data)[0]))
    posted = choice.json["data"]
    assert not posted.get("flags")  # posted to the channel
    assert posted["embeds"][0]["title"] == expected.runners_up[0].entry.question
    assert custom_ids(posted)[0].startswith("qa:vote:up:")  # the new answer takes votes too
    [logged] = await qabot.store.questions(EPOCH, FUTURE)
    corrected = ("correction", "how do I submit my homework", expected.runners_up[0].entry.id)
    assert await picked(qabot) == [(*corrected, logged.id)]


async def test_buttons_keep_working_after_a_restart(
    connect: Connect, fake: FakeDiscord, qabot: QABot
) -> None:
    first = await connect()
    callback = await interact(fake, slash("ask", {"question": "how do I submit my homework"}))
    answer = created(fake, callback)
    await first.close()
    await connect()  # a new process: no view objects in memory, only custom_ids
    up = custom_ids(answer)[0]
    thanks = await interact(fake, click(answer, up))
    assert "Thanks" in thanks.json["data"]["content"]
    assert await qabot.flush()
    assert await qabot.store.votes(int(up.rsplit(":", 1)[1])) == {"up": 1, "down": 0}


async def test_tip_command_shows_a_tip(client: QAClient, fake: FakeDiscord) -> None:
    callback = await interact(fake, slash("tip"))
    embed = callback.json["data"]["embeds"][0]
    assert callback.json["type"] == 4
    assert embed["author"]["name"] == "💡 Tip" and embed["title"]
    assert callback.json["data"]["allowed_mentions"] == {"parse": []}


async def test_a_failed_response_gets_a_polite_apology(client: QAClient, fake: FakeDiscord) -> None:
    payload = slash("ask", {"question": "how do I submit my homework"})
    fake.fail_next("POST", r"/interactions/\d+/[^/]+/callback", 400)
    await fake.dispatch("INTERACTION_CREATE", payload)
    path = rf"/interactions/{payload['id']}/{payload['token']}/callback"
    failed, apology = await fake.wait_for("POST", path, count=2)
    assert failed.json["data"]["embeds"]
    assert apology.json["data"] == {**apology.json["data"], "content": SORRY, "flags": EPHEMERAL}


async def test_a_thumbs_down_offers_the_runners_up_and_a_pick_is_a_correction(
    client: QAClient, fake: FakeDiscord, qabot: QABot
) -> None:
    expected = qabot.matcher.ask("how do I submit my homework")
    assert isinstance(expected, Answer) and expected.runners_up
    callback = await interact(fake, slash("ask", {"question": "how do I submit my homework"}))
    answer = created(fake, callback)
    _, down, _ = custom_ids(answer)
    offered = await interact(fake, click(answer, down))
    data = offered.json["data"]
    assert data["flags"] & EPHEMERAL and data["content"].startswith("Thanks for the feedback!")
    choice = await interact(fake, click(created(fake, offered), custom_ids(data)[0]))
    assert choice.json["data"]["embeds"][0]["title"] == expected.runners_up[0].entry.question
    [logged] = await qabot.store.questions(EPOCH, FUTURE)
    assert await qabot.store.votes(logged.id) == {"up": 0, "down": 1}
    corrected = ("correction", "how do I submit my homework", expected.runners_up[0].entry.id)
    assert await picked(qabot) == [(*corrected, logged.id)]


def as_drawn_before(msg: dict[str, Any]) -> dict[str, Any]:
    """``msg`` with its buttons' custom_ids as drawn before picks were recorded (no log id,
    no kind of pick, no runners-up on 👎)."""
    old = copy.deepcopy(msg)
    for row in old.get("components") or []:
        for button in row.get("components", []):
            parts = button["custom_id"].split(":")
            if parts[1] == "vote":
                button["custom_id"] = ":".join(parts[:4])
            elif parts[1] == "other":
                button["custom_id"] = f"qa:other:{parts[-1]}"
            elif parts[1] == "pick":
                button["custom_id"] = f"qa:pick:{parts[2]}"
    return old


async def test_buttons_drawn_before_picks_were_recorded_still_work(
    client: QAClient, fake: FakeDiscord, qabot: QABot
) -> None:
    callback = await interact(fake, slash("ask", {"question": "how do I submit my homework"}))
    answer = as_drawn_before(created(fake, callback))
    _, down, other = custom_ids(answer)
    thanks = await interact(fake, click(answer, down))
    assert thanks.json["data"]["content"] == "Thanks for the feedback!"
    others = await interact(fake, click(answer, other))
    listed = as_drawn_before(created(fake, others))
    chosen = await interact(fake, click(listed, custom_ids(listed)[0]))
    assert chosen.json["data"]["embeds"]
    assert [via for via, *_ in await picked(qabot)] == ["suggestion"]


async def test_an_accepted_alias_answers_the_members_wording_from_then_on(
    client: QAClient, fake: FakeDiscord, qabot: QABot
) -> None:
    question, expected = a_miss(qabot)
    callback = await interact(fake, slash("ask", {"question": question}))
    wanted = expected.suggestions[1].entry
    await interact(fake, click(created(fake, callback), custom_ids(callback.json["data"])[1]))
    assert await qabot.flush()
    aliases = AliasStore(qabot.store.engine)
    [proposal] = await aliases.proposals()
    await aliases.decide(proposal.id, "accepted", qabot.clock())
    await qabot.reload("qabot learn accept", fetch=False)  # what SIGHUP does in a worker

    again = await interact(fake, slash("ask", {"question": question}, who=user(302, "carol")))

    assert not again.json["data"].get("flags")  # an answer, for everyone
    assert again.json["data"]["embeds"][0]["title"] == wanted.question
