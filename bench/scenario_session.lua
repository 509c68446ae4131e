-- wrk's side of bench/scenario_session.py: the 3-step session login → cart → checkout, the
-- token parsed out of the login reply and sent as "Authorization: Bearer <token>" on the
-- next two steps (docs/scenario.md "Multi-step sessions"; incarne's side is a jsonline
-- session with a JSON capture).
--
--   wrk -t 10 -c 10 -d 3s -s bench/scenario_session.lua http://127.0.0.1:PORT
--
-- wrk's Lua state is per thread, not per connection: request() and response() carry no
-- connection, so the session's state (step, token) is right per connection only with one
-- connection per thread (-t = -c), which is how the bench runs it. A reply that is not 200
-- (or a login reply without a token) ends the session: the next request is a login.
-- done() prints "sessions N steps N failed N" summed over the threads.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local step = 1
local token = ""
sessions = 0
steps = 0
failed = 0

local login

function init(args)
  -- Here, not at load: wrk.format takes the Host header from the URL, known from init on.
  login = wrk.format("POST", "/login", {["Content-Type"] = "application/json"},
                     '{"user":"u1","password":"p1"}')
end

function request()
  if step == 1 then
    return login
  end
  local headers = {["Authorization"] = "Bearer " .. token}
  if step == 2 then
    return wrk.format("GET", "/cart", headers)
  end
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", "/checkout", headers, '{"items":1}')
end

function response(status, headers, body)
  steps = steps + 1
  if status ~= 200 then
    failed = failed + 1
    step = 1
    return
  end
  if step == 1 then
    token = string.match(body, '"access_token"%s*:%s*"([^"]+)"')
    if token == nil then
      failed = failed + 1
      token = ""
      return
    end
    step = 2
  elseif step == 2 then
    step = 3
  else
    sessions = sessions + 1
    step = 1
  end
end

function done(summary, latency, requests)
  local s, n, f = 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("sessions")
    n = n + t:get("steps")
    f = f + t:get("failed")
  end
  io.write(string.format("sessions %d steps %d failed %d\n", s, n, f))
end
