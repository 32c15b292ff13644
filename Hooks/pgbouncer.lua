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
--
-- A logical (blue/green) plan moves clients to another server: REPOINT replaces `with.from` by `with.to` in
-- the [databases] line of `with.database` in `with.ini` (the file PgBouncer reads; the agent's user must be
-- able to write it), then RELOADs and RESUMEs: paused clients carry on against the new server.
--
--   hooks:
--     - { at: before:cutover, run: Hooks/pgbouncer.lua, on: target,
--         with: { admin: "…", action: PAUSE, database: shop } }
--     - { at: after:switch, run: Hooks/pgbouncer.lua, on: target,
--         with: { admin: "…", action: REPOINT, database: shop, ini: /etc/pgbouncer/pgbouncer.ini, from: "port=5432", to: "port=5433" } }
--     - { at: after:rollback, run: Hooks/pgbouncer.lua, on: target, with: { admin: "…", action: RESUME, database: shop } }
local function repoint(ctx, database)
  local w = ctx.with
  if not (w.ini and w.from and w.to and database) then
    upshift.fail("REPOINT needs with.ini, with.from, with.to and with.database")
  end
  -- sed, no shell: the database's line only, the text taken literally.
  local function literal(text) return (string.gsub(text, "[][\\/.*^$&]", "\\%0")) end
  local script = string.format("/^%s *=/s/%s/%s/", database, literal(w.from), literal(w.to))
  local status, _, err = upshift.exec({"sed", "-i", script, w.ini})
  if status ~= 0 then upshift.fail("could not rewrite " .. w.ini .. ": " .. err) end
  upshift.sql(w.admin, "RELOAD")
  upshift.sql(w.admin, "RESUME " .. database)
  upshift.log("info", "PgBouncer: " .. database .. " now points at " .. w.to .. "; RELOAD, RESUME " .. database)
end

return function(ctx)
  local action = string.upper(ctx.with.action or "")
  if action ~= "PAUSE" and action ~= "RESUME" and action ~= "REPOINT" then
    upshift.fail("with.action must be PAUSE, RESUME or REPOINT, not '" .. tostring(ctx.with.action) .. "'")
  end
  if not ctx.with.admin then upshift.fail("with.admin must be the PgBouncer admin console's conninfo") end
  local database = ctx.with.database
  if database and not string.match(database, "^[%w_]+$") then
    upshift.fail("with.database must be a plain database name")
  end
  if action == "REPOINT" then return repoint(ctx, database) end
  -- The admin console speaks only the simple protocol and takes no bind parameters.
  upshift.sql(ctx.with.admin, database and (action .. " " .. database) or action)
  upshift.log("info", "PgBouncer " .. action .. (database and (" " .. database) or " (all databases)"))
end
