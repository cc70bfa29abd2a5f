/*
 * The database decides both when (the hour in the time zone) and who (the
 * first insert of the day's row), so a fleet of processes on hosts with
 * different clocks and zones sends one summary a day.  Checked every
 * minute: one cheap statement that returns nothing in the other 59.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "alert.h"
#include "breaker.h"
#include "config.h"
#include "engine.h"
#include "log.h"
#include "loop.h"
#include "pg.h"
#include "summary.h"
#include "xmalloc.h"

#define CHECK_EVERY_MS	60000

static const char summary_sql[] =
    "WITH d AS (SELECT (now() AT TIME ZONE $1::text)::date AS day"
    "  WHERE extract(hour FROM now() AT TIME ZONE $1::text) = $2::int),"
    " c AS (INSERT INTO daily_summaries (day, worker)"
    "  SELECT day, $3::text FROM d ON CONFLICT DO NOTHING RETURNING day)"
    " SELECT c.day::text,"
    "  (SELECT count(*) FROM accounts WHERE status = 'active'),"
    "  (SELECT count(*) FROM accounts WHERE status = 'suspended'),"
    "  (SELECT count(*) FROM accounts WHERE status = 'error'),"
    "  (SELECT count(*) FROM accounts a JOIN account_health h"
    "   ON h.account_id = a.id WHERE a.status = 'suspended'"
    "   AND h.paused_at > now() - interval '1 day'),"
    "  (SELECT count(*) FROM jobs WHERE status = 'done'"
    "   AND finished_at > now() - interval '1 day'),"
    "  (SELECT count(*) FROM jobs WHERE status = 'failed'"
    "   AND finished_at > now() - interval '1 day'),"
    "  (SELECT count(*) FROM jobs WHERE status = 'new'"
    "   AND run_after <= now()),"
    "  (SELECT count(*) FROM campaigns WHERE status = 'running')"
    " FROM c";

static struct {
	const struct config	*cfg;
	struct pg_pool		*pg;
	char			*worker;
	struct event		*timer;
	unsigned		 period_ms;
	struct pg_req		*req;
} S;

static long
num(const PGresult *res, int col)
{
	return strtol(PQgetvalue(res, 0, col), NULL, 10);
}

static void
answered(void *arg, enum pg_status st, const PGresult *res, const char *err)
{
	uint64_t	 n[BRK_NKINDS][BRK_NSTATES], opened[BRK_NKINDS];

	(void)arg;
	S.req = NULL;
	if (st != PG_OK) {
		log_warn("summary: %s", err != NULL ? err : "database error");
		return;
	}
	if (PQntuples(res) != 1)
		return;
	breakers_counts(engine_breakers(), n, opened);
	log_info("summary: sending the daily summary of %s",
	    PQgetvalue(res, 0, 0));
	alert_raise(ALERT_SUMMARY, "Daily summary %s: accounts %ld active,"
	    " %ld suspended (%ld paused by health in the last 24 h), %ld in"
	    " error; jobs in the last 24 h: %ld done, %ld failed; %ld due now;"
	    " %ld campaigns running; circuits open here: %llu proxies, %llu"
	    " provider hosts", PQgetvalue(res, 0, 0), num(res, 1), num(res, 2),
	    num(res, 4), num(res, 3), num(res, 5), num(res, 6), num(res, 7),
	    num(res, 8), (unsigned long long)(n[BRK_PROXY][BRK_OPEN] +
	    n[BRK_PROXY][BRK_HALF_OPEN]), (unsigned long long)(
	    n[BRK_HOST][BRK_OPEN] + n[BRK_HOST][BRK_HALF_OPEN]));
}

static void
check(evutil_socket_t fd, short what, void *arg)
{
	char		 hour[16];
	const char	*params[3];

	(void)fd;
	(void)what;
	(void)arg;
	loop_timer_ms(S.timer, S.period_ms);
	if (S.req != NULL || S.pg == NULL || S.cfg->alerts.summary_hour < 0 ||
	    S.cfg->alerts.telegram_token == NULL)
		return;
	snprintf(hour, sizeof(hour), "%d", S.cfg->alerts.summary_hour);
	params[0] = S.cfg->warmd.time_zone;
	params[1] = hour;
	params[2] = S.worker;
	S.req = pg_query(S.pg, summary_sql, 3, params, answered, NULL);
}

void
summary_configure(const struct config *cfg, struct pg_pool *pg,
    const char *worker)
{
	const char	*every = getenv("WARMD_TEST_SUMMARY_EVERY_MS");
	unsigned	 ms = CHECK_EVERY_MS;

	S.cfg = cfg;
	S.pg = pg;
	free(S.worker);
	S.worker = xstrdup(worker != NULL ? worker : "warmd");
	/* Test hook: a shorter period, so a test need not wait a minute. */
	if (every != NULL && atoi(every) > 0)
		ms = (unsigned)atoi(every);
	S.period_ms = ms;
	if (S.timer == NULL)
		S.timer = evtimer_new(loop_base(), check, NULL);
	loop_timer_ms(S.timer, 0);
}

void
summary_shutdown(void)
{
	if (S.req != NULL)
		pg_cancel(S.req);
	if (S.timer != NULL)
		event_free(S.timer);
	free(S.worker);
	memset(&S, 0, sizeof(S));
}
