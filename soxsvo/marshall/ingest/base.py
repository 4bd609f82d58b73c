"""The one interface every survey adapter implements, and the error they raise."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterator

from soxsvo.errors import InputError
from soxsvo.marshall.ingest.model import Detection, Event


class AlertFormatError(InputError):
    """Input that its adapter cannot read; the message names the file (or request) and why."""

    def __init__(self, origin: str, reason: str) -> None:
        super().__init__(f"{origin}: {reason}")
        self.origin = origin
        self.reason = reason


class AlertSource(ABC):
    """A survey's alert format.

    A new survey is one subclass in one file, registered in :mod:`soxsvo.marshall.ingest.sources`:
    ``name`` (as given to ``--source``), :meth:`sniff` (whether some bytes look like this
    format, for auto-detection) and :meth:`read`.
    """

    #: Short name used on the command line and in ``marshall.alert.source``.
    name: str = ""

    @abstractmethod
    def sniff(self, data: bytes, filename: str) -> bool:
        """True if ``data`` (a file's content, ``filename`` its name) is in this format."""

    @abstractmethod
    def read(self, data: bytes, origin: str) -> Iterator[Detection | Event]:
        """Every detection or event in ``data``.

        Parameters
        ----------
        data : bytes
            The whole file or request body.
        origin : str
            Where it came from (file path, ``POST /api/alerts``), for messages and records.

        Raises
        ------
        AlertFormatError
            When ``data`` is not valid in this format; the caller ingests nothing from it.
        """


def position(origin: str, ra: object, dec: object) -> tuple[float, float]:
    """A checked ICRS position in degrees, RA folded into [0, 360)."""
    try:
        ra_f, dec_f = float(ra), float(dec)
    except (TypeError, ValueError):
        raise AlertFormatError(origin, f"position ({ra!r}, {dec!r}) is not numeric") from None
    if not (math.isfinite(ra_f) and math.isfinite(dec_f)) or not -90.0 <= dec_f <= 90.0:
        raise AlertFormatError(origin, f"position ({ra_f}, {dec_f}) is not on the sky")
    ra_f %= 360.0
    # 359.9999999999 % 360 can round to 360.0 itself.
    return (0.0 if ra_f >= 360.0 else ra_f), dec_f
