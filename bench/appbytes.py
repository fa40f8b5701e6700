#!/usr/bin/env python3
"""Bytes on the wire for a day of typical use of the citizen's app, before and after issue 21
(compression, ETag revalidation, delta sync). Standard library only; talks plain HTTP/1.1 to
the running server over its own sockets and counts every byte each way (request and response
lines, headers and bodies as sent: compressed bodies compressed, chunked framing included; one
connection per request, `Connection: close`, in both columns alike; TCP/IP and TLS overhead not
counted).

The day: open the app (`GET /me`, `GET /categories`, `GET /me/notifications`), list my tickets
(`GET /me/tickets`), open two of them (`GET /tickets/{code}` and its `/events` each: one was
answered overnight, the other did not change), upload one photo (`POST /uploads`).

- before: plain full fetches, no `Accept-Encoding`, no `If-None-Match`, the lists' first pages;
- after: `Accept-Encoding: br, gzip` on every request; `If-None-Match` with the tags the app
  kept from yesterday (the unchanged ticket, the categories and the profile revalidate to 304);
  the two lists as deltas with yesterday's `sync_token`.

Yesterday (not counted): the citizen submitted `--tickets` tickets, the unit accepted most and
answered some, and the app synced. Overnight (not counted): one ticket was answered, and time
passed (a second here: an open ticket's view, and so its ETag, changes with its running clocks).

Usage: appbytes.py --api http://127.0.0.1:18080/api/v1 --citizen EMAIL --official EMAIL
                   --password PW --photo FILE [--tickets 12]
Prints a table on stderr and one JSON line on stdout.
"""
import argparse
import json
import socket
import sys
import time
import urllib.parse
import uuid

SUBMISSION = {
    "kind": "feedback",
    "category": "duong-hong",
    "title": "Ổ gà trước số 12",
    "description": "Ổ gà lớn giữa làn xe máy, trời mưa đọng nước nên rất khó thấy; đã có người ngã.",
    "area_code": "31135",
    "attributes": {"size": "large"},
}
EPOCH = "2000-01-01T00:00:00Z"


class Response:
    def __init__(self, status, headers, body, sent, received):
        self.status, self.headers, self.body = status, headers, body
        self.sent, self.received = sent, received

    def json(self):
        return json.loads(self.body)


class Wire:
    """HTTP/1.1 over a fresh socket per request, counting bytes each way."""

    def __init__(self, api):
        u = urllib.parse.urlparse(api)
        self.host, self.port, self.prefix = u.hostname, u.port or 80, u.path.rstrip("/")

    def request(self, method, path, headers=(), body=b""):
        lines = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 "User-Agent: nghedan-app/2.4.1 (Android 14)", "Accept: application/json"]
        lines += [f"{k}: {v}" for k, v in headers]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        lines.append("Connection: close")
        raw_request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        with socket.create_connection((self.host, self.port), timeout=60) as s:
            s.sendall(raw_request)
            chunks = []
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
        raw = b"".join(chunks)
        head, _, payload = raw.partition(b"\r\n\r\n")
        head_lines = head.decode("latin-1").split("\r\n")
        status = int(head_lines[0].split()[1])
        hdrs = {}
        for line in head_lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        if hdrs.get("transfer-encoding", "").lower() == "chunked":
            payload = dechunk(payload)
        return Response(status, hdrs, payload, len(raw_request), len(raw))


def dechunk(data):
    out, i = b"", 0
    while True:
        j = data.index(b"\r\n", i)
        size = int(data[i:j].split(b";")[0], 16)
        if size == 0:
            return out
        out += data[j + 2:j + 2 + size]
        i = j + 2 + size + 2


def ok(res, *statuses, what=""):
    if res.status not in (statuses or (200,)):
        sys.exit(f"appbytes: {what}: HTTP {res.status}: {res.body[:300]!r}")
    return res


def login(w, email, password):
    body = json.dumps({"email": email, "password": password}).encode()
    res = ok(w.request("POST", "/auth/login", [("Content-Type", "application/json")], body),
             what=f"login {email}")
    return res.json()["access_token"]


def bearer(token):
    return ("Authorization", f"Bearer {token}")


def post_json(w, token, path, value, idempotent=False):
    headers = [bearer(token), ("Content-Type", "application/json")]
    if idempotent:
        headers.append(("Idempotency-Key", uuid.uuid4().hex))
    return w.request("POST", path, headers, json.dumps(value).encode())


def delta(w, token, path, query):
    """Every page of a delta; returns the token for next time."""
    res = ok(w.request("GET", f"{path}?{query}", [bearer(token)]), what=path).json()
    while res["has_more"]:
        res = ok(w.request("GET", f"{path}?sync_token={res['sync_token']}", [bearer(token)]),
                 what=path).json()
    return res["sync_token"]


def multipart(photo):
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"IMG_2041.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode()
    return f"multipart/form-data; boundary={boundary}", head + photo + f"\r\n--{boundary}--\r\n".encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", required=True)
    ap.add_argument("--citizen", required=True)
    ap.add_argument("--official", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--photo", required=True)
    ap.add_argument("--tickets", type=int, default=12)
    a = ap.parse_args()
    w = Wire(a.api)
    photo = open(a.photo, "rb").read()
    citizen = login(w, a.citizen, a.password)
    official = login(w, a.official, a.password)

    # Yesterday: the citizen's tickets, most accepted, some answered.
    codes = []
    for i in range(a.tickets):
        res = ok(post_json(w, citizen, "/tickets", dict(SUBMISSION, title=f"Ổ gà trước số {12 + i}"),
                           idempotent=True), 201, what="submit")
        codes.append(res.json()["code"])
    for i, code in enumerate(codes):
        if i % 4 != 3:
            ok(post_json(w, official, f"/tickets/{code}/accept", {}), what="accept")
        if i % 4 == 0:
            ok(post_json(w, official, f"/tickets/{code}/resolve",
                         {"answer": "Đơn vị đã vá ổ gà và cắm biển cảnh báo trong lúc chờ khô."}),
               what="resolve")
    changed, unchanged = codes[1], codes[2]
    opened = [changed, unchanged]

    # Yesterday evening the app synced and kept its tags (none of this is counted).
    tags = {}
    for path in ["/me", "/categories"] + [p for c in opened for p in (f"/tickets/{c}", f"/tickets/{c}/events")]:
        tags[path] = ok(w.request("GET", path, [bearer(citizen)]), what=path).headers["etag"]
    tokens = {
        "/me/notifications": delta(w, citizen, "/me/notifications", f"since={EPOCH}"),
        "/me/tickets": delta(w, citizen, "/me/tickets", f"updated_since={EPOCH}"),
    }

    # A night passes. At least a second must, for what depends on the time to change as it
    # would overnight: an open ticket's view shows its running deadline clocks in seconds.
    time.sleep(1.1)

    # Overnight: one of the two tickets the citizen will open is answered.
    ok(post_json(w, official, f"/tickets/{changed}/resolve",
                 {"answer": "Đã vá xong ổ gà; mời ông/bà kiểm tra và đánh giá."}), what="resolve")

    steps = [
        ("open the app", "GET", "/me"),
        ("open the app", "GET", "/categories"),
        ("open the app", "GET", "/me/notifications"),
        ("list my tickets", "GET", "/me/tickets"),
    ] + [("open two tickets", "GET", p) for c in opened for p in (f"/tickets/{c}", f"/tickets/{c}/events")] + [
        ("upload one photo", "POST", "/uploads"),
    ]
    result = {"photo_bytes": len(photo), "tickets": a.tickets, "modes": {}}
    for mode in ("before", "after"):
        rows = []
        for group, method, path in steps:
            headers = [bearer(citizen)]
            target = path
            if mode == "after":
                headers.append(("Accept-Encoding", "br, gzip"))
                if path in tags:
                    headers.append(("If-None-Match", tags[path]))
                if path in tokens:
                    target = f"{path}?sync_token={tokens[path]}"
            if method == "POST":
                ctype, body = multipart(photo)
                headers += [("Content-Type", ctype), ("Idempotency-Key", uuid.uuid4().hex)]
                res = ok(w.request("POST", target, headers, body), 201, what="upload")
            else:
                res = ok(w.request("GET", target, headers), 200, 304, what=target)
            rows.append({"group": group, "request": f"{method} {path}", "status": res.status,
                         "encoding": res.headers.get("content-encoding", ""),
                         "down": res.received, "up": res.sent})
        result["modes"][mode] = {
            "rows": rows,
            "down": sum(r["down"] for r in rows),
            "up": sum(r["up"] for r in rows),
        }
    b, f = result["modes"]["before"], result["modes"]["after"]
    for mode in ("before", "after"):
        m = result["modes"][mode]
        print(f"{mode}: {m['down']:,} bytes down, {m['up']:,} up", file=sys.stderr)
    result["down_saved_pct"] = round(100 * (1 - f["down"] / b["down"]), 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
