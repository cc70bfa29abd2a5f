/*
 * Emulator-defined behaviour. The protocol reference leaves these points
 * [unknown]; mailsim picks one behaviour for each and keeps the choice here so
 * it can be changed in one place. README.md lists them in the same order.
 */
#ifndef MAILSIM_DEFINED_H
#define MAILSIM_DEFINED_H

/* D1: host that echoes the client's address (text at "/", JSON at "/json"). */
#define DEF_IPECHO_HOST		"ip.mailsim.test"

/* D2: CSRF token rotation: the previous token stays valid this many seconds. */
#define DEF_TOKEN_GRACE_SEC	30

/* D3: lifetime of an aj access token (seconds) and of the Mpop cookie. */
#define DEF_ACCESS_TTL_SEC	3600
#define DEF_MPOP_DAYS		90

/* D4: messages/message marks the letter read unless read=0 or mark_read=false. */
#define DEF_AUTO_MARK_READ	1

/* D5: every generated or loaded mailbox gets these letters on first use. */
#define DEF_SEED_LETTERS	3

/* D6: --generate credentials: user%05d@<first domain>, password below. */
#define DEF_GEN_LOCAL_FMT	"user%05u"
#define DEF_GEN_PASSWORD_FMT	"pw-%08x"	/* low 32 bits of mix(seed, index) */
#define DEF_GEN_QUESTION	"Девичья фамилия матери?"
#define DEF_GEN_ANSWER_FMT	"answer%05u"

/* D7: default mail domains when --domains is not given. */
#define DEF_DOMAINS		"mail.ru,bk.ru,inbox.ru,list.ru,internet.ru"

/* D8: web secret-question challenge: Location and answer endpoint. */
#define DEF_QUESTION_PATH	"/login/question"	/* on account.mail.ru */
#define DEF_QUESTION_POST	"/cgi-bin/question"	/* on auth.mail.ru */

/* D9: image captcha answer and 2FA code that the emulator accepts. */
#define DEF_CAPTCHA_ANSWER	"mailsim"
#define DEF_TWOFA_CODE		"123456"

/*
 * D10: mobile (aj, mob_json=1) login replies for each outcome. All are
 * HTTP 200 except where the code says otherwise. %s is replaced by a URL or
 * challenge where the template has one.
 */
#define DEF_MOB_FAIL \
	"{\"status\":\"fail\",\"error\":\"invalid_login\",\"body\":\"fail\"}"
#define DEF_MOB_CAPTCHA \
	"{\"status\":\"captcha\",\"captcha\":\"https://c.mail.ru/c/6?mailsim=1\"}"
#define DEF_MOB_RECAPTCHA \
	"{\"status\":\"recaptcha\",\"recaptchaSitekey\":\"mailsim-sitekey\"}"
#define DEF_MOB_SECSTEP \
	"{\"status\":\"secstep\",\"url\":\"%s\"}"
#define DEF_MOB_LOCKED \
	"{\"status\":\"recovery\",\"url\":\"%s\"}"
#define DEF_MOB_BANNED \
	"{\"status\":\"blocked\",\"errno\":25,\"body\":\"user is blocked\"}"
#define DEF_MOB_RATELIMIT \
	"{\"status\":449,\"email\":\"\",\"htmlencoded\":true,\"body\":\"attempts exceeded\"}"
/* secret question: JSON with the question and a challenge id to answer with */
#define DEF_MOB_QUESTION_STATUS	"question"

/* D11: web rate-limit reply: HTTP 429 with an envelope of status 429. */
#define DEF_WEB_RATELIMIT_CODE	429

/* D12: password change endpoint (web and aj), fields old/new. */
#define DEF_PASSWORD_PATH	"/api/v1/user/password"

/* D13: links in body.html are rewritten through this redirector. */
#define DEF_REWRITE_PREFIX	"https://checklink.mail.ru/proxy?url="

/* D14: spam model. p = base + content + SPAM_STEP*spam - SPAM_STEP*unspam */
#define DEF_SPAM_BASE		0.10	/* sender domains without an override */
#define DEF_SPAM_STEP		0.15	/* per report on that sender address */
#define DEF_SPAM_WORD		0.30	/* subject/body has a spam word */
#define DEF_SPAM_CAPS		0.20	/* subject is mostly capitals */
#define DEF_SPAM_LINKS		0.20	/* more than DEF_SPAM_MAXLINKS links */
#define DEF_SPAM_MAXLINKS	5
#define DEF_SPAM_WORDS \
	"viagra", "casino", "lottery", "winner", "bitcoin", \
	"выигрыш", "казино", "бесплатно", "кредит"

/* D15: o2.mail.ru/token errors: HTTP 400 with error/error_code. */
#define DEF_O2_ERR_CODE		400

/* D16: logs kept in memory before the older half is dropped. */
#define DEF_LOG_MAX		200000

/* D17: SMTP limits. */
#define DEF_SMTP_MAX_SIZE	(10 * 1024 * 1024)
#define DEF_SMTP_MAX_RCPT	100
#define DEF_SMTP_IDLE_SEC	300

/* D18: bodies served by the "bad JSON" fault. */
#define DEF_BAD_JSON		"{\"status\":200,\"body\":{\"oops\":"

/* D19: Message-ID domain for letters created by send. */
#define DEF_MSGID_DOMAIN	"mailsim.e.mail.ru"

#endif
