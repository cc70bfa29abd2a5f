-- 001_init: the mailbox pool and the bookkeeping table of migrations.
--
-- Applied by `warmctl migrate` inside one transaction, together with its
-- schema_migrations row; the file itself must not contain BEGIN/COMMIT.
--
-- Convention for the whole schema: every table that changes after insert has
-- a BEFORE UPDATE trigger that stamps its modification time (updated_at, or
-- last_update on jobs, the operator's name for it).  Code never sets those
-- columns by hand, so no writer can forget them.

CREATE TABLE IF NOT EXISTS schema_migrations (
	version		integer PRIMARY KEY,
	name		text NOT NULL,
	applied_at	timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION warmd_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END;
$$;

-- One mailbox of the operator's pool ("Accounts" in the original spec).
CREATE TABLE accounts (
	id			uuid PRIMARY KEY,
	-- Lower-cased by the importer; the CHECK keeps hand-written INSERTs
	-- from creating a second row for the same mailbox.
	email			text NOT NULL UNIQUE
				CHECK (email = lower(email) AND email LIKE '%_@_%'),
	-- AES-256-GCM blob (see src/secret.h), the account id as associated
	-- data, so a blob copied onto another row does not decrypt.
	password		bytea NOT NULL,
	-- HMAC of password, question and answer: lets a re-import see that a
	-- secret changed without decrypting anything.
	password_fp		text NOT NULL,
	recovery_question	text,
	recovery_answer		bytea,		-- encrypted like password
	-- Chosen once on first import, then stable: a mailbox that changes
	-- browsers on every login looks like a stolen one.
	user_agent		text NOT NULL,
	-- NULL: use the shared rotating proxy.  May carry credentials
	-- (scheme://user:pass@host:port): redact it in every output.
	proxy_uri		text,
	status			text NOT NULL DEFAULT 'active'
				CHECK (status IN ('active', 'error', 'suspended')),
	status_reason		text,
	last_error		text,
	last_login_at		timestamptz,
	consecutive_failures	integer NOT NULL DEFAULT 0
				CHECK (consecutive_failures >= 0),
	source			text,		-- "file:line" of the last import
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX accounts_status_idx ON accounts (status);

CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts
	FOR EACH ROW EXECUTE FUNCTION warmd_touch_updated_at();

-- A scenario run (rescue, engage, warmup) that produced jobs.
CREATE TABLE campaigns (
	id		bigserial PRIMARY KEY,
	name		text NOT NULL UNIQUE,
	kind		text NOT NULL
			CHECK (kind IN ('rescue', 'engage', 'warmup')),
	params		jsonb NOT NULL DEFAULT '{}',
	-- Seed of the sampling (which accounts, which recipients), so a run
	-- can be reproduced and explained afterwards.
	seed		bigint NOT NULL,
	status		text NOT NULL DEFAULT 'new'
			CHECK (status IN ('new', 'running', 'paused', 'done',
			    'failed', 'cancelled')),
	jobs_total	integer NOT NULL DEFAULT 0,
	jobs_done	integer NOT NULL DEFAULT 0,
	jobs_failed	integer NOT NULL DEFAULT 0,
	found_inbox	integer NOT NULL DEFAULT 0,
	found_spam	integer NOT NULL DEFAULT 0,
	not_found	integer NOT NULL DEFAULT 0,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER campaigns_touch BEFORE UPDATE ON campaigns
	FOR EACH ROW EXECUTE FUNCTION warmd_touch_updated_at();
