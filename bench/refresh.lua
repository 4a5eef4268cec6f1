-- Each request uses a refresh token of its own (a reused one would trip reuse detection);
-- BENCH_TOKEN_OFFSET skips the tokens earlier runs used.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local threads = 0
local auth = os.getenv("BENCH_AUTH")

function setup(thread)
  thread:set("offset", threads)
  threads = threads + 1
end

function init(args)
  step = tonumber(os.getenv("BENCH_THREADS"))
  index = offset + tonumber(os.getenv("BENCH_TOKEN_OFFSET") or "0")
end

request = function()
  index = index + step
  local token = tokens[(index % #tokens) + 1]
  return wrk.format("POST", "/oauth/token", {
    ["Authorization"] = auth,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "grant_type=refresh_token&refresh_token=" .. token)
end
