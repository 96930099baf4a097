"""Speech recognition with Moonshine (an encoder-decoder transformer for short English
speech, MIT, Moonshine AI) on onnxruntime: open vocabulary, no grammar, good with how people
really phrase things. It hears a whole utterance at once (the encoder, then one decoder step
per token), so nothing streams; instead it starts as soon as the speaker falls quiet, on a
worker thread, while the loop waits out the silence that ends the utterance.

The model folder is prepared once by `voice-agent models download moonshine-base-en`
(agent/voice/moonshine_prep.py); nothing is downloaded here.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from agent.voice.beam import END, SPACE, START, Hyp, Scored, log_softmax, piece, repeats
from agent.voice.beam import forced as forced_probs
from agent.voice.bias import Bias
from agent.voice.features import active_rms
from agent.voice.recognition import Recognition, RecognizerError, Word

RATE = 16000
INSTALL_HINT = "voice-agent models download moonshine-base-en"
TOKENS_PER_S = 6.5  # the decoder stops by this many tokens a second of audio (no loops)
# Quiet before speech makes the model end at once (half a second of it: nothing heard), and
# a clip that ends with the last word loses it: speech starts LEAD_S into what it hears,
# and TAIL_S of quiet follows.
LEAD_S, TAIL_S = 0.1, 0.3
ONSET = 0.05  # speech starts where a 30 ms frame's level first reaches this share of the peak
FLOOR = 0.002  # a low noise floor under it all, as a room has (digital silence confuses it)
LEVEL = 10 ** (-25 / 20)  # speech is brought to this active level (-25 dBFS) first
MAX_GAIN = 10 ** (30 / 20)  # by at most 30 dB (quiet speech in noise: 16/30 -> 20/30 right)
QUIET_SHARE = 0.2  # a 30 ms block below this share of the loudest one's level is quiet
SPECULATE_BLOCKS = 8  # this many quiet blocks (240 ms): hear what came so far, ahead
BEAM = 4  # hypotheses kept
TOP = 6  # tokens tried after each
# The model sometimes ends at once on seconds of speech in noise (babble, a quiet speaker):
# the voice loop only hands it speech, so from this long on the first token is never the end
# (hibari-tts at 10 dB, commands kept apart from the benchmark's: 4 of 40 in babble heard as
# nothing before)
SOME_WORDS_S = 0.5


def read_tokens(path: Path) -> list[bytes]:
    """tokenizer.bin: each token's bytes after its length (one byte, or two when the first
    has its top bit set), in id order."""
    data = path.read_bytes()
    out: list[bytes] = []
    i = 0
    while i < len(data):
        n = data[i]
        i += 1
        if n >= 128:
            n = (n & 127) | (data[i] << 7)
            i += 1
        out.append(data[i : i + n])
        i += n
    return out


class MoonshineEngine:
    # a soft "hey" in noise starts before the energy detector hears speech: with 300 ms of
    # it, hibari-tts at 10 dB (white, babble; commands kept apart from the benchmark's) lost
    # the wake phrase's start: 50 of 80 right, 56 with 500 ms (pocketsphinx hears worse
    # with more quiet before speech, and keeps 300)
    preroll_ms = 500

    name = "moonshine"

    def __init__(
        self,
        model_path: str | Path,
        threads: int = 0,
        files: tuple[str, str] = ("encoder.onnx", "decoder.onnx"),
        words: Iterable[str] = (),
        beam: int = BEAM,
        greedy_words: int = 0,
    ) -> None:
        """`files`: the encoder's and decoder's in the folder (the prepared ones); `words`:
        the home's words, favoured (agent/voice/bias.py); `beam`: 1 is greedy;
        `greedy_words`: this many first words are heard greedily (the wake phrase's)."""
        folder = Path(model_path)
        needed = [folder / n for n in (*files, "tokenizer.bin")]
        if missing := [p.name for p in needed if not p.is_file()]:
            raise RecognizerError(
                f"no Moonshine model at {folder} ({', '.join(missing)} missing); "
                f"install it with: {INSTALL_HINT}"
            )
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        options.enable_cpu_mem_arena = False
        try:
            self._encoder = ort.InferenceSession(
                str(needed[0]), options, providers=["CPUExecutionProvider"]
            )
            self._decoder = ort.InferenceSession(
                str(needed[1]), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise RecognizerError(f"cannot load the Moonshine model at {folder}: {exc}") from None
        self._tokens = read_tokens(needed[2])
        self._pieces = [piece(t) for t in self._tokens]
        self._phrases: dict[str, tuple[int, ...]] = {}  # token_ids' answers
        self._last = b""  # the last utterance heard
        self._bias = Bias(words)
        self._greedy_words = greedy_words
        self._beam, self._top = max(1, beam), (TOP if beam > 1 else 1)
        self._past = [i.name for i in self._decoder.get_inputs() if i.name.startswith("past_")]
        self._present = [o.name for o in self._decoder.get_outputs()][1:]
        shape = self._decoder.get_inputs()[2].shape  # [batch, heads, length, head size]
        self._empty = np.zeros((1, shape[1], 0, shape[3]), np.float32)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="moonshine")
        self.start()

    def start(self) -> None:
        self._audio: list[bytes] = []
        self._size = 0  # bytes fed
        self._spoken = 0  # bytes fed up to the end of the last loud block
        self._peak = 0.0  # the loudest block's level
        self._quiet = 0  # quiet blocks since then
        self._guess: tuple[int, Future[Recognition], bytes] | None = None

    def feed(self, audio: bytes) -> None:
        """Speech so far, and a guess at the end of it: after SPECULATE_BLOCKS of quiet the
        audio so far is heard on a worker thread, while the loop waits out the rest of its
        silence; if no speech follows, that is the answer, ready or nearly so at the end."""
        self._audio.append(audio)
        self._size += len(audio)
        block = np.frombuffer(audio, np.int16).astype(np.float32)
        level = float(np.sqrt((block**2).mean())) if block.size else 0.0
        self._peak = max(self._peak, level)
        if level > QUIET_SHARE * self._peak:
            self._spoken, self._quiet = self._size, 0
            return
        self._quiet += 1
        idle = self._guess is None or self._guess[1].done()
        if self._quiet == SPECULATE_BLOCKS and idle:
            pcm = b"".join(self._audio)
            self._guess = (self._spoken, self._worker.submit(self._hear, pcm), pcm)

    def partial(self) -> str:
        return ""  # it hears the utterance whole

    def finish(self) -> Recognition:
        guess, spoken, pcm = self._guess, self._spoken, b"".join(self._audio)
        self.start()
        if guess is not None and guess[0] == spoken:
            self._last = guess[2]
            return guess[1].result()  # nothing but quiet came after the guess
        self._last = pcm
        return self._hear(pcm)

    def recognize(self, audio: bytes) -> Recognition:
        self.start()
        self.feed(audio)
        return self.finish()

    def _hear(self, data: bytes) -> Recognition:
        return self._heard(data)[0]

    def _heard(self, data: bytes, prefix: tuple[int, ...] = ()) -> tuple[Recognition, float]:
        """What `data` says, and the geometric mean of `prefix`'s tokens' probabilities
        where the words are made to start with them (1.0 for none)."""
        pcm = np.frombuffer(data, np.int16).astype(np.float32) / 32768.0
        if pcm.size < RATE // 10:
            return Recognition("", 0.0, verbatim=True), 0.0
        audio = np.pad(_leveled(_from_onset(pcm)), (0, int(TAIL_S * RATE)))
        noise = np.random.default_rng(0).normal(0, FLOOR, audio.size)  # the same every time
        ids, probs = self._decode(
            (audio + noise).astype(np.float32), pcm.size >= SOME_WORDS_S * RATE, prefix
        )
        forced = np.maximum(probs[: len(prefix)] or [1.0], 1e-9)
        sure = float(np.exp(np.mean(np.log(forced))))
        return _recognition(self._tokens, ids, probs, pcm.size / RATE), sure

    def heard_after(self, phrase: str) -> tuple[Recognition, float]:
        """The last utterance heard again as starting with `phrase` (its tokens forced on
        the decoder), and how likely the model finds them there: the geometric mean of
        their probabilities."""
        return self._heard(self._last, self.token_ids(phrase))

    def token_ids(self, phrase: str) -> tuple[int, ...]:
        """`phrase` in the model's tokens as it writes a sentence's start: capitalised,
        each word one token where the vocabulary has it, else its longest pieces. (Looked
        up in the token list, not a map of it: that held 3 MB for one phrase.)"""
        if phrase in self._phrases:
            return self._phrases[phrase]
        out: list[int] = []
        for i, word in enumerate(phrase.split()):
            rest = (SPACE + (word.capitalize() if i == 0 else word)).encode()
            while rest:
                n = max(k for k in range(1, len(rest) + 1) if k == 1 or rest[:k] in self._tokens)
                out.append(self._tokens.index(rest[:n]) if rest[:n] in self._tokens else 0)
                rest = rest[n:]
        self._phrases[phrase] = tuple(out)
        return self._phrases[phrase]

    def _decode(
        self, audio: np.ndarray, words: bool, prefix: tuple[int, ...] = ()
    ) -> tuple[list[int], list[float]]:
        """Beam search (BEAM hypotheses, each step's TOP tokens of each) with the key/value
        cache, the home's words favoured (agent/voice/bias.py); each chosen token's
        probability as the model gave it. `words`: the audio is known to hold speech, so
        the first token is not the end. `prefix`: tokens the words start with, whatever
        the model would have heard (their probabilities as it gives them)."""
        hidden = self._encoder.run(None, {"input_values": audio[None, :]})[0]
        past = dict.fromkeys(self._past, self._empty)
        live = [Hyp((START, *prefix), words=self._greedy_words + 1 if prefix else 0)]
        forced: tuple[float, ...] = ()
        done: list[Scored] = []
        tiled: dict[int, dict[str, np.ndarray]] = {}  # the encoder's part, per beam size
        for step in range(int(audio.size / RATE * TOKENS_PER_S) + 4):
            n = len(live)
            if step == 1:
                tiled.clear()  # made with the encoder's keys still empty
            if n not in tiled:
                tiled[n] = {
                    k: np.repeat(v, n, axis=0)
                    for k, v in (("encoder_hidden_states", hidden), *past.items())
                    if ".decoder." not in k
                }
            ids = [list(h.ids) if step == 0 else [h.ids[-1]] for h in live]
            feed = {
                "input_ids": np.array(ids, np.int64),
                "use_cache_branch": np.array([step > 0]),
                **past,
                **tiled[n],
            }
            logits, *present = self._decoder.run(None, feed)
            if step == 0 and prefix:
                forced = forced_probs(logits[0], prefix)
            rows = log_softmax(logits[:, -1])
            if step == 0 and words:
                rows[:, END] = -np.inf
            # each hypothesis's likeliest tokens, best first, without sorting the vocabulary
            top = np.argpartition(rows, -self._top, axis=1)[:, -self._top :]
            top = np.take_along_axis(top, np.argsort(-np.take_along_axis(rows, top, 1), 1), 1)
            grown = self._grown(live, rows, top, done)
            # the wake phrase's words as the model hears them first: a beam finds "hey
            # computer" in "hey commuter" (4.9 false wakes an hour against none greedily)
            first = grown[0][2].words <= self._greedy_words if grown else False
            grown = grown[: 1 if first else self._beam]
            best_done = max((c[0] for c in done), default=-np.inf)
            if not grown or best_done >= grown[0][0]:
                break
            parents = np.array([c[1] for c in grown])
            for name, value in zip(self._present, present, strict=True):
                key = name.replace("present", "past_key_values")
                if ".decoder." in key:
                    past[key] = value[parents]
                elif step == 0:  # the encoder's keys are computed once, for one
                    past[key] = value[:1]
            live = [c[2] for c in grown]
        final = max(done or [(h.score, 0, h) for h in live], key=lambda c: c[0])[2]
        return list(final.ids[1:]), [*forced, *final.probs]

    def _grown(
        self, live: list[Hyp], rows: np.ndarray, top: np.ndarray, done: list[Scored]
    ) -> list[Scored]:
        """Each hypothesis grown by its `top` tokens, best first, with its parent's index;
        those that end go to `done`. A hypothesis ends only where the model would end it,
        or where what it would say instead only repeats."""
        grown: list[Scored] = []
        for i, h in enumerate(live):
            ahead = 0  # tokens the model prefers here that would only repeat
            for rank, token in enumerate(top[i]):
                if token == END and rank > ahead:
                    continue
                if repeats(h.ids, int(token)):
                    ahead += 1
                    continue
                child = h.grown(int(token), float(rows[i, token]), self._pieces, self._bias)
                (done if token == END else grown).append((child.score, i, child))
        grown.sort(key=lambda c: -c[0])
        return grown


def _from_onset(pcm: np.ndarray) -> np.ndarray:
    """`pcm` from LEAD_S before its first frame at ONSET of the loudest frame's level. Pure."""
    frame = RATE * 30 // 1000
    n = pcm.size // frame
    if n == 0:
        return pcm
    levels = np.sqrt((pcm[: n * frame].reshape(n, frame) ** 2).mean(axis=1))
    first = int(np.argmax(levels >= ONSET * levels.max()))
    return pcm[max(0, first * frame - int(LEAD_S * RATE)) :]


def _leveled(pcm: np.ndarray) -> np.ndarray:
    """`pcm` at LEVEL (its active level: the louder half of its frames), gain at most
    MAX_GAIN, clipped as a sound card would. Pure."""
    active = active_rms(pcm)
    gain = min(LEVEL / active, MAX_GAIN) if active > 0 else 1.0
    leveled: np.ndarray = np.clip(pcm * gain, -1.0, 1.0)
    return leveled


def _recognition(
    tokens: list[bytes], ids: list[int], probs: list[float], duration_s: float
) -> Recognition:
    """Words from tokens: a word begins at a token that starts with the space mark; its
    confidence is the geometric mean of its tokens' probabilities; its time is its share of
    the utterance by letters (the model gives no timings). Pure."""
    pieces: list[tuple[str, list[float]]] = []
    for token, p in zip(ids, probs, strict=False):
        text = tokens[token].decode("utf-8", "replace") if token < len(tokens) else ""
        if text.startswith("<") and text.endswith(">"):
            continue
        if text.startswith(SPACE) or not pieces:
            pieces.append((text.replace(SPACE, " ").strip(), [p]))
        else:
            word, ps = pieces[-1]
            pieces[-1] = (word + text.replace(SPACE, " "), [*ps, p])
    pieces = [(w.strip(), ps) for w, ps in pieces if w.strip()]
    if not pieces:
        return Recognition("", 0.0, verbatim=True)
    letters = sum(len(w) for w, _ in pieces)
    words, at = [], 0.0
    for w, ps in pieces:
        span = duration_s * len(w) / letters
        conf = float(np.exp(np.mean(np.log(np.maximum(ps, 1e-9)))))
        words.append(Word(w, at, at + span, conf))
        at += span
    text = " ".join(w for w, _ in pieces)
    score = float(np.exp(np.mean(np.log(np.maximum(probs, 1e-9)))))
    return Recognition(text, score, tuple(words), verbatim=True)
