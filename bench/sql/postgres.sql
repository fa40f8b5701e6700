-- Bulk data for the benchmarks (PostgreSQL). `nghedan-bench prepare` first submits a few
-- hundred real tickets through the repository (real routing, policies, clocks, events and
-- outbox rows) and lists them in bench_templates(n, ticket_id); this file clones them into
-- {N} tickets with their clocks and timeline, in a few set-based statements.
-- Placeholders (replaced before running): {N} tickets, {OPEN} open ones (the first), {DUE}
-- of those due for the deadline sweep, {T} templates, {BASE} the highest ticket id so far,
-- {NOW} the current UTC time.
-- Ticket i: 1..{DUE} open, received 60 days ago (their deadlines passed: the sweep's work);
-- ..{OPEN} open, received in the last 3 days; the rest closed, received 10..365 days ago.
-- Spreads use arithmetic on i, so a run is reproducible.
CREATE TEMP TABLE bench_g AS
SELECT i,
       CASE WHEN i <= {DUE} THEN TIMESTAMP '{NOW}' - INTERVAL '60 days' - (i % 3600) * INTERVAL '1 second'
            WHEN i <= {OPEN} THEN TIMESTAMP '{NOW}' - (i % 3) * INTERVAL '1 day' - ((i * 7919) % 86400) * INTERVAL '1 second'
            ELSE TIMESTAMP '{NOW}' - (10 + (i * 31) % 355) * INTERVAL '1 day' - ((i * 7919) % 86400) * INTERVAL '1 second'
       END AS created,
       i % {T} AS tpl
FROM generate_series(1::BIGINT, {N}) AS i;

INSERT INTO tickets (id, code, kind, category_code, title, description, search_text, lat, lon,
    area_code, address, attributes, submitter_id, anonymous, confidential, private, public,
    answer_public, channel, status, unit_id, priority, round, complex, remote, policy_id,
    routing_reason, received_at, accepted_at, resolved_at, closed_at, answer, overdue,
    next_due_at, version, created_at, updated_at)
SELECT {BASE} + g.i, 'PAKN.B.' || g.i, t.kind, t.category_code, t.title || ' ' || g.i,
    t.description, t.search_text || ' ' || g.i, t.lat, t.lon, t.area_code, t.address,
    t.attributes, t.submitter_id, FALSE, t.confidential, t.private,
    g.i > {OPEN} AND t.kind IN ('feedback', 'petition'),
    g.i > {OPEN} AND t.kind IN ('feedback', 'petition'),
    t.channel,
    CASE WHEN g.i <= {OPEN} THEN 'submitted' ELSE 'closed' END,
    t.unit_id, 0, 1, FALSE, t.remote, t.policy_id, t.routing_reason,
    g.created,
    CASE WHEN g.i > {OPEN} THEN g.created + INTERVAL '1 day' END,
    CASE WHEN g.i > {OPEN} THEN g.created + INTERVAL '5 days' END,
    CASE WHEN g.i > {OPEN} THEN g.created + INTERVAL '9 days' END,
    CASE WHEN g.i > {OPEN} THEN 'Đã xử lý xong.' END,
    FALSE,
    CASE WHEN g.i <= {OPEN} THEN t.next_due_at + (g.created - t.created_at) END,
    CASE WHEN g.i <= {OPEN} THEN 0 ELSE 3 END,
    g.created,
    CASE WHEN g.i <= {OPEN} THEN g.created ELSE g.created + INTERVAL '9 days' END
FROM bench_g g
JOIN bench_templates bt ON bt.n = g.tpl
JOIN tickets t ON t.id = bt.ticket_id;

INSERT INTO ticket_clocks (ticket_id, name, counting, days, lengths, extensions_used,
    extensions_allowed, extension_max_days, starts_at, started_at, stopped_at, pauses, due_at,
    reminded_75, reminded_last_day, missed_at, next_check_at, due_inputs)
SELECT {BASE} + g.i, c.name, c.counting, c.days, c.lengths, 0, c.extensions_allowed,
    c.extension_max_days, c.starts_at,
    CASE WHEN g.i <= {OPEN} THEN c.started_at + (g.created - t.created_at) ELSE g.created END,
    CASE WHEN g.i > {OPEN} THEN g.created + INTERVAL '5 days' END,
    c.pauses,
    c.due_at + (g.created - t.created_at),
    FALSE, FALSE, NULL,
    CASE WHEN g.i <= {DUE} AND c.next_check_at IS NOT NULL THEN TIMESTAMP '{NOW}' - INTERVAL '1 minute'
         -- Not due yet: urgent one-day clocks would otherwise be due too.
         WHEN g.i <= {OPEN} AND c.next_check_at IS NOT NULL
             THEN GREATEST(c.next_check_at + (g.created - t.created_at), TIMESTAMP '{NOW}' + INTERVAL '1 hour')
    END,
    CASE WHEN g.i <= {OPEN} AND g.i > {DUE} THEN c.due_inputs END
FROM bench_g g
JOIN bench_templates bt ON bt.n = g.tpl
JOIN tickets t ON t.id = bt.ticket_id
JOIN ticket_clocks c ON c.ticket_id = t.id;

-- The `submitted` event of every ticket, and for closed ones `accepted`, `resolved` and
-- `closed` (hashes are copied, not recomputed: `nghedan audit verify` does not pass on
-- bench data).
INSERT INTO ticket_events (ticket_id, seq, kind, actor_id, actor_role, unit_id, from_status,
    to_status, public, data, text_id, text_sha256, created_at, prev_hash, hash)
SELECT {BASE} + g.i, e.seq, e.kind, e.actor_id, e.actor_role, e.unit_id, e.from_status,
    e.to_status, e.public, e.data, NULL, NULL, g.created, e.prev_hash, e.hash
FROM bench_g g
JOIN bench_templates bt ON bt.n = g.tpl
JOIN ticket_events e ON e.ticket_id = bt.ticket_id AND e.seq = 1;

INSERT INTO ticket_events (ticket_id, seq, kind, actor_id, actor_role, unit_id, from_status,
    to_status, public, data, created_at, prev_hash, hash)
SELECT {BASE} + g.i, s.seq, s.kind, NULL, s.role, t.unit_id, s.from_status, s.to_status, TRUE,
    '{}', g.created + s.after_days * INTERVAL '1 day', 'bench', 'bench'
FROM bench_g g
JOIN bench_templates bt ON bt.n = g.tpl
JOIN tickets t ON t.id = bt.ticket_id
CROSS JOIN (VALUES (2, 'accepted', 'official', 'submitted', 'accepted', 1),
                   (3, 'resolved', 'official', 'accepted', 'resolved', 5),
                   (4, 'closed', 'citizen', 'resolved', 'closed', 9))
    AS s (seq, kind, role, from_status, to_status, after_days)
WHERE g.i > {OPEN};

SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT max(id) FROM tickets));
DROP TABLE bench_g;
ANALYZE;
