"""Loader of the IVOA ADQL query collection kept in ``tests/data/adql``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "adql"


@dataclass(frozen=True)
class Case:
    """One query of the collection.

    Parameters
    ----------
    ident : str
        ``file:index`` label for pytest ids.
    adql : str
        The query text.
    valid : bool
        Whether the collection says it must parse.
    udfs : tuple of str
        Names of the functions the file or query declares.
    """

    ident: str
    adql: str
    valid: bool
    udfs: tuple[str, ...]


def _names(element) -> list[str]:
    return [
        re.match(r"\s*(\w+)", f.findtext("form")).group(1)
        for f in element.findall("functions/function")
    ]


def load_cases(pattern: str = "*/*.xml") -> list[Case]:
    """Return every query of the corpus files matching ``pattern``.

    The corpus is part of the repository: a pattern that matches no file is an error, not an
    empty collection (which would let the tests built on it pass without running).
    """
    cases = []
    paths = sorted(CORPUS.glob(pattern))
    if not paths:
        raise FileNotFoundError(f"no ADQL corpus file matches {pattern!r} in {CORPUS}")
    for path in paths:
        root = ET.parse(path).getroot()
        file_udfs = _names(root)
        for index, query in enumerate(root.iter("query")):
            adql = query.find("adql")
            cases.append(
                Case(
                    f"{path.parent.name}/{path.stem}:{index}",
                    adql.text,
                    adql.get("valid") == "true",
                    tuple(file_udfs + _names(query)),
                )
            )
    return cases
