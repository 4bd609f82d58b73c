"""The rows of a workflow list: filtering, sorting and paging done by PostgreSQL.

Sorting and filtering on magnitude use the stored estimate ``marshall.transient.current_mag``
(indexed), so a page over 100,000 transients stays an index walk; rows display the same value
(see :mod:`soxsvo.marshall.magnitude`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from soxsvo.marshall.detail import CLASSIFICATION_SQL, REDSHIFT_SQL, SCORE_COLUMNS
from soxsvo.marshall.lists import LISTS, PRIORITIES
from soxsvo.marshall.rules import mjd_of
from soxsvo.marshall.workflow import WorkflowError

#: Sort keys → SQL (ties broken by transient_id so pages never overlap). PostgreSQL's default
#: null placement is kept (last ascending, first descending) so that the indexes serve.
SORTS = {
    "discovery": "t.discovery_mjd",
    "mag": "t.current_mag",
    "priority": "w.priority",
    "name": "t.name",
    "ra": "t.ra",
    "dec": "t.dec",
    "rb": "t.rb",
    "drb": "t.drb",
    "reliability": "t.reliability",
    "sgscore": "t.sgscore1",
}
#: Score filters: query field → (SQL condition on the newest scored alert's values).
SCORE_FILTERS = {
    "rb_min": "t.rb >= %s",
    "drb_min": "t.drb >= %s",
    "reliability_min": "t.reliability >= %s",
    "sgscore_max": "t.sgscore1 <= %s",
    "distpsnr_min": "t.distpsnr1 >= %s",
}
#: Sign filter values → SQL (the newest scored alert's difference).
SIGNS = {"positive": "t.positive", "negative": "NOT t.positive"}
MAX_PAGE = 10**9
MAX_QUERY_CHARS = 100
#: Filtered lists count their matches up to this many ("more than" beyond).
COUNT_CAP = 1000


@dataclass(frozen=True)
class ListQuery:
    """What a list page or ``GET /api/lists/{list}/transients`` asks for.

    Attributes
    ----------
    q : str
        Text that the name or an alias contains (case-insensitive).
    mag_min, mag_max : float
        Current AB magnitude range (``mag_max``: the faintest shown).
    age_max, age_min : float
        Days since discovery.
    survey : str
        A survey that reported the object (one of its aliases' surveys).
    classification : str
        Classification type; ``unclassified`` for none.
    ra, dec, radius : float
        Sky region: a cone, degrees.
    priority : int
        Only this priority.
    rb_min, drb_min, reliability_min : float
        Least ZTF real-bogus / deep real-bogus / Rubin reliability of the newest alert
        (transients without that score are left out).
    sgscore_max : float
        Most ZTF star-galaxy score of the nearest Pan-STARRS source (1: a star).
    distpsnr_min : float
        Least distance to the nearest Pan-STARRS source, arcsec.
    sign : str
        ``positive`` or ``negative``: the sign of the newest alert's difference.
    unflagged : str
        ``1``: only transients whose newest Rubin alert has no flag set.
    sort, order : str
        A key of :data:`SORTS`; ``asc`` or ``desc``.
    page, page_size : int
        1-based page and rows per page.
    """

    q: str = ""
    mag_min: float | None = None
    mag_max: float | None = None
    age_min: float | None = None
    age_max: float | None = None
    survey: str = ""
    classification: str = ""
    ra: float | None = None
    dec: float | None = None
    radius: float | None = None
    priority: int | None = None
    rb_min: float | None = None
    drb_min: float | None = None
    reliability_min: float | None = None
    sgscore_max: float | None = None
    distpsnr_min: float | None = None
    sign: str = ""
    unflagged: str = ""
    sort: str = "discovery"
    order: str = "desc"
    page: int = 1
    page_size: int = 50

    @classmethod
    def from_args(cls, args: Mapping[str, str], *, default_page_size: int,
                  max_page_size: int) -> ListQuery:
        """Parse request arguments; empty values are ignored, bad ones raise 422."""
        values: dict[str, Any] = {"page_size": default_page_size}
        for spec in fields(cls):
            text = (args.get(spec.name) or "").strip()
            if not text:
                continue
            kind = spec.type.split(" |")[0]
            try:
                values[spec.name] = {"float": float, "int": int}.get(kind, str)(text)
            except ValueError:
                raise WorkflowError(f"{spec.name} must be a {kind}, got {text!r}", 422) from None
        query = cls(**values)
        query.check(max_page_size)
        return query

    def check(self, max_page_size: int) -> None:
        """Raise :class:`WorkflowError` (422) on values out of range."""
        problems = []
        if self.sort not in SORTS:
            problems.append(f"sort must be one of {', '.join(SORTS)}")
        if self.order not in ("asc", "desc"):
            problems.append("order must be asc or desc")
        # The page becomes an OFFSET (a bigint): a page beyond 10**9 is a mistake anyway.
        if not 1 <= self.page <= MAX_PAGE or not 1 <= self.page_size <= max_page_size:
            problems.append(f"page must be 1..{MAX_PAGE} and page_size 1..{max_page_size}")
        cone = (self.ra, self.dec, self.radius)
        if any(v is not None for v in cone) and (
                None in cone or not 0 <= self.ra < 360 or not -90 <= self.dec <= 90
                or not 0 < self.radius <= 180):
            problems.append("a sky region needs ra (0..360), dec (-90..90) and radius (0..180]")
        if self.priority is not None and self.priority not in PRIORITIES:
            problems.append("priority must be 1..4")
        if self.sign and self.sign not in SIGNS:
            problems.append(f"sign must be one of {', '.join(SIGNS)}")
        if self.unflagged not in ("", "1"):
            problems.append("unflagged must be 1 (or empty)")
        if len(self.q) > MAX_QUERY_CHARS:
            problems.append(f"q is at most {MAX_QUERY_CHARS} characters")
        if problems:
            raise WorkflowError("; ".join(problems), 422)

    def where(self, now: datetime) -> tuple[list[str], list[Any]]:
        """SQL conditions (on ``t`` transient, ``w`` workflow) and their parameters."""
        conds, params = [], []
        if self.q:
            pattern = "%" + self.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace(
                "_", "\\_") + "%"
            # Two index lookups (trigram indexes) rather than an OR the planner cannot index.
            conds.append("t.transient_id IN (SELECT transient_id FROM marshall.transient "
                         "WHERE lower(name) LIKE %s UNION SELECT transient_id FROM "
                         "marshall.alias WHERE lower(name) LIKE %s)")
            params += [pattern, pattern]
        for value, sql in ((self.mag_min, "t.current_mag >= %s"),
                           (self.mag_max, "t.current_mag <= %s")):
            if value is not None:
                conds.append(sql)
                params.append(value)
        now_mjd = mjd_of(now)
        if self.age_max is not None:
            conds.append("t.discovery_mjd >= %s")
            params.append(now_mjd - self.age_max)
        if self.age_min is not None:
            conds.append("t.discovery_mjd <= %s")
            params.append(now_mjd - self.age_min)
        if self.survey:
            # Every survey that reported an object named it: its aliases say which surveys.
            conds.append("EXISTS (SELECT 1 FROM marshall.alias a "
                         "WHERE a.transient_id = t.transient_id AND a.survey = %s)")
            params.append(self.survey)
        # The shown class is coalesce(consortium's, public) (CLASSIFICATION_SQL), but the filter
        # is spelt out: PostgreSQL estimates "coalesce(...) = x" at 0.5% of the rows, and then
        # sorts a whole hash join instead of walking the discovery index (measured on 100,000
        # transients: 135 ms against 14 ms for the form below; same rows).
        if self.classification == "unclassified":
            conds.append("w.consortium_type IS NULL AND t.classification IS NULL")
        elif self.classification:
            conds.append("(w.consortium_type = %s OR "
                         "(w.consortium_type IS NULL AND t.classification = %s))")
            params += [self.classification, self.classification]
        if self.radius is not None:
            conds.append("q3c_radial_query(t.ra, t.dec, %s, %s, %s)")
            params += [self.ra, self.dec, self.radius]
        if self.priority is not None:
            conds.append("w.priority = %s")
            params.append(self.priority)
        for name, sql in SCORE_FILTERS.items():
            if (value := getattr(self, name)) is not None:
                conds.append(sql)
                params.append(value)
        if self.sign:
            conds.append(SIGNS[self.sign])
        if self.unflagged:
            conds.append("t.flags = '{}'")
        return conds, params


@dataclass
class ListPage:
    """One page of a list: its rows, the number of matching rows and the query.

    ``total`` is exact when ``exact``; otherwise at least that many rows match (a filtered
    count stops at :data:`COUNT_CAP`).
    """

    list: str
    rows: list[dict[str, Any]]
    total: int
    query: ListQuery
    exact: bool = True

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.query.page_size))


def surveys(conn: psycopg.Connection) -> list[str]:
    """Surveys that named any transient (a skip scan of the alias survey index)."""
    return [s for (s,) in conn.execute(
        "WITH RECURSIVE s(survey) AS ("
        " (SELECT survey FROM marshall.alias ORDER BY survey LIMIT 1) UNION ALL"
        " SELECT (SELECT a.survey FROM marshall.alias a WHERE a.survey > s.survey"
        "         ORDER BY a.survey LIMIT 1) FROM s WHERE s.survey IS NOT NULL)"
        " SELECT survey FROM s WHERE survey IS NOT NULL").fetchall()]


def list_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Objects per workflow list (every list, zeros included)."""
    counts = dict.fromkeys(LISTS, 0)
    counts.update(conn.execute(
        "SELECT list, count(*) FROM marshall.workflow GROUP BY list").fetchall())
    return counts


def list_page(conn: psycopg.Connection, name: str, query: ListQuery,
              now: datetime | None = None) -> ListPage:
    """One page of the workflow list ``name`` (inside the caller's reader transaction).

    Raises
    ------
    WorkflowError
        404 for an unknown list.
    """
    if name not in LISTS:
        raise WorkflowError(f"unknown list {name!r}; lists are {', '.join(LISTS)}", 404)
    conds, params = query.where(now or datetime.now(UTC))
    where = " AND ".join(["w.list = %s", *conds])
    params = [name, *params]
    total, exact = _count(conn, name, where, params, bool(conds))
    direction = "ASC" if query.order == "asc" else "DESC"
    cursor = conn.cursor(row_factory=dict_row)
    rows = cursor.execute(
        "SELECT t.transient_id, t.name, t.ra, t.dec, t.discovery_mjd, t.discovery_survey, "
        f"{CLASSIFICATION_SQL} AS classification, {REDSHIFT_SQL} AS redshift, t.current_mag, "
        "t.current_mag_mjd, t.current_mag_band, t.last_limit_mag, t.last_limit_mjd, "
        "t.last_limit_band, w.list, w.priority, w.snoozed_until, "
        f"{SCORE_COLUMNS} "
        "FROM marshall.transient t JOIN marshall.workflow w USING (transient_id) "
        f"WHERE {where} ORDER BY {SORTS[query.sort]} {direction}, "
        f"t.transient_id {direction} LIMIT %s OFFSET %s",
        [*params, query.page_size, (query.page - 1) * query.page_size]).fetchall()
    return ListPage(name, rows, total, query, exact)


def _count(conn: psycopg.Connection, name: str, where: str, params: list,
           filtered: bool) -> tuple[int, bool]:
    # Unfiltered, the workflow table alone answers (an index-only scan). Filtered, counting
    # every match of a broad filter over 100,000 objects would cost more than the page itself:
    # count up to COUNT_CAP and say "more than" beyond it.
    if not filtered:
        return conn.execute("SELECT count(*) FROM marshall.workflow WHERE list = %s",
                            (name,)).fetchone()[0], True
    counted = conn.execute(
        "SELECT count(*) FROM (SELECT 1 FROM marshall.transient t JOIN marshall.workflow w "
        f"USING (transient_id) WHERE {where} LIMIT %s) AS capped",
        [*params, COUNT_CAP + 1]).fetchone()[0]
    return min(counted, COUNT_CAP), counted <= COUNT_CAP
