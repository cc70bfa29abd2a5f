/*
 * Unit tests for the mail.ru provider (mailru_req.c, mailru_parse.c,
 * mailru_html.c's token finder): builders produce the reference's fields,
 * parsers read captured-style bodies under tests/unit/data/mailru, and
 * every login Location and mobile reply lands in the right outcome.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailru.h"

/* A string literal and its length. */
#define SL(s)	(s), (sizeof(s) - 1)

static char *
load(const char *name, size_t *len)
{
	const char	*top = getenv("top_srcdir");
	char		 path[1024];
	FILE		*f;
	char		*buf;
	long		 n;

	snprintf(path, sizeof(path), "%s/tests/unit/data/mailru/%s",
	    top != NULL ? top : ".", name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static enum mailru_status
env_of(const char *name, int http, struct mailru_env *env)
{
	size_t	 len;
	char	*b = load(name, &len);

	mailru_parse_envelope(http, b, len, env);
	free(b);
	return env->cls;
}

/* Whether "k=v" is one of the &-separated pairs of a query or form. */
static int
has(const char *qs, const char *kv)
{
	size_t		 n = strlen(kv);
	const char	*p;

	if (qs == NULL)
		return 0;
	if ((p = strchr(qs, '?')) != NULL && strncmp(qs, "http", 4) == 0)
		qs = p + 1;
	for (p = qs; (p = strstr(p, kv)) != NULL; p++)
		if ((p == qs || p[-1] == '&') && (p[n] == '\0' || p[n] == '&'))
			return 1;
	return 0;
}

static void
fixed_rand(void *buf, size_t n)
{
	memset(buf, 0x11, n);
}

static const struct mailru_hosts sim = {
	.account = "https://account.mail.ru:8443",
	.auth = "https://auth.mail.ru:8443",
	.e = "https://e.mail.ru:8443",
	.aj = "https://aj-https.mail.ru:8443",
	.o2 = "https://o2.mail.ru:8443",
	.portal = "https://portal.mail.ru:8443",
	.ipecho = "https://ip.mailsim.test:8443",
};

static struct mailru_ctx
web(void)
{
	struct mailru_ctx	c = {
		.flavour = MAILRU_WEB,
		.email = "user@mail.ru",
		.token = "tok:en",
		.now_ms = 1700000000123LL,
		.rand = fixed_rand,
	};

	return c;
}

static struct mailru_ctx
aj(void)
{
	struct mailru_ctx	c = {
		.flavour = MAILRU_AJ,
		.email = "user@mail.ru",
		.access_token = "AT",
		.rand = fixed_rand,
	};

	return c;
}

/* ---- encoding ---------------------------------------------------------- */

static void
t_urlencode(void **state)
{
	char	*s;

	(void)state;
	s = mailru_urlencode("a b&c=d/é~-._");
	assert_string_equal(s, "a%20b%26c%3Dd%2F%C3%A9~-._");
	free(s);
	s = mailru_urldecode("a%20b+c%2Fd", 11);
	assert_string_equal(s, "a b c/d");
	free(s);
	assert_null(mailru_urldecode("%2", 2));
	assert_null(mailru_urldecode("%zz", 3));
	assert_null(mailru_urldecode("%00", 3));
	s = mailru_url_param("https://h/p?a=1&url=x%3Dy&b", "url");
	assert_string_equal(s, "x=y");
	free(s);
	assert_null(mailru_url_param("https://h/p?aurl=1", "url"));
	assert_null(mailru_url_param("https://h/p", "url"));
}

/* ---- builders ---------------------------------------------------------- */

static void
t_hosts_default(void **state)
{
	struct mailru_ctx	 c = web();
	struct mailru_req	*r;

	(void)state;
	r = mailru_req_folders(&c);
	assert_true(strncmp(r->url, "https://e.mail.ru/api/v1/folders?", 33)
	    == 0);
	mailru_req_free(r);
	c = aj();
	r = mailru_req_folders(&c);
	assert_true(strncmp(r->url,
	    "https://aj-https.mail.ru/api/v1/folders?", 40) == 0);
	mailru_req_free(r);
	assert_true(strncmp(mailru_mobile_ua, "mobmail android ", 16) == 0);
}

static void
t_web_login(void **state)
{
	struct mailru_ctx	 c = web();
	struct mailru_req	*r;

	(void)state;
	c.hosts = &sim;
	r = mailru_req_prelogin(&c, NULL);
	assert_string_equal(r->url, "https://account.mail.ru:8443/login?page="
	    "https%3A%2F%2Fe.mail.ru%2Finbox%2F&allow_external=1");
	assert_int_equal(r->method, MAILRU_GET);
	assert_true(r->want_redirect);
	mailru_req_free(r);

	r = mailru_req_web_login(&c, "user@mail.ru", "p&ss word", "abcdef",
	    NULL);
	assert_int_equal(r->method, MAILRU_POST);
	assert_string_equal(r->url, "https://auth.mail.ru:8443/cgi-bin/auth");
	assert_true(r->want_redirect);
	assert_string_equal(r->origin, "https://account.mail.ru:8443");
	assert_string_equal(r->referer, "https://account.mail.ru:8443/");
	assert_true(has(r->body, "username=user%40mail.ru"));
	assert_true(has(r->body, "Login=user%40mail.ru"));
	assert_true(has(r->body, "password=p%26ss%20word"));
	assert_true(has(r->body, "Password=p%26ss%20word"));
	assert_true(has(r->body, "saveauth=1"));
	assert_true(has(r->body, "new_auth_form=1"));
	assert_true(has(r->body, "FromAccount=opener%3Daccount%26"
	    "allow_external%3D1%26twoSteps%3D1"));
	assert_true(has(r->body, "act_token=abcdef"));
	assert_true(has(r->body, "page=https%3A%2F%2Fe.mail.ru%2Finbox%2F"));
	assert_true(has(r->body, "back=1"));
	assert_true(has(r->body, "lang=ru_RU"));
	mailru_req_free(r);
	assert_null(mailru_req_web_login(&c, NULL, "x", NULL, NULL));

	r = mailru_req_sdc(&c, "https://e.mail.ru:8443/api/v1/tokens?email="
	    "user%40mail.ru");
	assert_string_equal(r->url, "https://auth.mail.ru:8443/sdc?from="
	    "https%3A%2F%2Fe.mail.ru%3A8443%2Fapi%2Fv1%2Ftokens%3Femail%3D"
	    "user%2540mail.ru");
	assert_true(r->want_redirect);
	mailru_req_free(r);

	r = mailru_req_copper(&c);
	assert_string_equal(r->url,
	    "https://account.mail.ru:8443/api/v1/user/copper");
	mailru_req_free(r);

	r = mailru_req_question_answer(&c, "c0ffee", "Иванова");
	assert_string_equal(r->url, "https://auth.mail.ru:8443/cgi-bin/question");
	assert_true(has(r->body, "chal=c0ffee"));
	assert_true(has(r->body, "answer=%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2"
	    "%D0%B0"));
	assert_true(r->want_redirect);
	mailru_req_free(r);
	r = mailru_req_question(&c, "c0ffee");
	assert_true(has(r->url, "chal=c0ffee"));
	assert_non_null(strstr(r->url, "/api/v1/user/question?"));
	mailru_req_free(r);

	r = mailru_req_validate(&c);
	assert_true(strncmp(r->url, "https://portal.mail.ru:8443/NaviData?"
	    "mac=1", 42) == 0);
	mailru_req_free(r);
	r = mailru_req_logout(&c);
	assert_true(strncmp(r->url, "https://auth.mail.ru:8443/cgi-bin/logout?"
	    "next=1&lang=ru_RU&page=", 64) == 0);
	mailru_req_free(r);
	r = mailru_req_ipecho(&c);
	assert_string_equal(r->url, "https://ip.mailsim.test:8443/json");
	mailru_req_free(r);
	r = mailru_req_get("https://click.mail.ru/redir?u=x", NULL);
	assert_true(r->want_redirect);
	assert_null(r->referer);
	mailru_req_free(r);
}

static void
t_mobile_login(void **state)
{
	struct mailru_ctx	 c = aj();
	struct mailru_req	*r;

	(void)state;
	c.hosts = &sim;
	r = mailru_req_mobile_login(&c, "user@mail.ru", "pw", "dev1", NULL,
	    NULL);
	assert_string_equal(r->url, "https://aj-https.mail.ru:8443/cgi-bin/"
	    "auth?mp=android&udid=dev1");
	assert_true(has(r->body, "Login=user%40mail.ru"));
	assert_true(has(r->body, "Password=pw"));
	assert_true(has(r->body, "oauth2=1"));
	assert_true(has(r->body, "mob_json=1"));
	assert_true(has(r->body, "simple=1"));
	assert_true(has(r->body, "mobile=1"));
	assert_true(has(r->body, "useragent=android"));
	assert_null(strstr(r->body, "challenge"));
	mailru_req_free(r);
	r = mailru_req_mobile_login(&c, "user@mail.ru", "pw", NULL, "c0", "a");
	assert_true(has(r->url, "udid=mailru_app"));
	assert_true(has(r->body, "challenge=c0"));
	assert_true(has(r->body, "answer=a"));
	mailru_req_free(r);
	assert_null(mailru_req_mobile_login(&c, "u", "p", NULL, "c0", NULL));

	r = mailru_req_o2_refresh(&c, "RT/1", NULL);
	assert_string_equal(r->url, "https://o2.mail.ru:8443/token");
	assert_string_equal(r->body, "client_id=cloud-android&grant_type="
	    "refresh_token&refresh_token=RT%2F1");
	mailru_req_free(r);
	assert_null(mailru_req_o2_refresh(&c, "", NULL));

	r = mailru_req_validate(&c);
	assert_non_null(strstr(r->url, "/api/v1/folders?"));
	assert_true(has(r->url, "access_token=AT"));
	mailru_req_free(r);
	/* the web-only token calls have no aj form */
	assert_null(mailru_req_user_short(&c));
	assert_null(mailru_req_tokens(&c));
}

static void
t_web_common(void **state)
{
	struct mailru_ctx	 c = web();
	struct mailru_req	*r;

	(void)state;
	r = mailru_req_tokens(&c);
	assert_int_equal(r->method, MAILRU_GET);
	assert_true(has(r->url, "email=user%40mail.ru"));
	assert_true(has(r->url, "x-email=user%40mail.ru"));
	assert_true(has(r->url, "htmlencoded=false"));
	assert_true(has(r->url, "token=tok%3Aen"));
	assert_true(has(r->url, "_=1700000000123"));
	assert_string_equal(r->referer, "https://e.mail.ru/inbox/");
	assert_null(r->origin);
	assert_null(r->body);
	assert_false(r->want_redirect);
	assert_string_equal(r->request_id,
	    "11111111-1111-4111-9111-111111111111");
	mailru_req_free(r);

	r = mailru_req_user_short(&c);
	assert_int_equal(r->method, MAILRU_POST);
	assert_string_equal(r->url, "https://e.mail.ru/api/v1/user/short");
	assert_string_equal(r->body, "email=user%40mail.ru&htmlencoded=false&"
	    "token=tok%3Aen");
	assert_string_equal(r->origin, "https://e.mail.ru");
	mailru_req_free(r);

	c.token = NULL;
	r = mailru_req_user_short(&c);
	assert_true(has(r->body, "token="));
	mailru_req_free(r);
}

static void
t_lists(void **state)
{
	struct mailru_ctx	 c = web();
	struct mailru_req	*r;

	(void)state;
	r = mailru_req_threads(&c, "950", 0, 50, 0);
	assert_true(strncmp(r->url, "https://e.mail.ru/api/v1/threads/status/"
	    "smart?", 46) == 0);
	assert_true(has(r->url, "folder=950"));
	assert_true(has(r->url, "limit=50"));
	assert_true(has(r->url, "offset=0"));
	assert_true(has(r->url, "last_modified=1"));
	assert_true(has(r->url, "filters=%7B%7D"));
	assert_true(has(r->url, "sort=%7B%22type%22%3A%22date%22%2C%22order"
	    "%22%3A%22desc%22%7D"));
	assert_true(has(r->url, "force_custom_thread=true"));
	assert_true(has(r->url, "supported_custom_metathreads=%5B%22tomyself"
	    "%22%5D"));
	assert_string_equal(r->referer, "https://e.mail.ru/spam/");
	mailru_req_free(r);
	assert_null(mailru_req_threads(&c, "x", 0, 50, 0));
	assert_null(mailru_req_threads(&c, "0", -1, 50, 0));

	r = mailru_req_messages(&c, "0", 10, 20, 42);
	assert_non_null(strstr(r->url, "/api/v1/messages/status?"));
	assert_true(has(r->url, "last_modified=42"));
	assert_true(has(r->url, "offset=10"));
	mailru_req_free(r);

	r = mailru_req_thread(&c, "1:0d356d30519e073b:0", 0, 50);
	assert_non_null(strstr(r->url, "/api/v1/threads/thread?"));
	assert_true(has(r->url, "id=1%3A0d356d30519e073b%3A0"));
	assert_true(has(r->url, "quotes_version=1"));
	mailru_req_free(r);
	assert_null(mailru_req_thread(&c, "garbage", 0, 50));

	r = mailru_req_message(&c, "17640000000000000101", "950");
	assert_true(has(r->url, "id=17640000000000000101"));
	assert_true(has(r->url, "folder_id=950"));
	assert_true(has(r->url, "read=0"));
	assert_true(has(r->url, "mark_read=false"));
	mailru_req_free(r);

	r = mailru_req_search(&c, "Привет", 0, 100, 0);
	assert_non_null(strstr(r->url, "/api/v1/k8s/messages/search?"));
	assert_true(has(r->url, "query=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82"));
	assert_true(has(r->url, "in_excluded_folders=false"));
	assert_true(has(r->url, "with_threads=true"));
	mailru_req_free(r);

	c = aj();
	r = mailru_req_threads(&c, "950", 0, 200, 0);
	assert_true(strncmp(r->url, "https://aj-https.mail.ru/api/v1/m/threads"
	    "/status/smart?", 54) == 0);
	assert_true(has(r->url, "folders=%5B%7B%22folder%22%3A950%2C%22offset"
	    "%22%3A0%2C%22limit%22%3A200%7D%5D"));
	assert_true(has(r->url, "access_token=AT"));
	assert_false(has(r->url, "email=user%40mail.ru"));
	assert_null(strstr(r->url, "token=tok"));
	assert_null(r->referer);
	assert_null(r->request_id);
	mailru_req_free(r);
}

static void
t_actions(void **state)
{
	struct mailru_ctx	 c = web();
	struct mailru_req	*r;
	struct mailru_ref	 th[] = {
		{ "0:17238435541582434693:950", "17238435541582434693", "950" },
		{ "1:0d356d30519e073b:0", "15226384120000000476", "0" },
	};
	struct mailru_ref	 msg[] = { { "17238435541582434693", NULL,
	    "950" } };

	(void)state;
	r = mailru_req_marks(&c, MAILRU_MESSAGES, "unread", 0, msg, 1);
	assert_string_equal(r->url, "https://e.mail.ru/api/v1/messages/marks");
	/* marks=[{"name":"unread","unset":["17238435541582434693"],"folder":950}] */
	assert_true(has(r->body, "marks=%5B%7B%22name%22%3A%22unread%22%2C%22"
	    "unset%22%3A%5B%2217238435541582434693%22%5D%2C%22folder%22%3A950"
	    "%7D%5D"));
	assert_true(has(r->body, "token=tok%3Aen"));
	mailru_req_free(r);

	r = mailru_req_marks(&c, MAILRU_THREADS, "flagged", 1, th, 2);
	assert_string_equal(r->url, "https://e.mail.ru/api/v1/threads/marks");
	assert_non_null(strstr(r->body, "%22set%22"));
	/* two folders: two mark entries */
	assert_non_null(strstr(r->body, "%22folder%22%3A950"));
	assert_non_null(strstr(r->body, "%22folder%22%3A0"));
	assert_true(has(r->body, "message_id_last=%7B%220%3A17238435541582434693"
	    "%3A950%22%3A%2217238435541582434693%22%2C%221%3A0d356d30519e073b"
	    "%3A0%22%3A%2215226384120000000476%22%7D"));
	mailru_req_free(r);

	r = mailru_req_move(&c, MAILRU_THREADS, th, 1, "0");
	assert_string_equal(r->url, "https://e.mail.ru/api/v1/threads/move");
	assert_true(has(r->body, "ids=%5B%220%3A17238435541582434693%3A950"
	    "%22%5D"));
	assert_true(has(r->body, "msg_ids=%5B%7B%22id%22%3A%220%3A"
	    "17238435541582434693%3A950%22%2C%22folder%22%3A%22950%22%7D%5D"));
	assert_true(has(r->body, "folder=0"));
	assert_true(has(r->body, "message_id_last=%7B%220%3A17238435541582434693"
	    "%3A950%22%3A%2217238435541582434693%22%7D"));
	mailru_req_free(r);
	r = mailru_req_move(&c, MAILRU_MESSAGES, msg, 1, "500002");
	assert_string_equal(r->url, "https://e.mail.ru/api/v1/messages/move");
	assert_true(has(r->body, "folder=500002"));
	mailru_req_free(r);
	assert_null(mailru_req_move(&c, MAILRU_MESSAGES, msg, 1, "in"));
	assert_null(mailru_req_move(&c, MAILRU_MESSAGES, msg, 0, "0"));

	r = mailru_req_spam(&c, MAILRU_MESSAGES, 0, msg, 1);
	assert_string_equal(r->url,
	    "https://e.mail.ru/api/v1/messages/services/unspam");
	assert_true(has(r->body, "ids=%5B%2217238435541582434693%22%5D"));
	mailru_req_free(r);
	r = mailru_req_spam(&c, MAILRU_MESSAGES, 1, msg, 1);
	assert_string_equal(r->url,
	    "https://e.mail.ru/api/v1/messages/services/spam");
	assert_true(has(r->body, "folder=950"));
	mailru_req_free(r);
	c = aj();
	r = mailru_req_spam(&c, MAILRU_THREADS, 0, th, 1);
	assert_string_equal(r->url, "https://aj-https.mail.ru/api/v1/m/threads"
	    "/services/unspam?access_token=AT");
	assert_true(has(r->body, "ids=%5B%7B%22id%22%3A%220%3A"
	    "17238435541582434693%3A950%22%2C%22folder%22%3A%22950%22%2C%22"
	    "message_id_last%22%3A%2217238435541582434693%22%7D%5D"));
	mailru_req_free(r);
	c.token_in_body = 1;
	r = mailru_req_spam(&c, MAILRU_THREADS, 1, th, 1);
	assert_string_equal(r->url, "https://aj-https.mail.ru/api/v1/m/threads"
	    "/services/spam");
	assert_true(has(r->body, "access_token=AT"));
	mailru_req_free(r);
	/* a thread report needs the newest message id */
	th[0].last = NULL;
	assert_null(mailru_req_spam(&c, MAILRU_THREADS, 1, th, 1));
}

static void
t_send(void **state)
{
	struct mailru_ctx	 c = web();
	struct mailru_req	*r;
	struct mailru_letter	 l = {
		.from_name = "Иван",
		.to = "Пётр <p@mail.ru>",
		.subject = "Привет",
		.text = "a<b>\nc",
	};
	char			*s;

	(void)state;
	r = mailru_req_send(&c, &l);
	assert_string_equal(r->url, "https://e.mail.ru/api/v1/k8s/messages/"
	    "send");
	assert_true(has(r->body, "id=rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"));
	assert_true(has(r->body, "source=%7B%22draft%22%3A%22%22%2C%22reply"
	    "%22%3A%22%22%2C%22forward%22%3A%22%22%2C%22schedule%22%3A%22%22"
	    "%7D"));
	assert_true(has(r->body, "subject=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1"
	    "%82"));
	/* body={"html":"<div>a&lt;b&gt;<br>c</div>","text":"a<b>\nc"} */
	assert_true(has(r->body, "body=%7B%22html%22%3A%22%3Cdiv%3Ea%26lt%3Bb"
	    "%26gt%3B%3Cbr%3Ec%3C%2Fdiv%3E%22%2C%22text%22%3A%22a%3Cb%3E%5Cnc"
	    "%22%7D"));
	assert_true(has(r->body, "from=%D0%98%D0%B2%D0%B0%D0%BD%20%3Cuser%40"
	    "mail.ru%3E"));
	assert_non_null(strstr(r->body, "correspondents=%7B%22to%22%3A%22"));
	assert_true(has(r->body, "email=user%40mail.ru"));
	assert_true(has(r->body, "token=tok%3Aen"));
	assert_null(strstr(r->body, "delay_for_cancellation"));
	assert_null(strstr(r->body, "compose_stat"));
	mailru_req_free(r);

	l.reply_to = "17640000000000000101";
	l.id = "0123456789abcdef0123456789abcdef";
	c = aj();
	r = mailru_req_send(&c, &l);
	assert_string_equal(r->url, "https://aj-https.mail.ru/api/v1/messages"
	    "/send?access_token=AT");
	assert_true(has(r->body, "id=0123456789abcdef0123456789abcdef"));
	assert_true(has(r->body, "source=%7B%22reply%22%3A%2217640000000000000"
	    "101%22%7D"));
	assert_true(has(r->body, "subject=Re%3A%20%D0%9F%D1%80%D0%B8%D0%B2%D0"
	    "%B5%D1%82"));
	assert_true(has(r->body, "send_date=0"));
	assert_null(strstr(r->body, "email="));
	assert_null(strstr(r->body, "from="));
	assert_null(strstr(r->body, "token=tok"));
	mailru_req_free(r);
	assert_null(mailru_req_send(&c, NULL));

	s = mailru_reply_subject("RE: x");
	assert_string_equal(s, "RE: x");
	free(s);
	s = mailru_reply_subject(NULL);
	assert_string_equal(s, "Re: ");
	free(s);

	c = web();
	r = mailru_req_password(&c, "old pw", "new-pw");
	assert_string_equal(r->url, "https://e.mail.ru/api/v1/user/password");
	assert_true(has(r->body, "old=old%20pw"));
	assert_true(has(r->body, "new=new-pw"));
	assert_true(has(r->body, "token=tok%3Aen"));
	mailru_req_free(r);
	assert_null(mailru_req_password(&c, "a", ""));
}

/* ---- envelope ---------------------------------------------------------- */

static void
t_envelope(void **state)
{
	static const struct {
		const char		*file;
		int			 http;
		enum mailru_status	 cls;
		const char		*error;
	} cases[] = {
		{ "threads_2018.json",	 200, MAILRU_OK, NULL },
		{ "threads_reordered.json", 200, MAILRU_OK, NULL },
		{ "err403_nosdc.json",	 200, MAILRU_NOSDC, "nosdc" },
		{ "err403_token_aj.json", 200, MAILRU_TOKEN, "token" },
		{ "err403_user.json",	 200, MAILRU_USER, "user" },
		{ "err403_twostep.json", 200, MAILRU_TWOSTEP_REQUIRED,
		    "twostep_required" },
		{ "err403_bind.json",	 200, MAILRU_BIND_REQUIRED,
		    "bind_required" },
		{ "err403_folder.json",	 200, MAILRU_FOLDER, "folder" },
		{ "err400_denied.json",	 200, MAILRU_BAD_REQUEST, "denied" },
		{ "send_err.json",	 200, MAILRU_BAD_REQUEST, "invalid_to" },
		{ "err429.json",	 429, MAILRU_RATE_LIMIT, "ratelimit" },
		{ "err429.json",	 200, MAILRU_RATE_LIMIT, "ratelimit" },
		{ "err449.json",	 200, MAILRU_ATTEMPTS, NULL },
		{ "err503.json",	 200, MAILRU_SERVER, NULL },
		{ "threads_2018.json",	 503, MAILRU_SERVER, NULL },
		{ "not_modified.json",	 200, MAILRU_NOT_MODIFIED, NULL },
		{ "truncated.json",	 200, MAILRU_MALFORMED, NULL },
		{ "invalid.json",	 200, MAILRU_MALFORMED, NULL },
		{ "letter.html",	 200, MAILRU_MALFORMED, NULL },
		{ "navidata_ok.json",	 200, MAILRU_OK, NULL },
		{ "navidata_noauth.json", 200, MAILRU_USER, NULL },
	};
	struct mailru_env	env;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		env_of(cases[i].file, cases[i].http, &env);
		if (env.cls != cases[i].cls)
			fail_msg("%s: %s, want %s", cases[i].file,
			    mailru_status_name(env.cls),
			    mailru_status_name(cases[i].cls));
		if (cases[i].error != NULL)
			assert_string_equal(env.error, cases[i].error);
		mailru_env_free(&env);
	}

	env_of("err403_user.json", 200, &env);
	assert_null(env.email);
	assert_int_equal(env.status, 403);
	mailru_env_free(&env);
	env_of("err403_token_aj.json", 200, &env);
	assert_string_equal(env.email, "");
	mailru_env_free(&env);
	env_of("not_modified.json", 200, &env);
	assert_int_equal(env.last_modified, 42);
	mailru_env_free(&env);
	env_of("threads_2018.json", 200, &env);
	assert_int_equal(env.last_modified, -1);
	assert_string_equal(env.email, "user@mail.ru");
	mailru_env_free(&env);

	assert_int_equal(mailru_parse_envelope(200, NULL, 0, &env),
	    MAILRU_MALFORMED);
	mailru_env_free(&env);
	assert_int_equal(mailru_parse_envelope(304, "", 0, &env),
	    MAILRU_NOT_MODIFIED);
	mailru_env_free(&env);
	assert_int_equal(mailru_parse_envelope(200, "[1]", 3, &env),
	    MAILRU_MALFORMED);
	mailru_env_free(&env);
	assert_int_equal(mailru_parse_envelope(200, SL("{\"status\":403,"
	    "\"body\":\"weird\"}"), &env), MAILRU_OTHER);
	mailru_env_free(&env);
	assert_int_equal(mailru_parse_envelope(200, SL("{\"status\":\"403\","
	    "\"body\":{\"error\":\"token\"}}"), &env), MAILRU_TOKEN);
	mailru_env_free(&env);
	assert_string_equal(mailru_status_name(MAILRU_NOSDC), "nosdc");
}

/* ---- login ------------------------------------------------------------- */

static void
t_web_login_outcomes(void **state)
{
	static const struct {
		const char		*loc;
		enum mailru_login	 o;
	} cases[] = {
		{ "https://e.mail.ru/inbox/?authid=abc&from=login",
		    MAILRU_LOGIN_OK },
		{ "https://light.mail.ru/messages/inbox?authid=1",
		    MAILRU_LOGIN_OK },
		{ "https://account.mail.ru/login?page=https%3A%2F%2Fe.mail.ru"
		    "%2Finbox%2F&fail=1", MAILRU_LOGIN_WRONG_PASSWORD },
		{ "https://account.mail.ru/user/login?login=u%40mail.ru&page="
		    "https%3A%2F%2Fe.mail.ru%2Finbox%2F",
		    MAILRU_LOGIN_CHECK_COPPER },
		{ "https://account.mail.ru/login?page=https%3A%2F%2Fe.mail.ru"
		    "%2Finbox%2F&recaptcha=1&login=u", MAILRU_LOGIN_RECAPTCHA },
		{ "https://auth.mail.ru/cgi-bin/secstep?Login=u&page=https%3A"
		    "%2F%2Fe.mail.ru%2Finbox%2F", MAILRU_LOGIN_TWOFA },
		{ "https://account.mail.ru/recovery?email=u%40mail.ru",
		    MAILRU_LOGIN_LOCKED },
		{ "https://account.mail.ru/ukey?x=1", MAILRU_LOGIN_LOCKED },
		{ "https://account.mail.ru/login?page=https%3A%2F%2Fe.mail.ru"
		    "%2Finbox%2F&errno=25", MAILRU_LOGIN_BANNED },
		{ "https://account.mail.ru/login/question?chal=c0ffee&page="
		    "https%3A%2F%2Fe.mail.ru%2Finbox%2F", MAILRU_LOGIN_QUESTION },
		{ "https://account.mail.ru/login/question?chal=c0ffee&fail=1",
		    MAILRU_LOGIN_WRONG_ANSWER },
		{ "https://account.mail.ru/login?page=https%3A%2F%2Fe.mail.ru"
		    "%2Finbox%2F", MAILRU_LOGIN_REJECTED },
		{ "https://account.mail.ru/login/", MAILRU_LOGIN_REJECTED },
		{ "https://id.vk.ru/auth?x=1", MAILRU_LOGIN_UNKNOWN },
	};
	struct mailru_login_res	res;
	size_t			i;
	char			*b;
	size_t			len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mailru_parse_web_login(302, cases[i].loc, NULL, 0, &res);
		if (res.outcome != cases[i].o)
			fail_msg("%s: %s, want %s", cases[i].loc,
			    mailru_login_name(res.outcome),
			    mailru_login_name(cases[i].o));
		assert_string_equal(res.url, cases[i].loc);
		if (cases[i].o == MAILRU_LOGIN_QUESTION ||
		    cases[i].o == MAILRU_LOGIN_WRONG_ANSWER)
			assert_string_equal(res.chal, "c0ffee");
		mailru_login_res_free(&res);
	}

	b = load("err429.json", &len);
	assert_int_equal(mailru_parse_web_login(429, NULL, b, len, &res),
	    MAILRU_LOGIN_RATE_LIMIT);
	mailru_login_res_free(&res);
	assert_int_equal(mailru_parse_web_login(200, NULL, b, len, &res),
	    MAILRU_LOGIN_RATE_LIMIT);
	mailru_login_res_free(&res);
	free(b);
	assert_int_equal(mailru_parse_web_login(502, NULL, "", 0, &res),
	    MAILRU_LOGIN_SERVER);
	assert_int_equal(mailru_parse_web_login(200, NULL, SL("<div data-"
	    "recaptchaSitekey=x>"), &res), MAILRU_LOGIN_RECAPTCHA);
	assert_int_equal(mailru_parse_web_login(200, NULL, "<html/>", 7,
	    &res), MAILRU_LOGIN_UNKNOWN);
	assert_int_equal(mailru_parse_web_login(302, NULL, NULL, 0, &res),
	    MAILRU_LOGIN_UNKNOWN);

	b = load("copper_captcha.json", &len);
	assert_int_equal(mailru_parse_copper(200, b, len), MAILRU_LOGIN_CAPTCHA);
	free(b);
	b = load("copper_twostep.json", &len);
	assert_int_equal(mailru_parse_copper(200, b, len), MAILRU_LOGIN_TWOFA);
	free(b);
	b = load("err403_user.json", &len);
	assert_int_equal(mailru_parse_copper(200, b, len), MAILRU_LOGIN_UNKNOWN);
	free(b);
	assert_int_equal(mailru_parse_copper(429, "", 0),
	    MAILRU_LOGIN_RATE_LIMIT);

	assert_true(mailru_login_needs_human(MAILRU_LOGIN_CAPTCHA));
	assert_true(mailru_login_needs_human(MAILRU_LOGIN_REJECTED));
	assert_false(mailru_login_needs_human(MAILRU_LOGIN_QUESTION));
	assert_false(mailru_login_needs_human(MAILRU_LOGIN_RATE_LIMIT));
	assert_string_equal(mailru_login_name(MAILRU_LOGIN_TWOFA), "twofa");
}

static void
t_mobile_outcomes(void **state)
{
	static const struct {
		const char		*file;
		enum mailru_login	 o;
	} cases[] = {
		{ "mob_ok.json",	 MAILRU_LOGIN_OK },
		{ "mob_ok_reordered.json", MAILRU_LOGIN_OK },
		{ "mob_fail.json",	 MAILRU_LOGIN_WRONG_PASSWORD },
		{ "mob_captcha.json",	 MAILRU_LOGIN_CAPTCHA },
		{ "mob_recaptcha.json",	 MAILRU_LOGIN_RECAPTCHA },
		{ "mob_secstep.json",	 MAILRU_LOGIN_TWOFA },
		{ "mob_locked.json",	 MAILRU_LOGIN_LOCKED },
		{ "mob_banned.json",	 MAILRU_LOGIN_BANNED },
		{ "mob_ratelimit.json",	 MAILRU_LOGIN_RATE_LIMIT },
		{ "mob_question.json",	 MAILRU_LOGIN_QUESTION },
		{ "mob_unknown.json",	 MAILRU_LOGIN_UNKNOWN },
		{ "truncated.json",	 MAILRU_LOGIN_UNKNOWN },
	};
	struct mailru_login_res	res;
	size_t			i, len;
	char			*b;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b = load(cases[i].file, &len);
		mailru_parse_mobile_login(200, NULL, b, len, &res);
		if (res.outcome != cases[i].o)
			fail_msg("%s: %s, want %s", cases[i].file,
			    mailru_login_name(res.outcome),
			    mailru_login_name(cases[i].o));
		mailru_login_res_free(&res);
		free(b);
	}

	b = load("mob_ok.json", &len);
	mailru_parse_mobile_login(200, NULL, b, len, &res);
	assert_string_equal(res.tok.access_token, "AT-1");
	assert_string_equal(res.tok.refresh_token, "RT-1");
	assert_int_equal(res.tok.expires_in, 3600);
	mailru_login_res_free(&res);
	free(b);
	b = load("mob_ok_reordered.json", &len);
	mailru_parse_mobile_login(200, NULL, b, len, &res);
	assert_string_equal(res.tok.access_token, "AT-2");
	assert_int_equal(res.tok.expires_in, 3600);
	mailru_login_res_free(&res);
	free(b);
	b = load("mob_question.json", &len);
	mailru_parse_mobile_login(200, NULL, b, len, &res);
	assert_string_equal(res.chal, "c0ffee");
	assert_string_equal(res.question, "Девичья фамилия матери?");
	mailru_login_res_free(&res);
	free(b);
	b = load("mob_secstep.json", &len);
	mailru_parse_mobile_login(200, NULL, b, len, &res);
	assert_string_equal(res.url,
	    "https://auth.mail.ru/cgi-bin/secstep?Login=user%40mail.ru");
	mailru_login_res_free(&res);
	free(b);

	/* §10.3: a non-JSON 3xx is "additional verification" */
	assert_int_equal(mailru_parse_mobile_login(302,
	    "https://account.mail.ru/verify?x=1", "<html>", 6, &res),
	    MAILRU_LOGIN_VERIFY);
	assert_string_equal(res.url, "https://account.mail.ru/verify?x=1");
	mailru_login_res_free(&res);
	assert_int_equal(mailru_parse_mobile_login(302,
	    "https://account.mail.ru/login?recaptcha=1", NULL, 0, &res),
	    MAILRU_LOGIN_RECAPTCHA);
	mailru_login_res_free(&res);
	assert_int_equal(mailru_parse_mobile_login(200, NULL, "captcha needed",
	    14, &res), MAILRU_LOGIN_CAPTCHA);
	assert_int_equal(mailru_parse_mobile_login(429, NULL, NULL, 0, &res),
	    MAILRU_LOGIN_RATE_LIMIT);
	assert_int_equal(mailru_parse_mobile_login(503, NULL, NULL, 0, &res),
	    MAILRU_LOGIN_SERVER);
}

static void
t_o2(void **state)
{
	struct mailru_tokens	 tok;
	size_t			 len;
	char			*b;

	(void)state;
	b = load("o2_ok.json", &len);
	assert_int_equal(mailru_parse_o2(200, b, len, &tok), MAILRU_O2_OK);
	assert_string_equal(tok.access_token, "AT-3");
	assert_null(tok.refresh_token);
	assert_int_equal(tok.expires_in, 3600);
	mailru_tokens_free(&tok);
	free(b);
	b = load("o2_bad_refresh.json", &len);
	assert_int_equal(mailru_parse_o2(400, b, len, &tok), MAILRU_O2_RELOGIN);
	free(b);
	b = load("o2_blocked.json", &len);
	assert_int_equal(mailru_parse_o2(400, b, len, &tok), MAILRU_O2_RELOGIN);
	free(b);
	b = load("o2_unsupported.json", &len);
	assert_int_equal(mailru_parse_o2(400, b, len, &tok), MAILRU_O2_FAIL);
	free(b);
	assert_int_equal(mailru_parse_o2(503, "", 0, &tok), MAILRU_O2_RETRY);
	assert_int_equal(mailru_parse_o2(200, "{\"a\":", 5, &tok),
	    MAILRU_O2_RETRY);
	assert_int_equal(mailru_parse_o2(200, "{\"error_code\":\"6\"}", 18,
	    &tok), MAILRU_O2_RELOGIN);
	assert_null(tok.access_token);
}

/* ---- mailbox ----------------------------------------------------------- */

static void
t_threads(void **state)
{
	struct mailru_env	 env;
	struct mailru_list	 l;
	struct mailru_thread	*t;

	(void)state;
	env_of("threads_2018.json", 200, &env);
	assert_int_equal(mailru_parse_threads(&env, "0", &l), 0);
	assert_int_equal(l.nthreads, 2);
	assert_int_equal(l.total, 2);
	assert_int_equal(l.unread, 2);
	t = &l.threads[0];
	assert_string_equal(t->id, "1:0d356d30519e073b:0");
	assert_string_equal(t->last, "15226384120000000476");
	assert_string_equal(t->folder, "0");
	assert_string_equal(t->subject, "Все для общения в Агенте Mail.Ru");
	assert_string_equal(t->from_email, "agent@corp.mail.ru");
	assert_string_equal(t->from_name, "Команда Агента Mail.Ru");
	assert_int_equal(t->date, 1522638412);
	assert_true(t->unread);
	assert_false(t->flagged);
	assert_int_equal(t->length, 1);
	t = &l.threads[1];
	assert_false(t->unread);
	assert_true(t->flagged);
	assert_int_equal(t->length, 2);
	mailru_list_free(&l);
	mailru_env_free(&env);

	env_of("threads_reordered.json", 200, &env);
	assert_int_equal(mailru_parse_threads(&env, NULL, &l), 0);
	assert_int_equal(l.nthreads, 1);
	t = &l.threads[0];
	assert_string_equal(t->folder, "950");
	assert_int_equal(t->date, 1723843554);	/* from the message id */
	assert_true(t->flagged);
	assert_false(t->unread);
	assert_int_equal(l.total, 1);
	mailru_list_free(&l);
	mailru_env_free(&env);

	env_of("aj_mthreads_2026.json", 200, &env);
	assert_int_equal(mailru_parse_threads(&env, "950", &l), 0);
	assert_int_equal(l.nthreads, 2);
	assert_int_equal(l.total, 2);
	assert_int_equal(l.unread, 1);
	t = &l.threads[0];
	assert_string_equal(t->id, "0:17640000000000000101:950");
	assert_string_equal(t->last, "17640000000000000101");
	assert_string_equal(t->subject, "Привет из спама");
	assert_string_equal(t->from_email, "a@example.com");
	assert_string_equal(t->folder, "950");
	assert_int_equal(t->date, 1764000000);
	assert_true(t->unread);
	assert_int_equal(t->length, 1);
	assert_int_equal(l.threads[1].length, 2);
	assert_true(l.threads[1].flagged);
	mailru_list_free(&l);
	/* a folder the reply does not carry is an empty list */
	assert_int_equal(mailru_parse_threads(&env, "0", &l), 0);
	assert_int_equal(l.nthreads, 0);
	mailru_list_free(&l);
	mailru_env_free(&env);

	env_of("err403_nosdc.json", 200, &env);
	assert_int_equal(mailru_parse_threads(&env, "0", &l), -1);
	mailru_env_free(&env);
	env_of("user_short.json", 200, &env);
	assert_int_equal(mailru_parse_threads(&env, "0", &l), -1);
	mailru_env_free(&env);
}

static void
t_messages(void **state)
{
	struct mailru_env	 env;
	struct mailru_list	 l;
	struct mailru_msg	 m;
	char			*id;

	(void)state;
	env_of("messages_status.json", 200, &env);
	assert_int_equal(mailru_parse_messages(&env, &l), 0);
	assert_int_equal(l.nmsgs, 2);
	assert_string_equal(l.msgs[0].id, "17640000000000000101");
	assert_string_equal(l.msgs[0].thread_id, "0:17640000000000000101:950");
	assert_string_equal(l.msgs[0].to, "user@mail.ru");
	assert_true(l.msgs[0].unread);
	assert_true(l.msgs[1].flagged);
	assert_null(l.msgs[0].html);
	mailru_list_free(&l);
	mailru_env_free(&env);

	env_of("unread_array.json", 200, &env);
	assert_int_equal(mailru_parse_messages(&env, &l), 0);
	assert_int_equal(l.nmsgs, 1);
	mailru_list_free(&l);
	mailru_env_free(&env);

	env_of("search.json", 200, &env);
	assert_int_equal(mailru_parse_messages(&env, &l), 0);
	assert_int_equal(l.nmsgs, 1);
	assert_int_equal(l.total, 1);
	assert_string_equal(l.msgs[0].subject, "Second");
	mailru_list_free(&l);
	mailru_env_free(&env);

	env_of("message.json", 200, &env);
	assert_int_equal(mailru_parse_message(&env, &m), 0);
	assert_string_equal(m.id, "17640000000000000101");
	assert_string_equal(m.subject, "Привет из спама");
	assert_string_equal(m.text, "Здравствуйте!");
	assert_non_null(strstr(m.html, "checklink.mail.ru/proxy"));
	assert_string_equal(m.to, "user@mail.ru, other@bk.ru");
	assert_string_equal(m.from_name, "Отправитель");
	assert_int_equal(m.date, 1764000000);
	mailru_msg_free(&m);
	mailru_env_free(&env);

	env_of("send_ok.json", 200, &env);
	assert_int_equal(mailru_parse_send(&env, &id), 0);
	assert_string_equal(id, "17640000200000000103");
	free(id);
	mailru_env_free(&env);
	env_of("send_err.json", 200, &env);
	assert_int_equal(mailru_parse_send(&env, &id), -1);
	assert_null(id);
	mailru_env_free(&env);
}

static void
t_tokens(void **state)
{
	struct mailru_env	 env;
	size_t			 len;
	char			*t, *b;

	(void)state;
	env_of("user_short.json", 200, &env);
	t = mailru_parse_token(&env);
	assert_string_equal(t, "0123456789abcdef0123456789abcdef:"
	    "eyJ0aW1lIjoxfQ");
	free(t);
	mailru_env_free(&env);
	env_of("tokens.json", 200, &env);
	t = mailru_parse_token(&env);
	assert_string_equal(t, "feedfacefeedfacefeedfacefeedface:abc");
	free(t);
	mailru_env_free(&env);
	env_of("err403_nosdc.json", 200, &env);
	assert_null(mailru_parse_token(&env));
	mailru_env_free(&env);

	b = load("inbox_sota.html", &len);
	t = mailru_html_token(b, len);
	assert_string_equal(t, "aaaabbbbccccddddaaaabbbbccccdddd:eyJ0aW1lIjox"
	    "NzAwMDAwMDAwLCJ0eXBlIjoiY3NyZiJ9");
	free(t);
	free(b);
	b = load("inbox_patron.html", &len);
	t = mailru_html_token(b, len);
	assert_string_equal(t, "0011223344556677:abcdef");
	free(t);
	free(b);
	b = load("letter.html", &len);
	assert_null(mailru_html_token(b, len));
	free(b);

	env_of("navidata_ok.json", 200, &env);
	assert_true(mailru_parse_validate(&env));
	mailru_env_free(&env);
	env_of("navidata_noauth.json", 200, &env);
	assert_false(mailru_parse_validate(&env));
	mailru_env_free(&env);
	env_of("messages_status.json", 200, &env);
	assert_true(mailru_parse_validate(&env));
	mailru_env_free(&env);
	env_of("err403_token_aj.json", 200, &env);
	assert_false(mailru_parse_validate(&env));
	mailru_env_free(&env);

	env_of("question.json", 200, &env);
	t = mailru_parse_question(&env);
	assert_string_equal(t, "Девичья фамилия матери?");
	free(t);
	mailru_env_free(&env);
}

static void
t_ids(void **state)
{
	char	*s;

	(void)state;
	assert_int_equal(mailru_msgid_time("15226384120000000476"), 1522638412);
	assert_int_equal(mailru_msgid_time("17238435541582434693"), 1723843554);
	assert_int_equal(mailru_msgid_time("123"), -1);
	assert_int_equal(mailru_msgid_time("1522638412x"), -1);
	assert_int_equal(mailru_msgid_time(NULL), -1);
	assert_string_equal(mailru_thread_folder("0:17238435541582434693:0"),
	    "0");
	assert_string_equal(mailru_thread_folder("1:0d356d30519e073b:950"),
	    "950");
	assert_null(mailru_thread_folder("2:abc:0"));
	assert_null(mailru_thread_folder("1::0"));
	assert_null(mailru_thread_folder("1:abc:"));
	assert_null(mailru_thread_folder("1:abc:x"));
	assert_null(mailru_thread_folder(NULL));
	s = mailru_thread_msgid("0:17238435541582434693:950");
	assert_string_equal(s, "17238435541582434693");
	free(s);
	assert_null(mailru_thread_msgid("1:0d356d30519e073b:0"));
	s = mailru_thread_id_single("17238435541582434693", "0");
	assert_string_equal(s, "0:17238435541582434693:0");
	free(s);
	assert_null(mailru_thread_id_single("a:b", "0"));
}

/* The exit address of an IP-echo reply: plain text or {"ip"}, inet_pton. */
static void
ipecho_is(long code, const char *body, size_t len, const char *want)
{
	char	*ip = mailru_parse_ipecho(code, body, len);

	if (want == NULL) {
		if (ip != NULL)
			fail_msg("\"%.*s\": got \"%s\", want none", (int)len,
			    body != NULL ? body : "", ip);
	} else {
		if (ip == NULL)
			fail_msg("\"%.*s\": got none, want \"%s\"",
			    (int)len, body != NULL ? body : "", want);
		assert_string_equal(ip, want);
	}
	free(ip);
}

static void
t_ipecho(void **state)
{
	char	 big[200];

	(void)state;
	ipecho_is(200, SL("203.0.113.7\n"), "203.0.113.7");
	ipecho_is(200, SL("203.0.113.7"), "203.0.113.7");
	ipecho_is(200, SL("203.0.113.7\r\n"), "203.0.113.7");
	ipecho_is(200, SL("203.0.113.7 via proxy\n"), "203.0.113.7");
	ipecho_is(200, SL("{\"ip\":\"1.2.3.4\",\"port\":5}"), "1.2.3.4");
	ipecho_is(200, SL("{\"port\": 5, \"ip\": \"1.2.3.4\"}"), "1.2.3.4");
	ipecho_is(200, SL("2001:db8::1\n"), "2001:db8::1");
	ipecho_is(200, SL("{\"ip\":\"2001:db8::1\"}"), "2001:db8::1");
	ipecho_is(200, SL("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
	/* what is not an address */
	ipecho_is(200, SL("abc"), NULL);
	ipecho_is(200, SL("..."), NULL);
	ipecho_is(200, SL(":::"), NULL);
	ipecho_is(200, SL("1.2.3"), NULL);
	ipecho_is(200, SL("1.2.3.256"), NULL);
	ipecho_is(200, SL("dead:beef"), NULL);
	ipecho_is(200, SL("{\"ip\":\"abc\"}"), NULL);
	ipecho_is(200, SL("{\"ip\":16909060}"), NULL);
	ipecho_is(200, SL("{\"addr\":\"1.2.3.4\"}"), NULL);
	ipecho_is(200, SL("[\"1.2.3.4\"]"), NULL);
	ipecho_is(200, SL(" 1.2.3.4"), NULL);
	ipecho_is(200, SL("<html>1.2.3.4</html>"), NULL);
	/* a NUL ends the word; len bounds the scan */
	ipecho_is(200, SL("1.2.3.4\0junk"), "1.2.3.4");
	ipecho_is(200, "1.2.3.45", 7, "1.2.3.4");
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ipecho_is(200, big, sizeof(big) - 1, NULL);
	/* empty body, other codes */
	ipecho_is(200, SL(""), NULL);
	ipecho_is(200, NULL, 0, NULL);
	ipecho_is(204, SL("1.2.3.4"), NULL);
	ipecho_is(302, SL("1.2.3.4"), NULL);
	ipecho_is(403, SL("{\"ip\":\"1.2.3.4\"}"), NULL);
	ipecho_is(500, SL("1.2.3.4\n"), NULL);
	ipecho_is(0, SL("1.2.3.4"), NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_urlencode),
		cmocka_unit_test(t_hosts_default),
		cmocka_unit_test(t_web_login),
		cmocka_unit_test(t_mobile_login),
		cmocka_unit_test(t_web_common),
		cmocka_unit_test(t_lists),
		cmocka_unit_test(t_actions),
		cmocka_unit_test(t_send),
		cmocka_unit_test(t_envelope),
		cmocka_unit_test(t_web_login_outcomes),
		cmocka_unit_test(t_mobile_outcomes),
		cmocka_unit_test(t_o2),
		cmocka_unit_test(t_threads),
		cmocka_unit_test(t_messages),
		cmocka_unit_test(t_tokens),
		cmocka_unit_test(t_ids),
		cmocka_unit_test(t_ipecho),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
