"""Tests that run real ``qabot`` workers of both platforms at once, against both fakes."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
for folder in ("slack", "discord"):  # fake_slack, slack_side, fake_discord
    if str(TESTS / folder) not in sys.path:
        sys.path.insert(0, str(TESTS / folder))

from tests.support.throwaway_postgres import throwaway_postgres  # noqa: E402, F401
