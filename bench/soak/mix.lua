-- wrk script for `make soak` (bench/soak.ts writes the requests file and reads what done() prints).
--
--   wrk -t1 -c256 -d<load+quiet>s -s bench/soak/mix.lua URL -- REQUESTS_FILE LOAD_SECONDS SEED
--
-- REQUESTS_FILE has one request per line: `<kind>\t<body>` (bodies are single-line JSON, or
-- deliberately broken JSON for the `malformed` kind). Each request picks its kind at random by the
-- weights below, then a body of that kind at random.
--
-- Telling which request a response answers: wrk's response() gets no connection or request, so
-- every request carries `Origin: http://<kind>.soak`, which llama-sim echoes (as llama-server does)
-- in Access-Control-Allow-Origin. response() reads the kind back from it and checks the status
-- (and the body's shape) against what that kind must get.
--
-- Quiescent end: for LOAD_SECONDS, delay() returns 0 (full load). After that it returns a delay
-- longer than the run, so each connection sends nothing more once its current response is in; wrk
-- keeps running for the quiet seconds and stops with nothing in flight. So every request sent has
-- been answered and counted, and the server's log must hold exactly that many lines.

local KINDS = { "plain", "stream", "stream_usage", "judge", "unmatched", "malformed" }
local WEIGHTS = { plain = 40, stream = 20, stream_usage = 20, judge = 5, unmatched = 5, malformed = 10 }
local EXPECTED_STATUS = { plain = 200, stream = 200, stream_usage = 200, judge = 200, unmatched = 400, malformed = 400 }

-- ---------------------------------------------------------------------------------------------
-- main state: collect the threads so done() can add up their counters

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads + 1)
  table.insert(threads, thread)
end

-- ---------------------------------------------------------------------------------------------
-- per-thread state

local now_ms
do
  local ok, ffi = pcall(require, "ffi")
  if ok then
    ffi.cdef [[
      typedef struct { long tv_sec; long tv_nsec; } soak_timespec;
      int clock_gettime(int clk_id, soak_timespec *tp);
    ]]
    local ts = ffi.new("soak_timespec")
    now_ms = function()
      ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
      return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
    end
  else
    now_ms = function() return os.time() * 1000 end -- 1 s resolution: the load phase is ±1 s
  end
end

local requests = {}   -- kind -> list of formatted HTTP requests
local pick = {}       -- 100 slots of kinds, by weight
local load_ends_at    -- ms, this thread's clock
local QUIET_DELAY_MS = 3600 * 1000

-- Counters, read by done() through thread:get("stats"). Flat on purpose: wrk 4.1's thread:get
-- crashes (SIGSEGV) copying a table that holds tables. Keys: "sent:<kind>", "completed:<kind>",
-- "bad_status:<kind>", "bad_body:<kind>", "status:<kind>:<code>", "untagged", "sample:<n>".
stats = { untagged = 0 }
local samples = 0

local function bump(key)
  stats[key] = (stats[key] or 0) + 1
end

function init(args)
  local file, load_seconds, seed = args[1], tonumber(args[2]), tonumber(args[3]) or 1
  for _, kind in ipairs(KINDS) do
    requests[kind] = {}
    for _, field in ipairs({ "sent", "completed", "bad_status", "bad_body" }) do stats[field .. ":" .. kind] = 0 end
    for _ = 1, WEIGHTS[kind] do table.insert(pick, kind) end
  end
  for line in io.lines(file) do
    local tab = line:find("\t", 1, true)
    local kind, body = line:sub(1, tab - 1), line:sub(tab + 1)
    local headers = { ["Content-Type"] = "application/json", ["Origin"] = "http://" .. kind .. ".soak" }
    table.insert(requests[kind], wrk.format("POST", "/v1/chat/completions", headers, body))
  end
  for _, kind in ipairs(KINDS) do
    assert(#requests[kind] > 0, "no requests of kind " .. kind .. " in " .. file)
  end
  math.randomseed(seed * 7919 + (thread_index or 1))
  load_ends_at = now_ms() + load_seconds * 1000
end

function delay()
  if now_ms() < load_ends_at then return 0 end
  return QUIET_DELAY_MS
end

function request()
  local kind = pick[math.random(#pick)]
  bump("sent:" .. kind)
  local list = requests[kind]
  return list[math.random(#list)]
end

local function origin_of(headers)
  local value = headers["Access-Control-Allow-Origin"]
  if value then return value end
  for name, v in pairs(headers) do
    if name:lower() == "access-control-allow-origin" then return v end
  end
  return nil
end

-- What each kind's body must look like (cheap substring checks on the whole body).
local function body_ok(kind, body)
  if kind == "plain" then
    return body:find('"object":"chat.completion"', 1, true) ~= nil and body:find("\\boxed{", 1, true) ~= nil
  elseif kind == "stream" or kind == "stream_usage" then
    local done = body:sub(-14) == "data: [DONE]\n\n"
    local usage = body:find('"usage":', 1, true) ~= nil
    return done and (usage == (kind == "stream_usage")) and body:find('"object":"chat.completion.chunk"', 1, true) ~= nil
  elseif kind == "judge" then
    -- the extracted answer alone, as a judge model replies
    return body:find('"object":"chat.completion"', 1, true) ~= nil and body:find('"content":"33"', 1, true) ~= nil
  elseif kind == "unmatched" then
    return body:find("no dataset question matched", 1, true) ~= nil
  else
    return body:find("not valid JSON", 1, true) ~= nil
  end
end

local function sample(what)
  if samples < 5 then
    samples = samples + 1
    stats["sample:" .. samples] = what
  end
end

function response(status, headers, body)
  local origin = origin_of(headers)
  local kind = origin and origin:match("^http://([%w_]+)%.soak$")
  if not kind or not EXPECTED_STATUS[kind] then
    bump("untagged")
    sample("untagged " .. status .. ": " .. (body or ""):sub(1, 200))
    return
  end
  bump("completed:" .. kind)
  if status ~= EXPECTED_STATUS[kind] then
    bump("bad_status:" .. kind)
    bump("status:" .. kind .. ":" .. status)
    sample(kind .. " got " .. status .. ": " .. (body or ""):sub(1, 200))
  elseif not body_ok(kind, body or "") then
    bump("bad_body:" .. kind)
    sample(kind .. " bad body: " .. (body or ""):sub(1, 200))
  end
end

-- ---------------------------------------------------------------------------------------------
-- main state again: one JSON line for bench/soak.ts

local function json(value)
  local t = type(value)
  if t == "number" then
    if value ~= value or value == math.huge or value == -math.huge then return "null" end
    return string.format("%.17g", value)
  elseif t == "string" then
    return '"' .. value:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  elseif t == "table" then
    local parts = {}
    for k, v in pairs(value) do table.insert(parts, json(tostring(k)) .. ":" .. json(v)) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "null"
end

function done(summary, latency, _requests)
  -- Sum the threads' flat counters key by key; samples are renumbered.
  local counts, sampled = {}, {}
  for _, thread in ipairs(threads) do
    for key, value in pairs(thread:get("stats")) do
      if key:sub(1, 7) == "sample:" then
        table.insert(sampled, value)
      else
        counts[key] = (counts[key] or 0) + value
      end
    end
  end
  local out = {
    kinds = table.concat(KINDS, ","),
    counts = counts,
    samples = {},
    summary = {
      duration_us = summary.duration,
      requests = summary.requests,
      bytes = summary.bytes,
      errors = summary.errors, -- connect, read, write, status (any status > 399), timeout
    },
    latency_us = {
      p50 = latency:percentile(50), p90 = latency:percentile(90), p99 = latency:percentile(99),
      max = latency.max, mean = latency.mean,
    },
  }
  for i, line in ipairs(sampled) do out.samples[tostring(i)] = line end
  io.write("SOAK_JSON " .. json(out) .. "\n")
end
