-- wrk script for the "create" scenario: every request POSTs a url-encoded form (name, ask_price),
-- as a client creating an instance does. The Authorization header (the API only) comes from the
-- environment variable BENCH_AUTHORIZATION, e.g. "Token 0123...".
wrk.method = "POST"
wrk.body = "name=bench-instance&ask_price=0.02"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local authorization = os.getenv("BENCH_AUTHORIZATION")
if authorization ~= nil and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end
