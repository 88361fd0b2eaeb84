#!/usr/bin/env bash
# CI fuzz stage (issue 11): hostile requests over every route for about 60 s against the service
# on the simulator, with API outages injected. Fails on an unexpected 5xx, an error without a
# Redfish body or OData-Version, a request without an answer, a stack trace logged for a request,
# or heap growth. The seed is printed, so a failure replays with `npm run fuzz -- --seed N`.
# Long run: docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run fuzz -- --requests "${FUZZ_REQUESTS:-100000}" --max-seconds "${FUZZ_SECONDS:-60}"
