"""A local stand-in for Telegram's Bot API (sendMessage), started by the
tests that check warmd's alerts, and the [alerts] keys pointing at it."""

import http.server
import json
import threading
import urllib.parse

TOKEN = "123456:SECRET-bot-token-xyz"
CHAT = "-1001234"


class BotAPI:
    """sendMessage recorder; fail is a list of statuses answered first
    (500, 429...) before 200s."""

    def __init__(self, fail=()):
        self.messages, self.requests, self.fail = [], [], list(fail)
        api = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                form = urllib.parse.parse_qs(body.decode())
                api.requests.append((self.path, form))
                if api.fail:
                    code = api.fail.pop(0)
                    out = {"ok": False, "error_code": code, "description": "busy"}
                    if code == 429:
                        out["parameters"] = {"retry_after": 1}
                else:
                    code = 200
                    api.messages.append((self.path, form))
                    out = {"ok": True, "result": {"message_id": len(api.messages)}}
                data = json.dumps(out).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def texts(self):
        return [f["text"][0] for _, f in self.messages]

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def alerts_conf(bot, window="3s"):
    return {"alerts": {"telegram_token": TOKEN, "telegram_chat_id": CHAT,
                       "telegram_url": bot.url, "window": window}}
