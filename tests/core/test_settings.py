"""Settings: defaults that work, and every problem reported at once."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.discord.settings import load_settings as load_discord_settings
from adapters.slack.settings import load_settings as load_slack_settings
from bot.errors import ConfigError
from bot.schedule import parse_weekly_slot
from bot.settings import load_core_settings, parse_tip_channels


def test_core_defaults_need_no_environment() -> None:
    settings = load_core_settings({})
    assert [s.name for s in settings.knowledge_sources] == ["webinars"]  # the bundled folder
    assert settings.knowledge_refresh == 300
    assert settings.channel_knowledge == {}
    assert settings.database_url is None
    assert settings.threshold == 0.45
    assert str(settings.tip_schedule) == "mon 09:00 UTC"
    assert settings.log_retention_days == 90


def test_every_invalid_variable_is_reported_together() -> None:
    with pytest.raises(ConfigError) as info:
        load_core_settings(
            {
                "ANSWER_THRESHOLD": "2",
                "TIP_SCHEDULE": "someday 9am",
                "METRICS_PORT": "http",
                "DATABASE_URL": "mysql://x",
                "LOG_RETENTION_DAYS": "-1",
            }
        )
    problems = info.value.problems
    assert len(problems) == 5
    assert any(p.startswith("ANSWER_THRESHOLD='2' is invalid") for p in problems)
    assert any("TIP_SCHEDULE" in p and "weekday" in p for p in problems)
    assert "5 problem(s)" in str(info.value)


def test_slack_socket_mode_needs_tokens_and_says_which() -> None:
    with pytest.raises(ConfigError) as info:
        load_slack_settings({"SLACK_BOT_TOKEN": "xapp-wrong"})
    text = str(info.value)
    assert "SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-'" in text
    assert "SLACK_APP_TOKEN is not set" in text


def test_slack_http_mode_needs_the_signing_secret() -> None:
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        load_slack_settings({"SLACK_BOT_TOKEN": "xoxb-1"}, mode="http")
    _, slack = load_slack_settings(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "8080"}, mode="http"
    )
    assert slack.port == 8080 and slack.api_url == "https://slack.com/api/"


def test_discord_settings_parse_lists_and_overrides() -> None:
    _, discord = load_discord_settings(
        {
            "DISCORD_TOKEN": "t",
            "DISCORD_GUILD_IDS": "1, 2",
            "DISCORD_TIP_CHANNELS": "10, 11=fri 17:30 Europe/Berlin",
            "DISCORD_API_URL": "http://127.0.0.1:9/api/v10/",
            "DISCORD_MENTION_COOLDOWN": "3/30",
        }
    )
    assert discord.guild_ids == (1, 2)
    assert [c.channel for c in discord.tip_channels] == ["10", "11"]
    assert str(discord.tip_channels[1].slot) == "fri 17:30 Europe/Berlin"
    assert discord.api_url == "http://127.0.0.1:9/api/v10"
    assert (discord.mention_limit, discord.mention_window) == (3, 30.0)


def test_discord_missing_token_and_bad_guilds_together() -> None:
    with pytest.raises(ConfigError) as info:
        load_discord_settings({"DISCORD_GUILD_IDS": "abc"})
    assert len(info.value.problems) == 2


def test_tip_channels_allow_spaces_and_per_channel_slots() -> None:
    default = parse_weekly_slot("mon 09:00 UTC")
    channels = parse_tip_channels(" C1 ,C2 , , C3=tue 10:00 ", default)
    assert [c.channel for c in channels] == ["C1", "C2", "C3"]
    assert channels[0].slot == default
    assert str(channels[2].slot) == "tue 10:00 UTC"


def test_weekly_slot_in_a_time_zone() -> None:
    slot = parse_weekly_slot("Monday 09:00 Europe/Berlin")
    moment = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)  # a Friday
    local = slot.in_week_of(moment)
    assert local.isoformat() == "2026-11-23T09:00:00+01:00"
