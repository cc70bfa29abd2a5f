/* Service manager notifications; see notify.h. */
#include "build.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "notify.h"

static void
send_state(const char *state)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

void
notify_ready(void)
{
	send_state("READY=1");
}

void
notify_reloading(void)
{
	char		buf[64];
	struct timespec	ts;

	/* MONOTONIC_USEC lets newer systemd match RELOADING to this signal. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	send_state(buf);
}

void
notify_stopping(void)
{
	send_state("STOPPING=1");
}

void
notify_status(const char *fmt, ...)
{
	char	buf[256];
	va_list	ap;
	int	n;

	n = snprintf(buf, sizeof(buf), "STATUS=");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	send_state(buf);
}
