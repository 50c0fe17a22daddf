"""The platform contract: what a chat platform gives the core, and how the core finds it.

A platform lives in ``adapters/<name>/`` (or any installed package) and registers one
``Platform`` object in the ``qabot.platforms`` entry-point group::

    [project.entry-points."qabot.platforms"]
    slack = "adapters.slack.platform:PLATFORM"

Loading that object must stay cheap (no chat library imported): ``qabot --help`` and
``qabot tips preview`` load every platform. The core never names a platform.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeAlias, TypeVar

from bot.config import SettingsReader
from bot.errors import UsageError
from bot.settings import CoreSettings, TipChannel

if TYPE_CHECKING:  # the store and its drivers load only when a tip command runs
    from bot.replies import Reply
    from bot.tips import TipPoster

log = logging.getLogger(__name__)

GROUP = "qabot.platforms"

SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class PlatformSettings(Protocol):
    """What the core reads from any platform's settings."""

    @property
    def tip_channels(self) -> Sequence[TipChannel]: ...


S = TypeVar("S", bound=PlatformSettings)


@dataclass(frozen=True, slots=True)
class Platform(Generic[S]):
    """A chat platform as the core sees it: a command, settings, tip channels, a tip poster."""

    name: str  # the entry point's name, `qabot <name>`, and the question log's platform
    command: Callable[[SubParsers], None]  # adds `qabot <name>`, which runs the worker
    settings: Callable[[SettingsReader, CoreSettings], S]  # Web API use; problems go to reader
    tip_channels: Callable[[SettingsReader, CoreSettings], tuple[TipChannel, ...]]  # no token
    tip_poster: Callable[[S], TipPoster]  # posts over the Web API only, no live connection
    # A reply as the text this platform shows (``qabot tips preview``); None: the core's plain
    # rendering (``bot.replies.as_text``). Needs no token.
    preview: Callable[[Reply], str] | None = None


def installed() -> list[str]:
    """Names of the registered platforms, without loading them."""
    return sorted({point.name for point in entry_points(group=GROUP)})


def load(name: str) -> Platform[Any]:
    """The platform registered as ``name``; UsageError when none is or it cannot load."""
    points = [point for point in entry_points(group=GROUP) if point.name == name]
    if not points:
        raise UsageError(f"no platform {name!r} is installed (found: {', '.join(installed())})")
    try:
        platform = points[0].load()
    except ImportError as exc:
        raise UsageError(f"the {name} platform cannot be loaded: {exc}") from None
    if not isinstance(platform, Platform) or platform.name != name:
        raise UsageError(f"entry point {name!r} in {GROUP} is not a Platform named {name!r}")
    return platform


def load_all() -> list[Platform[Any]]:
    """Every platform that loads; one that does not is logged and left out."""
    platforms = []
    for name in installed():
        try:
            platforms.append(load(name))
        except UsageError as exc:
            log.warning("%s", exc)
    return platforms
