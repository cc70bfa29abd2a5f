/*
 * One planning pass is a chain of statements on the pool:
 *
 *   SYNC     the config's campaigns upserted by name; the ones gone from
 *            the config cancelled with their pending jobs
 *   LOAD     live campaigns, with "now" in each one's time zone
 *   ACCOUNTS active accounts (id, email), in id order
 *   PLAN     per campaign: today's plan upserted by plan key, pending
 *            jobs no longer in it cancelled, then the campaign closed if
 *            its work is over
 *   IDLE     until the next interval (or a reload)
 *
 * Every choice -- holdout, engage sample, who joins the warm-up today,
 * recipients, letter texts, send slots, what a recipient will do -- comes
 * from rng streams seeded with the campaign's seed and the account id,
 * never from the order of events, so any process computes the same plan.
 * Local times use the zone's current UTC offset (from the database); a
 * DST change moves the day's later slots by the shift, which is harmless
 * at a human pace.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "alert.h"
#include "campaign.h"
#include "campcfg.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "pg.h"
#include "rng.h"
#include "sendid.h"
#include "template.h"
#include "xmalloc.h"

enum plan_step { P_IDLE, P_SYNC, P_LOAD, P_ACCOUNTS, P_PLAN, P_CLOSE };

#define DAY	86400

struct camp {
	char		 id[24];
	char		*name;
	char		*kind;
	char		*source;
	json_t		*params;
	uint64_t	 seed;
	char		 today[11];	/* in the campaign's zone */
	int64_t		 midnight;	/* epoch of today's local midnight */
	int		 dow;		/* ISO weekday of today, 1 = Monday */
	/* templates: borrowed from the config's def, or loaded (owned) */
	struct tmpl	**letters, **replies;
	size_t		 nletters, nreplies;
	int		 owns_tmpl;
	char		 plan_day[11];
};

struct acct {
	char		*id;
	char		*email;
	char		*name;
};

static struct {
	const struct config	*cfg;
	struct pg_pool		*pg;
	struct event		*timer;
	enum plan_step		 step;
	struct pg_req		*req;
	int			 again;		/* replan once this pass ends */
	int			 need_sync;
	int64_t			 now;		/* database clock, epoch */
	struct camp		*camps;
	size_t			 ncamps, cur;
	struct acct		*accts;
	size_t			 naccts;
	struct campaign_stats	 st;
} P;

static void	next_camp(void);
static void	tick(void);

/* ---- time ------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD" as a day number; -1 when malformed. */
static int64_t
day_of(const char *s)
{
	int	 y, m, d;

	if (s == NULL || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 ||
	    m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	return days_from_civil(y, m, d);
}

static void
day_str(int64_t day, char out[11])
{
	time_t		 t = (time_t)(day * DAY);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* A date parameter: a date, "today" or "yesterday", as a day number. */
static int64_t
date_param(const struct camp *c, const char *key)
{
	const char	*v = json_string_value(json_object_get(c->params, key));
	int64_t		 today = day_of(c->today);

	if (v == NULL)
		return -1;
	if (strcmp(v, "today") == 0)
		return today;
	if (strcmp(v, "yesterday") == 0)
		return today - 1;
	return day_of(v);
}

/* Epoch of local midnight of day number d. */
static int64_t
midnight_of(const struct camp *c, int64_t d)
{
	return c->midnight + (d - day_of(c->today)) * DAY;
}

/* Working hours as seconds after local midnight. */
static void
hours_of(const struct camp *c, int64_t *from, int64_t *to)
{
	json_t	*h = json_object_get(c->params, "hours");

	*from = 0;
	*to = DAY;
	if (json_is_array(h) && json_array_size(h) == 2) {
		*from = json_integer_value(json_array_get(h, 0)) * 60;
		*to = json_integer_value(json_array_get(h, 1)) * 60;
	}
}

static int
weekday_ok(const struct camp *c, int dow)
{
	json_t	*w = json_object_get(c->params, "weekdays"), *v;
	size_t	 i;

	if (!json_is_array(w) || json_array_size(w) == 0)
		return 1;
	json_array_foreach(w, i, v)
		if (json_integer_value(v) == dow)
			return 1;
	return 0;
}

/* The earliest moment >= t inside working hours on an allowed weekday. */
static int64_t
next_open(const struct camp *c, int64_t t)
{
	int64_t	 from, to;

	hours_of(c, &from, &to);
	for (int k = 0; k < 8; k++) {
		int64_t ws = c->midnight + (int64_t)k * DAY + from;
		int64_t we = c->midnight + (int64_t)k * DAY + to;

		if (!weekday_ok(c, (c->dow - 1 + k) % 7 + 1))
			continue;
		if (t < we)
			return t > ws ? t : ws;
	}
	return t;
}

/* ---- choices ------------------------------------------------------------ */

static double
draw(const struct camp *c, const char *what, const char *day, const char *id,
    int i)
{
	struct rng	 r;
	char		 salt[256];

	snprintf(salt, sizeof(salt), "%s:%s:%s:%d", what, day, id, i);
	rng_seed(&r, c->seed, salt);
	return rng_unit(&r);
}

static double
num(const struct camp *c, const char *key)
{
	return json_number_value(json_object_get(c->params, key));
}

static int
is_holdout(const struct camp *c, const struct acct *a)
{
	return draw(c, "holdout", "", a->id, 0) * 100.0 < num(c, "holdout");
}

/* Today's local date as people write it in a letter. */
static void
date_text(const struct camp *c, char out[16])
{
	snprintf(out, 16, "%.2s.%.2s.%.4s", c->today + 8, c->today + 5,
	    c->today);
}

/* Render a template's section for one letter; "" when absent. */
static char *
render(struct tmpl *t, const char *section, const struct tmpl_var *v,
    size_t nv, struct rng *r)
{
	char	*s = t != NULL ? tmpl_render(t, section, v, nv, r) : NULL;

	return s != NULL ? s : xstrdup("");
}

/* ---- plan rows ------------------------------------------------------------ */

struct plan {
	json_t	*rows;
	char	 day[11];
};

static void
row(struct plan *p, const struct acct *a, const char *task, json_t *payload,
    const char *key, int64_t run_after, int64_t deadline, int max_attempts,
    const char *idem)
{
	json_array_append_new(p->rows, json_pack("{s:s, s:s, s:o, s:s, s:I,"
	    " s:I, s:i, s:s?}", "a", a->id, "t", task, "p", payload, "k", key,
	    "ra", (json_int_t)run_after, "d", (json_int_t)deadline, "m",
	    max_attempts, "i", idem));
}

static json_t *
reply_payload(const struct camp *c, const struct acct *a, const char *what,
    const char *day, int i)
{
	struct rng	 r;
	char		 salt[256], date[16];
	struct tmpl	*t;
	char		*text;
	struct tmpl_var	 v[6];
	json_t		*out;

	if (c->nreplies == 0)
		return json_null();
	snprintf(salt, sizeof(salt), "%s:%s:%s:%d", what, day, a->id, i);
	rng_seed(&r, c->seed, salt);
	t = c->replies[rng_range(&r, 0, c->nreplies - 1)];
	date_text(c, date);
	/* Who is answered, and about what, is known only when the letter
	 * has been read: those stay for the session to fill in. */
	v[0] = (struct tmpl_var){ "sender_name", a->name };
	v[1] = (struct tmpl_var){ "sender_email", a->email };
	v[2] = (struct tmpl_var){ "recipient_name", NULL };
	v[3] = (struct tmpl_var){ "recipient_email", NULL };
	v[4] = (struct tmpl_var){ "subject", NULL };
	v[5] = (struct tmpl_var){ "date", date };
	text = render(t, "body", v, 6, &r);
	out = json_pack("{s:s%}", "text", text, strlen(text));
	free(text);
	return out;
}

/* rescue and engage: one job per account for the letter's date. */
static void
plan_find(const struct camp *c, struct plan *p)
{
	int		 engage = strcmp(c->kind, "engage") == 0;
	int64_t		 d = date_param(c, "date"), from, deadline, run;
	char		 key[128];
	int		 max = (int)num(c, "max_attempts");

	if (d < 0)
		return;
	day_str(d, p->day);
	from = midnight_of(c, d);
	/* A rescue is worth little after the next day is over. */
	deadline = from + 2 * DAY;
	if (deadline < P.now + DAY)
		deadline = P.now + DAY;
	run = next_open(c, P.now);
	for (size_t i = 0; i < P.naccts; i++) {
		const struct acct *a = &P.accts[i];
		int		   hold = is_holdout(c, a);
		json_t		  *pl;

		if (engage && (hold || draw(c, "engage", "", a->id, 0) *
		    100.0 >= num(c, "percent")))
			continue;
		pl = json_pack("{s:O, s:I, s:I, s:b, s:b}", "match",
		    json_object_get(c->params, "match"), "from",
		    (json_int_t)from, "to", (json_int_t)(from + DAY),
		    "mark_read", json_is_true(json_object_get(c->params,
		    "mark_read")), "flag", json_is_true(json_object_get(
		    c->params, "flag")));
		if (pl == NULL)		/* no match: nothing to look for */
			return;
		if (engage) {
			json_object_set_new(pl, "not_spam", json_boolean(
			    !json_is_false(json_object_get(c->params,
			    "not_spam"))));
			json_object_set_new(pl, "reply", reply_payload(c, a,
			    "engage", p->day, 0));
		} else
			json_object_set_new(pl, "observe", json_boolean(hold));
		snprintf(key, sizeof(key), "%s:%s:%s", c->kind, p->day, a->id);
		row(p, a, c->kind, pl, key, run, deadline, max, NULL);
	}
}

/* Letters per joined account on day number d of the ramp. */
static int
volume(const struct camp *c, const struct acct *a, int64_t d)
{
	json_t	*l = json_object_get(c->params, "letters");
	double	 start = json_number_value(json_object_get(l, "start"));
	double	 inc = json_number_value(json_object_get(l, "increase"));
	double	 max = json_number_value(json_object_get(l, "max"));
	double	 var = json_number_value(json_object_get(l, "variance"));
	double	 v = start + inc * (double)(d > 0 ? d : 0);

	if (v > max)
		v = max;
	v *= 1.0 + (2.0 * draw(c, "variance", c->today, a->id, 0) - 1.0) *
	    var / 100.0;
	return v < 1.0 ? 1 : (int)(v + 0.5);
}

/* M distinct recipients among the eligible, never the sender. */
static size_t
recipients(const struct camp *c, size_t self, const size_t *elig, size_t n,
    size_t m, size_t *out)
{
	struct rng	 r;
	char		 salt[256];
	size_t		 k = 0;

	if (m > n - 1)
		m = n - 1;
	snprintf(salt, sizeof(salt), "rcpt:%s:%s", c->today,
	    P.accts[elig[self]].id);
	rng_seed(&r, c->seed, salt);
	while (k < m) {
		size_t	 x = (size_t)rng_range(&r, 0, n - 1), j;

		if (x == self)
			continue;
		for (j = 0; j < k && out[j] != x; j++)
			;
		if (j == k)
			out[k++] = x;
	}
	return m;
}

/* One warm-up letter: the send, and what its recipient will do. */
static void
plan_letter(const struct camp *c, struct plan *p, const struct acct *a,
    const struct acct *to, int i, int64_t t)
{
	json_t		*dl = json_object_get(c->params, "reply_delay_s");
	struct rng	 r;
	struct tmpl	*tp;
	char		 salt[256], key[160], idem[200], sid[33], tok[13];
	char		 date[16], *subject, *text, *html;
	struct tmpl_var	 v[5];
	int64_t		 act;
	json_t		*rp, *send, *click = json_null();

	snprintf(salt, sizeof(salt), "letter:%s:%s:%d", c->today, a->id, i);
	rng_seed(&r, c->seed, salt);
	tp = c->letters[rng_range(&r, 0, c->nletters - 1)];
	date_text(c, date);
	v[0] = (struct tmpl_var){ "sender_name", a->name };
	v[1] = (struct tmpl_var){ "sender_email", a->email };
	v[2] = (struct tmpl_var){ "recipient_name", to->name };
	v[3] = (struct tmpl_var){ "recipient_email", to->email };
	v[4] = (struct tmpl_var){ "date", date };
	subject = render(tp, "subject", v, 5, &r);
	text = render(tp, "body", v, 5, &r);
	snprintf(key, sizeof(key), "send:%s:%s:%d", c->today, a->id, i);
	snprintf(idem, sizeof(idem), "warmup:%s:%s:%s:%d", c->id, c->today,
	    a->id, i);
	sendid_make(idem, NULL, sid, tok);
	send = json_pack("{s:s, s:s%, s:s%, s:s}", "to", to->email, "subject",
	    subject, strlen(subject), "text", text, strlen(text), "from_name",
	    a->name);
	/* An HTML part carries the links a recipient may follow. */
	if (tmpl_has(tp, "html")) {
		html = render(tp, "html", v, 5, &r);
		json_object_set_new(send, "html", json_stringn(html,
		    strlen(html)));
		free(html);
	}
	row(p, a, "send", send, key, t, midnight_of(c, day_of(c->today)) +
	    2 * DAY, (int)num(c, "max_attempts"), idem);
	free(subject);
	free(text);

	act = t + (int64_t)json_integer_value(json_array_get(dl, 0)) +
	    (int64_t)(draw(c, "delay", c->today, a->id, i) * (double)(
	    json_integer_value(json_array_get(dl, 1)) -
	    json_integer_value(json_array_get(dl, 0))));
	rp = draw(c, "reply", c->today, a->id, i) < num(c, "reply_probability")
	    ? reply_payload(c, to, "wreply", c->today, i) : json_null();
	if (draw(c, "click", c->today, a->id, i) < num(c, "click_probability")
	    && json_is_string(json_object_get(c->params, "click_anchor")))
		click = json_pack("{s:O}", "anchor", json_object_get(c->params,
		    "click_anchor"));
	snprintf(key, sizeof(key), "recv:%s:%s:%d", c->today, a->id, i);
	act = next_open(c, act);
	/* The letter may still be on its way: the recipient looks again
	 * with backoff until the deadline. */
	row(p, to, "warm_receive", json_pack("{s:s, s:I, s:b, s:b, s:o, s:o}",
	    "token", tok, "from", (json_int_t)(c->midnight - 3600), "open",
	    draw(c, "open", c->today, a->id, i) < num(c, "open_probability"),
	    "flag", draw(c, "flag", c->today, a->id, i) <
	    num(c, "flag_probability"), "reply", rp, "click", click), key, act,
	    act + 2 * DAY, 12, NULL);
}

/* warmup: today's letters of every joined account. */
static void
plan_warmup(const struct camp *c, struct plan *p)
{
	int64_t		 today = day_of(c->today), start, end, from, to, w;
	int64_t		 gap = json_integer_value(json_object_get(c->params,
			    "min_gap_s"));
	size_t		*elig, nel = 0, *rc, m;
	int		 vol;

	day_str(today, p->day);
	start = date_param(c, "start_date");
	end = date_param(c, "end_date");
	if ((start >= 0 && today < start) || (end >= 0 && today > end) ||
	    !weekday_ok(c, c->dow) || c->nletters == 0)
		return;
	hours_of(c, &from, &to);
	w = to - from;
	elig = xcalloc(P.naccts + 1, sizeof(*elig));
	for (size_t i = 0; i < P.naccts; i++)
		if (!is_holdout(c, &P.accts[i]))
			elig[nel++] = i;
	m = (size_t)num(c, "recipients");
	rc = xcalloc(m + 1, sizeof(*rc));
	for (size_t s = 0; nel > 1 && s < nel; s++) {
		const struct acct *a = &P.accts[elig[s]];
		size_t		   nr;
		int64_t		   slot, t, late = 0;

		if (draw(c, "join", c->today, a->id, 0) >=
		    num(c, "join_probability"))
			continue;
		vol = volume(c, a, start >= 0 ? today - start : 0);
		/* The gap wins over the volume: no more letters than the
		 * working day holds. */
		if (gap > 0 && vol > w / gap)
			vol = (int)(w / gap > 0 ? w / gap : 1);
		if ((nr = recipients(c, s, elig, nel, m, rc)) == 0)
			continue;
		slot = w / vol;
		for (int i = 0; i < vol; i++) {
			/* Jitter inside the slot, leaving the gap free. */
			t = c->midnight + from + (int64_t)i * slot + (int64_t)(
			    draw(c, "slot", c->today, a->id, i) *
			    (double)(slot > gap ? slot - gap : 0));
			if (t < P.now)
				t = P.now + late++ * gap;
			if (t >= c->midnight + to)
				continue;	/* the day is over for it */
			plan_letter(c, p, a, &P.accts[elig[rc[(size_t)i %
			    nr]]], i, t);
		}
	}
	free(rc);
	free(elig);
}

/* ---- statements ------------------------------------------------------------ */

/*
 * Upsert the plan by key.  A job still waiting takes the new payload (an
 * edit applies from now on); one cancelled by an earlier plan or a
 * removal comes back; anything started, done or failed is left alone.
 * Pending jobs of the plan's day that are no longer in it are cancelled,
 * except the warm_receive of a letter whose send has started or is done:
 * the letter exists and its recipient still acts on it.  (A letter drops
 * out of the plan when the working day is over for it, which happens to
 * every letter of the day at the end of the working hours, while its
 * receive may still be waiting for its delay or retrying.)
 *
 * Only the rows that change go through the INSERT: ON CONFLICT DO UPDATE
 * locks every existing row it meets, even one its WHERE leaves alone, so
 * upserting the whole plan on every pass held the campaign's jobs against
 * claims and outcome writes for the statement's length, and could
 * deadlock with a claim taking several accounts' jobs in another order.
 * The WHERE stays on the upsert for rows that change in between.
 */
#define PLAN_REVIVED \
    "('not in the plan any more', 'campaign removed from the config'," \
    " 'campaign disabled')"

static const char plan_sql[] =
    "WITH r AS (SELECT * FROM jsonb_to_recordset($3::jsonb) AS x(a uuid,"
    "  t text, p jsonb, k text, ra bigint, d bigint, m int, i text)),"
    " todo AS (SELECT r.* FROM r LEFT JOIN jobs j"
    "  ON j.campaign_id = $1::bigint AND j.plan_key = r.k"
    "  WHERE j.id IS NULL"
    "  OR j.status = 'new' AND j.payload IS DISTINCT FROM r.p"
    "  OR j.status = 'cancelled' AND j.error IN " PLAN_REVIVED "),"
    " ins AS (INSERT INTO jobs (account_id, task, payload, campaign_id,"
    "  plan_key, plan_day, max_attempts, run_after, deadline,"
    "  idempotency_key)"
    "  SELECT a, t, p, $1::bigint, k, $2::date, m, to_timestamp(ra),"
    "   to_timestamp(d), i FROM todo ORDER BY k"
    "  ON CONFLICT (campaign_id, plan_key) DO UPDATE SET"
    "   payload = EXCLUDED.payload, status = 'new', error = NULL,"
    "   finished_at = NULL"
    "  WHERE jobs.status = 'new' AND jobs.payload IS DISTINCT FROM"
    "   EXCLUDED.payload"
    "   OR jobs.status = 'cancelled' AND jobs.error IN " PLAN_REVIVED
    "  RETURNING 1),"
    " cx AS (UPDATE jobs SET status = 'cancelled',"
    "  error = 'not in the plan any more', finished_at = now()"
    "  WHERE campaign_id = $1::bigint AND plan_day = $2::date"
    "  AND status = 'new' AND plan_key NOT IN (SELECT k FROM r)"
    "  AND NOT (task = 'warm_receive' AND EXISTS (SELECT 1 FROM jobs s"
    "   WHERE s.campaign_id = $1::bigint"
    "   AND s.plan_key = 'send:' || substr(jobs.plan_key, 6)"
    "   AND s.status IN ('running', 'done')))"
    "  RETURNING 1),"
    " st AS (UPDATE campaigns SET status = CASE WHEN status = 'new'"
    "  THEN 'running' ELSE status END, planned_at = now(),"
    "  planned_day = $2::date WHERE id = $1::bigint)"
    " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM cx)";

/*
 * A campaign whose days are all behind it and whose jobs have all
 * ended is done: a dated rescue or engage, a warm-up past its end date.
 */
static const char close_sql[] =
    "UPDATE campaigns c SET status = 'done' WHERE id = $1::bigint"
    " AND status = 'running' AND ($2::bool OR NOT EXISTS"
    "  (SELECT 1 FROM jobs WHERE campaign_id = c.id"
    "  AND status IN ('new', 'running')) AND $3::bool)"
    " RETURNING (SELECT count(*) FILTER (WHERE result->>'placement' ="
    "  'inbox') || ' ' || count(*) FILTER (WHERE result->>'placement' ="
    "  'spam') || ' ' || count(*) FILTER (WHERE result->>'placement' ="
    "  'none') FROM jobs WHERE campaign_id = c.id AND status = 'done'"
    "  AND NOT coalesce((payload->>'observe')::bool, false))";

static const char load_sql[] =
    "SELECT id, name, kind, source, params::text, seed,"
    " to_char(now() AT TIME ZONE (params->>'time_zone'), 'YYYY-MM-DD'),"
    " extract(epoch FROM date_trunc('day', now() AT TIME ZONE"
    "  (params->>'time_zone')) AT TIME ZONE (params->>'time_zone'))::bigint,"
    " extract(isodow FROM now() AT TIME ZONE (params->>'time_zone'))::int,"
    " extract(epoch FROM now())::bigint"
    " FROM campaigns WHERE status IN ('new', 'running') ORDER BY id";

static const char accounts_sql[] =
    "SELECT id, email FROM accounts WHERE status = 'active' ORDER BY id";

/*
 * The config's campaigns by name.  Kept in sync: params, seed and origin
 * follow the file; a disabled one is paused and its pending jobs
 * cancelled; a re-enabled or re-added one runs again; an edited one that
 * was done runs again (its new plan may hold new work).  A CLI campaign
 * of the same name is never taken over.
 */
static const char sync_sql[] =
    "WITH d AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(name text,"
    "  kind text, params jsonb, seed bigint, origin text, enabled bool)),"
    " up AS (INSERT INTO campaigns (name, kind, params, seed, source,"
    "  origin, status)"
    "  SELECT name, kind, params, seed, 'config', origin,"
    "   CASE WHEN enabled THEN 'new' ELSE 'paused' END FROM d"
    "  ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind,"
    "   params = EXCLUDED.params, seed = EXCLUDED.seed,"
    "   origin = EXCLUDED.origin, reason = NULL,"
    "   status = CASE WHEN EXCLUDED.status = 'paused' THEN 'paused'"
    "    WHEN campaigns.status IN ('cancelled', 'paused') THEN 'running'"
    "    WHEN campaigns.status = 'done' AND campaigns.params IS DISTINCT"
    "     FROM EXCLUDED.params THEN 'running'"
    "    ELSE campaigns.status END"
    "  WHERE campaigns.source = 'config'"
    "  RETURNING id, status),"
    " gone AS (UPDATE campaigns SET status = 'cancelled',"
    "  reason = 'removed from the config'"
    "  WHERE source = 'config' AND status IN ('new', 'running', 'paused')"
    "  AND name NOT IN (SELECT name FROM d) RETURNING id),"
    " cj AS (UPDATE jobs SET status = 'cancelled', finished_at = now(),"
    "  error = CASE WHEN campaign_id IN (SELECT id FROM gone)"
    "   THEN 'campaign removed from the config' ELSE 'campaign disabled'"
    "   END"
    "  WHERE status = 'new' AND (campaign_id IN (SELECT id FROM gone)"
    "  OR campaign_id IN (SELECT id FROM up WHERE status = 'paused'))"
    "  RETURNING 1)"
    " SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM cj),"
    " (SELECT string_agg(d.name, ', ') FROM d JOIN campaigns c"
    "  ON c.name = d.name WHERE c.source <> 'config')";

/* ---- the pass ------------------------------------------------------------- */

static void
camps_free(void)
{
	for (size_t i = 0; i < P.ncamps; i++) {
		struct camp *c = &P.camps[i];

		if (c->owns_tmpl) {
			for (size_t k = 0; k < c->nletters; k++)
				tmpl_free(c->letters[k]);
			for (size_t k = 0; k < c->nreplies; k++)
				tmpl_free(c->replies[k]);
			free(c->letters);
			free(c->replies);
		}
		free(c->name);
		free(c->kind);
		free(c->source);
		json_decref(c->params);
	}
	free(P.camps);
	P.camps = NULL;
	P.ncamps = 0;
	for (size_t i = 0; i < P.naccts; i++) {
		free(P.accts[i].id);
		free(P.accts[i].email);
		free(P.accts[i].name);
	}
	free(P.accts);
	P.accts = NULL;
	P.naccts = 0;
}

static void
pass_end(void)
{
	camps_free();
	P.step = P_IDLE;
	P.st.ticks++;
	if (P.again) {
		P.again = 0;
		loop_timer_ms(P.timer, 0);
		return;
	}
	loop_timer_ms(P.timer, P.cfg->warmd.plan_interval_ms > 0 ?
	    P.cfg->warmd.plan_interval_ms : 30000);
}

static int
failed(enum pg_status st, const PGresult *res, const char *err,
    const char *what)
{
	if (st == PG_OK && (PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK))
		return 0;
	P.st.errors++;
	log_warn("campaigns: %s: %s", what, err != NULL ? err :
	    "database unavailable");
	return 1;
}

static void
closed(void *arg, enum pg_status st, const PGresult *res, const char *err)
{
	long	 in = 0, sp = 0, none = 0;

	(void)arg;
	P.req = NULL;
	if (!failed(st, res, err, "close") && PQntuples(res) == 1) {
		/* Placement of the warmed accounts' letters, for people. */
		sscanf(PQgetvalue(res, 0, 0), "%ld %ld %ld", &in, &sp, &none);
		log_info("campaigns: %s is done", P.camps[P.cur].name);
		if (in + sp > 0)
			alert_raise(ALERT_CAMPAIGN, "%s (%s) is done: Inbox %ld,"
			    " Spam %ld, not found %ld, inbox rate %.1f%%",
			    P.camps[P.cur].name, P.camps[P.cur].kind, in, sp,
			    none, 100.0 * (double)in / (double)(in + sp));
		else
			alert_raise(ALERT_CAMPAIGN, "%s (%s) is done: Inbox %ld,"
			    " Spam %ld, not found %ld", P.camps[P.cur].name,
			    P.camps[P.cur].kind, in, sp, none);
	}
	P.cur++;
	next_camp();
}

static void
planned(void *arg, enum pg_status st, const PGresult *res, const char *err)
{
	struct camp	*c = &P.camps[P.cur];
	const char	*params[3];
	long		 ins, cx;
	int		 over = 0, dated;
	int64_t		 end;

	(void)arg;
	P.req = NULL;
	if (failed(st, res, err, c->name)) {
		P.cur++;
		next_camp();
		return;
	}
	ins = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	cx = strtol(PQgetvalue(res, 0, 1), NULL, 10);
	P.st.planned += (uint64_t)ins;
	P.st.cancelled += (uint64_t)cx;
	if (ins > 0 || cx > 0)
		log_info("campaigns: %s: %ld jobs planned, %ld cancelled for %s",
		    c->name, ins, cx, c->plan_day);
	if (strcmp(c->kind, "warmup") == 0) {
		end = date_param(c, "end_date");
		over = end >= 0 && day_of(c->today) > end;
		dated = 0;
	} else {
		const char *d = json_string_value(json_object_get(c->params,
		    "date"));

		dated = d != NULL && strcmp(d, "today") != 0 &&
		    strcmp(d, "yesterday") != 0;
	}
	params[0] = c->id;
	params[1] = over ? "true" : "false";
	params[2] = dated ? "true" : "false";
	if ((P.req = pg_query(P.pg, close_sql, 3, params, closed, NULL)) ==
	    NULL) {
		P.cur++;
		next_camp();
	}
}

/* Templates of a campaign: the config's, or loaded from its params. */
static int
templates_of(struct camp *c)
{
	const struct camp_def	*d = NULL;
	struct errlist		 errs = { NULL, 0, 0 };
	json_t			*v;
	size_t			 i;
	static const char *const keys[] = { "letter_templates",
	    "reply_templates" };

	if (strcmp(c->source, "config") == 0 && P.cfg->campaigns != NULL &&
	    (d = camp_find(P.cfg->campaigns, c->name)) != NULL) {
		c->letters = d->letters;
		c->nletters = d->nletters;
		c->replies = d->replies;
		c->nreplies = d->nreplies;
		return 0;
	}
	c->owns_tmpl = 1;
	for (int k = 0; k < 2; k++) {
		struct tmpl ***list = k == 0 ? &c->letters : &c->replies;
		size_t	     *n = k == 0 ? &c->nletters : &c->nreplies;
		json_t	     *a = json_object_get(c->params, keys[k]);

		*list = xcalloc(json_array_size(a) + 1, sizeof(**list));
		json_array_foreach(a, i, v) {
			struct tmpl *t = tmpl_load(json_string_value(v), &errs);

			if (t == NULL) {
				log_warn("campaigns: %s: %s", c->name,
				    errs.count > 0 ? errs.msgs[0] :
				    "template does not load");
				errlist_clear(&errs);
				return -1;
			}
			(*list)[(*n)++] = t;
		}
	}
	return 0;
}

static void
next_camp(void)
{
	struct camp	*c;
	struct plan	 p;
	char		*rows;
	const char	*params[3];

	for (; P.cur < P.ncamps; P.cur++) {
		c = &P.camps[P.cur];
		if (templates_of(c) == -1)
			continue;
		memset(&p, 0, sizeof(p));
		p.rows = json_array();
		if (strcmp(c->kind, "warmup") == 0)
			plan_warmup(c, &p);
		else
			plan_find(c, &p);
		if (p.day[0] == '\0') {
			json_decref(p.rows);
			continue;
		}
		memcpy(c->plan_day, p.day, sizeof(c->plan_day));
		rows = json_dumps(p.rows, JSON_COMPACT);
		json_decref(p.rows);
		params[0] = c->id;
		params[1] = p.day;
		params[2] = rows;
		P.req = pg_query(P.pg, plan_sql, 3, params, planned, NULL);
		free(rows);
		if (P.req != NULL)
			return;
	}
	P.st.live = (unsigned)P.ncamps;
	pass_end();
}

static void
accounts_loaded(void *arg, enum pg_status st, const PGresult *res,
    const char *err)
{
	(void)arg;
	P.req = NULL;
	if (failed(st, res, err, "accounts")) {
		pass_end();
		return;
	}
	P.naccts = (size_t)PQntuples(res);
	P.accts = xcalloc(P.naccts + 1, sizeof(*P.accts));
	for (size_t i = 0; i < P.naccts; i++) {
		P.accts[i].id = xstrdup(PQgetvalue(res, (int)i, 0));
		P.accts[i].email = xstrdup(PQgetvalue(res, (int)i, 1));
		P.accts[i].name = tmpl_name_from_email(P.accts[i].email);
	}
	P.step = P_PLAN;
	P.cur = 0;
	next_camp();
}

static void
loaded(void *arg, enum pg_status st, const PGresult *res, const char *err)
{
	(void)arg;
	P.req = NULL;
	if (failed(st, res, err, "load")) {
		pass_end();
		return;
	}
	P.ncamps = (size_t)PQntuples(res);
	P.camps = xcalloc(P.ncamps + 1, sizeof(*P.camps));
	for (size_t i = 0; i < P.ncamps; i++) {
		struct camp *c = &P.camps[i];
		int	     r = (int)i;

		snprintf(c->id, sizeof(c->id), "%s", PQgetvalue(res, r, 0));
		c->name = xstrdup(PQgetvalue(res, r, 1));
		c->kind = xstrdup(PQgetvalue(res, r, 2));
		c->source = xstrdup(PQgetvalue(res, r, 3));
		c->params = json_loads(PQgetvalue(res, r, 4), 0, NULL);
		if (c->params == NULL)
			c->params = json_object();
		c->seed = strtoull(PQgetvalue(res, r, 5), NULL, 10);
		snprintf(c->today, sizeof(c->today), "%s",
		    PQgetvalue(res, r, 6));
		c->midnight = strtoll(PQgetvalue(res, r, 7), NULL, 10);
		c->dow = atoi(PQgetvalue(res, r, 8));
		P.now = strtoll(PQgetvalue(res, r, 9), NULL, 10);
	}
	if (P.ncamps == 0) {
		pass_end();
		return;
	}
	P.step = P_ACCOUNTS;
	if ((P.req = pg_query(P.pg, accounts_sql, 0, NULL, accounts_loaded,
	    NULL)) == NULL)
		pass_end();
}

static void
load(void)
{
	P.step = P_LOAD;
	if ((P.req = pg_query(P.pg, load_sql, 0, NULL, loaded, NULL)) == NULL)
		pass_end();
}

static void
synced(void *arg, enum pg_status st, const PGresult *res, const char *err)
{
	(void)arg;
	P.req = NULL;
	if (failed(st, res, err, "sync with the config")) {
		/* Try the sync again next time; plan what the table says. */
		P.need_sync = 1;
		load();
		return;
	}
	if (strtol(PQgetvalue(res, 0, 0), NULL, 10) > 0)
		log_info("campaigns: %s removed from the config: cancelled,"
		    " with %s pending jobs", PQgetvalue(res, 0, 0),
		    PQgetvalue(res, 0, 1));
	if (!PQgetisnull(res, 0, 2))
		log_warn("campaigns: not taken from the config, a campaign of"
		    " that name was made with warmctl: %s",
		    PQgetvalue(res, 0, 2));
	load();
}

static void
sync(void)
{
	const struct camp_set	*set = P.cfg->campaigns;
	json_t			*defs = json_array();
	char			*text;
	const char		*params[1];

	P.need_sync = 0;
	P.step = P_SYNC;
	for (size_t i = 0; set != NULL && i < set->n; i++) {
		const struct camp_def *d = &set->defs[i];

		json_array_append_new(defs, json_pack("{s:s, s:s, s:O, s:I,"
		    " s:s, s:b}", "name", d->name, "kind", d->kind, "params",
		    d->params, "seed", (json_int_t)d->seed, "origin",
		    d->origin, "enabled", d->enabled));
	}
	text = json_dumps(defs, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(defs);
	params[0] = text;
	P.req = pg_query(P.pg, sync_sql, 1, params, synced, NULL);
	free(text);
	if (P.req == NULL) {
		P.need_sync = 1;
		pass_end();
	}
}

static void
tick(void)
{
	if (P.step != P_IDLE) {
		P.again = 1;
		return;
	}
	if (P.need_sync)
		sync();
	else
		load();
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	tick();
}

void
campaign_start(const struct config *cfg, struct pg_pool *pg)
{
	P.cfg = cfg;
	P.pg = pg;
	P.need_sync = 1;
	P.timer = evtimer_new(loop_base(), on_timer, NULL);
	loop_timer_ms(P.timer, 0);
}

void
campaign_reconfigure(const struct config *cfg)
{
	/*
	 * A pass in flight keeps pointers into the old config's templates:
	 * it is cancelled and started again on the new one.
	 */
	if (P.req != NULL) {
		pg_cancel(P.req);
		P.req = NULL;
		camps_free();
		P.step = P_IDLE;
	}
	P.cfg = cfg;
	P.need_sync = 1;
	P.again = 0;
	if (P.timer != NULL)
		loop_timer_ms(P.timer, 0);
}

void
campaign_stop(void)
{
	if (P.req != NULL) {
		pg_cancel(P.req);
		P.req = NULL;
	}
	camps_free();
	P.step = P_IDLE;
	if (P.timer != NULL) {
		event_free(P.timer);
		P.timer = NULL;
	}
}

void
campaign_stats(struct campaign_stats *st)
{
	*st = P.st;
}
