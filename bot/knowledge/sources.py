"""Knowledge sources: what ``KNOWLEDGE_DIR`` and ``--knowledge`` name, and where their files are.

One source is ``[NAME=]LOCATION[;base=URL][;tips=on|off]``; several are separated by commas.
LOCATION is a folder (``PATH[#SUBFOLDER]``) or a git repository
(``git+https://…`` or ``git+file://…``, then an optional ``@REF`` and ``#SUBFOLDER``).
NAME, by default the folder's or repository's name, starts every entry id of the source; the
rest is the file's path in LOCATION. ``#SUBFOLDER`` reads only that part of LOCATION.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Literal, Protocol
from urllib.parse import urlsplit

from bot.knowledge.base import Problem

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_SWITCH = {"on": True, "yes": True, "true": True, "off": False, "no": False, "false": False}


def bundled_knowledge_dir() -> Path:
    """The knowledge folder shipped with the bot (repo checkout or installed wheel)."""
    here = Path(__file__).resolve().parent.parent
    checkout = here.parent / "knowledge"
    return checkout if checkout.is_dir() else here / "_knowledge"


@dataclass(frozen=True, slots=True)
class SourceSpec:
    name: str
    kind: Literal["folder", "git"]
    location: str  # a folder, or a repository URL without "git+", "@ref" and "#subfolder"
    ref: str | None = None  # git: branch, tag or commit; None: the remote's default branch
    subfolder: str = ""  # read only this part; ids and links stay relative to the location
    base_url: str | None = None  # where LOCATION is published, for links to the files
    tips: bool | None = None  # give weekly tips; None: each format's default

    def __str__(self) -> str:
        if self.kind == "git":
            text = f"git+{self.location}" + (f"@{self.ref}" if self.ref else "")
        else:
            text = self.location
        text = f"{self.name}={text}" + (f"#{self.subfolder}" if self.subfolder else "")
        if self.base_url:
            text += f";base={self.base_url}"
        if self.tips is not None:
            text += f";tips={'on' if self.tips else 'off'}"
        return text


def bundled_sources() -> tuple[SourceSpec, ...]:
    """Each folder of the bundled knowledge is a source named after it: ``webinars``.

    So the bundled entries keep the ids they had when the bundled folder was the one root
    (``webinars/01-a-day-of-ai-engineer#…``).
    """
    root = bundled_knowledge_dir()
    folders = sorted(p.name for p in root.iterdir() if p.is_dir() and NAME.fullmatch(p.name))
    return tuple(SourceSpec(name, "folder", str(root / name)) for name in folders)


def folder_spec(folder: Path | str, name: str | None = None) -> SourceSpec:
    """A folder as a source, named after it unless a name is given."""
    path = Path(folder).expanduser()
    item = str(folder)
    return SourceSpec(name or _default_name(path.resolve().name, item), "folder", str(path))


def parse_sources(text: str) -> tuple[SourceSpec, ...]:
    """Comma-separated source specs; ``ValueError`` names the item that is wrong."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise ValueError("no knowledge source given")
    specs = tuple(parse_source(item) for item in items)
    check_names(specs)
    return specs


def check_names(specs: tuple[SourceSpec, ...]) -> None:
    seen: dict[str, SourceSpec] = {}
    for spec in specs:
        if spec.name in seen:
            raise ValueError(
                f"two sources are named {spec.name!r} ({seen[spec.name]} and {spec}); "
                f"name one of them: NAME=LOCATION"
            )
        seen[spec.name] = spec


def parse_source(item: str) -> SourceSpec:
    head, *options = item.split(";")
    name: str | None = None
    named = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)=(.+)", head.strip())
    if named:
        name, head = named.group(1), named.group(2)
    head = head.strip()
    base_url: str | None = None
    tips: bool | None = None
    for option in options:
        key, sep, value = (part.strip() for part in option.partition("="))
        if key == "base" and sep:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{item!r}: base= needs an http(s) URL, not {value!r}")
            base_url = value
        elif key == "tips" and value.lower() in _SWITCH:
            tips = _SWITCH[value.lower()]
        else:
            raise ValueError(f"{item!r}: unknown option {option.strip()!r} (base=URL, tips=on|off)")
    if head.startswith("git+"):
        spec = _git_spec(head, item, name)
    else:
        location, _, subfolder = head.partition("#")
        if not location:
            raise ValueError(f"{item!r}: no folder given")
        folder = Path(location).expanduser()
        name = name or _default_name(folder.resolve().name, item)
        spec = SourceSpec(name, "folder", str(folder), subfolder=_subfolder(subfolder, item))
    return replace(spec, name=name or spec.name, base_url=base_url, tips=tips)


def _git_spec(text: str, item: str, name: str | None) -> SourceSpec:
    url, _, subfolder = text.removeprefix("git+").partition("#")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http", "file", "ssh"):
        raise ValueError(f"{item!r}: a git source is git+https://…, git+ssh://… or git+file://…")
    if parts.scheme != "file" and not parts.netloc:
        raise ValueError(f"{item!r}: no host in the repository URL")
    path, at, ref = parts.path.rpartition("@") if "@" in parts.path else (parts.path, "", "")
    if at and not (_REF.fullmatch(ref) and ".." not in ref):
        raise ValueError(f"{item!r}: {ref!r} is not a branch, tag or commit name")
    location = parts._replace(path=path, fragment="").geturl()
    repo = PurePosixPath(path.rstrip("/")).name.removesuffix(".git")
    return SourceSpec(
        name or _default_name(repo, item), "git", location, ref or None, _subfolder(subfolder, item)
    )


def _subfolder(text: str, item: str) -> str:
    sub = text.strip().strip("/")
    if sub and (".." in PurePosixPath(sub).parts or sub.startswith("~")):
        raise ValueError(f"{item!r}: #{sub} must be a folder inside the source")
    return sub


def _default_name(name: str, item: str) -> str:
    if not NAME.fullmatch(name):
        raise ValueError(
            f"{item!r}: {name!r} cannot name a source (letters, digits, '.', '_', '-'); "
            "name it: NAME=LOCATION"
        )
    return name


class Source(Protocol):
    """Where a source's files are now; git sources also fetch."""

    spec: SourceSpec

    @property
    def root(self) -> Path:
        """Where ids and links start: the folder, or the repository's copy."""
        ...

    @property
    def folder(self) -> Path:
        """What is read: the root, or its SUBFOLDER."""
        ...

    @property
    def link_base(self) -> str | None: ...

    def ensure(self) -> Problem | None:
        """Make the files available (a git clone at the first load); what went wrong, if any."""
        ...

    def refresh(self) -> bool:
        """Bring the files up to date; True when they changed."""
        ...


class FolderSource:
    """A folder on this machine, read in place."""

    def __init__(self, spec: SourceSpec, base_url: str | None = None) -> None:
        self.spec = spec
        self._base_url = spec.base_url or base_url

    @property
    def root(self) -> Path:
        return Path(self.spec.location)

    @property
    def folder(self) -> Path:
        return self.root / self.spec.subfolder if self.spec.subfolder else self.root

    @property
    def link_base(self) -> str | None:
        return self._base_url

    def ensure(self) -> Problem | None:
        return None

    def refresh(self) -> bool:
        return False  # changes are found by polling the files (KnowledgeLoader.changed)
