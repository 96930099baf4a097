"""Speaking back: reply text -> speakable words -> an engine's audio (cached by text) ->
the output device, on a thread of its own, never in the way of the microphone loop.

- `sound`: audio as float samples, WAV bytes, resampling, the earcons.
- `wording`: numbers and units as they are read aloud ("21.5 °C": "twenty-one and a half
  degrees"), from the language file (`agent/language/en.yaml`).
- `engines`: hibari-tts (default), espeak-ng, piper (optional), none, behind one interface.
- `turns`: who has the floor: the agent while it speaks, the user after a question.
- `speaker`: the thread that synthesises and plays, and can be interrupted.
"""
