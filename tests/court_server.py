"""A real HTTP server on 127.0.0.1 standing in for a court's site: tests never touch the internet."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.requests.append(self)
        route = self.server.routes.get(urlsplit(self.path).path)
        if route is None:
            self.reply(404, b"not here")
        else:
            route(self)

    def reply(self, status, body=b"", *, content_type="text/html; charset=utf-8", headers=()):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def drip(self, chunks, *, delay=0.0, content_type="text/html"):
        """A body of unknown length, ended by closing the connection, sent chunk by chunk."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Connection", "close")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(chunk)
            self.wfile.flush()
            time.sleep(delay)

    def log_message(self, format, *args):
        pass


class Server(ThreadingHTTPServer):
    block_on_close = False  # slow handlers end on their own once the client has hung up

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes = {}
        self.requests = []

    def url(self, path):
        return f"http://127.0.0.1:{self.server_port}{path}"

    def handle_error(self, request, client_address):
        pass  # the client hanging up on a slow or huge response is what these tests do


@pytest.fixture
def server(settings):
    settings.COURT_HOSTS = ["127.0.0.1"]
    settings.FETCH_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.FETCH_MIN_INTERVAL = 0
    httpd = Server()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def route(server, path, **reply):
    server.routes[path] = lambda handler: handler.reply(**reply)
