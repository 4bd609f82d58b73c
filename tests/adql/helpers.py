"""Table metadata shared by the ADQL translation tests."""

from soxsvo.db.metadata import ColumnMeta, TableMeta


def col(name, datatype="double", **kw):
    """A ColumnMeta with defaults suitable for tests."""
    return ColumnMeta(name, datatype, **kw)


PTS = TableMeta(
    "test", "pts", "Points.",
    (col("id", "int"), col("ra", unit="deg", ucd="pos.eq.ra;meta.main"),
     col("dec", unit="deg", ucd="pos.eq.dec;meta.main"), col("name", "char", arraysize="*")),
)
OTHER = TableMeta(
    "test", "other", "More points.",
    (col("id", "int"), col("ra", unit="deg"), col("dec", unit="deg"), col("mag")),
)
REGIONS = TableMeta(
    "test", "regions", "ObsCore-like footprints.",
    (col("id", "int"), col("s_ra", unit="deg"), col("s_dec", unit="deg"),
     col("s_fov", unit="deg"),
     col("s_region", arraysize="*", xtype="polygon", unit="deg", description="Footprint.")),
)
QUOTED = TableMeta("test", "Mixed", "Mixed-case names.", (col("plAin"), col("lower")))
SCHEMA = (PTS, OTHER, REGIONS, QUOTED)
