#!/usr/bin/env bash
# Runs the provider's main job offline: examples/demo applied against the local Polar-compatible server through dev_overrides.
set -euo pipefail
cd "$(dirname "$0")/.."

address=$(sed -n 's/.*Address: *"\([^"]*\)".*/\1/p' main.go) # declared once, in main.go
terraform=$(bash scripts/terraform.sh) # on PATH, else Terraform 1.5.7 built once from the Go module proxy
work=$(mktemp -d)
trap 'kill "${server_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

cat > "$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "$address" = "$PWD/bin"
  }
  direct {}
}
RC

bash scripts/progress.sh "building the local Polar-compatible server" -- go build -o "$work/localpolar" ./cmd/localpolar
port=$(( 20000 + RANDOM % 20000 ))
"$work/localpolar" -addr "127.0.0.1:$port" &
server_pid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

cp examples/demo/main.tf "$work/"
export TF_CLI_CONFIG_FILE="$work/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export POLAR_SERVER_URL="http://127.0.0.1:$port"
POLAR_ACCESS_TOKEN=$("$work/localpolar" -print-token)
export POLAR_ACCESS_TOKEN

cd "$work"
echo "== terraform apply with $terraform (local Polar-compatible server at $POLAR_SERVER_URL)"
"$terraform" apply -auto-approve -input=false -no-color
echo "== terraform plan: expect no changes"
"$terraform" plan -detailed-exitcode -input=false -no-color
echo "== terraform destroy: meters are archived, not deleted"
"$terraform" destroy -auto-approve -input=false -no-color
echo "== demo finished: created, planned clean, archived"
