"""Fixtures of the cone search tests: the served archive of ``tests/vo_archive.py``."""

from __future__ import annotations

import pytest

from tests import support
from tests import vo_archive as shared


@pytest.fixture(scope="session")
def vo(pg_cluster, tmp_path_factory):
    """The served archive with spectra and images, released and proprietary."""
    yield from shared.vo_archive(pg_cluster, tmp_path_factory.mktemp("vo-data"))


@pytest.fixture
def votlint():
    """``votlint(bytes)``: STILTS votlint's messages about a document (empty when clean)."""
    return support.votlint
