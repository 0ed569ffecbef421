#!/usr/bin/env bash
# One door to the adapter (docs/architecture.md): traffic generators in workloads/ reach a host
# adapter only through the verbs layer (host_os/verbs). Only the system builder
# (workloads/system.*), which assembles the models, may touch adapters, their queue interface
# or the I/O units' firmware queues directly. Fails listing every offending line.
set -euo pipefail
root="${1:?usage: check_one_door.sh SOURCE_DIR}"
cd "$root"
pattern='AdapterContext|CompletionQueue|QueuePair|SendRequest|host\.adapter|host\.hca|host\.slots|hca->|#include "models/hca/'
files=$(ls workloads/*.cpp workloads/*.hpp | grep -v '^workloads/system\.')
if hits=$(grep -nE "$pattern" $files); then
  echo "workloads reach the adapter without the verbs layer (use host_os/verbs):" >&2
  echo "$hits" >&2
  exit 1
fi
echo "one door: $(echo $files | wc -w) workload files go through the verbs layer"
