"""What the service does with a reply besides publishing its text: speak it (replies to
voice, and the `speak` topic's texts), sound the earcons, publish it as WAV
(`speech.publish_audio`), and give the user the floor after a question (`voice.followup_s`).
Built from the config by `voice_out`; every sound is made on the speaker thread."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from agent.config import Config, audio_device
from agent.messages import Outcome
from agent.reply import NOT_UNDERSTOOD, UNSURE, R
from agent.speak.engines import engine_for
from agent.speak.output import DeviceOutput
from agent.speak.sound import Sound, error_earcon, listening_earcon, read_wav
from agent.speak.speaker import Speaker
from agent.speak.turns import Turns

log = logging.getLogger(__name__)
REPEAT_S = 60.0  # the same action's reply again within this: "Done."


@dataclass
class VoiceOut:
    turns: Turns
    speaker: Speaker | None  # None: speech.engine none, or no voice in this run
    followup_s: float
    listening: Sound | None = None  # earcons (None: off)
    error: Sound | None = None
    publish: bool = False  # replies as WAV too (speech.publish_audio)
    _last: tuple[str, float] = ("", -1e9)  # the last reply spoken for an action, and when

    def start(self, stop: threading.Event) -> threading.Thread | None:
        if self.speaker is None:
            return None
        thread = threading.Thread(
            target=self.speaker.run, args=(stop,), name="speaker", daemon=True
        )
        thread.start()
        return thread

    def replied(self, outcome: Outcome, *, heard: bool, asking: bool) -> None:
        """After a command: a reply to speech is spoken (an earcon first where it wasn't
        understood); every reply is published as WAV where that is asked for; a question
        to speech gives the user the floor for `followup_s` (after it is spoken)."""
        followup = self.followup_s if asking and heard else None
        aloud = heard and self.speaker is not None and self.speaker.output is not None
        if self.speaker is not None and (aloud or self.publish):
            if aloud and self.error is not None and outcome.response in (NOT_UNDERSTOOD, UNSURE):
                self.speaker.play(self.error)
            self.speaker.say(
                self._worded(outcome) if aloud else outcome.response,
                followup_s=followup if aloud else None,
                play=aloud,
                publish=self.publish,
            )
        if followup is not None and not aloud:
            self.turns.expect_answer(followup, after_speech=False)

    def _worded(self, outcome: Outcome) -> str:
        """ "Done." for an action said again within REPEAT_S of the same reply."""
        if not outcome.actions:
            return outcome.response
        now = time.monotonic()
        text, when = self._last
        self._last = (outcome.response, now)
        again = text == outcome.response and now - when < REPEAT_S
        return R["done"] if again else outcome.response

    def speak(self, text: str) -> None:
        """A text to say aloud (the speak topic), and to publish as WAV where asked."""
        if self.speaker is not None:
            self.speaker.say(text, publish=self.publish)

    def woken(self, followed: bool) -> None:
        """The wake phrase cuts the agent short; alone, it sounds the listening earcon."""
        if self.speaker is None:
            return
        self.speaker.interrupt()
        if not followed and self.listening is not None:
            self.speaker.play(self.listening)

    def stopped(self) -> None:
        if self.speaker is not None:
            self.speaker.interrupt()


def voice_out(
    config: Config, *, speaking: bool, publish: Callable[[bytes], None] | None = None
) -> VoiceOut:
    """`speaking`: this run has a voice (the microphone on) to answer aloud; `publish`
    takes replies as WAV where speech.publish_audio asks for them."""
    s = config.speech
    turns = Turns()
    followup = config.voice.followup_s
    wav = s.publish_audio and publish is not None
    if s.engine == "none" or not (speaking or wav):
        return VoiceOut(turns, None, followup)
    engine = engine_for(config)
    output = DeviceOutput(audio_device(s.device)) if speaking else None
    speaker = Speaker(engine, output, turns, volume=s.volume, publish=publish if wav else None)
    listening = error = None
    if s.earcons and speaking:
        listening = read_wav(s.listening_sound) if s.listening_sound else listening_earcon()
        error = read_wav(s.error_sound) if s.error_sound else error_earcon()
    return VoiceOut(turns, speaker, followup, listening, error, publish=wav)
