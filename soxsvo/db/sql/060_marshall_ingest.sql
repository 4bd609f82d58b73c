-- Alert ingestion: what was ingested (idempotence), survey events (GCN) with their sky maps,
-- and the transient's summary columns that ingestion keeps current.

-- One row per alert (ZTF candid, LSST diaSourceId, TNS object report, ...) ever ingested:
-- re-ingesting an alert finds its row and changes nothing.
CREATE TABLE marshall.alert (
    source       text NOT NULL,
    alert_id     text NOT NULL,
    transient_id bigint REFERENCES marshall.transient ON DELETE SET NULL,
    origin       text NOT NULL,
    ingested_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, alert_id)
);
CREATE INDEX alert_transient ON marshall.alert (transient_id);

ALTER TABLE marshall.transient
    ADD COLUMN current_mag_band text,
    ADD COLUMN last_detection_mjd double precision,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX transient_current_mag ON marshall.transient (current_mag);
CREATE INDEX transient_discovery ON marshall.transient (discovery_mjd);

-- GRB, neutrino and gravitational-wave events from GCN: one row per event (GRB trigger,
-- IceCube alert, LVK superevent), updated by later notices; the notices themselves are kept.
CREATE TABLE marshall.event (
    event_id        bigserial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    kind            text NOT NULL CHECK (kind IN ('GRB', 'neutrino', 'GW', 'X-ray', 'other')),
    mission         text NOT NULL,
    trigger_time    timestamptz,
    ra              double precision CHECK (ra >= 0 AND ra < 360),
    dec             double precision CHECK (dec BETWEEN -90 AND 90),
    error_radius_deg double precision,
    retracted       boolean NOT NULL DEFAULT false,
    properties      jsonb NOT NULL DEFAULT '{}',
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_q3c ON marshall.event (q3c_ang2ipix(ra, dec));

CREATE TABLE marshall.event_notice (
    notice_id   text PRIMARY KEY,
    event_id    bigint NOT NULL REFERENCES marshall.event ON DELETE CASCADE,
    notice_type text NOT NULL,
    issued_at   timestamptz,
    payload     jsonb NOT NULL,
    ingested_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_notice_event ON marshall.event_notice (event_id, issued_at);

-- The multi-order sky map of a notice (LVK): NUNIQ cells and probability density per sr,
-- with the area of its 90% credible region.
CREATE TABLE marshall.event_skymap (
    notice_id    text PRIMARY KEY REFERENCES marshall.event_notice ON DELETE CASCADE,
    uniq         bigint[] NOT NULL,
    probdensity  double precision[] NOT NULL,
    area90_deg2  double precision NOT NULL,
    moc90        text NOT NULL
);

GRANT SELECT ON marshall.alert, marshall.event, marshall.event_notice, marshall.event_skymap
    TO soxsvo_reader;
