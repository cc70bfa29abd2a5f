/*
 * Minimal HTML for a person with a browser: the login form, the secret
 * question form, and a one-page mailbox that calls the same JSON API with
 * fetch(). Non-API paths of e.mail.ru also drive the login and sdc redirects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defined.h"
#include "mailsim.h"

static char *
esc(const char *s)
{
	size_t n = 0, o = 0;
	const char *p;
	char *r;

	for (p = s; *p != '\0'; p++)
		n += strchr("<>&\"'", *p) != NULL ? 6 : 1;
	r = xcalloc(n + 1, 1);
	for (p = s; *p != '\0'; p++) {
		const char *e = *p == '<' ? "&lt;" : *p == '>' ? "&gt;" :
		    *p == '&' ? "&amp;" : *p == '"' ? "&quot;" :
		    *p == '\'' ? "&#39;" : NULL;

		if (e != NULL) {
			memcpy(r + o, e, strlen(e));
			o += strlen(e);
		} else
			r[o++] = *p;
	}
	return (r);
}

void
pages_login(struct hreq *h, const char *act)
{
	const char *page = hreq_param(h, "page");
	char *ep = esc(page != NULL ? page : "https://e.mail.ru/inbox/");
	char *ea = esc(act), *html;

	html = xasprintf("<!doctype html><html><head><meta charset=utf-8>"
	    "<title>Вход — mailsim</title></head><body><h1>Вход в Почту</h1>"
	    "<form method=post action=\"https://auth.mail.ru/cgi-bin/auth\">"
	    "<input type=hidden name=act_token value=\"%s\">"
	    "<input type=hidden name=page value=\"%s\">"
	    "<input type=hidden name=saveauth value=1>"
	    "<input type=hidden name=new_auth_form value=1>"
	    "<p><input name=Login placeholder=\"user@mail.ru\"></p>"
	    "<p><input name=Password type=password placeholder=\"Пароль\"></p>"
	    "<p><button>Войти</button></p></form></body></html>", ea, ep);
	hreq_html(h, 200, html);
	free(html);
	free(ep);
	free(ea);
}

void
pages_question(struct hreq *h, const char *question, const char *chal)
{
	char *eq = esc(question), *ec = esc(chal), *html;

	html = xasprintf("<!doctype html><html><head><meta charset=utf-8>"
	    "<title>Контрольный вопрос</title></head><body>"
	    "<h1>Контрольный вопрос</h1><p id=question>%s</p>"
	    "<form method=post action=\"https://auth.mail.ru%s\">"
	    "<input type=hidden name=chal value=\"%s\">"
	    "<input name=answer><button>Ответить</button></form>"
	    "</body></html>", eq, DEF_QUESTION_POST, ec);
	hreq_html(h, 200, html);
	free(html);
	free(eq);
	free(ec);
}

static const char app_html[] =
"<!doctype html><html><head><meta charset=utf-8><title>Почта — mailsim"
"</title><style>body{font-family:sans-serif;display:flex}"
"#f{width:12em}#l{width:30em}#m{flex:1;padding:0 1em}"
"li{cursor:pointer}.u{font-weight:bold}</style></head><body>"
"<ul id=f></ul><ul id=l></ul><div id=m></div><script>\n"
"let T='',F=0;\n"
"async function api(p,a,post){a=Object.assign({htmlencoded:'false',"
"token:T},a||{});let q=new URLSearchParams(a);let r=post?await fetch("
"'/api/v1/'+p,{method:'POST',body:q}):await fetch('/api/v1/'+p+'?'+q);"
"let j=await r.json();if(j.status==403&&j.body=='token'){await tok();"
"return api(p,a,post)}return j}\n"
"async function tok(){let j=await api('user/short',{},true);"
"T=j.body.token}\n"
"function el(t,x){let e=document.createElement(t);e.textContent=x;"
"return e}\n"
"async function folders(){let j=await api('folders');let f="
"document.getElementById('f');f.innerHTML='';for(const x of j.body){"
"let li=el('li',x.name+' ('+x.messages_unread+'/'+x.messages_total+')');"
"li.onclick=()=>list(+x.id);f.appendChild(li)}}\n"
"async function list(fo){F=fo;let j=await api('threads/status/smart',"
"{folder:fo,offset:0,limit:50});let l=document.getElementById('l');"
"l.innerHTML='';for(const t of j.body.threads){let li=el('li',"
"t.correspondents.from[0].email+' — '+t.subject);if(t.flags.unread)"
"li.className='u';li.onclick=()=>show(t.last);l.appendChild(li)}}\n"
"async function show(id){let j=await api('messages/message',{id:id});"
"let b=j.body,m=document.getElementById('m');m.innerHTML='';"
"m.appendChild(el('h2',b.subject));m.appendChild(el('p',"
"b.correspondents.from[0].email));let d=document.createElement('div');"
"d.innerHTML=b.body.html||'';if(!b.body.html)d.textContent=b.body.text;"
"m.appendChild(d);let bs=[['Не спам',()=>api('messages/services/unspam',"
"{ids:JSON.stringify([id])},true)],['Спам',()=>api("
"'messages/services/spam',{ids:JSON.stringify([id])},true)],"
"['Флажок',()=>api('messages/marks',{marks:JSON.stringify([{name:"
"'flagged',set:[id],folder:F}])},true)],['Ответить',()=>{let t=prompt("
"'Текст ответа');if(t!==null)return api('messages/send',{"
"correspondents:JSON.stringify({to:b.correspondents.from[0].email}),"
"subject:'Re: '+b.subject,body:JSON.stringify({text:t}),source:"
"JSON.stringify({reply:id})},true)}]];for(const [n,f] of bs){let x="
"el('button',n);x.onclick=async()=>{await f();await folders();"
"await list(F)};m.appendChild(x)}await folders()}\n"
"(async()=>{await tok();await folders();await list(0)})();\n"
"</script></body></html>";

/* e.mail.ru pages: login redirect, sdc redirect, or the mailbox app. */
void
pages_mailbox(struct hreq *h)
{
	struct session *s;
	char *url, *eu, *loc;

	switch (auth_web_session(h, &s)) {
	case 1:
		auth_web_need_login(h);
		return;
	case 2:
		url = hreq_full_url(h);
		eu = url_encode(url);
		loc = xasprintf("https://auth.mail.ru/sdc?from=%s", eu);
		hreq_header_out(h, "X-Mru-Sota-Response", "1");
		hreq_redirect(h, loc);
		free(loc);
		free(eu);
		free(url);
		return;
	}
	hreq_html(h, 200, app_html);
}
