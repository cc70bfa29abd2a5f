/*
 * Every mail.ru protocol detail that is not settled lives here: default
 * hosts, paths, field names and the markers that classify login outcomes.
 * Details tagged [unknown] in mailru-protocol.md, and the choices the test
 * emulator made for them ("emulator-defined", tests/mailsim/README.md D-n),
 * are marked so; they are the first things to change once real traffic is
 * seen.  Only mailru_req.c, mailru_parse.c and mailru_html.c include this.
 */
#ifndef WARMD_MAILRU_DEFS_H
#define WARMD_MAILRU_DEFS_H

/* Default base URLs, one per host (§0, §1, §7, §10.6). */
#define MRD_HOST_ACCOUNT	"https://account.mail.ru"
#define MRD_HOST_AUTH		"https://auth.mail.ru"
#define MRD_HOST_E		"https://e.mail.ru"
#define MRD_HOST_AJ		"https://aj-https.mail.ru"
#define MRD_HOST_O2		"https://o2.mail.ru"
#define MRD_HOST_PORTAL		"https://portal.mail.ru"
/* Emulator-defined (D1): the real service has no IP echo of its own. */
#define MRD_HOST_IPECHO		"https://ip.mailsim.test"

/* User agent the mobile flow is expected to send (§7.1, §10.5). */
#define MRD_MOBILE_UA \
	"mobmail android 15.107.0.148045 ru.mail.mailapp"

/* Web login (§1.1-§1.3). */
#define MRD_PATH_LOGIN_PAGE	"/login"
#define MRD_PATH_WEB_AUTH	"/cgi-bin/auth"
#define MRD_PATH_SDC		"/sdc"
#define MRD_PATH_COPPER		"/api/v1/user/copper"
#define MRD_PATH_SECSTEP	"/cgi-bin/secstep"
#define MRD_PATH_LOGOUT		"/cgi-bin/logout"
#define MRD_PATH_NAVIDATA	"/NaviData"
#define MRD_DEFAULT_PAGE	"https://e.mail.ru/inbox/"
#define MRD_FROM_ACCOUNT	"opener=account&allow_external=1&twoSteps=1"
#define MRD_LANG		"ru_RU"
#define MRD_ACT_COOKIE		"act"

/*
 * Secret question, web (emulator-defined D8; the real flow is [unknown],
 * §1.6): cgi-bin/auth redirects to MRD_QUESTION_PAGE?chal=..., the question
 * text is at MRD_QUESTION_API?chal=... and the answer is posted to
 * MRD_QUESTION_POST on the auth host.
 */
#define MRD_QUESTION_PAGE	"/login/question"
#define MRD_QUESTION_API	"/api/v1/user/question"
#define MRD_QUESTION_POST	"/cgi-bin/question"
#define MRD_QUESTION_CHAL	"chal"
#define MRD_QUESTION_ANSWER	"answer"

/* Mobile login (§7.1, §10.1). */
#define MRD_PATH_MOB_AUTH	"/cgi-bin/auth"
#define MRD_MOB_MP		"android"
/* Emulator-defined (D10): answering the question repeats the login. */
#define MRD_MOB_CHALLENGE	"challenge"
#define MRD_MOB_ANSWER		"answer"
#define MRD_MOB_QUESTION_STATUS	"question"

/* o2 refresh (§10.2); the mail app's client_id is [unknown]. */
#define MRD_PATH_O2_TOKEN	"/token"
#define MRD_O2_CLIENT_ID	"cloud-android"

/* Web API (§2-§4); the aj host serves the same paths (§7.1). */
#define MRD_API			"/api/v1/"
#define MRD_EP_USER_SHORT	"user/short"
#define MRD_EP_TOKENS		"tokens"
#define MRD_EP_FOLDERS		"folders"
#define MRD_EP_THREADS		"threads/status/smart"
#define MRD_EP_M_THREADS	"m/threads/status/smart"
#define MRD_EP_MSG_STATUS	"messages/status"
#define MRD_EP_THREAD		"threads/thread"
#define MRD_EP_MESSAGE		"messages/message"
#define MRD_EP_MSG_MARKS	"messages/marks"
#define MRD_EP_THR_MARKS	"threads/marks"
#define MRD_EP_THR_MOVE		"threads/move"
#define MRD_EP_MSG_MOVE		"messages/move"
#define MRD_EP_MSG_SPAM		"messages/services/spam"
#define MRD_EP_MSG_UNSPAM	"messages/services/unspam"
#define MRD_EP_THR_SPAM		"m/threads/services/spam"
#define MRD_EP_THR_UNSPAM	"m/threads/services/unspam"
#define MRD_EP_SEARCH		"k8s/messages/search"
#define MRD_EP_SEND_WEB		"k8s/messages/send"
#define MRD_EP_SEND_AJ		"messages/send"
/* Emulator-defined (D12): the real endpoint is [unknown] (§4.8). */
#define MRD_EP_PASSWORD		"user/password"
#define MRD_PW_OLD		"old"
#define MRD_PW_NEW		"new"

/* Mark names (§4.1). */
#define MRD_MARK_UNREAD		"unread"
#define MRD_MARK_FLAGGED	"flagged"

/* Web list defaults (§3.3). */
#define MRD_SORT_DATE		"{\"type\":\"date\",\"order\":\"desc\"}"
#define MRD_SORT_ID		"{\"type\":\"id\",\"order\":\"desc\"}"
#define MRD_CUSTOM_METATHREADS	"[\"tomyself\"]"

/* Referer page per folder on the web host (§2.2). */
#define MRD_REFERER_INBOX	"/inbox/"
#define MRD_REFERER_SPAM	"/spam/"

/*
 * Web login outcomes: substrings of the Location of cgi-bin/auth, tried
 * in the order of mailru_parse.c's table (§1.5 as reordered by §10.4).
 * errno=25 comes from third-party notes only; it is kept because it is
 * harmless.
 */
#define MRD_LOC_COPPER		"user/login?login"
#define MRD_LOC_RECAPTCHA	"recaptcha"
#define MRD_LOC_BANNED		"errno=25"
#define MRD_LOC_FAIL		"fail"
#define MRD_LOC_RECOVERY	"recovery"
#define MRD_LOC_UKEY		"ukey"
#define MRD_LOC_SECSTEP		"cgi-bin/secstep"
#define MRD_LOC_SUCCESS		"inbox"
#define MRD_LOC_SUCCESS_LIGHT	"messages/"

/* Redirectors (§4.5). */
#define MRD_REDIR_PROXY_PATH	"/proxy"
#define MRD_REDIR_PROXY_KEY	"url"
#define MRD_REDIR_CLICK_PATH	"/redir"
#define MRD_REDIR_CLICK_KEY	"u"

/* Embedded token (§2.1). */
#define MRD_SOTA_SCRIPT_ID	"sota.config"
#define MRD_PATRON_TOKEN	"patron.updateToken(\""

#endif
