#!/usr/bin/python3
"""The inventory service: stock movements over HTTP, kept in PostgreSQL.

    GET  /healthz            200 "healthy" while the database accepts writes, else 503
    POST /api/stock          {"sku": ..., "amount": ..., "probe_run"?: ..., "probe_seq"?: ...} -> 201 {"movement_id": ...}
    GET  /api/stock?limit=N  the newest movements

Configured by the environment: INVENTORY_DSN (PostgreSQL), LISTEN_PORT, LISTEN_HOST, RELEASE and, for a
release that is known to be broken, FAULTY=1 (every /api/stock request fails).
"""
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import psycopg2
import psycopg2.pool

import dbmigrate

DSN = os.environ["INVENTORY_DSN"]
RELEASE = os.environ.get("RELEASE", "dev")
FAULTY = os.environ.get("FAULTY") == "1"


# Up to 8 connections stay open between requests (psycopg2 closes what is returned beyond minconn): a new
# connection per request costs an authentication and a server process, more than the request itself.
POOL = psycopg2.pool.ThreadedConnectionPool(
    8, 40, DSN, connect_timeout=1, options="-c statement_timeout=2000"
)
# Opens nothing at start (the database may not answer yet), but keeps up to 8 idle connections once it does: a
# pool with minconn 0 closes every connection it is handed back, and a new PostgreSQL connection per request
# misses the 1 s connect timeout on a loaded host.
POOL.minconn = 8


class Conn:
    """A pooled connection for one request; a broken one is discarded, never handed out again."""

    def __enter__(self):
        self.conn = POOL.getconn()
        if self.conn.closed:
            POOL.putconn(self.conn, close=True)
            self.conn = POOL.getconn()
        self.conn.rollback()
        return self.conn

    def __exit__(self, kind, err, tb):
        broken = self.conn.closed or isinstance(err, (psycopg2.OperationalError, psycopg2.InterfaceError))
        if not broken:
            self.conn.rollback()
        POOL.putconn(self.conn, close=bool(broken))
        return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # one line per request is noise under drill traffic
        pass

    def answer(self, status, body):
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("content-type", "text/plain" if isinstance(body, str) else "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-release", RELEASE)
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/healthz":
            try:
                with Conn() as conn, conn.cursor() as cur:
                    cur.execute("SELECT NOT pg_is_in_recovery()")
                    writable = cur.fetchone()[0]
            except psycopg2.Error as e:
                return self.answer(503, f"database unreachable: {str(e).strip()}")
            return self.answer(200, "healthy") if writable else self.answer(503, "database read-only")
        if url.path == "/api/stock":
            if FAULTY:
                return self.answer(500, {"error": f"release {RELEASE} is broken"})
            limit = int(parse_qs(url.query).get("limit", ["10"])[0])
            try:
                with Conn() as conn, conn.cursor() as cur:
                    cur.execute(
                        "SELECT movement_id, sku, amount FROM stock_movements ORDER BY movement_id DESC LIMIT %s",
                        (limit,),
                    )
                    rows = [{"movement_id": r[0], "sku": r[1], "amount": r[2]} for r in cur.fetchall()]
            except psycopg2.Error as e:
                return self.answer(503, {"error": str(e).strip()})
            return self.answer(200, rows)
        self.answer(404, {"error": "not found"})

    def do_POST(self):
        if urlparse(self.path).path != "/api/stock":
            return self.answer(404, {"error": "not found"})
        length = int(self.headers.get("content-length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            sku, amount = str(body["sku"]), int(body["amount"])
        except (ValueError, KeyError, TypeError):
            return self.answer(400, {"error": "need sku and amount", "committed": False})
        if FAULTY:
            return self.answer(500, {"error": f"release {RELEASE} is broken", "committed": False})
        try:
            holder = Conn()
            conn = holder.__enter__()
        except psycopg2.Error as e:
            return self.answer(503, {"error": str(e).strip(), "committed": False})
        err = None
        try:
            try:
                with conn.cursor() as cur:
                    cur.execute(
                        "INSERT INTO stock_movements (sku, amount, probe_run, probe_seq) VALUES (%s, %s, %s, %s) RETURNING movement_id",
                        (sku, amount, body.get("probe_run"), body.get("probe_seq")),
                    )
                    movement_id = cur.fetchone()[0]
            except psycopg2.IntegrityError:
                # The same probe write again: it was committed the first time.
                return self.answer(409, {"error": "duplicate", "committed": True})
            except psycopg2.Error as e:
                err = e
                return self.answer(503, {"error": str(e).strip(), "committed": False})
            try:
                conn.commit()
            except psycopg2.Error as e:
                # The commit may or may not have happened: say so.
                err = e
                return self.answer(500, {"error": str(e).strip()})
            return self.answer(201, {"movement_id": movement_id})
        finally:
            holder.__exit__(type(err) if err else None, err, None)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # Clients open a connection per request: a short listen backlog would drop their SYNs under load.
    request_queue_size = 512


def main():
    # The schema this release needs, applied by the service's own migration tool once the database answers.
    deadline = time.monotonic() + 30
    while True:
        try:
            dbmigrate.up("001")
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    server = Server((os.environ.get("LISTEN_HOST", "127.0.0.1"), int(os.environ["LISTEN_PORT"])), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"inventory {RELEASE} listening on {server.server_address[0]}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
