"""What the agent does with an outcome: Home Assistant's service calls, the devices' MQTT
messages, then the intent event and the reply. The reply is the outcome's as done."""

from __future__ import annotations

import json

from agent.hass_link import HassLink, call_all, with_results
from agent.messages import Action, Outcome, ServiceCall
from agent.mqtt import MqttClient
from agent.topics import Topics


def publish_outcome(
    client: MqttClient,
    topics: Topics,
    outcome: Outcome,
    *,
    replies: bool = True,
    hass: HassLink | None = None,
) -> Outcome:
    """Make Home Assistant's service calls (through `hass`), send the devices' messages (QoS
    1, all at once, then waiting for the broker), then the event and reply (`replies`: a
    one-shot command beside the running service leaves those topics to it). The outcome as
    done: its reply says what Home Assistant refused or could not be asked."""
    calls = [a for a in outcome.actions if isinstance(a, ServiceCall)]
    if calls:
        outcome = with_results(outcome, call_all(hass, calls))
    client.send_all([a for a in outcome.actions if isinstance(a, Action)])
    if replies:
        client.publish(topics.intent, json.dumps(outcome.to_dict()))
        client.publish(topics.response, outcome.response)
    return outcome
