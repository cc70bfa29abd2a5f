-- 002_jobs: the job queue, the control surface of warmd ("jobs" in the
-- original spec).  Anything that can INSERT a row here drives the pool.
--
-- Life of a row: new → running (claimed: worker_id, lease_owner and
-- lease_until set, attempts + 1) → done | failed | cancelled, or back to new
-- with a later run_after when a transient error is retried or a lease
-- expires.  Attempts are counted at claim time so a job that crashes its
-- worker cannot loop forever.  Every comparison with lease_until, run_after
-- and deadline uses the database clock, since several hosts share the table.

CREATE FUNCTION warmd_touch_last_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.last_update := now();
	RETURN NEW;
END;
$$;

CREATE TABLE jobs (
	id		bigserial PRIMARY KEY,
	created_at	timestamptz NOT NULL DEFAULT now(),
	account_id	uuid NOT NULL REFERENCES accounts (id),
	task		text NOT NULL
			CHECK (task IN ('list_inbox', 'list_spam', 'not_spam',
			    'to_spam', 'flag', 'mark_read', 'click_link', 'send',
			    'reply', 'change_password', 'login')),
	payload		jsonb NOT NULL DEFAULT '{}',
	status		text NOT NULL DEFAULT 'new'
			CHECK (status IN ('new', 'running', 'done', 'failed',
			    'cancelled')),
	worker_id	text,			-- process that ran it last
	lease_owner	text,			-- process holding it now
	lease_until	timestamptz,
	-- What was actually used, for the operator's post-mortems.  The
	-- proxy is stored with its credentials redacted.
	proxy		text,
	ip		inet,
	attempts	integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts	integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
	run_after	timestamptz NOT NULL DEFAULT now(),
	-- Past it the job is failed rather than run: today's rescue is
	-- useless tomorrow.
	deadline	timestamptz,
	last_update	timestamptz NOT NULL DEFAULT now(),
	finished_at	timestamptz,
	error		text,
	result		jsonb,
	campaign_id	bigint REFERENCES campaigns (id),
	-- Dedupe for producers that may repeat themselves (campaign ticks,
	-- scripts); see jobs_idempotency_key_live.
	idempotency_key	text
);

-- The claim reads only ready rows, per account, oldest first.
CREATE INDEX jobs_claim_idx ON jobs (account_id, run_after)
	WHERE status = 'new';

-- The reaper looks for expired leases.
CREATE INDEX jobs_lease_idx ON jobs (lease_until)
	WHERE status = 'running';

-- One live job per key: INSERT … ON CONFLICT DO NOTHING is then an atomic
-- "enqueue unless already queued or running"; a finished job frees its key.
CREATE UNIQUE INDEX jobs_idempotency_key_live ON jobs (idempotency_key)
	WHERE status IN ('new', 'running') AND idempotency_key IS NOT NULL;

CREATE INDEX jobs_campaign_idx ON jobs (campaign_id)
	WHERE campaign_id IS NOT NULL;

CREATE TRIGGER jobs_touch BEFORE UPDATE ON jobs
	FOR EACH ROW EXECUTE FUNCTION warmd_touch_last_update();

-- Wake LISTENing warmd processes when jobs arrive.  Only a hint: they still
-- poll, because notifications sent while a listener reconnects are lost.
-- Statement level, so a campaign inserting 10,000 rows sends one.
CREATE FUNCTION warmd_jobs_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('warmd_jobs', 'insert');
	RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_notify AFTER INSERT ON jobs
	FOR EACH STATEMENT EXECUTE FUNCTION warmd_jobs_notify();

-- The queue is update-heavy: vacuum it early so dead tuples do not slow the
-- claim.
ALTER TABLE jobs SET (autovacuum_vacuum_scale_factor = 0.02,
	autovacuum_analyze_scale_factor = 0.02);
