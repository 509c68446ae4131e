"""A small HTTP/1.1 test service for the scenario tests (scenario_*.py), on a free loopback
port in a thread of the test itself (Python's http.server; keep-alive, Content-Length on every
reply). Its routes give replies that [[rules]] pass or fail on purpose:

  /json      200 application/json {"access_token":"t-<n>","n":<n>}
  /html      200 text/html <html>hello</html>
  /missing   404 text/plain
  /slow      200 after `slow_s` seconds (a reply slower than a max_latency)
  /chunked   200 Transfer-Encoding: chunked, "nee" + "dle" in two chunks
  /login     POST a JSON body {"user": …}: 200 {"access_token":"tok-<n>"} (a new token), 400
             when the body is not JSON of exactly Content-Length bytes
  /profile   200 when "Authorization: Bearer <token>" names a token /login issued, else 401
  anything else 404

It counts the requests per path (`seen`), so a test can tell what reached it.
"""
import collections
import http.server
import json
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1, quiet. A service subclasses it with route(path, body); reply()
    always sends Content-Length."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, ctype, body, extra=()):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.route(self.path.split("?")[0], body)

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()


class LoopbackServer:
    """Serves `handler` (a Handler subclass) on a free 127.0.0.1 port from a daemon thread;
    `port`, close()."""

    def __init__(self, handler):
        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 256  # 100 instances may connect at once
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Service(LoopbackServer):
    def __init__(self, slow_s=0.3):
        self.slow_s = slow_s
        self.seen = collections.Counter()
        self.tokens = set()
        self.logins = []  # the JSON bodies /login accepted
        self.lock = threading.Lock()
        service = self

        class Routes(Handler):
            def route(self, path, body):
                with service.lock:
                    service.seen[path] += 1
                    n = service.seen[path]
                if path == "/json":
                    self.reply(200, "application/json",
                               '{"access_token":"t-%d","n":%d}' % (n, n))
                elif path == "/html":
                    self.reply(200, "text/html", "<html>hello</html>")
                elif path == "/slow":
                    time.sleep(service.slow_s)
                    self.reply(200, "text/plain", "slow")
                elif path == "/login":
                    try:
                        who = json.loads(body)
                    except ValueError:
                        self.reply(400, "text/plain", "bad json")
                        return
                    with service.lock:
                        token = "tok-%d" % n
                        service.tokens.add(token)
                        service.logins.append(who)
                    self.reply(200, "application/json", json.dumps({"access_token": token}))
                elif path == "/profile":
                    auth = self.headers.get("Authorization") or ""
                    with service.lock:
                        ok = auth.startswith("Bearer ") and auth[7:] in service.tokens
                    if ok:
                        self.reply(200, "application/json", '{"ok":true}')
                    else:
                        self.reply(401, "text/plain", "who are you")
                elif path == "/chunked":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.write(b"3\r\nnee\r\n3\r\ndle\r\n0\r\n\r\n")
                else:
                    self.reply(404, "text/plain", "not here")

        super().__init__(Routes)
