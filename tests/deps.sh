#!/usr/bin/env bash
# Installs what lakefront needs to build, test and run its demo on Debian 12,
# with apt-get. Idempotent: when every package is already installed it does
# nothing and needs no network. Not root and something missing: says what and
# exits 1.
#
#   tests/deps.sh
set -euo pipefail

# Debian 12 names. libFuzzer is not in the clang package: clang 14 finds
# libclang_rt.fuzzer-*.a in libclang-rt-14-dev (a Recommends of clang, so it
# is absent when recommends are off). ss, used by tests/pg.sh when present,
# comes with iproute2. deploy/package and tests/package/run need patchelf and
# binutils (readelf, objdump, strip), and /usr/bin/python3 with jsonschema
# and yaml to validate the bundle. libyajl-dev reads batch bodies; chromium
# is the real browser of the CORS test; prometheus brings promtool.
packages=(
    build-essential cmake pkg-config
    libmicrohttpd-dev libpq-dev libcjson-dev libcurl4-openssl-dev libinih-dev libyajl-dev
    postgresql-15 postgresql-client-15
    curl python3 clang libclang-rt-14-dev wrk nghttp2-client procps iproute2
    patchelf binutils python3-jsonschema python3-yaml chromium prometheus
)

# node and npm run tests/openapi/validate.mjs (the OpenAPI validator of
# tests/integration/test_openapi.py). Debian's only when there are none: a
# node installed another way (nodesource's bundles its npm) would conflict
# with Debian's nodejs and npm packages.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
fi

# The validator's npm packages, exactly as tests/openapi/package-lock.json
# pins them. npm ci only when node_modules is missing or older than the lock
# file (npm writes node_modules/.package-lock.json last), so that a second
# run needs no network.
openapi_deps() {
    local dir
    dir="$(dirname "${BASH_SOURCE[0]}")/openapi"
    if [[ ! -f "$dir/node_modules/.package-lock.json" ||
          "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
        echo "deps: npm ci in tests/openapi" >&2
        (cd "$dir" && npm ci --no-audit --no-fund)
    fi
}

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$p")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "deps: all ${#packages[@]} packages present" >&2
    openapi_deps
    exit 0
fi

if ((EUID != 0)); then
    echo "deps: missing packages: ${missing[*]}" >&2
    echo "deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "deps: installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

# Check again: a package that apt skipped would otherwise surface later as a
# puzzling build error.
still=()
for p in "${missing[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || still+=("$p")
done
if ((${#still[@]} > 0)); then
    echo "deps: still missing after apt-get install: ${still[*]}" >&2
    exit 1
fi
echo "deps: done" >&2
openapi_deps
