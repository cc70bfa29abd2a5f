/*
 * Logging.  Under systemd (JOURNAL_STREAM set) lines carry "<N>" priority
 * prefixes and no timestamp, because journald adds its own; elsewhere they
 * carry an ISO-8601 timestamp.  The optional file always gets timestamps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>

#include "log.h"
#include "xmalloc.h"

static enum log_level	 cur_level = LL_INFO;
static const char	*prog = "warmd";
static char		*file_path;
static FILE		*file_fp;
static int		 journal;

static const char *const level_names[] = { "error", "warn", "info", "debug" };
/* syslog priorities for the sd-daemon "<N>" prefix. */
static const int level_prio[] = { 3, 4, 6, 7 };

int
log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	if (strcmp(name, "warning") == 0)
		return LL_WARN;
	return -1;
}

const char *
log_level_name(enum log_level lvl)
{
	return level_names[lvl];
}

void
log_init(const char *progname)
{
	prog = progname;
	journal = getenv("JOURNAL_STREAM") != NULL;
}

void
log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level
log_get_level(void)
{
	return cur_level;
}

int
log_set_file(const char *path)
{
	FILE	*fp = NULL;

	if (path != NULL && *path != '\0') {
		if ((fp = fopen(path, "a")) == NULL)
			return -1;
		setvbuf(fp, NULL, _IOLBF, 0);
	}
	if (file_fp != NULL)
		fclose(file_fp);
	free(file_path);
	file_fp = fp;
	file_path = fp != NULL ? xstrdup(path) : NULL;
	return 0;
}

int
log_reopen(void)
{
	FILE	*fp;

	if (file_path == NULL)
		return 0;
	if ((fp = fopen(file_path, "a")) == NULL)
		return -1;
	setvbuf(fp, NULL, _IOLBF, 0);
	fclose(file_fp);
	file_fp = fp;
	return 0;
}

void
log_close(void)
{
	if (file_fp != NULL)
		fclose(file_fp);
	file_fp = NULL;
	free(file_path);
	file_path = NULL;
}

static void
timestamp(char *buf, size_t len)
{
	struct timeval	tv;
	struct tm	tm;
	size_t		n;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ld", (long)tv.tv_usec / 1000);
}

void
log_vmsg(enum log_level lvl, const char *prefix, const char *fmt, va_list ap)
{
	char	 text[2048], ts[40];
	int	 saved = errno;

	if (lvl > cur_level)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	/* One record per line: a newline in data must not forge a log line. */
	for (char *p = text; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';

	if (journal) {
		fprintf(stderr, "<%d>%s%s%s%s\n", level_prio[lvl],
		    prefix ? "[" : "", prefix ? prefix : "", prefix ? "] " : "",
		    text);
	} else {
		timestamp(ts, sizeof(ts));
		fprintf(stderr, "%s %s[%d] %s: %s%s%s%s\n", ts, prog, (int)getpid(),
		    level_names[lvl], prefix ? "[" : "", prefix ? prefix : "",
		    prefix ? "] " : "", text);
	}
	if (file_fp != NULL) {
		timestamp(ts, sizeof(ts));
		fprintf(file_fp, "%s %s[%d] %s: %s%s%s%s\n", ts, prog, (int)getpid(),
		    level_names[lvl], prefix ? "[" : "", prefix ? prefix : "",
		    prefix ? "] " : "", text);
	}
	errno = saved;
}

void
log_msg(enum log_level lvl, const char *prefix, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(lvl, prefix, fmt, ap);
	va_end(ap);
}
