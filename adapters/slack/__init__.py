"""Slack adapter: a thin slack-bolt app over ``bot.service.QABot`` (``qabot slack``)."""
