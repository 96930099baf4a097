#!/usr/bin/env bash
# Install voice-agent as a systemd service on Raspberry Pi OS / Debian (bookworm or newer,
# 64-bit: arm64 or amd64). Run from the source folder:   sudo ./install.sh
#
# Safe to run again: it changes only what is missing or out of date, and says so.
#   --with-broker   also install Mosquitto (done anyway when the config's broker is local)
#   --no-model      skip the Vosk English model (speech then uses pocketsphinx)
#   --dry-run       say what would change, change nothing
#   --uninstall     remove the service, program and user; keep config and models
#   --purge         with --uninstall: remove /etc/voice-agent and /var/lib/voice-agent too
# Environment: VOICE_AGENT_MODEL_URL fetches the Vosk model from a mirror or a file:// path.
set -euo pipefail

readonly PREFIX=/opt/voice-agent
readonly VENV=$PREFIX/venv
readonly CONFIG_DIR=/etc/voice-agent
readonly CONFIG=$CONFIG_DIR/config.yaml
readonly STATE_DIR=/var/lib/voice-agent
readonly MODELS_DIR=$STATE_DIR/models
readonly UNIT=/etc/systemd/system/voice-agent.service
readonly LINK=/usr/local/bin/voice-agent
readonly SERVICE_USER=voice-agent
readonly LOCK=/run/voice-agent-install.lock
readonly APT_PACKAGES=(python3-venv libportaudio2 libatomic1 ca-certificates)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SRC

with_broker=false
with_model=true
dry_run=false
uninstall=false
purge=false
changes=()
problems=()

say() { printf 'voice-agent install: %s\n' "$*"; }
die() {
    printf 'voice-agent install: error: %s\n' "$*" >&2
    exit 1
}
changed() {
    changes+=("$1")
    if $dry_run; then say "would: $1"; else say "$1"; fi
}
# Run a command, or only show it with --dry-run.
act() {
    if $dry_run; then return 0; fi
    "$@"
}

usage() {
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

parse_args() {
    while (($#)); do
        case $1 in
        --with-broker) with_broker=true ;;
        --no-model) with_model=false ;;
        --dry-run) dry_run=true ;;
        --uninstall) uninstall=true ;;
        --purge) purge=true ;;
        -h | --help)
            usage
            exit 0
            ;;
        *) die "unknown option $1 (see ./install.sh --help)" ;;
        esac
        shift
    done
    if $purge && ! $uninstall; then die "--purge goes with --uninstall"; fi
}

os_field() {
    sed -n "s/^$1=//p" /etc/os-release | tr -d '"' | head -n1
}

preflight() {
    [[ $EUID -eq 0 ]] || die "run as root: sudo $0${*:+ $*}"
    [[ -r /etc/os-release ]] || die "unsupported system: no /etc/os-release (Debian or Raspberry Pi OS bookworm needed)"
    local id version like
    id=$(os_field ID)
    like=$(os_field ID_LIKE)
    version=$(os_field VERSION_CODENAME)
    if [[ $id != debian && $id != raspbian && $like != *debian* ]]; then
        die "unsupported OS '$id': this installer is for Raspberry Pi OS and Debian"
    fi
    case $version in
    bookworm | trixie) ;;
    *) die "unsupported release '$version': Debian or Raspberry Pi OS bookworm (12) or newer needed" ;;
    esac
    local arch
    arch=$(dpkg --print-architecture)
    case $arch in
    arm64 | amd64) ;;
    armhf | armel) die "unsupported architecture $arch: install the 64-bit Raspberry Pi OS (onnxruntime has no 32-bit ARM build)" ;;
    *) die "unsupported architecture $arch: arm64 (Raspberry Pi OS 64-bit) or amd64 needed" ;;
    esac
    [[ -d /run/systemd/system ]] || die "systemd is not running here; the service needs it"
    [[ -f $SRC/pyproject.toml && -f $SRC/systemd/voice-agent.service ]] ||
        die "run install.sh from the voice-agent source folder ($SRC has no pyproject.toml)"
    exec 9>"$LOCK"
    flock -n 9 || die "another install.sh is running (lock $LOCK)"
}

# mqtt.<key> from the installed config, else the example.
mqtt_setting() {
    local file=$CONFIG value
    [[ -f $file ]] || file=$SRC/configs/agent.example.yaml
    value=$(awk -v key="$1:" '/^mqtt:/ {m=1; next} /^[^ #]/ {m=0} m && $1==key {print $2; exit}' "$file")
    value=${value%%#*}
    echo "${value//[\"\']/}"
}

# Mosquitto is installed when asked for, or when the config names a broker on this machine
# and nothing answers there yet.
wants_broker() {
    $with_broker && return 0
    dpkg-query -W -f='${Status}' mosquitto 2>/dev/null | grep -q "install ok installed" && return 0
    local host port
    host=$(mqtt_setting host)
    port=$(mqtt_setting port)
    [[ -z $host || $host == localhost || $host == 127.* || $host == ::1 ]] || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/${port:-1883}") 2>/dev/null; then
        say "a broker already answers at 127.0.0.1:${port:-1883}: Mosquitto not needed"
        return 1
    fi
}

install_packages() {
    local wanted=("${APT_PACKAGES[@]}") missing=() pkg
    if wants_broker; then wanted+=(mosquitto); fi
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    changed "apt packages installed: ${missing[*]}"
    act env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    act env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    if [[ " ${missing[*]} " == *" mosquitto "* ]]; then
        act systemctl enable --now mosquitto
    fi
}

create_user() {
    if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
        changed "system user $SERVICE_USER created (group audio)"
        act useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home \
            --shell /usr/sbin/nologin --groups audio "$SERVICE_USER"
    elif ! id -nG "$SERVICE_USER" | tr ' ' '\n' | grep -qx audio; then
        changed "user $SERVICE_USER added to group audio"
        act usermod -aG audio "$SERVICE_USER"
    fi
}

# What is being installed: the package sources and the shipped model, by content.
source_digest() {
    (cd "$SRC" && find pyproject.toml README.md agent models/intent-minilm -type f \
        ! -name '*.pyc' ! -path '*/__pycache__/*' ! -name 'model.onnx' -print0 |
        LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

install_program() {
    local digest stamp=$PREFIX/.source-sha256
    digest=$(source_digest)
    if [[ ! -x $VENV/bin/python ]]; then
        changed "virtual environment created in $VENV"
        act mkdir -p "$PREFIX"
        act python3 -m venv "$VENV"
    fi
    if [[ ! -f $stamp || $(cat "$stamp") != "$digest" ]]; then
        changed "voice-agent $(awk -F'"' '/^version =/ {print $2; exit}' "$SRC/pyproject.toml") installed into $VENV"
        if ! $dry_run; then
            # built from a copy: setuptools would write build files into the source folder
            local build
            build=$(mktemp -d)
            cp -r "$SRC/pyproject.toml" "$SRC/README.md" "$SRC/agent" "$build/"
            "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir "$build"
            rm -rf "$build"
        fi
        act install -m 0644 "$SRC/README.md" "$PREFIX/README.md"
        act install -d -m 0755 "$PREFIX/models/intent-minilm"
        local f
        for f in model.int8.onnx tokenizer.json labels.json MODEL_CARD.md metrics.json; do
            act install -m 0644 "$SRC/models/intent-minilm/$f" "$PREFIX/models/intent-minilm/$f"
        done
        if ! $dry_run; then echo "$digest" >"$stamp"; fi
    fi
    if [[ "$(readlink "$LINK" 2>/dev/null)" != "$VENV/bin/voice-agent" ]]; then
        changed "command linked: $LINK"
        act ln -sfn "$VENV/bin/voice-agent" "$LINK"
    fi
}

install_config() {
    if [[ -f $CONFIG ]]; then
        return 0 # the user's config: never overwritten
    fi
    changed "config written to $CONFIG (from configs/agent.example.yaml; edit it for your home)"
    act install -d -m 0750 -o root -g "$SERVICE_USER" "$CONFIG_DIR"
    if ! $dry_run; then
        sed -e "s#^\(  model:\) \.\./models/intent-minilm#\1 $PREFIX/models/intent-minilm#" \
            "$SRC/configs/agent.example.yaml" >"$CONFIG.new"
        chown "root:$SERVICE_USER" "$CONFIG.new"
        chmod 0640 "$CONFIG.new"
        mv "$CONFIG.new" "$CONFIG"
    fi
}

install_model() {
    act install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$STATE_DIR" "$MODELS_DIR"
    $with_model || return 0
    local url=() out
    [[ -z ${VOICE_AGENT_MODEL_URL:-} ]] || url=(--url "$VOICE_AGENT_MODEL_URL")
    if $dry_run; then
        [[ -f $MODELS_DIR/vosk-model-small-en-us-0.15/am/final.mdl ]] ||
            changed "Vosk model vosk-model-small-en-us-0.15 downloaded into $MODELS_DIR"
        return 0
    fi
    # The command verifies every file; it does nothing when the model is already in place.
    if out=$("$VENV/bin/voice-agent" models download vosk-small-en --dir "$MODELS_DIR" "${url[@]}" 2>&1 |
        tee /dev/stderr); then
        if [[ $out != *"already installed"* ]]; then
            changes+=("Vosk model vosk-model-small-en-us-0.15 installed in $MODELS_DIR")
        fi
        chown -R "$SERVICE_USER:$SERVICE_USER" "$MODELS_DIR"
    else
        problems+=("the Vosk English model could not be installed (speech recognition uses pocketsphinx until it is): ${out##*voice-agent: }")
    fi
}

install_unit() {
    if ! cmp -s "$SRC/systemd/voice-agent.service" "$UNIT"; then
        changed "systemd unit installed: $UNIT"
        act install -m 0644 "$SRC/systemd/voice-agent.service" "$UNIT"
        act systemctl daemon-reload
    fi
    if ! systemctl is-enabled -q voice-agent 2>/dev/null; then
        changed "service enabled at boot"
        act systemctl enable -q voice-agent
    fi
}

start_service() {
    if systemctl is-active -q voice-agent; then
        if ((${#changes[@]})); then
            changed "service restarted"
            act systemctl restart --no-block voice-agent
        fi
    else
        changed "service started"
        act systemctl start --no-block voice-agent
    fi
    $dry_run && return 0
    local i
    for ((i = 0; i < 60; i++)); do
        systemctl is-active -q voice-agent && return 0
        sleep 1
    done
    problems+=("the service is not running yet: $(systemctl show -P StatusText voice-agent) (see journalctl -u voice-agent)")
}

do_uninstall() {
    if systemctl is-active -q voice-agent 2>/dev/null || systemctl is-enabled -q voice-agent 2>/dev/null; then
        changed "service stopped and disabled"
        act systemctl disable -q --now voice-agent
    fi
    if [[ -f $UNIT ]]; then
        changed "systemd unit removed"
        act rm -f "$UNIT"
        act systemctl daemon-reload
    fi
    if [[ -L $LINK ]]; then
        changed "$LINK removed"
        act rm -f "$LINK"
    fi
    if [[ -x $VENV/bin/voice-agent && -f $CONFIG ]] && grep -q '^home_assistant:' "$CONFIG"; then
        # the agent's own entities in Home Assistant go with it
        if $dry_run; then
            say "would: remove the agent's entities from Home Assistant"
        elif ! "$VENV/bin/voice-agent" forget --config "$CONFIG"; then
            say "could not remove the agent's entities from Home Assistant (is the broker up?)"
        fi
    fi
    if [[ -d $PREFIX ]]; then
        changed "$PREFIX removed"
        act rm -rf "$PREFIX"
    fi
    if $purge; then
        local d
        for d in "$CONFIG_DIR" "$STATE_DIR"; do
            if [[ -e $d ]]; then
                changed "$d removed"
                act rm -rf "$d"
            fi
        done
        if id -u "$SERVICE_USER" >/dev/null 2>&1; then
            changed "user $SERVICE_USER removed"
            act userdel "$SERVICE_USER"
        fi
    else
        say "kept: $CONFIG_DIR (config) and $STATE_DIR (models); --uninstall --purge removes them"
    fi
    say "Mosquitto and the apt packages were left installed"
}

report() {
    local verb=changed
    $dry_run && verb="would change"
    if ((${#changes[@]} == 0)); then
        say "voice-agent is installed and up to date: nothing changed"
    else
        say "done: ${#changes[@]} thing(s) $verb"
    fi
    local p
    for p in "${problems[@]}"; do
        printf 'voice-agent install: error: %s\n' "$p" >&2
    done
    if ! $uninstall && ! $dry_run; then
        cat <<EOF

  status:   systemctl status voice-agent
  logs:     journalctl -u voice-agent -f
  check:    sudo -u $SERVICE_USER voice-agent check
  config:   $CONFIG (then: sudo systemctl restart voice-agent)
EOF
    fi
    ((${#problems[@]} == 0))
}

main() {
    parse_args "$@"
    preflight "$@"
    if $uninstall; then
        do_uninstall
    else
        install_packages
        create_user
        install_program
        install_config
        install_model
        install_unit
        start_service
    fi
    report
}

main "$@"
