-- Copies one large table from the source cluster to the target with upshift.copy_table: COPY streamed
-- between the two in parallel ranges, each range committed with its mark in upshift_copy.ranges on the
-- target, so a re-run after a failure copies only the ranges not done yet.
--
-- Without `key` the whole table is copied. With `key` (a column that only grows: a serial id, a created_at),
-- only the rows past the largest key already on the target are copied. Run it days ahead (a `custom`
-- runbook, or a rehearsal against the real target) to copy most of a big table; the migration then copies
-- only the tail. Leave the table out of replication with `skip:`.
--
-- A table left out of replication gets no row written after the copy, so copy its tail again inside the write
-- window (`before:switch`: the source is fenced, the reverse path not made yet), and keep it append-only.
--
--   skip: [ public.audit_events ]
--   hooks:
--     - at: after:data
--       run: Hooks/bulk_copy.lua
--       with: { table: public.audit_events, parallel: 4, key: id }   # source/target default to "source"/"target"
--     - at: before:switch
--       run: Hooks/bulk_copy.lua
--       with: { table: public.audit_events, key: id }
return function(ctx)
  local with = ctx.with
  if not with.table then upshift.fail("bulk_copy.lua: with.table is required (schema.table)") end
  local copy = {
    source = with.source or "source", target = with.target or "target",
    table = with.table, parallel = with.parallel, snapshot = with.snapshot,
  }
  local scope = "the whole table"
  if with.key then
    local last = upshift.sql(copy.target, string.format("select quote_literal(max(%s)) as last from %s", with.key, with.table))[1].last
    if last then
      copy.where = string.format("%s > %s", with.key, last)
      scope = "the rows past " .. with.key .. " " .. last
    end
    copy.split_by = with.key -- ranges of key values: an index on the key reads only the tail
  end
  local r = upshift.copy_table(copy)
  upshift.log("info", string.format("%s, %s: copied %d rows (%.1f MB) in %d ranges (%d done before), %s, %.1f s",
    with.table, scope, r.rows, r.bytes / 1e6, r.ranges, r.resumed, r.binary and "binary" or "text", r.seconds))
end
