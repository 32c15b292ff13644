-- Tells people what the run is doing. Logs to the run's journal; when `with.command` is a list
-- (e.g. { "/usr/bin/logger", "-t", "upshift" }), also runs it with the message appended (no shell).
--
--   hooks:
--     - at: after:start-primary
--       run: Hooks/notify.lua
--       with: { channel: "#dba", command: ["/usr/bin/logger", "-t", "upshift"] }
return function(ctx)
  local message = string.format("[%s] %s: %s on %s", ctx.with.channel or "upshift", ctx.plan, ctx.step, ctx.host)
  upshift.log("info", message)
  local command = ctx.with.command
  if command then
    local argv = {}
    for i, word in ipairs(command) do argv[i] = word end
    argv[#argv + 1] = message
    local status, _, stderr = upshift.exec(argv)
    if status ~= 0 then
      upshift.fail("notify command exited " .. status .. ": " .. stderr)
    end
  end
end
