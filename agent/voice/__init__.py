"""Voice in: audio sources, end of speech, grammars and speech recognisers."""
