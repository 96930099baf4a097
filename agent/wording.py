"""How device names are said in replies and messages."""

from __future__ import annotations

from agent.language.phrases import replies


def spoken(name: str) -> str:
    """'Kitchen Ceiling Light' -> 'kitchen ceiling light'; 'TV' and "Nana's" stay."""
    words = []
    for word in name.split(" "):
        possessive = word.lower().endswith(("'s", "s'"))
        if word[:1].isupper() and word[1:] == word[1:].lower() and not possessive:
            word = word.lower()
        words.append(word)
    return " ".join(words)


def the(name: str) -> str:
    """'the kitchen light', but 'The Kraken' and "Nana's tea warmer" as they are (the
    article from the language file)."""
    words = replies()
    first = name.split(" ", 1)[0].lower()
    if first == words["article_word"] or first.endswith(("'s", "s'")):
        return spoken(name)
    return words.say("article", name=spoken(name))
