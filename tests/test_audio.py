"""Audio sources: WAV files, raw streams, and a microphone through a virtual ALSA device."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from agent.voice.audio import BLOCK_BYTES, AudioError, BlockQueue, RawSource, WavSource
from tests import speech
from tests.conftest import ROOT


def test_wav_is_read_in_blocks(tmp_path: Path) -> None:
    wav = speech.say(tmp_path / "cmd.wav", "turn on the kitchen light")
    with wave.open(str(wav)) as w:
        frames = w.readframes(w.getnframes())
    blocks = list(WavSource(wav).blocks())
    assert all(len(b) == BLOCK_BYTES for b in blocks[:-1])
    assert b"".join(blocks) == frames


def test_other_rates_and_stereo_are_converted(tmp_path: Path) -> None:
    wav = speech.say(tmp_path / "cd.wav", "lock the front door", rate=44100, channels=2)
    audio = b"".join(WavSource(wav).blocks())
    assert abs(len(audio) / 2 / 16000 - speech.seconds(wav)) < 0.01


def test_unreadable_wav_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF nonsense")
    with pytest.raises(AudioError, match=f"cannot read {bad}"):
        list(WavSource(bad).blocks())


def test_raw_stream() -> None:
    data = bytes(range(256)) * 10
    assert b"".join(RawSource(io.BytesIO(data)).blocks()) == data


def test_queue_drops_the_oldest_when_full() -> None:
    q = BlockQueue(3)
    for i in range(5):
        q.put(bytes([i]))
    assert q.dropped == 2
    assert [q.get(0), q.get(0), q.get(0), q.get(0)] == [b"\x02", b"\x03", b"\x04", None]


CAPTURE = """
import sys, time
from agent.voice.audio import MicSource
n, max_blocks, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
mic = MicSource(None, max_blocks=max_blocks, max_seconds=n / 16000)
out = []
for block in mic.blocks():
    out.append(block)
    time.sleep(delay)  # a consumer slower than real time
sys.stdout.buffer.write(b"".join(out))
print(mic.queue.dropped, file=sys.stderr)
"""


def _capture(tmp_path: Path, raw: bytes, max_blocks: int, delay: float = 0.0) -> tuple[bytes, str]:
    (tmp_path / "in.raw").write_bytes(raw)
    (tmp_path / ".asoundrc").write_text(f"""
pcm.wavfile {{
  type file
  slave.pcm "null"
  file "/dev/null"
  infile "{tmp_path}/in.raw"
  format "raw"
}}
pcm.!default {{
  type plug
  slave.pcm "wavfile"
}}
""")
    done = subprocess.run(
        [sys.executable, "-c", CAPTURE, str(len(raw) // 2), str(max_blocks), str(delay)],
        capture_output=True,
        timeout=60,
        cwd=ROOT,
        env=dict(os.environ, HOME=str(tmp_path)),
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout, done.stderr.decode()


def test_microphone_records_exactly_what_the_device_gives(tmp_path: Path) -> None:
    wav = speech.say(tmp_path / "cmd.wav", "set the bedroom lamp to fifty percent")
    raw = b"".join(WavSource(wav).blocks())
    captured, log = _capture(tmp_path, raw, max_blocks=10_000)
    assert captured[: len(raw)] == raw
    assert log.strip().splitlines()[-1] == "0"


def test_a_slow_reader_loses_old_blocks_not_memory(tmp_path: Path) -> None:
    """A reader taking 60 ms per 30 ms block falls behind: a 5-block queue drops blocks."""
    raw = b"".join(WavSource(speech.say(tmp_path / "c.wav", "open the blinds")).blocks())
    _, log = _capture(tmp_path, raw, max_blocks=5, delay=0.06)
    dropped = int(log.strip().splitlines()[-1])
    assert dropped > 0
    assert "audio queue full" in log
