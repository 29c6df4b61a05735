-- wrk script of `npm run bench` (scripts/bench.ts): POSTs pre-signed REFER status callbacks and
-- reports what came back as one JSON line.
--
-- wrk's Lua cannot sign (no Ed25519), so scripts/bench/make-pool.ts signs a pool beforehand, with
-- fresh telnyx-timestamps (valid for the relay's 300 s tolerance): one line per request,
-- "<timestamp>\t<base64 signature>\t<attempt>\t<form body>". Attempt 0 is an event's first delivery
-- (in most rows every request is one: the relay answers a repeated event 200 "duplicate" without
-- writing it again, so repeating would measure that shortcut); attempt n > 0 a redelivery of an
-- event already sent (the redelivery rows), counted here as "redelivered".
--
-- Arguments (after `--`): <pool file>[,<pool file>...] <first index> <path>
-- Thread t of T sends entries first+t+1, first+t+1+T, ... (no two threads send the same event).
-- `done` prints: BENCH-RESULT {json}; "next" is the first index a following run may use.

pool = {}
again = {}
count = 0
first = 0
tid = 0
threads_total = 1
idx = nil
sent = 0
redelivered = 0
wraps = 0
non200 = 0
duplicates = 0
statuses = ""

local threads = {}
local thread_counter = 0

function setup(thread)
  thread:set("tid", thread_counter)
  thread_counter = thread_counter + 1
  table.insert(threads, thread)
  for _, t in ipairs(threads) do t:set("threads_total", thread_counter) end
end

function init(args)
  local files = args[1]
  first = tonumber(args[2]) or 0
  local path = args[3] or "/"
  for file in string.gmatch(files, "[^,]+") do
    for line in io.lines(file) do
      local ts, sig, attempt, body = string.match(line, "^([^\t]*)\t([^\t]*)\t([0-9]+)\t(.*)$")
      if body ~= nil then
        count = count + 1
        again[count] = attempt ~= "0"
        pool[count] = wrk.format("POST", path, {
          ["Host"] = wrk.host,
          -- A JSON webhook (the mixed row's pool) starts with "{"; a form body never does.
          ["Content-Type"] = string.sub(body, 1, 1) == "{" and "application/json" or "application/x-www-form-urlencoded",
          ["telnyx-timestamp"] = ts,
          ["telnyx-signature-ed25519"] = sig,
        }, body)
      end
    end
  end
  if count == 0 then error("empty request pool: " .. files) end
end

function request()
  if idx == nil then
    -- setup() has run for every thread by now (tid and threads_total set), whatever the order of
    -- setup and init in this wrk build.
    idx = first + tid
  else
    idx = idx + threads_total
  end
  sent = sent + 1
  local i = idx % count
  if idx >= count then wraps = wraps + 1 end
  if again[i + 1] then redelivered = redelivered + 1 end
  return pool[i + 1]
end

local function note(status)
  local key = "[" .. status .. "]"
  local at = string.find(statuses, key, 1, true)
  if at == nil then
    statuses = statuses .. key .. "1;"
  else
    -- "[503]12;" -> "[503]13;"
    local stop = string.find(statuses, ";", at, true)
    local n = tonumber(string.sub(statuses, at + #key, stop - 1)) + 1
    statuses = string.sub(statuses, 1, at + #key - 1) .. n .. string.sub(statuses, stop)
  end
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    note(status)
  -- A TeXML callback's answer is TeXML: the relay's status is in a header; other servers' in the body.
  elseif headers["Telnyx-Relay-Status"] == "duplicate" or (body ~= nil and string.find(body, '"duplicate"', 1, true)) then
    duplicates = duplicates + 1
  end
end

function done(summary, latency, requests)
  -- done() runs in its own Lua state: every count lives in the threads' states.
  local total_sent, total_wraps, total_non200, total_dups, max_sent, pool_size, first_index = 0, 0, 0, 0, 0, 0, 0
  local total_redelivered = 0
  local all_statuses = ""
  for _, thread in ipairs(threads) do
    local s = thread:get("sent")
    total_sent = total_sent + s
    if s > max_sent then max_sent = s end
    total_wraps = total_wraps + thread:get("wraps")
    total_redelivered = total_redelivered + thread:get("redelivered")
    pool_size = thread:get("count")
    first_index = thread:get("first")
    total_non200 = total_non200 + thread:get("non200")
    total_dups = total_dups + thread:get("duplicates")
    all_statuses = all_statuses .. thread:get("statuses")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests":%d,"durationUs":%d,"sent":%d,"redelivered":%d,"next":%d,"poolSize":%d,"wraps":%d,' ..
    '"non200":%d,"duplicates":%d,"statuses":"%s","errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, total_sent, total_redelivered, first_index + max_sent * #threads, pool_size, total_wraps,
    total_non200, total_dups, all_statuses, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
