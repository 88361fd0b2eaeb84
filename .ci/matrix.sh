#!/usr/bin/env bash
# CI stage: the version matrix (issue 10). Power, one-time boot and virtual media over Redfish,
# and sushy's Ironic virtual-media deploy, against each KubeVirt/CDI release profile of the
# simulator, and docs/support-matrix.md checked against the outcomes (about 40 s). Kept out of
# `npm test` to keep the default suite short.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx --test --test-concurrency=1 --test-timeout=240000 test/matrix/*.ts
