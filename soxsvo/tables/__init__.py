"""Tables the operator publishes through TAP (``soxsvo table``): any FITS, VOTable, CSV or
Parquet file loaded, indexed and described in TAP_SCHEMA, as DaCHS's resource descriptors do."""
