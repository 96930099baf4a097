"""Config errors a user sees: file, line, key and what was expected."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agent.config import load_config
from agent.errors import ConfigError
from agent.home.specs import HomeAssistantSpec
from tests.conftest import EXAMPLE, Broker, run_cli

BASE = """\
mqtt: {host: 127.0.0.1, port: 1883}
site: {id: kitchen-pi, area: Kitchen}
areas:
  - {name: Kitchen, aliases: [cooking area]}
devices:
  - id: light.kitchen_ceiling
    name: Kitchen Ceiling Light
    aliases: [big light]
    area: Kitchen
    device_class: null
    homeassistant: {command_topic: home/kitchen/set}
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    return [p.replace(str(path), "agent.yaml") for p in err.value.problems]


def test_example_config_loads_every_protocol() -> None:
    config = load_config(EXAMPLE)
    assert config.site.id == "kitchen-pi"
    kinds = {type(d.command).__name__ for d in config.home.devices if d.command}
    assert kinds == {"HomeAssistantSpec", "Zigbee2MqttSpec", "TasmotaSpec", "TemplateSpec"}


def test_minimal_contract_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(BASE)
    config = load_config(path)
    device = config.home.devices[0]
    assert (device.id, device.name, device.aliases, device.area) == (
        "light.kitchen_ceiling",
        "Kitchen Ceiling Light",
        ("big light",),
        "Kitchen",
    )
    assert config.mqtt.port == 1883 and config.site.area == "Kitchen"


def test_wrong_type_names_line_and_key(tmp_path: Path) -> None:
    text = BASE.replace("port: 1883", "port: eighteen")
    assert problems(tmp_path, text) == [
        "agent.yaml:1: mqtt.port: expected an integer, got 'eighteen'"
    ]


def test_unknown_key_is_an_error_with_a_hint(tmp_path: Path) -> None:
    text = BASE.replace("    area: Kitchen\n", "    areaa: Kitchen\n")
    assert problems(tmp_path, text) == [
        "agent.yaml:9: devices[0].areaa: unknown key (did you mean 'area'?)"
    ]


def test_unknown_top_level_section(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE + "mqqt: {}\n") == [
        "agent.yaml:12: mqqt: unknown key (did you mean 'mqtt'?)"
    ]


def test_duplicate_device_id(tmp_path: Path) -> None:
    text = (
        BASE
        + """\
  - id: light.kitchen_ceiling
    name: Another
    homeassistant: {command_topic: x/y}
"""
    )
    assert problems(tmp_path, text) == [
        "agent.yaml:12: devices[1].id: duplicate device id 'light.kitchen_ceiling'"
    ]


def test_device_in_unknown_area(tmp_path: Path) -> None:
    text = BASE.replace("    area: Kitchen\n", "    area: Attic\n")
    assert problems(tmp_path, text) == [
        "agent.yaml:9: devices[0].area: unknown area 'Attic' (areas: Kitchen)"
    ]


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    text = BASE + "  - id: [unclosed\n"
    (msg,) = problems(tmp_path, text)
    assert msg.startswith("agent.yaml:13: invalid YAML:")


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = BASE.replace(
        "    name: Kitchen Ceiling Light\n", "    name: Kitchen Ceiling Light\n    name: Again\n"
    )
    assert problems(tmp_path, text) == ["agent.yaml:8: devices[0].name: duplicate key"]


def test_bad_device_id_and_domain(tmp_path: Path) -> None:
    text = BASE.replace("light.kitchen_ceiling", "toaster.kitchen")
    assert problems(tmp_path, text) == [
        "agent.yaml:6: devices[0].id: unknown domain 'toaster'; expected one of light, switch, "
        "fan, cover, lock, climate, media_player, vacuum, valve, scene, button, sensor, "
        "binary_sensor"
    ]


def test_device_without_protocol(tmp_path: Path) -> None:
    text = BASE.replace("    homeassistant: {command_topic: home/kitchen/set}\n", "")
    assert problems(tmp_path, text) == [
        "agent.yaml:6: devices[0]: missing how the device is commanded: one of homeassistant, "
        "zigbee2mqtt, tasmota, templates"
    ]


def test_several_problems_reported_together(tmp_path: Path) -> None:
    text = BASE.replace("port: 1883", "port: 70000").replace("id: kitchen-pi", "id: kitchen pi")
    assert problems(tmp_path, text) == [
        "agent.yaml:1: mqtt.port: expected an integer from 1 to 65535, got 70000",
        "agent.yaml:2: site.id: expected letters, digits, '-' or '_' (it is part of topics), "
        "got 'kitchen pi'",
    ]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_config_command_masks_password(tmp_path: Path) -> None:
    secret = tmp_path / "mqtt-password"
    secret.write_text("hunter2\n")
    path = tmp_path / "agent.yaml"
    path.write_text(
        BASE.replace("port: 1883}", "port: 1883, username: va, password_file: mqtt-password}")
    )
    assert load_config(path).mqtt.password == "hunter2"
    result = run_cli("config", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout
    assert "password: '********'" in result.stdout
    assert "username: va" in result.stdout


def test_cli_reports_config_errors(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(BASE.replace("port: 1883", "port: x"))
    result = run_cli("say", "--config", str(path), "turn on the big light")
    assert result.returncode == 2
    assert f"{path}:1: mqtt.port: expected an integer, got 'x'" in result.stderr


def test_voice_sensitivity_out_of_range(tmp_path: Path) -> None:
    text = BASE + "voice:\n  mode: wake\n  sensitivity: 1.5\n"
    assert problems(tmp_path, text) == [
        "agent.yaml:14: voice.sensitivity: expected a number from 0.0 to 1.0, got 1.5"
    ]
    path = tmp_path / "ok.yaml"
    path.write_text(text.replace("1.5", "0.7"))
    assert load_config(path).voice.sensitivity == 0.7


def test_example_home_assistant_block_loads_when_uncommented(tmp_path: Path) -> None:
    text = EXAMPLE.read_text()
    start, end = text.index("# home_assistant:"), text.index("\nareas:")
    block = "\n".join(line[2:] for line in text[start:end].strip().splitlines())
    path = tmp_path / "agent.yaml"
    path.write_text(BASE + block + "\n")
    ha = load_config(path).home_assistant
    assert (ha.discovery, ha.prefix, ha.announce, ha.expose.exclude) == (
        True,
        "homeassistant",
        True,
        ("*test*",),
    )
    assert "lock" not in ha.expose.domains


def test_expose_names_unknown_domains(tmp_path: Path) -> None:
    text = BASE + "home_assistant:\n  expose:\n    domains: [light, toaster]\n"
    assert problems(tmp_path, text) == [
        "agent.yaml:14: home_assistant.expose.domains: unknown domain 'toaster'; expected some "
        "of light, switch, fan, cover, climate, vacuum, valve, scene, button, sensor, "
        "binary_sensor, lock"
    ]


def test_string_keys_keep_what_was_written(tmp_path: Path) -> None:
    """YAML 1.1 reads unquoted 0123 as 83 and on/yes/no as booleans; a key that takes a
    string gets the characters as typed."""
    path = tmp_path / "agent.yaml"
    path.write_text(
        BASE.replace("port: 1883}", "port: 1883, username: on, password: 0123}")
        .replace("id: kitchen-pi", "id: 0777")
        .replace("aliases: [big light]", "aliases: [yes, 007, 1:30]")
        .replace("{command_topic: home/kitchen/set}", "{command_topic: x/set, payload_on: ON}")
    )
    config = load_config(path)
    assert (config.mqtt.username, config.mqtt.password, config.site.id) == ("on", "0123", "0777")
    device = config.home.devices[0]
    assert device.aliases == ("yes", "007", "1:30")
    assert isinstance(device.command, HomeAssistantSpec)
    assert device.command.payload_on == "ON"  # was an error: YAML's True
    shown = run_cli("config", "--config", str(path))
    assert shown.returncode == 0, shown.stderr
    assert "username: 'on'" in shown.stdout
    assert "id: '0777'" in shown.stdout


def test_numbers_yaml_reads_otherwise_than_they_look(tmp_path: Path) -> None:
    text = BASE.replace("port: 1883}", "port: 1883, keepalive: 060}") + (
        "voice: {silence_ms: 1:00, max_utterance_s: 1e1}\n"
    )
    assert problems(tmp_path, text) == [
        "agent.yaml:1: mqtt.keepalive: 060 is 48 in YAML (a leading 0 means octal); write it "
        "without the 0",
        "agent.yaml:12: voice.silence_ms: 1:00 is 60 in YAML (':' means base 60); write one "
        "decimal number",
    ]
    path = tmp_path / "ok.yaml"
    path.write_text(BASE + "voice: {max_utterance_s: 1e1, silence_ms: 700}\n")
    assert load_config(path).voice.max_utterance_s == 10.0  # PyYAML alone: the string '1e1'


def test_password_0123_logs_in_as_written(tmp_path: Path) -> None:
    subprocess.run(
        ["mosquitto_passwd", "-c", "-b", str(tmp_path / "passwd"), "agent", "0123"],
        check=True,
        capture_output=True,
    )
    broker = Broker(tmp_path, extra=f"password_file {tmp_path}/passwd\n").start()
    try:
        path = tmp_path / "agent.yaml"
        path.write_text(
            BASE.replace("port: 1883}", f"port: {broker.port}, username: agent, password: 0123}}")
            + "voice: {enabled: false}\n"
        )
        result = run_cli("check", "--config", str(path))
    finally:
        broker.stop()
    assert f"PASS  broker    connected to 127.0.0.1:{broker.port} as agent" in result.stdout


def test_voice_wake_model_must_be_a_wake_model_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    text = BASE + "voice:\n  mode: wake\n  wake_model: empty\n"
    folder = tmp_path / "empty"
    end = f"in {folder} (the folder of the wake model)"
    assert problems(tmp_path, text) == [
        f"agent.yaml:14: voice.wake_model: no wake.int8.onnx {end}",
        f"agent.yaml:14: voice.wake_model: no wake.json {end}",
    ]


def test_voice_recognition_is_auto_open_or_closed(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE + "voice:\n  recognition: fuzzy\n") == [
        "agent.yaml:13: voice.recognition: expected one of auto, open, closed, got 'fuzzy'"
    ]


def test_config_piped_into_head_ends_quietly() -> None:
    """`voice-agent config | head -1`: the reader leaves early; no traceback, exit 141 as a
    shell reports a writer whose reader went away."""
    import shlex
    import sys

    command = f"{shlex.quote(sys.executable)} -m agent config --config {EXAMPLE} | head -1"
    for _ in range(3):
        done = subprocess.run(
            ["bash", "-c", command + "; echo rc=${PIPESTATUS[0]} >&2"],
            capture_output=True, text=True, timeout=60, cwd=EXAMPLE.parent.parent,
        )  # fmt: skip
        assert done.stdout == "mqtt:\n"
        assert done.stderr.strip().splitlines()[-1] in ("rc=141", "rc=0"), done.stderr
        assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


TEMPLATED = """\
mqtt: {host: 127.0.0.1, port: 1883}
site: {id: kitchen-pi, area: Kitchen}
areas: [{name: Kitchen}]
devices:
  - id: media_player.tv
    name: TV
    area: Kitchen
    templates:
      turn_on: {topic: home/tv/power, payload: "{state}"}
      set_volume: {topic: home/tv/volume, payload: "%s"}
      media_play: {topic: "home/tv/%s", payload: play}
"""


@pytest.mark.parametrize(
    ("volume", "play_topic", "wanted"),
    [
        ("{nope}", "cmd", [
            "agent.yaml:10: devices[0].templates.set_volume.payload: '{nope}': unknown "
            "placeholder {nope} for set_volume; it can use {state}, {direction}, {value}, "
            "{percent}, {brightness}, {temperature}, {position}, {volume} (write {{ and }} "
            "for literal braces)"
        ]),
        ('{\\"level\\": {volume}}', "{value}", [
            "agent.yaml:10: devices[0].templates.set_volume.payload: '{\"level\": {volume}}': "
            "unknown placeholder {\"level\"} for set_volume; it can use {state}, {direction}, "
            "{value}, {percent}, {brightness}, {temperature}, {position}, {volume} (write {{ "
            "and }} for literal braces)",
            "agent.yaml:11: devices[0].templates.media_play.topic: 'home/tv/{value}': unknown "
            "placeholder {value} for media_play; it can use {state}, {direction} (write {{ "
            "and }} for literal braces)",
        ]),
        ("{volume:.1f}", "cmd", [
            "agent.yaml:10: devices[0].templates.set_volume.payload: '{volume:.1f}' cannot be "
            "filled in (Unknown format code 'f' for object of type 'str'); placeholders are "
            "replaced by text"
        ]),
        ("{volume", "cmd", [
            "agent.yaml:10: devices[0].templates.set_volume.payload: '{volume': expected '}' "
            "before end of string (write {{ and }} for literal braces)"
        ]),
    ],
)  # fmt: skip
def test_a_template_placeholder_it_never_gets_is_an_error(
    tmp_path: Path, volume: str, play_topic: str, wanted: list[str]
) -> None:
    """A placeholder the intent never fills made the command "can't do that" at run time,
    with nothing logged; now `check` and every command name the file, line and key."""
    assert problems(tmp_path, TEMPLATED % (volume, play_topic)) == wanted


def test_templates_with_known_placeholders_and_literal_braces_load(tmp_path: Path) -> None:
    config = load_config(_written(tmp_path, TEMPLATED % ('{{\\"level\\": {volume}}}', "cmd")))
    spec = config.home.devices[0].command
    assert spec is not None and "set_volume" in getattr(spec, "commands", {})


def _written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    return path


def test_a_step_payload_only_where_a_direction_makes_sense(tmp_path: Path) -> None:
    text = TEMPLATED % ("{value}", "cmd")
    text = text.replace('payload: "{state}"}', 'payload: "{state}", step_payload: "{direction}"}')
    text = text.replace('payload: "{value}"}', 'payload: "{value}", step_payload: "{value}"}')
    assert problems(tmp_path, text) == [
        "agent.yaml:9: devices[0].templates.turn_on.step_payload: turn_on takes no direction; "
        "only set_brightness, set_temperature, set_position, set_volume",
        "agent.yaml:10: devices[0].templates.set_volume.step_payload: '{value}': unknown "
        "placeholder {value} for set_volume; it can use {state}, {direction} (write {{ and }} "
        "for literal braces)",
    ]


def test_site_area_must_be_listed_unless_discovery_names_areas(tmp_path: Path) -> None:
    text = "mqtt: {host: 127.0.0.1}\nsite: {id: pi, area: Garage}\n"
    assert problems(tmp_path, text) == [
        "agent.yaml:2: site: site.area 'Garage' is not one of the areas (list it under areas:, "
        "or turn on home_assistant.discovery or set home_assistant.url to take areas from Home "
        "Assistant)"
    ]
    config = load_config(_written(tmp_path, text + "home_assistant: {discovery: true}\n"))
    assert config.site.area == "Garage"


def test_a_user_install_finds_its_config_under_xdg_config_home(tmp_path: Path) -> None:
    env = {"VOICE_AGENT_CONFIG": ""}
    missing = run_cli("config", env=env)
    assert missing.returncode == 2
    assert "/etc/voice-agent/config.yaml" in missing.stderr
    user = tmp_path / "config" / "voice-agent" / "config.yaml"  # conftest's XDG_CONFIG_HOME
    user.parent.mkdir(parents=True)
    user.write_text(BASE.replace("kitchen-pi", "user-pi"))
    found = run_cli("config", env=env)
    assert found.returncode == 0, found.stderr
    assert "user-pi" in found.stdout


HA_TEMPLATED = """\
mqtt: {host: 127.0.0.1, port: 1883}
site: {id: kitchen-pi, area: Kitchen}
areas: [{name: Kitchen}]
devices:
  - id: cover.kitchen_blind
    name: Kitchen Blind
    area: Kitchen
    homeassistant:
      command_topic: home/blind/set
      set_position_topic: home/blind/position
      set_position_template: %s
      position_open: %s
"""


def test_a_home_assistant_template_in_the_config_is_checked_where_it_is_written(
    tmp_path: Path,
) -> None:
    """Home Assistant's keys for a device of the config take its templates too: one that
    can't be read (or reaches past the sandbox) is an error with its file, line and key."""
    good = load_config(_written(tmp_path, HA_TEMPLATED % ("'{\"pos\": {{ position }}}'", 255)))
    spec = good.home.devices[0].command
    assert isinstance(spec, HomeAssistantSpec)
    assert (spec.set_position_template, spec.position_open) == ('{"pos": {{ position }}}', 255)
    assert problems(tmp_path, HA_TEMPLATED % ("'{{ position '", 100)) == [
        "agent.yaml:11: devices[0].homeassistant.set_position_template: template: line 1: "
        "unexpected end of template, expected 'end of print statement'."
    ]
    assert problems(tmp_path, HA_TEMPLATED % ("'{{ value.__class__.__mro__ }}'", 100)) == [
        "agent.yaml:11: devices[0].homeassistant.set_position_template: template: access to "
        "attribute '__class__' of 'str' object is unsafe."
    ]
