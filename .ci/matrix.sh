#!/usr/bin/env bash
# CI stage: the version matrix (issue 10). Power, one-time boot and virtual media over Redfish
# against each KubeVirt/CDI release profile of the simulator, and docs/support-matrix.md checked
# against the outcomes. Kept out of `npm test` to keep the default suite short.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx --test --test-concurrency=1 --test-timeout=240000 test/matrix/*.ts
