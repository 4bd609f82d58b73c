-- Tables the operator published with `soxsvo table publish`: their TAP metadata, kept beside
-- TAP_SCHEMA so that rewriting TAP_SCHEMA from the built-in metadata (every `soxsvo db
-- upgrade`) publishes them again. `columns` is a JSON list of ColumnMeta fields.
CREATE TABLE public.soxsvo_user_table (
    schema_name  text NOT NULL,
    table_name   text NOT NULL,
    description  text NOT NULL DEFAULT '',
    access       text NOT NULL DEFAULT 'public' CHECK (access IN ('public', 'consortium')),
    source       text NOT NULL DEFAULT '',
    n_rows       bigint NOT NULL DEFAULT 0,
    columns      jsonb NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schema_name, table_name)
);
-- TAP reads it (as the reader role) to know which tables a query may name.
GRANT SELECT ON public.soxsvo_user_table TO soxsvo_reader;
