-- wrk script for the "patch" scenarios: every request PATCHes a url-encoded form with a new ask_price (so each one
-- really changes the instance: an event on the API's side, an UPDATE on the baseline's), as a provider changing its
-- price does. BENCH_IDS holds the instances' uuids, separated by spaces: each request goes to one of them, drawn at
-- random; BENCH_PATH is the URL's path with "{id}" where the uuid goes. The Authorization header (the API only)
-- comes from BENCH_AUTHORIZATION, e.g. "Token 0123...".
local ids = {}
for id in string.gmatch(os.getenv("BENCH_IDS") or "", "%S+") do ids[#ids + 1] = id end
local path = os.getenv("BENCH_PATH")
local authorization = os.getenv("BENCH_AUTHORIZATION")
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
if authorization ~= nil and authorization ~= "" then headers["Authorization"] = authorization end

local counter = 0
function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 1000)
end

function request()
  counter = counter + 1
  local id = ids[math.random(#ids)]
  -- 0.001 to 9.999, never the same twice in a row from one connection
  local price = string.format("%d.%03d", counter % 10, (counter * 7919) % 1000 + (counter % 10 == 0 and 1 or 0))
  return wrk.format("PATCH", (path:gsub("{id}", id)), headers, "ask_price=" .. price)
end
