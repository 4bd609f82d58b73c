"""Survey ingestion: alert adapters, association with transients, photometry and events.

Adapters (one file per survey, behind :class:`AlertSource`) turn files or request bodies into
:class:`Detection` and :class:`Event` objects; :mod:`.associate` stores them set-wise.
Never renders pages; context cross-matching lives in :mod:`soxsvo.marshall.context`.
"""

from soxsvo.marshall.ingest.base import AlertFormatError, AlertSource
from soxsvo.marshall.ingest.config import IngestConfig
from soxsvo.marshall.ingest.model import Detection, Event, Photometry, SkyMap
from soxsvo.marshall.ingest.service import (
    AlertIngestSummary,
    ingest_alert_paths,
    ingest_bytes,
    ingest_items,
)
from soxsvo.marshall.ingest.sources import SOURCES, detect_source, read_alerts

__all__ = [
    "SOURCES", "AlertFormatError", "AlertSource", "Detection", "Event", "IngestConfig",
    "AlertIngestSummary", "Photometry", "SkyMap", "detect_source", "ingest_bytes", "ingest_items",
    "ingest_alert_paths", "read_alerts",
]
