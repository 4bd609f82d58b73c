-- Asynchronous TAP jobs (UWS 1.1): their state, parameters and results outlive the server.
-- Result and upload files live in <data_dir>/uws/<job_id>/; these rows say where.

CREATE TABLE uws.worker (
    worker_id   text PRIMARY KEY,
    host        text NOT NULL,
    os_pid      integer NOT NULL,
    -- Backend of the worker's control connection: while it is in pg_stat_activity the
    -- worker process is alive (PostgreSQL drops it as soon as the process dies).
    control_pid integer NOT NULL,
    started     timestamptz NOT NULL DEFAULT now(),
    heartbeat   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE uws.job (
    job_id             text PRIMARY KEY,
    run_id             text,
    -- NULL: an anonymous job.
    owner              text,
    -- Who the fair-use limit counts against: the owner, else the remote address.
    client             text NOT NULL,
    phase              text NOT NULL DEFAULT 'PENDING' CHECK (phase IN (
                           'PENDING', 'QUEUED', 'EXECUTING', 'COMPLETED', 'ERROR', 'ABORTED',
                           'UNKNOWN', 'HELD', 'SUSPENDED', 'ARCHIVED')),
    creation_time      timestamptz NOT NULL DEFAULT now(),
    queued_time        timestamptz,
    start_time         timestamptz,
    end_time           timestamptz,
    -- Seconds the query may run (UWS executionDuration); becomes its statement_timeout.
    execution_duration integer NOT NULL CHECK (execution_duration >= 0),
    destruction        timestamptz NOT NULL,
    quote              timestamptz,
    error_summary      text,
    error_type         text CHECK (error_type IN ('transient', 'fatal')),
    -- [[NAME, value], ...] as sent (names upper-cased), repeated names kept in order.
    parameters         jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- [[table name, file name under uploads/], ...]
    uploads            jsonb NOT NULL DEFAULT '[]'::jsonb,
    worker_id          text,
    -- Backend running the job's query, for ABORT through pg_cancel_backend.
    backend_pid        integer
);

CREATE INDEX job_owner_creation_idx ON uws.job (owner, creation_time DESC);
CREATE INDEX job_phase_idx ON uws.job (phase, queued_time);
CREATE INDEX job_client_active_idx ON uws.job (client) WHERE phase IN ('QUEUED', 'EXECUTING');
CREATE INDEX job_destruction_idx ON uws.job (destruction);

CREATE TABLE uws.result (
    job_id     text NOT NULL REFERENCES uws.job ON DELETE CASCADE,
    result_id  text NOT NULL,
    -- Path relative to <data_dir>, so that the data directory may move.
    path       text NOT NULL,
    size       bigint NOT NULL,
    mime_type  text NOT NULL,
    rows       bigint,
    overflow   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (job_id, result_id)
);

COMMENT ON TABLE uws.job IS 'UWS 1.1 jobs of the TAP async endpoint.';
COMMENT ON TABLE uws.result IS 'Result files of completed UWS jobs.';
COMMENT ON TABLE uws.worker IS 'Live UWS worker processes and their heartbeats.';

-- User queries run as soxsvo_reader: they must never see other users' jobs or queries.
REVOKE ALL ON ALL TABLES IN SCHEMA uws FROM PUBLIC;
REVOKE ALL ON SCHEMA uws FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA uws FROM soxsvo_reader;
REVOKE ALL ON SCHEMA uws FROM soxsvo_reader;
