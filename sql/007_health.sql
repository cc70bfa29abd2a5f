-- 007_health: a health score per account, from what warmd sees of it, and
-- the automatic pause of the sick ones.
--
-- The unit is the session (one visit of an account by a worker) and the
-- letter.  Four penalties, in points, each decaying by half every
-- half_life:
--   login      a login that failed for a passing reason (a wrong password
--              or a challenge changes the account's status at once and is
--              not scored)
--   transient  a session whose jobs failed for a passing reason (an open
--              circuit of its proxy or provider host is not counted: the
--              breakers take that)
--   send       a letter or reply the provider did not take
--   spam       a warm-up letter of the account found in a recipient's Spam
-- A session that worked forgives relief % of every penalty.  With a
-- steady failure rate e the penalty settles near w * e / (r * (1 - e)).
-- score = 100 - the sum, floored at 0.
--
-- Below pause_below the account is paused: status 'suspended', reason
-- 'auto-paused: <cause> (health N < T)', retried once when paused_until
-- comes (on probation: the next failure pauses it for good, a success
-- clears the probation).  Challenges never resume by themselves: their
-- reasons do not start with 'auto-paused:' and have no paused_until.

CREATE TABLE account_health (
	account_id	uuid PRIMARY KEY REFERENCES accounts (id)
			ON DELETE CASCADE,
	login		real NOT NULL DEFAULT 0,
	transient	real NOT NULL DEFAULT 0,
	send		real NOT NULL DEFAULT 0,
	spam		real NOT NULL DEFAULT 0,
	-- as of updated_at; health_now() decays it to the present
	score		real NOT NULL DEFAULT 100,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	-- lifetime counts, for people
	sessions_ok	bigint NOT NULL DEFAULT 0,
	login_failures	bigint NOT NULL DEFAULT 0,
	transient_sessions bigint NOT NULL DEFAULT 0,
	send_failures	bigint NOT NULL DEFAULT 0,
	spam_placements	bigint NOT NULL DEFAULT 0,
	challenges	bigint NOT NULL DEFAULT 0,
	-- the automatic pause
	pauses		integer NOT NULL DEFAULT 0,
	paused_at	timestamptz,
	paused_until	timestamptz,	-- NULL: waits for warmctl resume
	probation	boolean NOT NULL DEFAULT false
);

CREATE INDEX account_health_resume_idx ON account_health (paused_until)
	WHERE paused_until IS NOT NULL;

-- What the score is now, penalties decayed since the last update.
CREATE FUNCTION health_now(h account_health, half_life_s float8)
RETURNS real LANGUAGE sql STABLE AS $$
	SELECT greatest(0, 100 - (h.login + h.transient + h.send + h.spam) *
	    power(0.5, extract(epoch FROM now() - h.updated_at) /
	    half_life_s))::real
$$;

-- Apply a batch of observations.  obs: [{a: account uuid, or j: a
-- warm_receive job id whose letter's sender is meant, ok, lf, tr, sf, sp,
-- ch}]; conf: {half_life_s, login, transient, send, spam, relief,
-- pause_below, cooldown_s}.  Returns the accounts paused by this call.
-- One function so that the decay, the penalties and the pause decision
-- happen under one row lock.
CREATE FUNCTION health_apply(obs jsonb, conf jsonb)
RETURNS TABLE (account_id uuid, email text, reason text, final boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	o	record;
	h	account_health;
	d	float8;
	keep	float8;
	hl	float8 := (conf->>'half_life_s')::float8;
	pb	int := (conf->>'pause_below')::int;
	cause	text;
	worst	float8;
	st	text;
BEGIN
	FOR o IN
		SELECT COALESCE(x.a, (SELECT split_part(j.plan_key, ':', 3)::uuid
		    FROM jobs j WHERE j.id = x.j AND j.task = 'warm_receive'
		    AND j.plan_key LIKE 'recv:%')) AS a,
		    sum(COALESCE(x.ok, 0)) AS ok, sum(COALESCE(x.lf, 0)) AS lf,
		    sum(COALESCE(x.tr, 0)) AS tr, sum(COALESCE(x.sf, 0)) AS sf,
		    sum(COALESCE(x.sp, 0)) AS sp, sum(COALESCE(x.ch, 0)) AS ch
		FROM jsonb_to_recordset(obs) AS x(a uuid, j bigint, ok int,
		    lf int, tr int, sf int, sp int, ch int)
		GROUP BY 1 ORDER BY 1	-- one lock order for every writer
	LOOP
		CONTINUE WHEN o.a IS NULL;
		SELECT status INTO st FROM accounts WHERE id = o.a;
		CONTINUE WHEN NOT FOUND;
		INSERT INTO account_health AS x (account_id) VALUES (o.a)
		    ON CONFLICT DO NOTHING;
		SELECT * INTO h FROM account_health x WHERE x.account_id = o.a
		    FOR UPDATE;
		d := power(0.5, greatest(0, extract(epoch FROM now() -
		    h.updated_at)) / hl);
		keep := power(1 - (conf->>'relief')::float8 / 100, o.ok);
		h.login := (h.login * d + o.lf * (conf->>'login')::float8) * keep;
		h.transient := (h.transient * d +
		    o.tr * (conf->>'transient')::float8) * keep;
		h.send := (h.send * d + o.sf * (conf->>'send')::float8) * keep;
		h.spam := (h.spam * d + o.sp * (conf->>'spam')::float8) * keep;
		h.score := greatest(0, 100 - (h.login + h.transient + h.send +
		    h.spam));
		h.updated_at := now();
		h.sessions_ok := h.sessions_ok + o.ok;
		h.login_failures := h.login_failures + o.lf;
		h.transient_sessions := h.transient_sessions + o.tr;
		h.send_failures := h.send_failures + o.sf;
		h.spam_placements := h.spam_placements + o.sp;
		h.challenges := h.challenges + o.ch;
		IF st = 'active' AND pb > 0 AND (o.lf + o.tr + o.sf + o.sp) > 0
		    AND (h.score < pb OR (h.probation AND
		    o.lf + o.tr + o.sf > 0)) THEN
			worst := greatest(h.login, h.transient, h.send, h.spam);
			cause := CASE worst
			    WHEN h.login THEN 'login failures'
			    WHEN h.transient THEN 'failing sessions'
			    WHEN h.send THEN 'letters refused'
			    ELSE 'warm-up letters in Spam' END;
			account_id := o.a;
			final := h.probation OR (conf->>'cooldown_s')::int = 0;
			reason := 'auto-paused: ' || cause || ' (health ' ||
			    round(h.score) || ' < ' || pb || ')' ||
			    CASE WHEN h.probation
			    THEN ', failed again after its cooldown' ELSE '' END;
			h.pauses := h.pauses + 1;
			h.paused_at := now();
			h.paused_until := CASE WHEN final THEN NULL
			    ELSE now() + (conf->>'cooldown_s')::int *
			    interval '1 second' END;
			h.probation := false;
			UPDATE accounts SET status = 'suspended',
			    status_reason = reason
			    WHERE id = o.a RETURNING accounts.email INTO email;
			RETURN NEXT;
		ELSIF h.probation AND o.ok > 0 AND o.lf + o.tr + o.sf = 0 THEN
			h.probation := false;
		END IF;
		UPDATE account_health x SET login = h.login,
		    transient = h.transient, send = h.send, spam = h.spam,
		    score = h.score, updated_at = h.updated_at,
		    sessions_ok = h.sessions_ok,
		    login_failures = h.login_failures,
		    transient_sessions = h.transient_sessions,
		    send_failures = h.send_failures,
		    spam_placements = h.spam_placements,
		    challenges = h.challenges, pauses = h.pauses,
		    paused_at = h.paused_at, paused_until = h.paused_until,
		    probation = h.probation
		    WHERE x.account_id = o.a;
	END LOOP;
END
$$;

-- Accounts whose pause is over go back to work, on probation.  Returns
-- them.  Only automatic pauses: a challenge or a pause for good has no
-- paused_until.
CREATE FUNCTION health_resume()
RETURNS TABLE (account_id uuid, email text, reason text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
	RETURN QUERY
	WITH due AS (
		UPDATE account_health h SET paused_until = NULL,
		    probation = true
		FROM accounts a
		WHERE h.paused_until <= now() AND a.id = h.account_id
		    AND a.status = 'suspended'
		    AND a.status_reason LIKE 'auto-paused:%'
		RETURNING h.account_id, a.status_reason
	)
	UPDATE accounts a SET status = 'active', status_reason = NULL
	FROM due WHERE a.id = due.account_id
	RETURNING a.id, a.email, due.status_reason;
END
$$;

-- One daily summary per day in the whole fleet: the process that inserts
-- the day's row sends it.
CREATE TABLE daily_summaries (
	day		date PRIMARY KEY,
	worker		text NOT NULL,
	sent_at		timestamptz NOT NULL DEFAULT now()
);
