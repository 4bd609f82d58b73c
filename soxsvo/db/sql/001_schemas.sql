-- The schemas of soxsvo (see ARCHITECTURE.md) and the extension every position index needs.
CREATE EXTENSION IF NOT EXISTS q3c;

CREATE SCHEMA IF NOT EXISTS ivoa;
CREATE SCHEMA IF NOT EXISTS soxs;
CREATE SCHEMA IF NOT EXISTS marshall;
CREATE SCHEMA IF NOT EXISTS tap_schema;
CREATE SCHEMA IF NOT EXISTS uws;

COMMENT ON SCHEMA ivoa IS 'IVOA-defined tables: the ObsCore 1.1 view of every SOXS product.';
COMMENT ON SCHEMA soxs IS 'SOXS archive: products, observations, raw frames and provenance.';
COMMENT ON SCHEMA marshall IS 'SOXS Marshall: transients, their aliases and photometry.';
COMMENT ON SCHEMA tap_schema IS 'TAP 1.1 metadata of this service.';
COMMENT ON SCHEMA uws IS 'Asynchronous (UWS 1.1) query jobs, their parameters and results.';
