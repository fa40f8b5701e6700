#!/usr/bin/env python3
"""The PostgreSQL baseline of the submit benchmark: the SQL of one real `POST /tickets`,
replayed by pgbench (standard library only).

  capture: with `log_statement = all` set on the bench database (bench/run does it, and only
           there), signs in, sends one submission, and turns the statements the server ran for
           it (read from the PostgreSQL log) into a pgbench script on standard output: bound
           parameters written in as literals, and the values that must differ per transaction
           (the ticket number and code, the new ticket's and event's ids, the idempotency key)
           replaced by pgbench variables taken with `\\gset`.
  run:     runs a script with pgbench (N clients, one connection each; `--mode prepared` to
           parse and plan each statement once per connection) and prints one JSON line like the
           other tools (throughput, p50/p99 from pgbench's per-transaction log). It also runs
           the floors of issue 16 (bench/sql/*_floor.pgbench).
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

LOG = "/var/log/postgresql/postgresql-15-main.log"


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, method=method, data=body.encode() if body else None)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    with urllib.request.urlopen(req, timeout=30) as res:
        return res.status, json.loads(res.read() or b"null")


def parse_params(detail):
    """`$1 = 'a''b', $2 = NULL, ...` -> {1: "'a''b'", 2: "NULL"} (values kept as SQL literals)."""
    out, i = {}, 0
    pat = re.compile(r"\$(\d+) = ")
    while True:
        m = pat.search(detail, i)
        if not m:
            return out
        n, j = int(m.group(1)), m.end()
        if detail.startswith("NULL", j):
            out[n], i = "NULL", j + 4
            continue
        assert detail[j] == "'", detail[j:j + 40]
        k = j + 1
        while True:
            q = detail.index("'", k)
            if q + 1 < len(detail) and detail[q + 1] == "'":
                k = q + 2
                continue
            break
        out[n], i = detail[j:q + 1], q + 1


def statements(lines, db):
    """The statements (with their parameters bound) of sessions on `db`, in order."""
    prefix = re.compile(r"^\S+ \S+ UTC \[(\d+)\] \S*@" + re.escape(db) + r" (LOG|DETAIL):  (.*)$")
    out = []
    for line in lines:
        m = prefix.match(line.rstrip("\n"))
        if not m:
            if out and not re.match(r"^\d{4}-\d\d-\d\d ", line):
                out[-1][1] += "\n" + line.rstrip("\n")  # a continued multi-line message
            continue
        kind, text = m.group(2), m.group(3)
        if kind == "LOG":
            s = re.match(r"^(?:statement|execute [^:]*): (.*)$", text, re.S)
            if s:
                out.append([s.group(1), None])
        elif kind == "DETAIL" and out and text.startswith("parameters: "):
            out[-1][1] = text[len("parameters: "):]
    bound = []
    for sql, detail in out:
        if detail:
            params = parse_params(detail)
            for n in sorted(params, reverse=True):
                sql = sql.replace(f"${n}", params[n].replace("\\", "\\\\"))
        bound.append(sql)
    return bound


def capture(a):
    base = a.api
    _, tok = http("POST", base + "/auth/login", json.dumps({"email": a.email, "password": a.password}),
                  {"Content-Type": "application/json"})
    token = tok["access_token"]
    time.sleep(0.5)
    start = os.path.getsize(LOG)
    key = f"pgbench-capture-{int(time.time())}"
    status, t = http("POST", base + "/tickets", a.body, {
        "Content-Type": "application/json", "Authorization": "Bearer " + token,
        "Idempotency-Key": key})
    time.sleep(1.0)
    with open(LOG, errors="replace") as f:
        f.seek(start)
        lines = f.readlines()
    sqls = statements(lines, a.db)
    if not sqls:
        sys.exit("no statements captured: is log_statement = all set on the database?")
    code, tid = t["code"], None
    # The new ticket's id: from the INSERT INTO tickets's RETURNING (look it up).
    out = subprocess.run(["psql", f"{a.pg_url}/{a.db}", "-Atc",
                          f"SELECT id FROM tickets WHERE code = '{code}'"],
                         capture_output=True, text=True, check=True).stdout.split()
    tid = out[0]
    ev = subprocess.run(["psql", f"{a.pg_url}/{a.db}", "-Atc",
                         f"SELECT id FROM ticket_events WHERE ticket_id = {tid} ORDER BY seq LIMIT 1"],
                        capture_output=True, text=True, check=True).stdout.split()[0]
    number = code.rsplit(".", 1)[1]
    script = ["-- One POST /tickets as the server ran it (captured by bench/pgbench_script.py)."]
    for sql in sqls:
        s = sql
        s = s.replace(f"'{code}'", "'PAKN.PGB.:seq_n'")
        s = s.replace(key, "pgb-:client_id-:seq_n")
        # A whole literal becomes the variable; inside a longer literal (JSON, a
        # de-duplication key) the literal is cut around it: `'…:' || :e_id || '…'` (pgbench
        # would read `…::e_id` as a cast and leave it alone).
        for value, var in ((tid, ":t_id"), (ev, ":e_id")):
            s = s.replace(f"'{value}'", var)
            s = re.sub(rf"(?<![\w.]){value}(?![\w.])", f"' || {var} || '", s)
        s = s.replace(f"PAKN.{code.split('.')[1]}.{number}", "PAKN.PGB.:seq_n")
        # `::` casts must stay casts; pgbench leaves `::name` alone.
        script.append(s.replace("\n", " ") + ";")
        if "nextval('ticket_number_seq')" in s:
            script.append("\\gset seq_")
        elif s.startswith('INSERT INTO "tickets"') and "RETURNING" in s:
            script.append("\\gset t_")
        elif s.startswith('INSERT INTO "ticket_events"') and "RETURNING" in s:
            script.append("\\gset e_")
    print("\n".join(script))
    print(f"captured {len(sqls)} statements for ticket {code} (id {tid}, event {ev})", file=sys.stderr)


def run(a):
    with tempfile.TemporaryDirectory() as d:
        cmd = ["pgbench", "-n", "-c", str(a.clients), "-j", "1", "-T", str(a.seconds),
               "-M", a.mode, "-f", os.path.abspath(a.script), "-l", "--log-prefix",
               os.path.join(d, "tx")]
        for define in a.define:
            cmd += ["-D", define]
        cmd.append(a.pg_url)
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=d)
        lat = []
        failed = 0
        for path in glob.glob(os.path.join(d, "tx*")):
            for line in open(path):
                f = line.split()
                if len(f) >= 3:
                    if f[2] in ("failed", "skipped"):
                        failed += 1
                    else:
                        lat.append(int(f[2]))
        tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", res.stdout)
        errors = re.findall(r"(?m)^.*(?:ERROR|error).*$", res.stderr)[:3]
        lat.sort()

        def q(p):
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] / 1000.0, 2) if lat else 0

        ok = len(lat)
        print(json.dumps({
            "name": a.name, "concurrency": a.clients, "requests": ok + failed,
            "ok": ok, "errors": failed + (0 if res.returncode == 0 else 1),
            "seconds": a.seconds, "per_second": round(float(tps.group(1)), 2) if tps else 0,
            "p50_ms": q(0.5), "p99_ms": q(0.99), "max_ms": q(1.0) if lat else 0,
            "error_samples": errors, "command": " ".join(cmd[:-1]),
        }))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--db", required=True)
    c.add_argument("--api", required=True)
    c.add_argument("--email", required=True)
    c.add_argument("--password", required=True)
    c.add_argument("--body", required=True)
    c.add_argument("--pg-url", required=True)
    r = sub.add_parser("run")
    r.add_argument("--script", required=True)
    r.add_argument("--name", default="submit-pgbench")
    r.add_argument("--define", action="append", default=[], help="NAME=VALUE, a pgbench variable")
    r.add_argument("--mode", choices=("simple", "extended", "prepared"), default="simple",
                   help="pgbench's query protocol (-M)")
    r.add_argument("--pg-url", required=True)
    r.add_argument("--clients", type=int, default=16)
    r.add_argument("--duration", default="10s")
    a = p.parse_args()
    if a.cmd == "capture":
        capture(a)
    else:
        d = a.duration
        a.seconds = int(float(d[:-2]) / 1000) if d.endswith("ms") else \
            int(float(d[:-1]) * 60) if d.endswith("m") else int(float(d.rstrip("s")))
        a.seconds = max(a.seconds, 1)
        run(a)


if __name__ == "__main__":
    main()
