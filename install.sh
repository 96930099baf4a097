#!/usr/bin/env bash
# Install voice-agent as a systemd service on Raspberry Pi OS / Debian (bookworm or newer,
# 64-bit: arm64 or amd64). Run from the source folder:   sudo ./install.sh
#
# Safe to run again: it changes only what is missing or out of date, and says so.
#   --with-broker   also install Mosquitto (done anyway when the config's broker is local and
#                   none answers), with logins and ACLs (README.md, Security)
#   --no-model      skip the Moonshine English speech model (speech then uses pocketsphinx)
#   --dry-run       say what would change, change nothing
#   --uninstall     remove the service, program and user; keep config, models, broker logins
#   --purge         with --uninstall: remove /etc/voice-agent, /var/lib/voice-agent and the
#                   Mosquitto logins and ACLs too
# Environment: VOICE_AGENT_MODEL_URL fetches the Moonshine model's wheel from a mirror or a
# file:// path.
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
# The Mosquitto set up here (README.md, Security): its settings, logins and ACLs, and the
# logins' passwords for people to copy into Home Assistant, device bridges and scripts.
readonly MOSQ_DIR=/etc/mosquitto
readonly MOSQ_CONF=$MOSQ_DIR/conf.d/voice-agent.conf
readonly MOSQ_PASSWD=$MOSQ_DIR/voice-agent.passwd
readonly MOSQ_ACL=$MOSQ_DIR/voice-agent.acl
readonly MOSQ_LOGINS=$MOSQ_DIR/voice-agent.logins
readonly AGENT_LOGIN=voice-agent
readonly BROKER_LOGINS=("$AGENT_LOGIN" homeassistant devices voice-commander)
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SRC

with_broker=false
broker_new=false  # Mosquitto is installed by this run
broker_changes=0  # changes to the broker alone: the agent needn't restart for them
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
broker_changed() {
    changed "$1"
    broker_changes=$((broker_changes + 1))
}
# Run a command, or only show it with --dry-run.
act() {
    if $dry_run; then return 0; fi
    "$@"
}

usage() {
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
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

is_unset() { [[ -z $1 || $1 == null || $1 == "~" ]]; }
is_local_host() { is_unset "$1" || [[ $1 == localhost || $1 == 127.* || $1 == ::1 ]]; }
has_mosquitto() {
    dpkg-query -W -f='${Status}' mosquitto 2>/dev/null | grep -q "install ok installed"
}

# Mosquitto is installed when asked for, or when the config names a broker on this machine
# and nothing answers there yet.
wants_broker() {
    $with_broker && return 0
    has_mosquitto && return 0
    local host port
    host=$(mqtt_setting host)
    port=$(mqtt_setting port)
    is_local_host "$host" || return 1
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
        broker_new=true # configure_broker (re)starts it with its logins
        act systemctl enable -q mosquitto
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
    (cd "$SRC" && find pyproject.toml README.md agent models/intent-minilm models/wake-hey-computer -type f \
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
            "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir "${build}[speech]"
            rm -rf "$build"
        fi
        act install -m 0644 "$SRC/README.md" "$PREFIX/README.md"
        act install -d -m 0755 "$PREFIX/models/intent-minilm"
        local f
        for f in model.int8.onnx tokenizer.json labels.json MODEL_CARD.md metrics.json; do
            act install -m 0644 "$SRC/models/intent-minilm/$f" "$PREFIX/models/intent-minilm/$f"
        done
        # the wake classifier: found beside the venv ($PREFIX/models), no config key needed
        act install -d -m 0755 "$PREFIX/models/wake-hey-computer"
        for f in wake.int8.onnx wake.json MODEL_CARD.md; do
            act install -m 0644 "$SRC/models/wake-hey-computer/$f" "$PREFIX/models/wake-hey-computer/$f"
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

# --- The broker: every client logs in, and an ACL says who may write what (README.md,
# Security). Only a Mosquitto this script installed, or a stock one with --with-broker; a
# Mosquitto someone has set up is left alone.

# No listener, login or ACL settings anywhere in Mosquitto's config but ours.
mosquitto_is_stock() {
    local files=("$MOSQ_DIR/mosquitto.conf") f
    for f in "$MOSQ_DIR"/conf.d/*.conf; do
        if [[ -e $f && $f != "$MOSQ_CONF" ]]; then files+=("$f"); fi
    done
    ! grep -Eqs '^[[:space:]]*(listener|port|bind_address|bind_interface|allow_anonymous|password_file|acl_file|per_listener_settings|plugin|auth_plugin)([[:space:]]|$)' \
        "${files[@]}"
}

broker_managed() {
    [[ -f $MOSQ_CONF ]] || $broker_new || { $with_broker && has_mosquitto && mosquitto_is_stock; }
}

broker_port() {
    local port
    if is_local_host "$(mqtt_setting host)"; then port=$(mqtt_setting port); fi
    is_unset "${port:-}" && port=1883
    echo "$port"
}

broker_settings() {
    cat <<EOF
# Written by voice-agent's install.sh (README.md, Security); ./install.sh --uninstall --purge
# removes it. Every client logs in: the logins are in $MOSQ_PASSWD
# (mosquitto_passwd makes them), what each may read and write is in $MOSQ_ACL.
#
# One listener on every address: devices on the LAN (Tasmota, ESPHome, a Zigbee2MQTT on
# another machine) and a Home Assistant elsewhere must reach the broker, and with logins
# required that is safe to offer; localhost answers as on a stock install. To keep the
# broker to this machine instead: listener $(broker_port) 127.0.0.1
listener $(broker_port)
allow_anonymous false
password_file $MOSQ_PASSWD
acl_file $MOSQ_ACL
# A home of thousands of devices announces thousands of retained discovery configs at once;
# the stock limit (1000 queued per client) dropped most of them on the way to a subscriber.
max_queued_messages 20000
EOF
}

broker_acl() {
    local prefix
    prefix=$(mqtt_setting topic_prefix)
    prefix=${prefix#/}
    prefix=${prefix%/}
    if is_unset "$prefix"; then prefix=voice-agent; fi
    cat <<EOF
# Who may read and write what on this broker: written by voice-agent's install.sh (README.md,
# Security). The passwords: $MOSQ_LOGINS. A user may do only what its lines
# allow, and "deny" takes reading and writing away together.

# The agent: its own topics, Home Assistant discovery, and every device's command topic,
# which are whatever the devices use: so everything.
user $AGENT_LOGIN
topic readwrite #

# Home Assistant. It commands every device directly, so commanding the agent through its
# text box ($prefix/<site>/command) and push-to-talk button ($prefix/<site>/listen) adds
# nothing; it reads the agent's status, transcript and replies.
user homeassistant
topic readwrite #

# Devices and device bridges (Zigbee2MQTT, Tasmota, ESPHome): their topics and discovery, but
# none of the agent's: they can neither command it nor pose as it.
user devices
topic deny $prefix/#
topic readwrite #

# Phones, scripts, Node-RED: may command the agent and read its replies, and nothing else.
user voice-commander
topic write $prefix/+/command
topic write $prefix/+/listen
topic read $prefix/#
EOF
}

# Write text $4 to $1 with mode $2 and owner $3, replacing it in one step.
put_file() {
    printf '%s\n' "$4" >"$1.new"
    chown "$3" "$1.new"
    chmod "$2" "$1.new"
    mv -f "$1.new" "$1"
}

new_password() {
    head -c 30 /dev/urandom | base64 | tr -d '+/=\n'
}

# The password install.sh made for login $1 (empty if it made none).
login_password() {
    [[ -f $MOSQ_LOGINS ]] || return 0
    awk -v user="$1" '$1 == user {password = $2} END {print password}' "$MOSQ_LOGINS"
}

# Mosquitto logins for the users named, with new random passwords: into the password file
# (hashed, for Mosquitto) and the logins file (plain, root only, for people to copy).
add_logins() {
    local passwd logins user password
    passwd=$(mktemp "$MOSQ_DIR/.voice-agent.passwd.XXXXXX")
    logins=$(mktemp "$MOSQ_DIR/.voice-agent.logins.XXXXXX")
    if [[ -f $MOSQ_PASSWD ]]; then cat "$MOSQ_PASSWD" >"$passwd"; fi
    if [[ -f $MOSQ_LOGINS ]]; then
        cat "$MOSQ_LOGINS" >"$logins"
    else
        printf '# Mosquitto logins made by voice-agent install.sh: user password (README.md, Security)\n' >"$logins"
    fi
    for user in "$@"; do
        password=$(new_password)
        mosquitto_passwd -b "$passwd" "$user" "$password"
        awk -v user="$user" '$1 != user' "$logins" >"$logins.x"
        printf '%s %s\n' "$user" "$password" >>"$logins.x"
        mv -f "$logins.x" "$logins"
    done
    chown mosquitto:mosquitto "$passwd"
    chmod 0600 "$passwd"
    mv -f "$passwd" "$MOSQ_PASSWD"
    chmod 0600 "$logins"
    mv -f "$logins" "$MOSQ_LOGINS"
}

# The agent's login into its config: only while the config still points at this machine's
# broker and has no login of its own.
config_login() {
    local password=
    is_local_host "$(mqtt_setting host)" || return 0
    if ! is_unset "$(mqtt_setting username)" || ! is_unset "$(mqtt_setting password)" ||
        ! is_unset "$(mqtt_setting password_file)"; then
        return 0
    fi
    if [[ -f $CONFIG ]] && grep -q '^mqtt:' "$CONFIG" && ! grep -Eq '^mqtt:[[:space:]]*(#.*)?$' "$CONFIG"; then
        problems+=("$CONFIG: add the broker login by hand (mqtt.username: $AGENT_LOGIN, mqtt.password from $MOSQ_LOGINS)")
        return 0
    fi
    if ! $dry_run; then
        password=$(login_password "$AGENT_LOGIN")
        if [[ -z $password ]]; then
            problems+=("$MOSQ_LOGINS has no password for $AGENT_LOGIN: set one (mosquitto_passwd $MOSQ_PASSWD $AGENT_LOGIN) and put it in $CONFIG (mqtt.username, mqtt.password)")
            return 0
        fi
    fi
    changed "broker login $AGENT_LOGIN written into $CONFIG (mqtt.username, mqtt.password)"
    $dry_run && return 0
    # username and password replace the ones in the mqtt section, or are added to it
    VA_USER=$AGENT_LOGIN VA_PASSWORD=$password awk '
        BEGIN { note = "  # set by install.sh for its Mosquitto (README.md, Security)" }
        function add() {
            if (!ind) ind = "  "
            if (!u) print ind "username: " ENVIRON["VA_USER"] note
            if (!p) print ind "password: \"" ENVIRON["VA_PASSWORD"] "\"" note
            u = p = 1
        }
        /^mqtt:[ \t]*(#.*)?$/ { print; m = 1; seen = 1; next }
        m && /^[^ \t#]/ { add(); m = 0 }
        m && !ind && match($0, /^[ \t]+[^ \t#]/) { ind = substr($0, 1, RLENGTH - 1) }
        m && /^[ \t]+username:/ { sub(/username:.*/, "username: " ENVIRON["VA_USER"] note); u = 1 }
        m && /^[ \t]+password:/ { sub(/password:.*/, "password: \"" ENVIRON["VA_PASSWORD"] "\"" note); p = 1 }
        { print }
        END { if (m) add(); if (!seen) { print "mqtt:"; add() } }
    ' "$CONFIG" >"$CONFIG.new"
    chown "root:$SERVICE_USER" "$CONFIG.new"
    chmod 0640 "$CONFIG.new"
    mv -f "$CONFIG.new" "$CONFIG"
}

# What to tell about a Mosquitto this script does not manage.
broker_hint() {
    has_mosquitto || return 0
    if $with_broker; then
        say "Mosquitto has settings of its own here (listeners, logins or ACLs): left as they are; README.md, Security, says how to add the agent's logins"
    elif mosquitto_is_stock; then
        say "Mosquitto here obeys any local program, no login needed: sudo ./install.sh --with-broker sets up logins and ACLs (README.md, Security)"
    fi
}

configure_broker() {
    if ! broker_managed; then
        broker_hint
        return 0
    fi
    local restart=$broker_new reload=false user missing=() file
    # Both written once and then the user's to edit, like the config.
    if [[ ! -f $MOSQ_CONF ]]; then
        broker_changed "Mosquitto settings written: every client logs in, on port $(broker_port) ($MOSQ_CONF)"
        act put_file "$MOSQ_CONF" 0644 root:root "$(broker_settings)"
        restart=true
    fi
    if [[ ! -f $MOSQ_ACL ]]; then
        broker_changed "Mosquitto ACL written: who may read and write what ($MOSQ_ACL)"
        act put_file "$MOSQ_ACL" 0600 mosquitto:mosquitto "$(broker_acl)"
        reload=true
    fi
    for user in "${BROKER_LOGINS[@]}"; do
        grep -qs "^$user:" "$MOSQ_PASSWD" || missing+=("$user")
    done
    if ((${#missing[@]})); then
        broker_changed "Mosquitto logins made: ${missing[*]} (passwords in $MOSQ_LOGINS, for root only)"
        act add_logins "${missing[@]}"
        reload=true
    fi
    # Mosquitto reads both after dropping root: they must be its own, and no one else's.
    for file in "$MOSQ_ACL" "$MOSQ_PASSWD"; do
        if [[ -f $file && $(stat -c '%a %U:%G' "$file") != "600 mosquitto:mosquitto" ]]; then
            broker_changed "$file made Mosquitto's own (mode 0600)"
            act chown mosquitto:mosquitto "$file"
            act chmod 0600 "$file"
            reload=true
        fi
    done
    config_login
    if $restart || { $reload && ! systemctl is-active -q mosquitto; }; then
        broker_changed "Mosquitto restarted with these settings"
        if ! $dry_run && ! systemctl restart mosquitto; then
            problems+=("Mosquitto did not start (see journalctl -u mosquitto)")
        fi
    elif $reload; then
        # SIGHUP rereads the logins and the ACL, clients stay connected (what the unit's
        # ExecReload does, without needing kill(1))
        broker_changed "Mosquitto reloaded its logins and ACL"
        act systemctl kill --signal=HUP --kill-whom=main mosquitto
    fi
}

purge_broker() {
    local f removed=false
    for f in "$MOSQ_CONF" "$MOSQ_ACL" "$MOSQ_PASSWD" "$MOSQ_LOGINS"; do
        if [[ -e $f ]]; then
            changed "$f removed"
            act rm -f "$f"
            removed=true
        fi
    done
    if $removed && systemctl is-active -q mosquitto 2>/dev/null; then
        changed "Mosquitto restarted with its stock settings (local clients only, no logins)"
        if ! $dry_run && ! systemctl restart mosquitto; then
            problems+=("Mosquitto did not restart (see journalctl -u mosquitto)")
        fi
    fi
}

install_model() {
    act install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$STATE_DIR" "$MODELS_DIR"
    $with_model || return 0
    local url=() out
    [[ -z ${VOICE_AGENT_MODEL_URL:-} ]] || url=(--url "$VOICE_AGENT_MODEL_URL")
    if $dry_run; then
        [[ -f $MODELS_DIR/moonshine-base-en/decoder.onnx ]] ||
            changed "Moonshine model moonshine-base-en downloaded into $MODELS_DIR"
        return 0
    fi
    # The command verifies every file; it does nothing when the model is already in place.
    if out=$("$VENV/bin/voice-agent" models download moonshine-base-en --dir "$MODELS_DIR" "${url[@]}" 2>&1 |
        tee /dev/stderr); then
        if [[ $out != *"already installed"* ]]; then
            changes+=("Moonshine model moonshine-base-en installed in $MODELS_DIR")
        fi
        chown -R "$SERVICE_USER:$SERVICE_USER" "$MODELS_DIR"
    else
        problems+=("the Moonshine English model could not be installed (speech recognition uses pocketsphinx until it is): ${out##*voice-agent: }")
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
        if ((${#changes[@]} > broker_changes)); then
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
        purge_broker
    else
        say "kept: $CONFIG_DIR (config) and $STATE_DIR (models); --uninstall --purge removes them"
        if [[ -f $MOSQ_CONF ]]; then
            say "kept: Mosquitto's logins and ACLs ($MOSQ_CONF, other clients use them); --uninstall --purge removes them"
        fi
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
        if [[ -f $MOSQ_LOGINS ]]; then
            echo "  broker:   logins for Home Assistant, devices and scripts in $MOSQ_LOGINS (README.md, Security)"
        fi
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
        configure_broker
        install_model
        install_unit
        start_service
    fi
    report
}

main "$@"
