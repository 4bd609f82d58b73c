-- Ancillary files (ASSONi) are copied into the content-addressed store with their product:
-- file_path (already there) is where the stored copy is, NULL when the product named a file
-- that was not delivered with it (the gap is recorded, as for unknown provenance). sha256 and
-- file_size came with sql/040; the MIME type, from the name, is kept for DataLink and downloads.
ALTER TABLE soxs.ancillary
    ADD COLUMN content_type text NOT NULL DEFAULT 'application/octet-stream';
CREATE INDEX ancillary_file ON soxs.ancillary (file_path);
CREATE INDEX product_file ON soxs.product (file_path);

-- Runs of the configured reduction command (soxspipe) by `soxsvo watch`: what was run, on
-- which raw frames, in which workspace, its log and exit status, and what it produced.
CREATE TABLE soxs.reduction_run (
    run_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    command      text[] NOT NULL,
    workspace    text NOT NULL,
    raw_files    text[] NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    exit_status  integer,
    log          text NOT NULL DEFAULT '',
    status       text NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running', 'succeeded', 'failed')),
    products     text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX reduction_run_started ON soxs.reduction_run (started_at);
