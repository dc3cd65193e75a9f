# Shared by the compose commands: where a cluster lives and how to reach its supervisor.
# A cluster is a state directory (default ./var): run/ (sockets, endpoints), data/ (the store),
# log/ (one file per process), compose/ (the generated supervisord.conf, the counts in use),
# nodes/ (each kubelet's data), images/ (the machine's image store).
set -euo pipefail

COMPOSE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$COMPOSE_DIR")
STATE_DIR=${SKIFF_STATE_DIR:-$REPO_DIR/var}
BIN_DIR=${SKIFF_BIN_DIR:-$REPO_DIR/bin}

# --dir DIR and --bin DIR, accepted by every command, before its own arguments.
parse_common() {
  ARGS=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --dir) STATE_DIR=$2; shift 2 ;;
      --bin) BIN_DIR=$2; shift 2 ;;
      *) ARGS+=("$1"); shift ;;
    esac
  done
  mkdir -p "$STATE_DIR"
  STATE_DIR=$(cd "$STATE_DIR" && pwd)
  BIN_DIR=$(cd "$BIN_DIR" 2>/dev/null && pwd || echo "$BIN_DIR")
  # shellcheck source=cluster.conf
  source "$COMPOSE_DIR/cluster.conf"
  [ -f "$STATE_DIR/compose/counts.env" ] && source "$STATE_DIR/compose/counts.env"
  # Network namespace names are per cluster, so a test cluster and yours can run side by side.
  CLUSTER_ID=$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-6)
  SUPERVISOR_CONF=$STATE_DIR/compose/supervisord.conf
}

node_netns() { echo "skiff-$CLUSTER_ID-n$1"; }
fabric_netns() { echo "skiff-$CLUSTER_ID-fabric"; }
node_ip() { echo "$NODE_NETWORK_PREFIX.$((10 + $1))"; }
node_pod_cidr() { echo "$POD_CIDR_PREFIX.$1.0/24"; }

# How many processes of controller NAME run: COUNT_<NAME with - as _>, default 1.
controller_count() {
  local var="COUNT_${1//-/_}"
  echo "${!var:-1}"
}

is_controller() { [[ " $(echo $CONTROLLERS) " == *" $1 "* ]]; }

# Writes the counts in use, which compose/render and later commands read back.
save_counts() {
  {
    printf 'NODES=%s\nSCHEDULERS=%s\nTRANSPORT=%s\n' "$NODES" "$SCHEDULERS" "$TRANSPORT"
    for c in $CONTROLLERS; do printf 'COUNT_%s=%s\n' "${c//-/_}" "$(controller_count "$c")"; done
  } > "$STATE_DIR/compose/counts.env"
}

supervisor_running() {
  [ -f "$STATE_DIR/compose/supervisord.pid" ] && kill -0 "$(cat "$STATE_DIR/compose/supervisord.pid")" 2>/dev/null
}

ctl() { supervisorctl -c "$SUPERVISOR_CONF" "$@"; }

# With TRANSPORT=tcp the control plane is another "host": the fabric namespace. Commands that
# talk to the API run there (prefix), and so do the control plane's processes.
control_plane_exec() {
  if [ "$TRANSPORT" = tcp ]; then echo "/usr/bin/nsenter --net=/run/netns/$(fabric_netns) --"; fi
}
api_server_url() { echo "tcp://$DNS_ADDRESS:$API_PORT"; }
api_events_url() { echo "tcp://$DNS_ADDRESS:$API_EVENTS_PORT"; }
# A node's run directory: the cluster's with ipc, its own with tcp (nothing shared but the API).
node_run_dir() { if [ "$TRANSPORT" = tcp ]; then echo "$STATE_DIR/hosts/node-$1/run"; else echo "$STATE_DIR/run"; fi; }

die() { echo "compose: $*" >&2; exit 1; }

# Credentials: one identity per component (the RBAC bootstrap policy binds each to its role),
# as a static token file for the apiserver and a kubeconfig per identity. kubeconfig_of NAME
# is where identity NAME's kubeconfig lives; the admin's is STATE_DIR/kubeconfig.
kubeconfig_of() { echo "$STATE_DIR/secrets/kubeconfigs/$1.kubeconfig"; }
new_token() { od -An -tx1 -N20 /dev/urandom | tr -d ' \n'; }
# write_kubeconfig FILE USER TOKEN: the cluster's endpoints (ipc sockets, or tcp on the fabric)
# and USER's token, readable by root alone.
write_kubeconfig() {
  local file=$1 user=$2 token=$3 server events
  if [ "$TRANSPORT" = tcp ]; then server=$(api_server_url); events=$(api_events_url)
  else server="ipc://$STATE_DIR/run/apiserver.sock"; events="ipc://$STATE_DIR/run/apiserver-events.sock"; fi
  (umask 077; cat > "$file" <<KUBECONFIG
apiVersion: v1
kind: Config
current-context: skiff
clusters:
- name: skiff
  cluster:
    server: "$server"
    extensions:
    - name: skiff.events
      extension:
        server: "$events"
contexts:
- name: skiff
  context:
    cluster: skiff
    user: "$user"
users:
- name: "$user"
  user:
    token: "$token"
KUBECONFIG
  )
}
# write_credentials: fresh tokens for the admin and every component of this cluster's shape,
# the apiserver's token file (plus the operator's own users from secrets/users.csv), and the
# kubeconfigs.
write_credentials() {
  local dir=$STATE_DIR/secrets token identity groups
  (umask 077; mkdir -p "$dir/kubeconfigs"; : > "$dir/tokens.csv.new")
  token=$(new_token)
  echo "$token,admin,admin,\"system:masters\"" >> "$dir/tokens.csv.new"
  write_kubeconfig "$STATE_DIR/kubeconfig" admin "$token"
  for identity in system:kube-scheduler system:kube-proxy system:kube-dns \
      $(for c in $CONTROLLERS; do echo "system:controller:$c"; done) \
      $(for i in $(seq 1 "$NODES"); do echo "system:node:node-$i"; done); do
    groups=""
    [[ $identity == system:node:* ]] && groups=",\"system:nodes\""
    token=$(new_token)
    echo "$token,$identity,$identity$groups" >> "$dir/tokens.csv.new"
    write_kubeconfig "$(kubeconfig_of "$identity")" "$identity" "$token"
  done
  # People the operator added keep their tokens across restarts.
  [ -f "$dir/users.csv" ] && cat "$dir/users.csv" >> "$dir/tokens.csv.new"
  mv "$dir/tokens.csv.new" "$dir/tokens.csv"
}
