"""A small stand-in for Akismet's REST API on a loopback port, for the spam-check tests.

It answers `comment-check` as Akismet does ("true" for spam, "false" for ham; "invalid" for a
key it doesn't know) and records every request it gets, so tests can see what we sent.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

VALID_KEY = "akismet-test-key"
SPAM_WORD = "viagra"  # Akismet's documented test: author "viagra-test-123" is always spam


class FakeAkismet:
    def __init__(self):
        self.requests: list[dict] = []
        self.broken = False
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                fake.requests.append({"path": self.path, "form": form})
                if fake.broken:
                    self.send_response(500)
                    self.end_headers()
                    return
                if self.path == "/1.1/comment-check":
                    if form.get("api_key") != VALID_KEY:
                        body = "invalid"
                    else:
                        text = form.get("comment_content", "") + form.get("comment_author", "")
                        body = "true" if SPAM_WORD in text.lower() else "false"
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        return Handler

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
