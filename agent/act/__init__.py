"""Acting: one module per protocol turns a Command for a device into the MQTT messages it needs."""
