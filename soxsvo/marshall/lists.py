"""The workflow lists of the Marshall and the moves allowed between them (from configuration).

The lists are those of the PESSTO Marshall; which moves are allowed is configured in
``[marshall] moves`` of ``soxsvo/defaults.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from soxsvo.errors import InputError

#: List identifier → title shown on the pages, in the order of the navigation.
LISTS: dict[str, str] = {
    "inbox": "Inbox",
    "review": "Review for follow-up",
    "classification": "Classification targets",
    "followup": "Follow-up targets",
    "report": "Queued for classification report",
    "complete": "Follow-up complete",
    "snoozed": "Snoozed",
    "archive": "Archive",
}
#: Priorities: 1 is the highest.
PRIORITIES: dict[int, str] = {1: "critical", 2: "important", 3: "useful", 4: "low"}


class ConfigurationError(InputError):
    """The ``[marshall]`` configuration names an unknown list or is malformed."""


def _check_list(name: str, where: str) -> str:
    if name not in LISTS:
        raise ConfigurationError(f"[marshall] {where}: unknown list {name!r}; "
                                 f"lists are {', '.join(LISTS)}")
    return name


def parse_moves(entries: list[str]) -> dict[str, frozenset[str]]:
    """Read ``"<from> -> <to> <to> ..."`` entries into ``{from: {to, ...}}``.

    Raises
    ------
    ConfigurationError
        On a malformed entry or an unknown list name.
    """
    moves: dict[str, frozenset[str]] = {name: frozenset() for name in LISTS}
    for entry in entries:
        source, arrow, targets = entry.partition("->")
        if not arrow:
            raise ConfigurationError(f"[marshall] moves: {entry!r} is not '<from> -> <to> ...'")
        source = _check_list(source.strip(), "moves")
        moves[source] = frozenset(_check_list(t, "moves") for t in targets.split()) - {source}
    return moves


@dataclass(frozen=True)
class WorkflowConfig:
    """The ``[marshall]`` settings the workflow and its rules use."""

    moves: dict[str, frozenset[str]]
    taxonomy: tuple[str, ...]
    snooze_days: float
    unsnooze_to: str
    resurrect_brightening_mag: float
    resurrect_to: str
    resurrect_max_times: int
    archive_from_lists: tuple[str, ...]
    archive_fainter_than: float
    archive_after_days: float
    page_size: int
    max_page_size: int
    event_window_days: float = 14.0

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> WorkflowConfig:
        """Validate the ``[marshall]`` section of the settings."""
        return cls(
            moves=parse_moves(section.moves),
            taxonomy=tuple(section.taxonomy),
            snooze_days=float(section.snooze_days),
            unsnooze_to=_check_list(section.unsnooze_to, "unsnooze_to"),
            resurrect_brightening_mag=float(section.resurrect_brightening_mag),
            resurrect_to=_check_list(section.resurrect_to, "resurrect_to"),
            resurrect_max_times=int(section.resurrect_max_times),
            archive_from_lists=tuple(_check_list(name, "archive_from_lists")
                                     for name in section.archive_from_lists),
            archive_fainter_than=float(section.archive_fainter_than),
            archive_after_days=float(section.archive_after_days),
            page_size=int(section.page_size),
            max_page_size=int(section.max_page_size),
            event_window_days=float(section.event_window_days),
        )

    @classmethod
    def from_settings(cls, settings) -> WorkflowConfig:
        """The workflow configuration of :class:`soxsvo.config.Settings`."""
        return cls.from_section(settings.marshall)

    def can_move(self, source: str, target: str) -> bool:
        """Whether configuration allows moving an object from list ``source`` to ``target``."""
        return target in self.moves.get(source, frozenset())
