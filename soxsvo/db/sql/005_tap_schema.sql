-- TAP_SCHEMA 1.1 (TAP 1.1 section 4). Rows are written by `soxsvo db upgrade` from the
-- column metadata in soxsvo/db/columns/, never by hand.

CREATE TABLE tap_schema.schemas (
    schema_name  text PRIMARY KEY,
    utype        text,
    description  text,
    schema_index integer
);

CREATE TABLE tap_schema.tables (
    schema_name  text NOT NULL REFERENCES tap_schema.schemas,
    table_name   text PRIMARY KEY,
    table_type   text NOT NULL,
    utype        text,
    description  text,
    table_index  integer
);

CREATE TABLE tap_schema.columns (
    table_name   text NOT NULL REFERENCES tap_schema.tables,
    column_name  text NOT NULL,
    datatype     text NOT NULL,
    arraysize    text,
    xtype        text,
    "size"       integer,
    description  text,
    utype        text,
    unit         text,
    ucd          text,
    indexed      integer NOT NULL,
    principal    integer NOT NULL,
    std          integer NOT NULL,
    column_index integer,
    PRIMARY KEY (table_name, column_name)
);

CREATE TABLE tap_schema.keys (
    key_id       text PRIMARY KEY,
    from_table   text NOT NULL REFERENCES tap_schema.tables,
    target_table text NOT NULL REFERENCES tap_schema.tables,
    description  text,
    utype        text
);

CREATE TABLE tap_schema.key_columns (
    key_id        text NOT NULL REFERENCES tap_schema.keys,
    from_column   text NOT NULL,
    target_column text NOT NULL
);
