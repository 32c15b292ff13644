/// A hook that calls every function the sandbox replaces (string.find, match, gmatch, gsub, rep;
/// table.insert, remove, move; xpcall; coroutine.create, wrap) on fixed and generated cases and returns
/// one line per call: its results, or its error. Run in the sandbox and in a plain Lua state with Lua's
/// own library, the two outputs must be the same.
enum LibraryCases {
    static let hook = #"""
return function()
local S = string
local out = {}
local function show(v)
  local t = type(v)
  if t == "string" then return string.format("%q", v) end
  if t == "number" then return math.type(v) .. ":" .. tostring(v) end
  if t == "nil" or t == "boolean" then return tostring(v) end
  return t
end
local function record(label, ok, ...)
  local parts = {label, ok and "ok" or "err"}
  local n = select("#", ...)
  for i = 1, n do
    local v = select(i, ...)
    parts[#parts + 1] = (ok or type(v) ~= "string") and show(v) or v
  end
  out[#out + 1] = table.concat(parts, " | ")
end
local function gmatchAll(s, p, init)
  local results = {}
  for a, b, c in S.gmatch(s, p, init) do
    results[#results + 1] = show(a) .. "," .. show(b) .. "," .. show(c)
    if #results > 60 then break end
  end
  return table.concat(results, ";")
end
local repl = {["a"] = "A", ["hello"] = 1, ["x"] = false, ["1"] = "one", ["="] = true}
local function replFn(...)
  local n = select("#", ...)
  if n == 1 and (...) == "b" then return nil end
  if n >= 2 and (...) == "" then return false end
  return "[" .. n .. ":" .. table.concat({...}, "/") .. "]"
end
local inits = {nil, 3, 0, -2, -100, 100}
local function run(s, p)
  local label = show(s) .. " ~ " .. show(p)
  record(label .. " find", pcall(S.find, s, p))
  record(label .. " find plain", pcall(S.find, s, p, 1, true))
  record(label .. " match", pcall(S.match, s, p))
  for i = 2, #inits do
    local init = inits[i]
    record(label .. " find@" .. init, pcall(S.find, s, p, init))
    record(label .. " find plain@" .. init, pcall(S.find, s, p, init, true))
    record(label .. " match@" .. init, pcall(S.match, s, p, init))
    record(label .. " gmatch@" .. init, pcall(gmatchAll, s, p, init))
  end
  record(label .. " gmatch", pcall(gmatchAll, s, p))
  record(label .. " gsub str", pcall(S.gsub, s, p, "<%0>"))
  record(label .. " gsub caps", pcall(S.gsub, s, p, "%2%1%%"))
  record(label .. " gsub %1", pcall(S.gsub, s, p, "(%1)"))
  record(label .. " gsub bad", pcall(S.gsub, s, p, "x%y"))
  record(label .. " gsub tail%", pcall(S.gsub, s, p, "x%"))
  record(label .. " gsub num", pcall(S.gsub, s, p, 7))
  record(label .. " gsub table", pcall(S.gsub, s, p, repl))
  record(label .. " gsub fn", pcall(S.gsub, s, p, replFn))
  record(label .. " gsub n=1", pcall(S.gsub, s, p, "#", 1))
  record(label .. " gsub n=2", pcall(S.gsub, s, p, "#", 2))
  record(label .. " gsub n=-1", pcall(S.gsub, s, p, "#", -1))
  record(label .. " gsub badrepl", pcall(S.gsub, s, p, function() return {} end))
end

local subjects = {
  "", "a", "b", "hello world", "  trim me  ", "key = value; other=2", "aaa", "abcabcabc",
  "(foo(bar))baz", "THE (quick) fox", "x=1, y=22, z=333", "\0a\0b\0", "ünïcödé", "a.b-c+d*e?f[g]h^i$j%k",
  "[[nested]]", "f(a(b)c)d)", "one two  three   ", "2024-05-06T07:08:09Z", "aXbXXcXXXd", "^^a^", "$a$",
  "\t\n\r\v\f", "0x1F 0Xab 77", "hello", "x", "==", "abab",
}
local patterns = {
  "", "a", "b", ".", "..", "%a", "%a+", "%A+", "%d+", "%D", "%s*", "%S+", "%w+", "%W", "%x+", "%X", "%l+",
  "%u+", "%p", "%P+", "%c", "%C+", "%g+", "%G", "%z", "%Z", "%.", "%%", "%$", "%^", "%(", "%]",
  "^h", "^a", "^", "^$", "$", "a$", "x$y", "^%s*(.-)%s*$", "(%w+)=(%w+)", "(%w+)%s*=%s*(%w+)",
  "()a()", "()", "(a)(b)(c)", "((a)(b))", "(h)(e)(l)(l)(o)", "%bxy", "%b()", "%b[]", "%b((", "%b\0\0",
  "%f[%w]%w+", "%f[%W]", "%f[%a]", "%f[%z]", "%f[^%z]", "%f[a]", "%f[]]", "[aeiou]", "[^aeiou]+", "[a-c]+",
  "[%a_][%w_]*", "[]]", "[^]]+", "[]a]+", "[a-]", "[-a]+", "[%]]", "[%-]+", "[a-%%]", "[%a-z]", "[z-a]",
  "[^%s]+", "[%S]+", "[.]", "[%d.]+", "[\0-\31]+", "[\128-\255]+", "a*", "a+", "a-", "a?", "a-b", ".-",
  ".-b", ".-$", "(.-)b", "(.)%1", "(a*)%1", "(a)%1", "(.)(.)%2%1", "()%1", "%0", "%1", "(%1)", "(a%1)",
  "(", ")", "%", "a%", "[a", "[", "[^", "[%", "(()", "(a", "a)", "%b", "%ba", "%f", "%fa", "%f[a",
  "(%w+)%s(%w+)", "^(%d+)-(%d+)-(%d+)T", "(%d+):(%d+):(%d+)", "%d%d?%d?", "x*y*z*", "[xyz]*$",
  "^(%s*)", "(%s*)$", "%s+$", "^%s+", "a.-b", "a.*b", "a.+b", "(a.-)(b)", "[%w%p]+", "%x%x", "0[xX](%x+)",
  "%-", "-", "*", "+", "?", "a**", "a+-", ".?.?.?", "^.-$", "=+", "(=)(=)", "[=]+()",
}
for _, s in ipairs(subjects) do
  for _, p in ipairs(patterns) do run(s, p) end
end

-- generated cases: a fixed linear congruential sequence, the same in every Lua
local seed = 12345
local function rand(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n + 1
end
local atoms = {"a", "b", "c", ".", "%a", "%d", "%s", "%w", "%W", "%S", "[ab]", "[^a]", "[a-c]", "%%", "x", " ", "1"}
local quantifiers = {"", "", "", "*", "+", "-", "?"}
local function genPattern()
  local parts = {}
  if rand(5) == 1 then parts[#parts + 1] = "^" end
  local open = 0
  for _ = 1, rand(6) do
    local r = rand(12)
    if r == 1 then parts[#parts + 1] = "("; open = open + 1
    elseif r == 2 and open > 0 then parts[#parts + 1] = ")"; open = open - 1
    elseif r == 3 then parts[#parts + 1] = "()"
    elseif r == 4 then parts[#parts + 1] = "%b()"
    elseif r == 5 then parts[#parts + 1] = "%f[%w]"
    elseif r == 6 and open == 0 and #parts > 0 then parts[#parts + 1] = "%1"
    else parts[#parts + 1] = atoms[rand(#atoms)] .. quantifiers[rand(#quantifiers)] end
  end
  for _ = 1, open do parts[#parts + 1] = ")" end
  if rand(5) == 1 then parts[#parts + 1] = "$" end
  return table.concat(parts)
end
local letters = {"a", "b", "c", "x", " ", "1", "2", "(", ")", "%", "A", "\n"}
local function genSubject()
  local parts = {}
  for _ = 1, rand(14) - 1 do parts[#parts + 1] = letters[rand(#letters)] end
  return table.concat(parts)
end
for _ = 1, 1500 do run(genSubject(), genPattern()) end

-- string.rep, with and without separators
for _, s in ipairs({"", "a", "ab", "\0"}) do
  for _, sep in ipairs({false, "", ",", "--"}) do
    for _, n in ipairs({-1, 0, 1, 2, 3, 7, 16, 33, 2.0}) do
      local label = "rep " .. show(s) .. " " .. show(sep) .. " " .. n
      if sep then record(label, pcall(S.rep, s, n, sep)) else record(label, pcall(S.rep, s, n)) end
    end
  end
end
record("rep 2.5", pcall(S.rep, "a", 2.5))
record("rep huge", pcall(S.rep, "ab", math.maxinteger))
record("rep 2^40", pcall(S.rep, "x", 2^40))
record("rep 2^31", pcall(S.rep, "x", 2^31, ""))
record("rep 2^30 sep", pcall(S.rep, "x", 2^30, ","))

-- table.insert, remove and move, on tables and on proxies
local function dump(t, n)
  local parts = {}
  for i = 1, n do parts[i] = show(rawget(t, i)) end
  return table.concat(parts, ",")
end
local t = {1, 2, 3}
table.insert(t, 4)
table.insert(t, 1, 0)
table.insert(t, #t + 1, 9)
record("insert", true, dump(t, 8))
record("insert 0", pcall(table.insert, t, 0, 1))
record("insert far", pcall(table.insert, t, #t + 2, 1))
record("insert none", pcall(table.insert, t))
record("insert many", pcall(table.insert, t, 1, 2, 3))
record("insert nil", pcall(table.insert, nil, 1))
record("insert string", pcall(table.insert, "abc", 1))
record("insert float", pcall(table.insert, t, 1.5, 1))
record("remove last", true, table.remove(t), dump(t, 8))
record("remove first", true, table.remove(t, 1), dump(t, 8))
record("remove end+1", pcall(table.remove, t, #t + 1))
record("remove far", pcall(table.remove, t, #t + 2))
record("remove empty", pcall(table.remove, {}))
record("remove empty 0", pcall(table.remove, {}, 0))
record("remove empty -1", pcall(table.remove, {}, -1))
local log = {}
local proxy = setmetatable({}, {
  __index = function(_, k) log[#log + 1] = "get" .. k return k * 10 end,
  __newindex = function(_, k, v) log[#log + 1] = "set" .. k .. "=" .. tostring(v) end,
  __len = function() return 4 end,
})
table.insert(proxy, 2, "x")
table.insert(proxy, "y")
record("remove proxy", true, table.remove(proxy, 1), table.remove(proxy))
table.move(proxy, 1, 3, 2)
table.move(proxy, 2, 4, 1)
record("proxy log", true, table.concat(log, " "))
record("move up", true, dump(table.move({1, 2, 3, 4, 5}, 1, 3, 3), 6))
record("move down", true, dump(table.move({1, 2, 3, 4, 5}, 2, 5, 1), 6))
record("move other", true, dump(table.move({1, 2, 3}, 1, 3, 2, {9, 9, 9, 9}), 5))
record("move empty range", true, dump(table.move({1, 2, 3}, 3, 1, 1), 4))
local target = {}
record("move returns target", true, rawequal(table.move({1}, 1, 1, 1, target), target))
record("move too many", pcall(table.move, {}, -1, math.maxinteger, 1))
record("move wrap", pcall(table.move, {}, 1, 10, math.maxinteger))
record("move bad target", pcall(table.move, {}, 1, 2, 1, "x"))
record("move negative", true, dump(table.move({[-1] = "m", [0] = "z", "a"}, -1, 1, 1), 3))

-- xpcall and coroutines keep Lua's behaviour behind their guards
record("xpcall ok", xpcall(function(a, b) return a + b, nil end, tostring, 1, 2))
record("xpcall error", xpcall(error, function(m) return "handled " .. tostring(m) end, "boom"))
record("xpcall nil", xpcall(nil, function(m) return m end))
record("xpcall no handler", pcall(xpcall, function() end, nil))
record("xpcall table error", xpcall(function() error({code = 1}) end, function(e) return e.code end))
local stepper = coroutine.wrap(function(a)
  local b = coroutine.yield(a + 1)
  return xpcall(function() return coroutine.yield(b * 2) + 1 end, tostring)
end)
record("yield across xpcall", true, stepper(1), stepper(5), stepper(7))
record("wrap error", pcall(coroutine.wrap(function() error("inner") end)))
record("wrap error level 2", pcall(coroutine.wrap(function() error("two", 2) end)))
record("wrap table error", pcall(coroutine.wrap(function() error({}) end)))
local co = coroutine.create(function(x) return x, coroutine.isyieldable(), select(2, coroutine.running()) end)
record("create", coroutine.resume(co, 7))
record("status", true, coroutine.status(co))
local failing = coroutine.create(function() local n = nil return n.x end)
record("resume error", coroutine.resume(failing))
record("close dead", coroutine.close(failing))
local closed = {}
local suspended = coroutine.create(function()
  local x <close> = setmetatable({}, {__close = function(_, e) closed[#closed + 1] = "x:" .. tostring(e) end})
  coroutine.yield(1)
end)
coroutine.resume(suspended)
record("close suspended", coroutine.close(suspended))
local erring = coroutine.wrap(function()
  local y <close> = setmetatable({}, {__close = function(_, e) closed[#closed + 1] = "y:" .. tostring(e) end})
  error("E", 0)
end)
record("wrap closes", pcall(erring))
record("closed", true, table.concat(closed, " "))
record("create non-function", pcall(coroutine.create, 1))
record("wrap non-function", pcall(coroutine.wrap))
return table.concat(out, "\n")
end
"""#
}
