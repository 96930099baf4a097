"""The speaker thread: replies and earcons are queued here by the main loop and the voice
thread, synthesised (cached by text) and played in turn on the output device; a new wake
phrase or "stop" interrupts. The turns say when the agent is speaking, so the microphone
side can leave its own voice alone, and open the follow-up window after a question."""

from __future__ import annotations

import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from agent.speak.engines import Engine, SpeechError
from agent.speak.output import Output, OutputError
from agent.speak.sound import Sound
from agent.speak.turns import Turns
from agent.speak.wording import speakable

log = logging.getLogger(__name__)
CACHE_ENTRIES = 64  # replies kept as audio (about 2 s of 24 kHz float each: ~12 MB at most)
WARM_TEXT = "Ready."


@dataclass(frozen=True)
class Utterance:
    text: str = ""  # a reply to speak, or
    sound: Sound | None = None  # a sound to play as it is (an earcon)
    followup_s: float | None = None  # a question: the user's turn after it, this long
    play: bool = True  # aloud, on the output device
    publish: bool = False  # as WAV, to `Speaker.publish`


class Speaker:
    def __init__(
        self,
        engine: Engine,
        output: Output | None,
        turns: Turns,
        *,
        volume: float = 1.0,
        cache_entries: int = CACHE_ENTRIES,
        publish: Callable[[bytes], None] | None = None,
    ) -> None:
        """`output`: where it plays (None: nowhere); `publish`: takes replies as WAV."""
        self.engine = engine
        self.output = output
        self.publish = publish
        self.turns = turns
        self.volume = volume
        self.cache_entries = cache_entries
        self._cache: OrderedDict[str, Sound] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.Queue[Utterance] = queue.Queue(maxsize=16)
        self._cut = threading.Event()  # interrupts what plays now

    def warm(self) -> None:
        """The engine's first call is slow (hibari: about 1 s): made at start, not on the
        first reply."""
        self.sound_of(WARM_TEXT)

    def sound_of(self, text: str) -> Sound:
        words = speakable(text)
        with self._lock:
            cached = self._cache.get(words)
            if cached is not None:
                self._cache.move_to_end(words)
                return cached
        sound = self.engine.synthesize(words).louder(self.volume)
        with self._lock:
            self._cache[words] = sound
            while len(self._cache) > self.cache_entries:
                self._cache.popitem(last=False)
        return sound

    def say(
        self,
        text: str,
        *,
        followup_s: float | None = None,
        play: bool = True,
        publish: bool = False,
    ) -> None:
        if not text.strip():
            return
        self._put(Utterance(text, None, followup_s, play and self.output is not None, publish))

    def play(self, sound: Sound) -> None:
        self._put(Utterance(sound=sound))

    def _put(self, item: Utterance) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            log.warning("too much to say at once; dropped %r", item.text or "a sound")

    def interrupt(self) -> None:
        """Stop what is being said and drop what waits to be said."""
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._cut.set()
        self.turns.close()

    def run(self, stop: threading.Event) -> None:
        """The speaker thread's loop, until `stop` (warming the engine first)."""
        try:
            self.warm()
        except SpeechError as exc:
            log.error("the speech engine failed to warm up: %s", exc)
        while not stop.is_set():
            try:
                item = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            self._cut.clear()
            try:
                self._speak(item)
            except (SpeechError, OutputError) as exc:
                log.error("could not speak %r: %s", item.text or "a sound", exc)
            except Exception:  # a task boundary: one reply never stops the speaker
                log.exception("speaking %r failed", item.text)

    def _speak(self, item: Utterance) -> None:
        sound = item.sound if item.sound is not None else self.sound_of(item.text)
        if item.publish and self.publish is not None:
            self.publish(sound.wav())
        if not item.play or self.output is None:
            return
        if item.followup_s is not None:
            self.turns.expect_answer(item.followup_s, after_speech=True)
        if self._cut.is_set():
            return
        self.turns.started()
        ended: float | None = None
        try:
            ended = self.output.play(sound, self._cut)
        finally:
            self.turns.ended(ended)
