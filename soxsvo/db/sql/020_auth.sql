-- Who may log in and what they may see: accounts, roles, programme rights, API tokens and the
-- record of login attempts (for slowing down password guessing).
-- Nothing here is readable by soxsvo_reader: a hand-written ADQL query can never reach it.

CREATE SCHEMA auth;
REVOKE ALL ON SCHEMA auth FROM PUBLIC;

CREATE TABLE auth.account (
    login         text PRIMARY KEY CHECK (login ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    full_name     text NOT NULL DEFAULT '',
    email         text NOT NULL DEFAULT '',
    -- "scrypt$n$r$p$salt$hash" (soxsvo.access.passwords); NULL: no password login (tokens only).
    password_hash text,
    active        boolean NOT NULL DEFAULT true,
    created       timestamptz NOT NULL DEFAULT now()
);

-- Archive-wide roles; rights on single programmes are in auth.programme_right.
CREATE TABLE auth.role_grant (
    login   text NOT NULL REFERENCES auth.account ON DELETE CASCADE,
    role    text NOT NULL CHECK (role IN ('consortium', 'admin')),
    granted timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (login, role)
);

-- PI or co-I of an ESO programme. No foreign key to soxs.programme: rights may be granted
-- before the programme's first product is registered.
CREATE TABLE auth.programme_right (
    login       text NOT NULL REFERENCES auth.account ON DELETE CASCADE,
    proposal_id text NOT NULL CHECK (proposal_id <> '' AND proposal_id !~ '[,\s]'),
    capacity    text NOT NULL DEFAULT 'coi' CHECK (capacity IN ('pi', 'coi')),
    granted     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (login, proposal_id)
);
CREATE INDEX programme_right_proposal ON auth.programme_right (proposal_id);

-- Personal API tokens "sxv_<token_id>_<secret>": only the SHA-256 of the secret is kept (the
-- secret is 256 random bits, so a fast hash cannot be brute-forced; a slow KDF would cost a
-- KDF run on every API call).
CREATE TABLE auth.token (
    token_id    text PRIMARY KEY CHECK (token_id ~ '^[0-9a-f]{12}$'),
    login       text NOT NULL REFERENCES auth.account ON DELETE CASCADE,
    name        text NOT NULL DEFAULT '',
    secret_hash text NOT NULL,
    created     timestamptz NOT NULL DEFAULT now(),
    expires     timestamptz NOT NULL,
    revoked     timestamptz,
    last_used   timestamptz,
    CHECK (expires > created)
);
CREATE INDEX token_login ON auth.token (login, created DESC);

-- Every password login attempt, kept a day (soxsvo.access.users prunes older rows).
CREATE TABLE auth.login_attempt (
    attempt_id bigserial PRIMARY KEY,
    login      text NOT NULL,
    remote     text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    success    boolean NOT NULL
);
CREATE INDEX login_attempt_login ON auth.login_attempt (login, at DESC);
CREATE INDEX login_attempt_remote ON auth.login_attempt (remote, at DESC);

REVOKE ALL ON ALL TABLES IN SCHEMA auth FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA auth FROM soxsvo_reader;

COMMENT ON SCHEMA auth IS 'soxsvo accounts, roles, programme rights and API tokens (private).';
