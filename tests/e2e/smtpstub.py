#!/usr/bin/env python3
"""A tiny SMTP server standing in for a receiving MX in the validator's
tests and benchmark (warmctl validate never sends DATA, so neither does
this).  Modes for RCPT TO: accept (every local part: a catch-all),
tempfail (451, as greylisting does), list (accept local parts starting
with "user", 550 for the rest).  --latency-ms delays every reply.

    smtpstub.py --host 127.0.0.2 --port 2525 --mode accept
    -> prints "ready PORT" once listening
"""

import argparse
import asyncio
import sys


async def session(reader, writer, mode, delay):
    async def reply(line):
        if delay:
            await asyncio.sleep(delay)
        writer.write(line.encode() + b"\r\n")
        await writer.drain()

    try:
        await reply("220 stub ESMTP")
        while True:
            raw = await reader.readline()
            if not raw:
                break
            line = raw.decode("latin-1").rstrip("\r\n")
            verb = line[:4].upper()
            if verb == "EHLO":
                writer.write(b"250-stub\r\n")
                await reply("250 PIPELINING")
            elif verb == "HELO" or verb == "MAIL" or verb == "RSET" or verb == "NOOP":
                await reply("250 2.0.0 OK")
            elif verb == "RCPT":
                local = line.partition("<")[2].partition("@")[0]
                if mode == "accept":
                    await reply("250 2.1.5 OK")
                elif mode == "tempfail":
                    await reply("451 4.7.1 Greylisted, try again later")
                elif local.startswith("user"):
                    await reply("250 2.1.5 OK")
                else:
                    await reply("550 5.1.1 User unknown")
            elif verb == "QUIT":
                await reply("221 2.0.0 Bye")
                break
            else:
                await reply("502 5.5.2 Not implemented")
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--mode", choices=("accept", "tempfail", "list"), default="accept")
    ap.add_argument("--latency-ms", type=float, default=0)
    a = ap.parse_args()
    delay = a.latency_ms / 1000.0
    server = await asyncio.start_server(
        lambda r, w: session(r, w, a.mode, delay), a.host, a.port, backlog=1024)
    print("ready %d" % server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
