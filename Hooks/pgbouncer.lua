-- Pauses or resumes PgBouncer through its admin console, so clients wait instead of failing while
-- writes are impossible. `with.admin` is the admin console's conninfo; `with.action` is PAUSE or RESUME
-- (PAUSE waits for running transactions to finish, as PgBouncer documents); `with.database` limits it to
-- one database. Pause before the write window opens and resume once the new primary takes writes (after
-- `verify`, which lifts the write fence), with PgBouncer in transaction pooling mode:
--
--   hooks:
--     - at: before:stop-primary
--       run: Hooks/pgbouncer.lua
--       on: primary
--       with: { admin: "host=/var/run/postgresql port=6432 dbname=pgbouncer user=pgbouncer", action: PAUSE, database: shop }
--     - at: after:verify
--       run: Hooks/pgbouncer.lua
--       on: primary
--       with: { admin: "host=/var/run/postgresql port=6432 dbname=pgbouncer user=pgbouncer", action: RESUME, database: shop }
--     - at: after:rollback
--       run: Hooks/pgbouncer.lua
--       on: primary
--       with: { admin: "host=/var/run/postgresql port=6432 dbname=pgbouncer user=pgbouncer", action: RESUME, database: shop }
--
-- An in-place upgrade keeps the primary's address, so nothing needs repointing. `after:rollback` runs once
-- every host has its old cluster back, so a failed upgrade also ends with clients served, not held.
return function(ctx)
  local action = string.upper(ctx.with.action or "")
  if action ~= "PAUSE" and action ~= "RESUME" then
    upshift.fail("with.action must be PAUSE or RESUME, not '" .. tostring(ctx.with.action) .. "'")
  end
  if not ctx.with.admin then upshift.fail("with.admin must be the PgBouncer admin console's conninfo") end
  local database = ctx.with.database
  if database and not string.match(database, "^[%w_]+$") then
    upshift.fail("with.database must be a plain database name")
  end
  -- The admin console speaks only the simple protocol and takes no bind parameters.
  upshift.sql(ctx.with.admin, database and (action .. " " .. database) or action)
  upshift.log("info", "PgBouncer " .. action .. (database and (" " .. database) or " (all databases)"))
end
