-- wrk script for bench/poll.sh: machines polling. Each request is a GET of the next target of a list
-- read from the file named by BENCH_POLL_TARGETS, one target a line:
--
--   <path> [<Authorization header value>]      e.g. /api/v1/instances/<uuid>/get-jobs/ Token 0123...
--
-- The targets are dealt out over wrk's threads (BENCH_POLL_THREADS, = wrk -t): thread k of n takes
-- lines k+1, k+1+n, ..., so no two threads poll the same instance, and each thread cycles over its
-- share in order (one thread's connections in flight poll different instances, as real machines do).
--
-- BENCH_POLL_RATE (optional): the total requests/s to hold (the steady run). Each thread then keeps
-- its own schedule of evenly spaced send times at rate/n and delay() holds every request back until
-- its slot (a late request is sent at once, and the schedule does not slip: it catches up). Without
-- it, wrk sends as fast as the connections allow (the saturation run).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local counter = 0
function setup(thread) -- main state, once per thread, before the thread's init
  thread:set("id", counter)
  counter = counter + 1
end

local requests = {}
local position = 0
local interval_ms = nil -- milliseconds between two sends of this thread, when paced
local next_slot = nil

local function paced_delay()
  local now = now_ms()
  if not next_slot then next_slot = now end
  local wait = next_slot - now
  next_slot = next_slot + interval_ms
  if wait < 0 then return 0 end
  return math.floor(wait + 0.5)
end

function init(args)
  local file = os.getenv("BENCH_POLL_TARGETS") or error("BENCH_POLL_TARGETS is not set")
  local threads = tonumber(os.getenv("BENCH_POLL_THREADS") or "1")
  local line_number = 0
  for line in io.lines(file) do
    if line ~= "" then
      if line_number % threads == id then
        local path, authorization = line:match("^(%S+)%s*(.*)$")
        local headers = {}
        if authorization ~= "" then headers["Authorization"] = authorization end
        requests[#requests + 1] = wrk.format("GET", path, headers)
      end
      line_number = line_number + 1
    end
  end
  if #requests == 0 then error("thread " .. id .. " has no target in " .. file) end
  position = 0
  local rate = tonumber(os.getenv("BENCH_POLL_RATE") or "")
  if rate and rate > 0 then
    interval_ms = threads * 1000 / rate
    delay = paced_delay -- wrk looks for a global delay() after init: without pacing, there is none
  end
end

function request()
  position = position % #requests + 1
  return requests[position]
end
