"""The home: areas, devices and how each device is commanded."""
