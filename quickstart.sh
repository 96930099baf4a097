#!/usr/bin/env bash
# One command from a fresh Debian / Raspberry Pi OS checkout to a running agent:
# installs what is missing (Python venv, Mosquitto), makes sure a local broker runs,
# and starts `voice-agent run` on configs/agent.example.yaml (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh

config="${VOICE_AGENT_CONFIG:-configs/agent.example.yaml}"
if ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
    echo "quickstart: no broker on 127.0.0.1:1883, starting Mosquitto"
    if command -v systemctl >/dev/null && systemctl start mosquitto 2>/dev/null; then
        :
    else
        conf=$(mktemp /tmp/voice-agent-mosquitto.XXXXXX.conf)
        printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' >"$conf"
        chmod 644 "$conf"
        mosquitto -d -c "$conf"
    fi
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null && break; sleep 0.1; done
fi
cat <<MSG
quickstart: the agent is starting with $config. In another terminal:
  mosquitto_sub -v -t '#'                                   # watch what devices receive
  .venv/bin/voice-agent say -c $config "turn on the kitchen light"
  mosquitto_pub -t voice-agent/kitchen-pi/command -m "dim the bedroom lamp"
MSG
exec .venv/bin/voice-agent run --config "$config"
