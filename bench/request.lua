-- A fixed request from the environment: BENCH_METHOD, BENCH_PATH, BENCH_AUTH, BENCH_BODY.
local method = os.getenv("BENCH_METHOD")
local path = os.getenv("BENCH_PATH")
-- Host explicitly (BENCH_HOST): the request is prepared before wrk knows its own.
local headers = {["Host"] = os.getenv("BENCH_HOST")}
if os.getenv("BENCH_AUTH") ~= "" then headers["Authorization"] = os.getenv("BENCH_AUTH") end
local body = os.getenv("BENCH_BODY")
if body == "" then body = nil else headers["Content-Type"] = "application/x-www-form-urlencoded" end
local prepared = wrk.format(method, path, headers, body)
request = function() return prepared end
