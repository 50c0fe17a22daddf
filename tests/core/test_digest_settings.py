"""Settings of the host digest and "Ask a mentor": defaults, slots and every problem at once."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.discord.settings import load_settings as load_discord_settings
from adapters.slack.settings import load_settings as load_slack_settings
from bot.errors import ConfigError
from bot.settings import load_core_settings


def test_the_digest_comes_monday_morning_and_members_may_ask_mentors_three_times_an_hour() -> None:
    core = load_core_settings({})
    assert str(core.digest_schedule) == "mon 08:00 UTC" and core.mentor_limit == 3
    _, slack = load_slack_settings({"SLACK_BOT_TOKEN": "xoxb-1"}, mode="api")
    assert slack.digest_channels == () and slack.mentor_channel is None


def test_host_channels_take_the_digest_schedule_or_a_slot_of_their_own() -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "DIGEST_SCHEDULE": "fri 17:30 Europe/Berlin",
        "SLACK_HOST_DIGEST_CHANNEL": "CHOST, COTHER=tue 07:00 UTC",
        "SLACK_MENTOR_CHANNEL": "CMENTORS",
    }
    _, slack = load_slack_settings(env, mode="api")
    first, second = slack.digest_channels
    assert (first.channel, str(first.slot)) == ("CHOST", "fri 17:30 Europe/Berlin")
    assert (second.channel, second.slot.time) == ("COTHER", dt.time(7, 0))
    assert slack.mentor_channel == "CMENTORS"


def test_bad_digest_and_mentor_settings_are_reported_together() -> None:
    env = {
        "DISCORD_TOKEN": "t",
        "DIGEST_SCHEDULE": "someday",
        "MENTOR_LIMIT": "0",
        "DISCORD_HOST_DIGEST_CHANNEL": "host-channel",
        "DISCORD_MENTOR_CHANNEL": "mentors",
    }
    with pytest.raises(ConfigError) as raised:
        load_discord_settings(env)
    message = str(raised.value)
    for name in ("DIGEST_SCHEDULE", "MENTOR_LIMIT", "DISCORD_HOST_DIGEST_CHANNEL"):
        assert name in message
    assert "DISCORD_MENTOR_CHANNEL" in message and "Copy Channel ID" in message
