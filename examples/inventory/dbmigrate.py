#!/usr/bin/python3
"""The inventory service's migration tool: numbered up/down SQL files, applied in one transaction each.

    dbmigrate.py status          the applied revision
    dbmigrate.py up [REV]        apply every revision up to REV (default: the newest)
    dbmigrate.py down REV        undo every revision above REV (000: all)

The database comes from INVENTORY_DSN.
"""
import os
import re
import sys

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
MIGRATIONS = os.path.join(HERE, "migrations")


def revisions():
    found = {}
    for name in os.listdir(MIGRATIONS):
        m = re.match(r"^(\d{3})_(.+)\.(up|down)\.sql$", name)
        if m:
            found.setdefault(m.group(1), {})[m.group(3)] = os.path.join(MIGRATIONS, name)
    return sorted(found.items())


def connect():
    return psycopg2.connect(os.environ["INVENTORY_DSN"], connect_timeout=3)


def current(cur):
    cur.execute("CREATE TABLE IF NOT EXISTS schema_revisions (revision text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
    cur.execute("SELECT coalesce(max(revision), '000') FROM schema_revisions")
    return cur.fetchone()[0]


def up(target=None):
    conn = connect()
    try:
        for rev, files in revisions():
            if target is not None and rev > target:
                break
            with conn, conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(4242)")
                if rev <= current(cur):
                    continue
                with open(files["up"]) as f:
                    cur.execute(f.read())
                cur.execute("INSERT INTO schema_revisions (revision) VALUES (%s)", (rev,))
                print(f"applied {rev}")
    finally:
        conn.close()


def down(target):
    conn = connect()
    try:
        for rev, files in reversed(revisions()):
            if rev <= target:
                break
            with conn, conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(4242)")
                if rev > current(cur):
                    continue
                with open(files["down"]) as f:
                    cur.execute(f.read())
                cur.execute("DELETE FROM schema_revisions WHERE revision = %s", (rev,))
                print(f"reverted {rev}")
    finally:
        conn.close()


def status():
    conn = connect()
    try:
        with conn, conn.cursor() as cur:
            print(f"revision {current(cur)}")
    finally:
        conn.close()


def main(argv):
    if argv[:1] == ["status"]:
        status()
    elif argv[:1] == ["up"]:
        up(argv[1] if len(argv) > 1 else None)
    elif argv[:1] == ["down"] and len(argv) == 2:
        down(argv[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
