"""The microphone side of the service: capture -> voice loop -> commands, on its own thread.

Commands go to a callback (the service's queue); the listening state and partial transcripts
go to others. Audio errors are logged and retried, so the text side keeps working.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from agent.config import VoiceConfig, audio_device
from agent.home.inventory import Home
from agent.language.normalize import normalize
from agent.speak.turns import Turns
from agent.voice.audio import AudioError, MicSource
from agent.voice.engines import make_engine
from agent.voice.loop import Recognizer, lead_ms, own_lead_ms, voice_commands
from agent.voice.rebuild import LatestWins
from agent.voice.recognition import Recognition
from agent.voice.wake import for_phrase

log = logging.getLogger(__name__)
RETRY_S = 5.0
# said over the agent's own voice, these stop it (anything else heard then is taken for its
# own voice, unless the wake phrase came first)
STOP = re.compile(
    r"^(stop|stop it|stop talking|be quiet|quiet|shush|enough|cancel|shut up|never mind|"
    r"ok stop|okay stop|thats enough|thank you|thanks)$"
)


class Swappable:
    """A recogniser that can be replaced between utterances (a new grammar for a changed
    home, built on another thread)."""

    def __init__(self, engine: Recognizer) -> None:
        self.engine = engine
        self._next: Recognizer | None = None
        self._lock = threading.Lock()

    @property
    def preroll_ms(self) -> int:
        """The recogniser's own lead (agent/voice/loop.lead_ms)."""
        return own_lead_ms(self.engine)

    def replace_with(self, engine: Recognizer) -> None:
        with self._lock:
            self._next = engine

    def start(self) -> None:
        with self._lock:
            if self._next is not None:
                self.engine, self._next = self._next, None
        self.engine.start()

    def feed(self, audio: bytes) -> None:
        self.engine.feed(audio)

    def partial(self) -> str:
        return self.engine.partial()

    def finish(self) -> Recognition:
        return self.engine.finish()


class Listener:
    def __init__(
        self,
        voice: VoiceConfig,
        home: Home,
        on_command: Callable[[str], None],
        on_listening: Callable[[bool], None],
        on_partial: Callable[[str], None],
        *,
        turns: Turns | None = None,
        on_wake: Callable[[bool], None] | None = None,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        """`turns`: when the agent speaks and when it awaits an answer; `on_wake`: a wake
        phrase woke it (and whether words followed); `on_stop`: "stop" said over its voice."""
        self.voice = voice
        self.turns = turns or Turns()
        self.on_wake = on_wake
        self.on_stop = on_stop
        self._began = 0.0  # when the utterance being heard began (time.monotonic())
        self._woke = False  # and whether its wake phrase woke the agent
        self.engine = Swappable(make_engine(voice, home))
        self.wake = for_phrase(voice.wake_word, voice.wake_model) if voice.mode == "wake" else None
        self.on_command = on_command
        self.on_listening = on_listening
        self.on_partial = on_partial
        self._pushed = threading.Event()
        self._mic: MicSource | None = None
        self.alive_at = time.monotonic()  # the last audio block, or a healthy wait
        self._grammar: LatestWins[Home, tuple[Recognizer, int]] = LatestWins(
            lambda h: (make_engine(voice, h), len(h.devices)),
            self._new_grammar,
            name="rebuilding the speech grammar",
        )

    def stalled_for(self) -> float:
        """Seconds since the loop last took audio (or waited healthily to retry)."""
        return time.monotonic() - self.alive_at

    def _beating(self, blocks: Iterable[bytes]) -> Iterator[bytes]:
        for block in blocks:
            self.alive_at = time.monotonic()
            yield block

    def update_home(self, home: Home) -> None:
        """Rebuild the recogniser's grammar for `home` on the grammar thread; it takes over
        at the start of the next utterance (the newest home's, if several were asked for)."""
        self._grammar.want(home)

    def _new_grammar(self, built: tuple[Recognizer, int]) -> None:
        engine, devices = built
        self.engine.replace_with(engine)
        log.info("speech grammar rebuilt for %d devices", devices)

    def push_to_talk(self) -> None:
        """The next utterance is a command, wake word or not."""
        self._pushed.set()

    def _take_push(self) -> bool:
        """Push-to-talk since the last utterance, an answer to the agent's question, or
        words over its voice (for `_for_us` to tell "stop" from its own voice)."""
        pushed = self._pushed.is_set()
        self._pushed.clear()
        if self.turns.overlapped(self._began, time.monotonic()):
            self._woke = self._woke or pushed  # the button, pressed over its voice: the user's
            return True  # (its own voice leaves the answer window open for the user)
        return self.turns.take_answer(self._began) or pushed

    def _speech(self, on: bool) -> None:
        if on:
            self._began = time.monotonic() - lead_ms(self.voice, self.engine) / 1000
            self._woke = False
        self.on_listening(on)

    def _woken(self, followed: bool) -> None:
        self._woke = True
        if self.on_wake is not None:
            self.on_wake(followed)

    def _for_us(self, text: str) -> bool:
        """Whether a command heard is the user's: over the agent's own voice, only one after
        the wake phrase (or push-to-talk) is; "stop" there interrupts it."""
        if not self.turns.overlapped(self._began, time.monotonic()):
            return True
        if STOP.match(normalize(text)):
            log.info("heard %r over the reply: stopping it", text)
            if self.on_stop is not None:
                self.on_stop()
            return False
        if not self._woke:
            log.info("heard %r over the reply, without the wake phrase: ignored", text)
        return self._woke

    def run(self, stop: threading.Event) -> None:
        v = self.voice
        device = audio_device(v.device)
        while not stop.is_set():
            self._mic = MicSource(device, max_blocks=v.queue_blocks)
            try:
                for command in voice_commands(
                    self._beating(self._mic.blocks()),
                    v,
                    self.engine,
                    on_speech=self._speech,
                    on_partial=self.on_partial,
                    pushed=self._take_push,
                    wake=self.wake,
                    on_wake=self._woken,
                ):
                    if not self._for_us(command.text):
                        continue
                    log.info("heard %r", command.text)
                    self.on_command(command.text)
                    if stop.is_set():
                        break
            except AudioError as exc:
                log.error("audio input failed: %s; retrying in %.0f s", exc, RETRY_S)
                retry_at = time.monotonic() + RETRY_S
                while time.monotonic() < retry_at and not stop.is_set():
                    self.alive_at = time.monotonic()  # waiting to retry is not a hang
                    stop.wait(0.5)

    def stop(self) -> None:
        if self._mic is not None:
            self._mic.stop()
