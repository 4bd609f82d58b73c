-- The NTT night (soxsvo.observing): follow-up requests, ESO programme targets, the plan of each
-- night with every version kept (who, why, what was left out or displaced), its blocks, the
-- record of executed observations, and the IVOA ObsLocTAP 1.0 view ivoa.obsplan.
--
-- Privacy (docs/observing.md): the plan is the consortium's working state. Anonymous readers
-- see, through ivoa.obsplan and observing.block, only
--   * blocks that were executed (done, aborted, failed QC): where the NTT pointed is public
--     once it pointed there (ESO publishes raw headers at once), a ToO's position included;
--   * calibration blocks (standard stars), which reveal nothing.
-- Planned and scheduled blocks of consortium (GTO) and ESO targets, the versions, requests and
-- ESO targets are for consortium members and admins only (row-level security, as sql/070).

CREATE SCHEMA IF NOT EXISTS observing;
COMMENT ON SCHEMA observing IS 'SOXS night plans, their versions and blocks, executed observations.';

-- What the consortium asks of a Marshall target beyond its list and priority (all optional:
-- without a row the target gets the default S/N at its current magnitude).
CREATE TABLE observing.request (
    transient_id      bigint PRIMARY KEY REFERENCES marshall.transient ON DELETE CASCADE,
    exposure_s        double precision CHECK (exposure_s > 0),
    snr               double precision CHECK (snr > 0),
    cadence_days      double precision CHECK (cadence_days > 0),
    window_start      timestamptz,
    window_end        timestamptz,
    max_airmass       double precision NOT NULL DEFAULT 2.0 CHECK (max_airmass >= 1),
    min_moon_distance double precision CHECK (min_moon_distance BETWEEN 0 AND 180),
    requested_by      text NOT NULL DEFAULT 'unknown',
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (window_end > window_start)
);

-- Targets of the ESO programmes sharing the NTT with the consortium.
CREATE TABLE observing.eso_target (
    eso_target_id bigserial PRIMARY KEY,
    programme     text NOT NULL,
    name          text NOT NULL,
    ra            double precision NOT NULL CHECK (ra >= 0 AND ra < 360),
    dec           double precision NOT NULL CHECK (dec BETWEEN -90 AND 90),
    exposure_s    double precision NOT NULL CHECK (exposure_s > 0),
    priority      smallint NOT NULL DEFAULT 2 CHECK (priority BETWEEN 1 AND 4),
    max_airmass   double precision NOT NULL DEFAULT 2.0 CHECK (max_airmass >= 1),
    active        boolean NOT NULL DEFAULT true,
    UNIQUE (programme, name)
);

-- One row per planned night: which version of its plan is the current one.
CREATE TABLE observing.night (
    night_date      date PRIMARY KEY,
    current_version integer NOT NULL,
    start_at        timestamptz NOT NULL,
    end_at          timestamptz NOT NULL
);

-- Every version of a night's plan: who or what made it, why, from when, and what it left out.
CREATE TABLE observing.plan_version (
    night_date     date NOT NULL REFERENCES observing.night ON DELETE CASCADE,
    version        integer NOT NULL CHECK (version >= 1),
    created_at     timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,
    reason         text NOT NULL,
    replanned_from timestamptz,
    left_out       jsonb NOT NULL DEFAULT '[]',
    displaced      jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (night_date, version)
);

-- The blocks of each version. obs_id names the observation across versions (the same target
-- on the same night keeps it) and is what ObsLocTAP publishes.
CREATE TABLE observing.block (
    block_id      bigserial PRIMARY KEY,
    night_date    date NOT NULL,
    version       integer NOT NULL,
    obs_id        text NOT NULL,
    target_key    text NOT NULL,
    target_name   text NOT NULL,
    ra            double precision NOT NULL,
    dec           double precision NOT NULL,
    programme     text NOT NULL CHECK (programme IN ('GTO', 'ESO', 'calibration')),
    priority      smallint NOT NULL CHECK (priority BETWEEN 0 AND 4),
    too           boolean NOT NULL DEFAULT false,
    source        text NOT NULL,
    transient_id  bigint REFERENCES marshall.transient ON DELETE SET NULL,
    eso_target_id bigint REFERENCES observing.eso_target ON DELETE SET NULL,
    first_step    integer NOT NULL,
    last_step     integer NOT NULL CHECK (last_step > first_step),
    start_at      timestamptz NOT NULL,
    end_at        timestamptz NOT NULL CHECK (end_at > start_at),
    exposure_s    double precision NOT NULL CHECK (exposure_s > 0),
    max_airmass   double precision NOT NULL,
    airmass_start double precision NOT NULL,
    airmass_end   double precision NOT NULL,
    has_window    boolean NOT NULL DEFAULT false,
    status        text NOT NULL DEFAULT 'scheduled'
                  CHECK (status IN ('scheduled', 'running', 'done', 'aborted', 'failed_qc')),
    reason        text NOT NULL,
    planned_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (night_date, version) REFERENCES observing.plan_version ON DELETE CASCADE,
    UNIQUE (night_date, version, target_key)
);
CREATE INDEX block_obs_id ON observing.block (obs_id);
CREATE INDEX block_transient ON observing.block (transient_id);
CREATE INDEX block_q3c ON observing.block (q3c_ang2ipix(ra, dec));

-- The observation record: each executed block, linked to the archive's observation (raw
-- frames, products: soxs.observation.obs_id, ObsCore obs_id) and to the transient.
CREATE TABLE observing.execution (
    execution_id   bigserial PRIMARY KEY,
    night_date     date NOT NULL REFERENCES observing.night,
    plan_obs_id    text NOT NULL,
    archive_obs_id text REFERENCES soxs.observation,
    transient_id   bigint REFERENCES marshall.transient ON DELETE SET NULL,
    start_at       timestamptz NOT NULL,
    end_at         timestamptz NOT NULL CHECK (end_at > start_at),
    airmass        double precision CHECK (airmass >= 1),
    seeing         double precision CHECK (seeing > 0),
    sky            text,
    status         text NOT NULL CHECK (status IN ('done', 'aborted', 'failed_qc')),
    recorded_by    text NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX execution_plan_obs ON observing.execution (plan_obs_id);
CREATE INDEX execution_transient ON observing.execution (transient_id);

-- ObsLocTAP 1.0: the current version of every night's plan, and as Unscheduled the blocks an
-- earlier version held that the current one dropped (re-planned away: ObsLocTAP's status for
-- an observation taken off the schedule). Times are MJD (UTC); the field is the 12" SOXS slit
-- written as a DALI circle of its half length; the observed band is 350-2000 nm.
CREATE VIEW observing.obsplan_blocks WITH (security_invoker = true) AS
SELECT b.*, CASE b.status WHEN 'done' THEN 'Performed' WHEN 'failed_qc' THEN 'Performed'
                          WHEN 'aborted' THEN 'Aborted' ELSE 'Scheduled' END AS loc_status,
       b.planned_at AS loc_planned_at
FROM observing.block b
JOIN observing.night n ON n.night_date = b.night_date AND n.current_version = b.version
UNION ALL
SELECT * FROM (
    -- the newest version that still held the block; dropped when the next one was made
    SELECT DISTINCT ON (b.night_date, b.obs_id) b.*, 'Unscheduled'::text,
           coalesce((SELECT v.created_at FROM observing.plan_version v
                     WHERE v.night_date = b.night_date AND v.version = b.version + 1),
                    b.planned_at)
    FROM observing.block b
    JOIN observing.night n ON n.night_date = b.night_date AND b.version < n.current_version
    WHERE NOT EXISTS (SELECT 1 FROM observing.block c WHERE c.night_date = b.night_date
                      AND c.version = n.current_version AND c.obs_id = b.obs_id)
    ORDER BY b.night_date, b.obs_id, b.version DESC) AS dropped;

CREATE VIEW ivoa.obsplan WITH (security_invoker = true) AS
SELECT extract(epoch FROM b.loc_planned_at) / 86400.0 + 40587.0 AS t_planning,
       b.target_name,
       b.obs_id,
       'SOXS'::text AS obs_collection,
       b.ra AS s_ra,
       b.dec AS s_dec,
       12.0 / 3600.0 AS s_fov,
       ARRAY[b.ra, b.dec, 6.0 / 3600.0] AS s_region,
       coalesce(e.seeing, 1.0) AS s_resolution,
       extract(epoch FROM coalesce(e.start_at, b.start_at)) / 86400.0 + 40587.0 AS t_min,
       extract(epoch FROM coalesce(e.end_at, b.end_at)) / 86400.0 + 40587.0 AS t_max,
       b.exposure_s AS t_exptime,
       b.exposure_s AS t_resolution,
       3.5e-7::double precision AS em_min,
       2.0e-6::double precision AS em_max,
       4500.0::double precision AS em_res_power,
       'phot.flux.density'::text AS o_ucd,
       NULL::text AS pol_states,
       NULL::integer AS pol_xel,
       'ESO-NTT'::text AS facility_name,
       'SOXS'::text AS instrument_name,
       b.exposure_s AS t_plan_exptime,
       CASE WHEN b.has_window THEN 'Window' ELSE 'Other' END AS category,
       CASE WHEN b.priority = 0 THEN 0 WHEN b.priority <= 2 THEN 1 ELSE 2 END AS priority,
       b.loc_status AS execution_status,
       'Sidereal'::text AS tracking_type
FROM observing.obsplan_blocks b
LEFT JOIN LATERAL (SELECT x.start_at, x.end_at, x.seeing FROM observing.execution x
                   WHERE x.plan_obs_id = b.obs_id AND b.loc_status <> 'Unscheduled'
                   ORDER BY x.recorded_at DESC LIMIT 1) e ON true;

GRANT USAGE ON SCHEMA observing TO soxsvo_reader;
GRANT SELECT ON observing.night, observing.block, observing.plan_version, observing.request,
    observing.eso_target, observing.execution TO soxsvo_reader;
GRANT SELECT ON ivoa.obsplan, observing.obsplan_blocks TO soxsvo_reader;

-- Which nights exist and their hours are public (no target in them).
ALTER TABLE observing.block ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_block ON observing.block FOR SELECT TO soxsvo_reader
    USING (status IN ('done', 'aborted', 'failed_qc') OR programme = 'calibration'
           OR (SELECT marshall.is_member()));
ALTER TABLE observing.execution ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_execution ON observing.execution FOR SELECT TO soxsvo_reader
    USING (true);
ALTER TABLE observing.plan_version ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_plan_version ON observing.plan_version FOR SELECT TO soxsvo_reader
    USING ((SELECT marshall.is_member()));
ALTER TABLE observing.request ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_request ON observing.request FOR SELECT TO soxsvo_reader
    USING ((SELECT marshall.is_member()));
ALTER TABLE observing.eso_target ENABLE ROW LEVEL SECURITY;
CREATE POLICY members_eso_target ON observing.eso_target FOR SELECT TO soxsvo_reader
    USING ((SELECT marshall.is_member()));
