#!/usr/bin/env python3
"""A real HTTP/1.0 server on loopback (Python's http.server), for the replies nginx never
sends: literal "HTTP/1.0" status lines.

    python3 http10_server.py      # prints "listening on 127.0.0.1:PORT", serves until killed

  /ka      HTTP/1.0 200, Content-Length, "Connection: keep-alive"; the connection stays open
  /len     HTTP/1.0 200, Content-Length, no keep-alive; the server closes after the reply
  /noclen  HTTP/1.0 200 without Content-Length: the body ends when the server closes
"""
import http.server
import sys

BODY = b"hello from http/1.0\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        if self.path in ("/ka", "/len"):
            self.send_header("Content-Length", str(len(BODY)))
        if self.path == "/ka":
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        self.wfile.write(BODY)
        self.close_connection = self.path != "/ka"

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
