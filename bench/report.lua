-- wrk script for the "report" scenario: providers report their assigned jobs, as a machine does: each job gets
-- PATCH status=2 (IN_PROGRESS) and, over 1,000 requests of its thread later (long after the first was answered), PATCH
-- status=3 with its output (SUCCEEDED, which bills it). BENCH_JOBS_FILE holds one "<job uuid> <API key>" per line (the
-- key of the provider whose instance holds the job); each wrk thread takes its own share of the lines, so no job is
-- reported twice. Against the baseline (BENCH_BASELINE=1) each request is instead the baseline's PATCH of one of
-- the file's rows (bench/patch.lua's bare UPDATE). A thread that runs out of jobs starts over, and its reports then
-- answer 4xx: wrk counts them as non-2xx, and the run is marked invalid.
local lag = 1000 -- far more than a thread's connections: a job's start has been answered (even one that queued on its instance's row) before its finish is sent
local jobs, keys = {}, {}
local counter = 0
thread_id, threads = 0, 1 -- globals: setup() sets them in each thread
local baseline = os.getenv("BENCH_BASELINE") == "1"

local created = 0
function setup(thread)
  thread:set("thread_id", created)
  created = created + 1
  thread:set("threads", tonumber(os.getenv("BENCH_THREADS") or "1"))
end

function init(args)
  local n = 0
  for line in io.lines(os.getenv("BENCH_JOBS_FILE")) do
    local id, key = line:match("^(%S+)%s+(%S+)$")
    if id then
      if n % threads == thread_id then jobs[#jobs + 1] = id; keys[#keys + 1] = key end
      n = n + 1
    end
  end
end

local function headers(key)
  local h = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  if key ~= "-" then h["Authorization"] = "Token " .. key end
  return h
end

-- Request n of a thread: the first `lag` start jobs 1..lag; then finishes and starts alternate (finish 1, start
-- lag+1, finish 2, start lag+2, ...), so a job's finish comes 2*lag-1 requests after its start.
local function report(j, body)
  local i = (j - 1) % #jobs + 1
  return wrk.format("PATCH", "/api/v1/jobs/" .. jobs[i] .. "/", headers(keys[i]), body)
end

-- wrk calls request() once more than it sends, on the first thread only, to check the script (script_verify_request
-- in wrk.c). So every thread's first start is produced twice: on that thread the check takes one of them (that job's
-- finish would otherwise find it never started), on the others the machine says IN_PROGRESS twice, which changes nothing.
local first_given = false

function request()
  if not baseline and not first_given then
    first_given = true
    return report(1, "status=2")
  end
  counter = counter + 1
  if baseline then
    local i = (counter - 1) % #jobs + 1
    return wrk.format("PATCH", "/instances/" .. jobs[i], headers("-"), "ask_price=" .. (counter % 10) .. ".5")
  end
  if counter <= lag then return report(counter, "status=2") end
  local m = counter - lag
  if m % 2 == 1 then return report((m + 1) / 2, "status=3&output=done") end
  return report(lag + m / 2, "status=2")
end

-- The first few refused answers of a thread go to BENCH_ERRORS_FILE (when set), to say why a run was marked invalid.
local errors_file, logged = os.getenv("BENCH_ERRORS_FILE"), 0
if errors_file ~= nil and errors_file ~= "" then
  function response(status, headers, body)
    if status >= 300 and logged < 5 then
      logged = logged + 1
      local f = io.open(errors_file, "a")
      f:write(status, " ", counter, " ", body, "\n")
      f:close()
    end
  end
end
