-- Logs the exact row count of every user table of the host's old cluster, largest first, and reports
-- progress per table. Useful before and after a change, and as a smoke test of an agent.
--
--   steps:
--     - id: row-counts
--       run: Hooks/row_counts.lua
--       with: { database: pagila, limit: 20 }
return function(ctx)
  local target = "old:" .. (ctx.with.database or "postgres")
  local tables = upshift.sql(target, [[
    select format('%I.%I', n.nspname, c.relname) as name, c.reltuples::bigint as estimate
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
      and n.nspname not like 'pg_toast%'
    order by c.reltuples desc, 1
    limit $1]], ctx.with.limit or 1000)
  local total_rows = 0
  for i, t in ipairs(tables) do
    local n = upshift.sql(target, "select count(*) as n from " .. t.name)[1].n
    total_rows = total_rows + n
    upshift.log("info", string.format("%-40s %12d rows", t.name, n))
    upshift.progress(i, #tables, "tables")
  end
  upshift.log("info", string.format("%d tables, %d rows on %s", #tables, total_rows, ctx.host))
end
