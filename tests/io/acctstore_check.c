/*
 * acctstore_check: run one acctstore/mailstore call against a real
 * PostgreSQL on the daemon's loop and pool, for tests/e2e/test_acctstore.py.
 *
 *   acctstore_check -c conninfo -k keyfile command [args]
 *
 *   load [-a] [email ...]	one JSON line per account (decrypted
 *				secrets included: this is a test tool)
 *   set-status id status [reason]
 *   login-ok id [ip]
 *   set-password id password
 *   upsert id job|- folder file.json
 *				file: {"threads": [...], "msgs": [...]} with
 *				the fields of struct mailru_thread/mailru_msg
 *   action id message_id mail_id|- action job|- [folder=F] [read=0|1]
 *				[flagged=0|1] [body=TEXT]
 *   cancel id			cancel calls while queued and one while on
 *				the wire (blocked on a row lock); no
 *				cancelled callback may run
 *
 * Last line: {"ok": 0|1, ...}; exit status 0 when ok, 1 when not, 2 on
 * usage or setup errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "account.h"
#include "acctstore.h"
#include "log.h"
#include "loop.h"
#include "mailru.h"
#include "mailstore.h"
#include "pg.h"
#include "secret.h"
#include "store.h"
#include "xmalloc.h"

static struct pg_pool	*pool;
static struct secret_key key;
static const char	*conninfo;
static int		 done, result;
static int		 wrong;		/* a cancelled callback ran */

static void
usage(void)
{
	fprintf(stderr, "usage: acctstore_check -c conninfo -k keyfile "
	    "command [args]\n");
	exit(2);
}

static void
finish(int ok)
{
	done = 1;
	result = ok;
	loop_stop();
}

static void
on_done(void *arg, int ok)
{
	(void)arg;
	finish(ok);
}

static json_t *
jstr(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static void
print_account(const struct account *a)
{
	json_t	*o = json_object();
	char	*s;

	json_object_set_new(o, "id", json_string(a->id));
	json_object_set_new(o, "email", jstr(a->email));
	json_object_set_new(o, "password", jstr(a->password));
	json_object_set_new(o, "question", jstr(a->question));
	json_object_set_new(o, "answer", jstr(a->answer));
	json_object_set_new(o, "user_agent", jstr(a->user_agent));
	json_object_set_new(o, "proxy_uri", jstr(a->proxy_uri));
	json_object_set_new(o, "auth_methods", jstr(a->auth_methods));
	json_object_set_new(o, "cookies", jstr(a->imported_cookies));
	json_object_set_new(o, "status", jstr(a->status));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	printf("%s\n", s);
	free(s);
	json_decref(o);
}

static void
on_load(void *arg, int ok, struct account **v, size_t n, const char *err)
{
	(void)arg;
	if (!ok)
		printf("{\"load_error\": \"%s\"}\n", err);
	for (size_t i = 0; i < n; i++) {
		print_account(v[i]);
		account_free(v[i]);
	}
	free(v);
	finish(ok);
}

static int
run_loop(void)
{
	while (!done)
		if (loop_run() == -1)
			return -1;
	return 0;
}

/* ---- upsert --------------------------------------------------------- */

static char *
field(const json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return s != NULL ? xstrdup(s) : NULL;
}

static int
ival(const json_t *o, const char *k)
{
	const json_t	*v = json_object_get(o, k);

	return json_is_true(v) || (json_is_integer(v) &&
	    json_integer_value(v) != 0);
}

static int
read_list(const char *path, struct mailru_list *l)
{
	json_error_t	 e;
	json_t		*root, *a, *o;
	size_t		 i;

	memset(l, 0, sizeof(*l));
	l->total = l->unread = -1;
	if ((root = json_load_file(path, 0, &e)) == NULL) {
		fprintf(stderr, "%s:%d: %s\n", path, e.line, e.text);
		return -1;
	}
	a = json_object_get(root, "threads");
	if (json_array_size(a) > 0)
		l->threads = xcalloc(json_array_size(a), sizeof(*l->threads));
	json_array_foreach(a, i, o) {
		struct mailru_thread	*t = &l->threads[l->nthreads++];

		t->id = field(o, "id");
		t->last = field(o, "last");
		t->folder = field(o, "folder");
		t->subject = field(o, "subject");
		t->from_email = field(o, "from_email");
		t->date = json_integer_value(json_object_get(o, "date"));
		t->unread = ival(o, "unread");
		t->flagged = ival(o, "flagged");
	}
	a = json_object_get(root, "msgs");
	if (json_array_size(a) > 0)
		l->msgs = xcalloc(json_array_size(a), sizeof(*l->msgs));
	json_array_foreach(a, i, o) {
		struct mailru_msg	*m = &l->msgs[l->nmsgs++];

		m->id = field(o, "id");
		m->thread_id = field(o, "thread_id");
		m->folder = field(o, "folder");
		m->subject = field(o, "subject");
		m->from_email = field(o, "from_email");
		m->date = json_integer_value(json_object_get(o, "date"));
		m->unread = ival(o, "unread");
		m->flagged = ival(o, "flagged");
	}
	json_decref(root);
	return 0;
}

static const char *
opt(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

/* ---- cancel --------------------------------------------------------- */

static void
must_not_run(void *arg, int ok)
{
	(void)ok;
	wrong++;
	fprintf(stderr, "cancelled callback ran: %s\n", (const char *)arg);
}

static void
must_not_load(void *arg, int ok, struct account **v, size_t n,
    const char *err)
{
	(void)ok;
	(void)err;
	wrong++;
	fprintf(stderr, "cancelled callback ran: %s\n", (const char *)arg);
	for (size_t i = 0; i < n; i++)
		account_free(v[i]);
	free(v);
}

struct wire {
	PGconn			*blocker;
	struct store_req	*req;
	struct event		*ev;
	int			 polls;
	const char		*id;
};

/*
 * Once the pool's UPDATE waits for the blocker's row lock it is surely on
 * the wire: cancel it there, release the lock, then load to see that the
 * pool carries on.
 */
static void
wire_poll(evutil_socket_t fd, short what, void *arg)
{
	struct wire	*w = arg;
	PGresult	*res;
	int		 waiting;

	(void)fd;
	(void)what;
	res = PQexec(w->blocker, "SELECT count(*) FROM pg_stat_activity"
	    " WHERE application_name = 'acctstore_check'"
	    " AND wait_event_type = 'Lock'");
	waiting = PQresultStatus(res) == PGRES_TUPLES_OK &&
	    strcmp(PQgetvalue(res, 0, 0), "1") == 0;
	PQclear(res);
	if (!waiting && ++w->polls < 500) {
		loop_timer_ms(w->ev, 20);
		return;
	}
	if (!waiting)
		fprintf(stderr, "the UPDATE never waited for the lock\n");
	printf("{\"cancelled_on_wire\": %d}\n", waiting);
	store_cancel(w->req);
	res = PQexec(w->blocker, "COMMIT");
	PQclear(res);
	acctstore_load(pool, &key, &w->id, 1, 0, on_load, NULL);
}

static int
cmd_cancel(const char *id)
{
	const char		*p[1] = { id };
	struct store_req	*r[4];
	struct mailru_list	 empty = { .total = -1, .unread = -1 };
	struct wire		 w = { .id = id };
	PGresult		*res;

	/* Queued: the pool has not even connected yet. */
	r[0] = acctstore_load(pool, &key, NULL, 0, 0, must_not_load, "load");
	r[1] = acctstore_set_status(pool, id, "error", "queued", must_not_run,
	    "set-status");
	r[2] = acctstore_set_password(pool, &key, id, "queued-pw",
	    must_not_run, "set-password");
	r[3] = mailstore_upsert(pool, id, NULL, "inbox", &empty,
	    must_not_run, "upsert");
	for (int i = 0; i < 4; i++) {
		if (r[i] == NULL)
			return -1;
		store_cancel(r[i]);
	}

	w.blocker = PQconnectdb(conninfo);
	if (PQstatus(w.blocker) != CONNECTION_OK) {
		fprintf(stderr, "%s", PQerrorMessage(w.blocker));
		return -1;
	}
	res = PQexec(w.blocker, "BEGIN");
	PQclear(res);
	res = PQexecParams(w.blocker, "SELECT 1 FROM accounts WHERE id ="
	    " $1::uuid FOR UPDATE", 1, NULL, p, NULL, NULL, 0);
	PQclear(res);
	w.req = acctstore_set_status(pool, id, "error", "on the wire",
	    must_not_run, "on the wire");
	w.ev = evtimer_new(loop_base(), wire_poll, &w);
	loop_timer_ms(w.ev, 20);
	run_loop();
	event_free(w.ev);
	PQfinish(w.blocker);
	return 0;
}

int
main(int argc, char **argv)
{
	struct pg_opts		 o = {
		.size = 2,
		.connect_timeout_ms = 5000,
		.statement_timeout_ms = 30000,
		.queue_timeout_ms = 10000,
		.reconnect_min_ms = 100,
		.reconnect_max_ms = 2000,
		.application_name = "acctstore_check",
	};
	struct mailru_list	 list;
	struct mailstore_change	 chg = { NULL, -1, -1, NULL };
	const char		*keyfile = NULL, *cmd;
	char			 err[512];
	int			 ch, all = 1, rc = 0;

	log_init("acctstore_check");
	while ((ch = getopt(argc, argv, "+c:k:")) != -1) {
		switch (ch) {
		case 'c':
			conninfo = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (conninfo == NULL || keyfile == NULL || argc < 1)
		usage();
	if (secret_key_load(keyfile, &key, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (loop_init() != 0)
		return 2;
	o.conninfo = conninfo;
	if ((pool = pg_pool_new(loop_base(), &o)) == NULL)
		return 2;
	cmd = argv[0];
	if (strcmp(cmd, "load") == 0) {
		int	i = 1;

		if (argc > 1 && strcmp(argv[1], "-a") == 0) {
			all = 0;
			i++;
		}
		if (acctstore_load(pool, &key, (const char *const *)argv + i,
		    (size_t)(argc - i), !all, on_load, NULL) == NULL)
			rc = -1;
	} else if (strcmp(cmd, "set-status") == 0 && (argc == 3 ||
	    argc == 4)) {
		if (acctstore_set_status(pool, argv[1], argv[2],
		    argc == 4 ? argv[3] : NULL, on_done, NULL) == NULL)
			rc = -1;
	} else if (strcmp(cmd, "login-ok") == 0 && (argc == 2 || argc == 3)) {
		if (acctstore_login_ok(pool, argv[1], argc == 3 ? argv[2] :
		    NULL, on_done, NULL) == NULL)
			rc = -1;
	} else if (strcmp(cmd, "set-password") == 0 && argc == 3) {
		if (acctstore_set_password(pool, &key, argv[1], argv[2],
		    on_done, NULL) == NULL)
			rc = -1;
	} else if (strcmp(cmd, "upsert") == 0 && argc == 5) {
		if (read_list(argv[4], &list) == -1)
			return 2;
		if (mailstore_upsert(pool, argv[1], opt(argv[2]), argv[3],
		    &list, on_done, NULL) == NULL)
			rc = -1;
		/* The call copied what it needs. */
		mailru_list_free(&list);
	} else if (strcmp(cmd, "action") == 0 && argc >= 6) {
		for (int i = 6; i < argc; i++) {
			if (strncmp(argv[i], "folder=", 7) == 0)
				chg.folder = argv[i] + 7;
			else if (strncmp(argv[i], "read=", 5) == 0)
				chg.read = atoi(argv[i] + 5);
			else if (strncmp(argv[i], "flagged=", 8) == 0)
				chg.flagged = atoi(argv[i] + 8);
			else if (strncmp(argv[i], "body=", 5) == 0)
				chg.body = argv[i] + 5;
			else
				usage();
		}
		if (mailstore_action(pool, argv[1], argv[2], opt(argv[3]),
		    argv[4], opt(argv[5]), &chg, on_done, NULL) == NULL)
			rc = -1;
	} else if (strcmp(cmd, "cancel") == 0 && argc == 2) {
		rc = cmd_cancel(argv[1]);
		done = 1;
	} else
		usage();
	if (rc == 0 && run_loop() == -1)
		rc = -1;
	pg_pool_free(pool);
	loop_free();
	secret_key_wipe(&key);
	if (strcmp(cmd, "cancel") == 0)
		result = rc == 0 && wrong == 0 && result;
	printf("{\"ok\": %d, \"wrong\": %d}\n", rc == 0 && result, wrong);
	log_close();
	return rc == 0 && result ? 0 : 1;
}
