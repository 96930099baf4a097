#!/usr/bin/env bash
# One command from a fresh Debian / Raspberry Pi OS checkout to a running agent:
# installs what is missing (Python venv, Mosquitto), makes sure a local broker runs,
# and starts `voice-agent run` on configs/agent.example.yaml. Ctrl-C stops the agent, and
# the broker too if this script started it.
# Environment: VOICE_AGENT_CONFIG (another config), VOICE_AGENT_BROKER_PORT (its broker's
# port on 127.0.0.1, default 1883).
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh

config="${VOICE_AGENT_CONFIG:-configs/agent.example.yaml}"
port="${VOICE_AGENT_BROKER_PORT:-1883}"
started=""  # the broker this script started: "systemd", or the PID of its own Mosquitto
conf=""

stop_broker() {
    case $started in
        "") ;;
        systemd) systemctl stop mosquitto || true ;;
        *) kill "$started" 2>/dev/null || true; wait "$started" 2>/dev/null || true ;;
    esac
    [[ -z $conf ]] || rm -f "$conf"
}
trap stop_broker EXIT

if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "quickstart: no broker on 127.0.0.1:$port, starting Mosquitto"
    if [[ $port == 1883 ]] && command -v systemctl >/dev/null && systemctl start mosquitto 2>/dev/null; then
        started=systemd
    else
        conf=$(mktemp /tmp/voice-agent-mosquitto.XXXXXX.conf)
        printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" >"$conf"
        chmod 644 "$conf"
        mosquitto -c "$conf" 2>/dev/null &
        started=$!
    fi
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
fi
cat <<MSG
quickstart: the agent is starting with $config. In another terminal:
  mosquitto_sub -v -t '#'                                   # watch what devices receive
  .venv/bin/voice-agent say -c $config "turn on the kitchen light"
  mosquitto_pub -t voice-agent/kitchen-pi/command -m "dim the bedroom lamp"
MSG
# not exec: after Ctrl-C this script stops the broker it started
.venv/bin/voice-agent run --config "$config"
