"""Gaia Science Alerts: the published alerts table (``alerts.csv`` of the Gaia alerts index).

Columns ``#Name, Date, RaDeg, DecDeg, AlertMag, HistoricMag, HistoricStdDev, Class, Published,
Comment, TNSid``. ``AlertMag`` is Gaia G on the Vega scale; it is stored on the AB scale
(G_AB = G_Vega + 0.1136) with the Vega value kept as the original. ``Date`` is UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from soxsvo.marshall.ingest.base import AlertSource, position
from soxsvo.marshall.ingest.model import GAIA_G_AB_MINUS_VEGA, Detection, Photometry, mag_to_ujy
from soxsvo.marshall.ingest.tabular import csv_rows, iso_to_mjd, number, text_of

_COLUMNS = {"#Name", "Date", "RaDeg", "DecDeg", "AlertMag"}
_TNS_ID = re.compile(r"^(AT|SN|TDE|FRB|Kilonova)\s?(\d{4}[a-z]{2,4})$")


def _tns_name(value: str) -> str | None:
    match = _TNS_ID.match(value.strip())
    return f"{match.group(1)} {match.group(2)}" if match else None


def _detection(row: dict, origin: str) -> Detection:
    name = row["#Name"]
    ra, dec = position(origin, row["RaDeg"], row["DecDeg"])
    mjd = iso_to_mjd(row["Date"], origin, f"{name} Date")
    points = []
    mag = number(row["AlertMag"], origin, f"{name} AlertMag")
    if mag is not None:
        flux = mag_to_ujy(mag + GAIA_G_AB_MINUS_VEGA)
        points.append(Photometry("gaia-G", mjd, flux, None, False, mag, None, "mag(Vega) G",
                                 f"{name}:alert"))
    return Detection(source="gaia", alert_id=name, survey="Gaia", object_name=name, ra=ra,
                     dec=dec, photometry=points, tns_name=_tns_name(row.get("TNSid", "")),
                     origin=origin)


class GaiaSource(AlertSource):
    """Gaia Science Alerts (``alerts.csv``)."""

    name = "gaia"

    def sniff(self, data: bytes, filename: str) -> bool:
        return data.lstrip(b"\xef\xbb\xbf").startswith(b"#Name,")

    def read(self, data: bytes, origin: str) -> Iterator[Detection]:
        rows = csv_rows(text_of(data, origin), origin, _COLUMNS)
        return iter([_detection(row, origin) for row in rows])
