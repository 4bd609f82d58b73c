"""DALI parameters: names are case-insensitive, values case-sensitive, GET and POST alike."""

from __future__ import annotations

from collections.abc import Iterable

from soxsvo.errors import InputError


class DALIParams:
    """Request parameters with case-insensitive names (DALI 1.1 section 3.1).

    Parameters
    ----------
    pairs : iterable of (name, value)
        Every parameter as sent, repeated names included.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name.upper(), []).append(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of a single-valued parameter; two different values are an error."""
        values = self._values.get(name.upper())
        if not values:
            return default
        if len(set(values)) > 1:
            raise InputError(f"parameter {name.upper()} given more than once "
                             f"with different values: {', '.join(values)}")
        return values[0]

    def getall(self, name: str) -> list[str]:
        """All values of a multi-valued parameter (UPLOAD, ID...)."""
        return list(self._values.get(name.upper(), []))

    def get_int(self, name: str, default: int | None = None, *, minimum: int = 0,
                maximum: int = 2**63 - 1) -> int | None:
        """An integer parameter (e.g. MAXREC), checked against ``minimum`` and ``maximum``
        (by default what a PostgreSQL ``bigint`` holds: every integer ends up in a query)."""
        text = self.get(name)
        if text is None or text.strip() == "":
            return default
        try:
            value = int(text)
        except ValueError:
            raise InputError(f"parameter {name.upper()} must be an integer, got {text!r}"
                             ) from None
        if value < minimum:
            raise InputError(f"parameter {name.upper()} must be at least {minimum}, got {value}")
        if value > maximum:
            raise InputError(f"parameter {name.upper()} must be at most {maximum}, got {value}")
        return value

    def __contains__(self, name: str) -> bool:
        return name.upper() in self._values

    def items(self) -> list[tuple[str, str]]:
        """(NAME, value) pairs, names upper-cased, in first-seen order."""
        return [(name, value) for name, values in self._values.items() for value in values]
