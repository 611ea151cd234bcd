"""A real HTTP server on 127.0.0.1 for the aggregator's tests and bench (no mocks of requests).

Each path answers with a route: a feed (with ETag / Last-Modified and 304s), a fixed status, a
redirect, a slow answer, or an endless body. Every request is recorded with its headers, and
an endless body records whether the client closed the connection before the end.
"""

import http.server
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""
    delay: float = 0.0
    endless: bool = False  # send chunks until the client hangs up (no Content-Length)


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "AggregatorTestServer"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        feed_server = self.server.feed_server
        feed_server.requests.append((self.path, dict(self.headers)))
        route = feed_server.routes.get(self.path)
        if route is None:
            self._send(404, b"not found", {"Content-Type": "text/plain"})
            return
        if route.delay:
            time.sleep(route.delay)
        if route.endless:
            self._send_endless(route)
            return
        if route.etag and self.headers.get("If-None-Match") == route.etag:
            self._send(304, b"", {"ETag": route.etag})
            return
        if route.last_modified and self.headers.get("If-Modified-Since") == route.last_modified:
            self._send(304, b"", {"Last-Modified": route.last_modified})
            return
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        self._send(route.status, route.body, headers)

    def _send(self, status, body, headers):
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send_endless(self, route):
        sent = 0
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            self.wfile.write(b"<?xml version='1.0'?><rss version='2.0'><channel>")
            chunk = b"<!-- " + b"x" * 65_000 + b" -->"
            while sent < 1024**3:  # a gigabyte: no test waits for the end
                self.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.server.feed_server.aborted[self.path] = sent


class FeedServer:
    def __init__(self, host="127.0.0.1"):
        self.routes = {}
        self.requests = []
        self.aborted = {}
        self._httpd = http.server.ThreadingHTTPServer((host, 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.feed_server = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def base_url(self):
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path):
        return self.base_url + path

    def add(self, path, route=None, **kwargs):
        self.routes[path] = route or Route(**kwargs)
        return self.url(path)

    def feed(self, path, body, content_type="application/rss+xml; charset=utf-8", **kwargs):
        body = body.encode() if isinstance(body, str) else body
        return self.add(path, body=body, headers={"Content-Type": content_type}, **kwargs)

    def redirect(self, path, status, location):
        return self.add(path, status=status, headers={"Location": location})

    def requests_to(self, path):
        return [headers for requested, headers in self.requests if requested == path]


def rss(items, title="Lembaga", link="http://example.org/"):
    """An RSS 2.0 document of ``items``: dicts with guid, title, link, description, pubDate."""
    parts = []
    for item in items:
        fields = "".join(
            f"<{name}>{value}</{name}>" for name, value in item.items() if name != "extra"
        )
        parts.append(f"<item>{fields}{item.get('extra', '')}</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        f"<title>{title}</title><link>{link}</link><description>d</description>"
        f"{''.join(parts)}</channel></rss>"
    )


def rss_items(count, prefix="post"):
    return [
        {
            "guid": f"urn:{prefix}:{n}",
            "title": f"Berita {prefix} {n}",
            "link": f"http://example.org/{prefix}/{n}/",
            "description": f"&lt;p&gt;Isi berita {n}.&lt;/p&gt;",
            "pubDate": f"Mon, {1 + n % 28:02d} Jan 2024 10:00:00 +0000",
        }
        for n in range(count)
    ]
