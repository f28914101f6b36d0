#!/usr/bin/env bash
# Multi-agent example, offline: a "writer" agent delegates the source audit to an "auditor" and the
# data summary to a "summarizer" (two child runs, in parallel), then writes one report from their
# findings. Run from the repository root: npm run example:team
set -euo pipefail
cd "$(dirname "$0")/.."
for agent in auditor summarizer writer; do
  npx autonoma agents create --file "examples/agents/$agent.json" >/dev/null
done
npx autonoma run --agent writer --spec examples/team-audit.json "$@"
