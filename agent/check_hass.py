"""`voice-agent check`'s Home Assistant line: the URL answers, the token is taken, no one but
the owner (and the service's group) can read the token file; and how many entities Home
Assistant exposes to voice."""

from __future__ import annotations

import os
import stat

from agent.check import Result
from agent.config import Config
from agent.hass_ws import HassAuthError, HassError, HassUnreachable


def check_home_assistant(config: Config) -> Result:
    ha = config.home_assistant
    if not ha.url or not ha.token or not ha.token_file:
        return Result("hass", "SKIP", "home_assistant.url is not set")
    mode = stat.S_IMODE(os.stat(ha.token_file).st_mode)
    if mode & 0o027:  # anyone may read it, or the group may change it
        return Result(
            "hass",
            "FAIL",
            f"{ha.token_file} can be read by others (mode {mode:o}): it holds a password",
            f"chmod 600 {ha.token_file} (640 with the service's group, as install.sh does "
            "the config)",
        )
    from agent.hass_link import HassLink
    from agent.home.live import Inventory
    from agent.home.state import StateStore

    link = HassLink(ha.url, ha.token, Inventory(config.home, ha.expose), StateStore())
    try:
        conn = link.connect()
    except HassAuthError as exc:
        return Result(
            "hass",
            "FAIL",
            str(exc),
            "make a long-lived access token in Home Assistant (your profile, Security, "
            f"Long-lived access tokens) and put it, alone, in {ha.token_file}",
        )
    except HassUnreachable as exc:
        return Result(
            "hass",
            "FAIL",
            str(exc),
            "start Home Assistant, or correct home_assistant.url "
            "(like http://homeassistant.local:8123)",
        )
    except HassError as exc:
        return Result("hass", "FAIL", str(exc), "point home_assistant.url at Home Assistant")
    conn.close()
    return Result(
        "hass",
        "PASS",
        f"Home Assistant {conn.version} at {ha.url}: {link.exposed} entities exposed to voice",
    )
