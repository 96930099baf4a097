"""Which discovered entities voice may touch: by domain, area and name pattern. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from agent.home.discovery import COMPONENTS

# Locks are off unless asked for: a voice that unlocks doors should be a choice.
SENSITIVE_DOMAINS = ("lock",)
DEFAULT_DOMAINS = tuple(c for c in COMPONENTS if c not in SENSITIVE_DOMAINS)


@dataclass(frozen=True)
class Expose:
    domains: tuple[str, ...] = DEFAULT_DOMAINS
    areas: tuple[str, ...] = ()  # empty: every area (and none)
    include: tuple[str, ...] = ()  # name patterns (shell-style); empty: every name
    exclude: tuple[str, ...] = ()

    def allows(self, domain: str, name: str, area: str | None) -> bool:
        if domain not in self.domains:
            return False
        if self.areas and (area is None or area.casefold() not in _folded(self.areas)):
            return False
        folded = name.casefold()
        if self.include and not any(fnmatchcase(folded, p.casefold()) for p in self.include):
            return False
        return not any(fnmatchcase(folded, p.casefold()) for p in self.exclude)


def _folded(names: tuple[str, ...]) -> set[str]:
    return {n.casefold() for n in names}
