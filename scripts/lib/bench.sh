# Shared by the page benchmarks (bench-public.sh, bench-desk.sh): wrk against one route at a time, with
# the client's p99 (queueing included) and the server's own p99 from its /metrics latency histogram (the
# upper bound of the bucket holding the 99th percentile). Source it after setting URL, DURATION,
# CONNECTIONS and METRICS_TOKEN (an admin's or monitor's API token).

need_wrk() {
    if ! command -v wrk >/dev/null; then
        echo "installing wrk..." >&2
        (apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; })
    fi
}

# Waits until the server at $URL answers /readyz.
wait_ready() {
    for _ in $(seq 1 300); do
        curl -fsS "$URL/readyz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "the server did not start" >&2
    return 1
}

# A Lua script that requests `prefix .. line` for random lines of `file`, with optional headers.
random_script() {
    local file=$1 prefix=$2 header=${3:-}
    cat <<LUA
local lines = {}
for line in io.lines("$file") do lines[#lines + 1] = line end
math.randomseed(7)
request = function()
    return wrk.format("GET", "$prefix" .. lines[math.random(1, #lines)], { $header })
end
LUA
}

# The server's latency histogram for one route, as "count N" and "bucket cumulative" lines.
histogram() {
    curl -fsS -H "Authorization: Bearer $METRICS_TOKEN" "$URL/metrics" |
        awk -v route="$1" '$0 ~ /^tangkal_http_request_duration_seconds_(bucket|count)/ && index($0, "route=\"" route "\"") && index($0, "method=\"GET\"") {
            if ($0 ~ /_count/) { print "count", $NF } else { match($0, /le="[^"]*"/); print substr($0, RSTART + 4, RLENGTH - 5), $NF }
        }'
}

# The upper bound, in ms, of the bucket holding the 99th percentile of the requests between two scrapes.
server_p99() {
    python3 - "$1" "$2" <<'PY'
import sys
def read(text):
    rows = dict(line.split() for line in text.strip().splitlines())
    return {k: float(v) for k, v in rows.items()}
before, after = read(sys.argv[1]), read(sys.argv[2])
total = after["count"] - before.get("count", 0)
for bound in sorted((k for k in after if k not in ("count", "+Inf")), key=float):
    if after[bound] - before.get(bound, 0) >= 0.99 * total:
        print(f"{float(bound) * 1000:g}")
        break
else:
    print("inf")
PY
}

# Runs wrk against a route (its template as the metrics name it, then wrk's arguments) and prints
# "requests_per_second p99_ms server_p99_ms".
run() {
    local route=$1
    shift
    local before out rps p99
    before="$(histogram "$route")"
    out="$(wrk -t"$((CONNECTIONS < 2 ? 1 : 2))" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")"
    if grep -q "Non-2xx" <<<"$out"; then
        echo "non-2xx responses in: $*" >&2
        grep "Non-2xx" <<<"$out" >&2
        exit 1
    fi
    rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' <<<"$out")"
    echo "$rps $p99 $(server_p99 "$before" "$(histogram "$route")")"
}

# `row LABEL ROUTE WRK_ARGS...`: runs and appends a formatted line to ROWS.
declare -a ROWS
row() {
    local label=$1
    shift
    local rps p99 server
    read -r rps p99 server < <(run "$@")
    ROWS+=("$(printf "%-50s %10.0f %10.2f %14s" "$label" "$rps" "$p99" "≤ $server")")
}
