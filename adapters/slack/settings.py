"""Slack's settings, read with the core's ``SettingsReader`` (no Slack library imported)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.config import SettingsReader, choice, port, url
from bot.settings import CoreSettings, TipChannel, read_digest_channels, read_tip_channels
from bot.settings import load_settings as load_with

DEFAULT_API_URL = "https://slack.com/api/"

Mode = Literal["socket", "http", "api"]


@dataclass(frozen=True, slots=True)
class SlackSettings:
    bot_token: str
    signing_secret: str | None
    app_token: str | None
    api_url: str
    tip_channels: tuple[TipChannel, ...]
    answer_in_channel: bool  # False: /ask answers only to the asker
    port: int
    digest_channels: tuple[TipChannel, ...] = ()  # SLACK_HOST_DIGEST_CHANNEL
    mentor_channel: str | None = None  # SLACK_MENTOR_CHANNEL; unset: no "Ask a mentor"


def tip_channels(reader: SettingsReader, core: CoreSettings) -> tuple[TipChannel, ...]:
    return read_tip_channels(reader, "SLACK_TIP_CHANNELS", core)


def read_settings(reader: SettingsReader, core: CoreSettings, mode: Mode = "api") -> SlackSettings:
    """Slack settings for one way of running; problems are collected in ``reader``.

    ``socket`` (Socket Mode) needs SLACK_APP_TOKEN, ``http`` needs SLACK_SIGNING_SECRET, and
    ``api`` (Web API calls only, e.g. ``qabot tips post``) needs just the bot token.
    """
    token = reader.required("SLACK_BOT_TOKEN", "the bot token (xoxb-...) from OAuth & Permissions")
    if token and not token.startswith("xoxb-"):
        reader.problem("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-'")
    app_token = reader.raw("SLACK_APP_TOKEN")
    secret = reader.raw("SLACK_SIGNING_SECRET")
    if mode == "http" and secret is None:
        reader.problem(
            "SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request with it "
            "(Basic Information page of the Slack app)"
        )
    if mode == "socket" and app_token is None:
        reader.problem(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-...) "
            "with connections:write; or run 'qabot slack --http' with SLACK_SIGNING_SECRET"
        )
    if app_token and not app_token.startswith("xapp-"):
        reader.problem("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-'")
    visibility = reader.parsed("SLACK_ASK_VISIBILITY", choice("channel", "asker"), "channel", "")
    return SlackSettings(
        bot_token=token,
        signing_secret=secret,
        app_token=app_token,
        api_url=reader.parsed("SLACK_API_URL", url, DEFAULT_API_URL, "URL"),
        tip_channels=tip_channels(reader, core),
        answer_in_channel=visibility == "channel",
        port=reader.parsed("PORT", port, 3000, "port"),
        digest_channels=read_digest_channels(reader, "SLACK_HOST_DIGEST_CHANNEL", core),
        mentor_channel=reader.raw("SLACK_MENTOR_CHANNEL"),
    )


def load_settings(
    environ: Mapping[str, str] | None = None, *, mode: Mode = "socket"
) -> tuple[CoreSettings, SlackSettings]:
    """Core and Slack settings; one ConfigError lists every problem."""
    return load_with(functools.partial(read_settings, mode=mode), environ)
