/*
 * A nonblocking SMTP probe on bufferevents: connect, banner, EHLO (HELO
 * if refused), MAIL FROM, one RCPT TO per recipient, QUIT.  Never DATA.
 * Entering a state sends its command; the reply handler picks the next.
 * One probe is one connection; the caller owns per-domain caps and the
 * walk over a domain's MX addresses (smtpprobe_conn_failed says when to
 * move on).
 */
#ifndef WARMD_SMTPPROBE_H
#define WARMD_SMTPPROBE_H

#include <sys/socket.h>

#define SMTPPROBE_MAX_RCPT	64

struct smtpprobe;

struct smtpprobe_result {
	/* 0: the RCPTs were all answered; -1: network (connect, reset,
	 * timeout); else the SMTP code that ended the session early. */
	int	 session;
	int	 greeted;			/* the banner was 2xx */
	char	 detail[200];			/* the failure, for people */
	int	 nrcpt;
	int	 code[SMTPPROBE_MAX_RCPT];	/* 0: not answered */
	char	 text[SMTPPROBE_MAX_RCPT][80];
};

/* Start probing; cb runs once, from the loop, with the result (valid
 * during the call only); the probe frees itself afterwards.  sa's port
 * must be set.  NULL (and no callback) if the socket cannot be created
 * or the connect fails at once. */
struct smtpprobe *smtpprobe_start(const struct sockaddr *sa, int salen,
		    const char *helo, const char *mail_from,
		    char *const *rcpts, int nrcpt, int timeout_ms,
		    void (*cb)(const struct smtpprobe_result *, void *),
		    void *arg);

/*
 * Whether the session failed at the connection level: no RCPT was
 * answered and the host could not be reached, closed or timed out, did
 * not greet with 2xx, or closed with 421.  Nothing was learnt about the
 * mailboxes, so RFC 5321 5.1 has the client try the next address.  A
 * refused MAIL FROM is not one: the next MX would refuse the sender too.
 */
int	smtpprobe_conn_failed(const struct smtpprobe_result *);

#endif
