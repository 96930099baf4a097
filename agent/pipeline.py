"""The core of the loop: text in, an Outcome (intent, targets, MQTT actions, reply) out.

No I/O: publishing is the caller's job. The only state is the pending confirmations of
sensitive actions, one per asker (`who`: the way in and who said it), each expiring after
`confirm_timeout_s`: a "yes" answers only its own asker's question.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from agent import refine, reply
from agent.act.plan import plan
from agent.answers import answer, asked_about, over_many, says_everywhere
from agent.home.inventory import Device, Home, spoken
from agent.home.sensitive import Sensitive, sensitive_messages
from agent.home.state import DeviceState
from agent.language.normalize import normalize
from agent.language.words import NO_REQUEST
from agent.messages import Act, Intent, Outcome
from agent.questions import NO, YES, Pending, Question
from agent.resolve import Resolution, Resolver
from agent.resolve.choice import pick
from agent.understand.cascade import Tier
from agent.understand.clauses import MAX_CLAUSES, MAX_DEVICES, split
from agent.understand.utterance import (
    Duration,
    is_question,
    split_duration,
    strip_assistant_names,
)

MAX_PENDING = 64  # askers with a question open at once
# When a tier's names can't be resolved, a later tier gets a try.
RETRY = frozenset({"no_device", "unknown_area", "nothing_there", "unsupported"})


def _no_state(device_id: str) -> DeviceState | None:
    return None


def _combined(text: str, parts: list[Outcome]) -> Outcome:
    """One outcome for a sentence of several commands; `parts` has each."""
    targets = tuple(dict.fromkeys(t for p in parts for t in p.targets))
    actions = tuple(a for p in parts for a in p.actions)
    response = " ".join(p.response for p in parts)
    return Outcome(text, parts[0].intent, targets, actions, response, parts=tuple(parts))


@dataclass(frozen=True)
class Prepared:
    """A home with its resolver and sensitive messages worked out (`Pipeline.prepare`)."""

    home: Home
    resolvers: dict[str | None, Resolver]
    sensitive: Sensitive
    # spoken name -> the name of a device voice may not use, and whether Home Assistant (not
    # the config) withholds it
    unexposed: dict[str, tuple[str, bool]]


def _words_enough(text: str, intent: Intent) -> bool:
    """The model reads sentences: two words at least, one of them not filler ("ok 20
    please" is noise, not a temperature), not a number and a unit; or one word that names
    what a number sets ("thermostat 21")."""
    words = [w for w in normalize(text).split(" ") if w.isascii() and w.isalpha()]
    if len(words) == 1 and isinstance(intent.slots.value, int | float):
        return refine.names_what(words, intent)
    return len(words) >= 2 and any(w not in NO_REQUEST for w in words)


def _not_understood(outcome: Outcome) -> bool:
    return not outcome.targets and outcome.response in (reply.NOT_UNDERSTOOD, reply.UNSURE)


class Pipeline:
    def __init__(
        self,
        home: Home,
        tiers: Sequence[Tier],
        *,
        site_area: str | None = None,
        site_player: str | None = None,
        wake_words: tuple[str, ...] = (),
        confirm_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        state: Callable[[str], DeviceState | None] = _no_state,
    ) -> None:
        self.home = home
        self.tiers = tuple(tiers)
        self.site_area = site_area
        self.site_player = site_player
        self.wake_words = wake_words
        self.confirm_timeout_s = confirm_timeout_s
        self.clock = clock
        self.state = state
        self._resolvers: dict[str | None, Resolver] = {}
        self._sensitive = sensitive_messages(home.devices)
        self._unexposed: dict[str, tuple[str, bool]] = {}
        self._pending: dict[str, Pending] = {}  # who -> what waits for their "yes"
        self._asking: Pending | None = None  # what this command asks to confirm
        self._least = 0.0  # how sure the model must be of this command (handle's `least`)

    @property
    def has_pending(self) -> bool:
        """A question waits for a "yes" from the default asker (the command line's)."""
        return self.asking("") == "confirm"

    def asking(self, who: str) -> Question | None:
        """The question open for `who`: a "yes" to confirm, or which device to choose."""
        pending = self._pending.get(who)
        if pending is None or self.clock() > pending.expires:
            return None
        return "choose" if pending.choose else "confirm"

    def set_home(self, home: Home) -> None:
        """A new inventory (discovery changed it); names resolve against it from now on."""
        self.install(self.prepare(home))

    def prepare(
        self,
        home: Home,
        hidden: tuple[Device, ...] = (),
        unexposed: tuple[Device, ...] = (),
        withheld: tuple[Device, ...] = (),
    ) -> Prepared:
        """What a new home needs before commands use it: for a large home this takes a
        while, so a service does it off its main loop and then `install`s it. `hidden`:
        locks and doors left out of the home, whose unlock and open messages still need a
        "yes" whichever device sends them; `unexposed`: devices voice may not use, whose
        names get that answer rather than "I don't know a device called ..." (`withheld`:
        those Home Assistant does not expose to its voice assistant)."""
        area = self.site_area
        resolvers = {}
        if area is None or home.area(area) is not None:
            resolvers[area] = Resolver(home, area, self.site_player)
        names = {
            spoken(n): (d.name, ha)
            for ds, ha in ((unexposed, False), (withheld, True))
            for d in ds
            for n in (d.name, *d.aliases)
        }
        return Prepared(home, resolvers, sensitive_messages((*home.devices, *hidden)), names)

    def install(self, prepared: Prepared) -> None:
        self.home = prepared.home
        self._resolvers = dict(prepared.resolvers)
        self._sensitive = prepared.sensitive
        self._unexposed = prepared.unexposed

    def resolver(self, area: str | None) -> Resolver:
        """The resolver for commands said in this area; kept for the home's own areas only
        (an area name from a message must not grow memory). The area as said: any case, or
        an alias."""
        if area is not None and area not in self._resolvers:
            found = self.home.area_called(area)
            area = found.name if found is not None else area
        if area in self._resolvers:
            return self._resolvers[area]
        player = self.site_player if area == self.site_area else None
        resolver = Resolver(self.home, area, player)
        if area is None or self.home.area(area) is not None:
            self._resolvers[area] = resolver
        return resolver

    def handle(
        self, text: str, *, area: str | None = None, who: str = "", least: float = 0.0
    ) -> Outcome:
        """`who`: whose question a "yes" or "no" answers (the way in and the sender);
        `least`: the model's answer counts only this sure (the room's talk, heard in always
        mode, needs more than a command said to the agent)."""
        start = time.perf_counter()
        self._least = least
        pending = self._pending.pop(who, None)
        if pending is not None and self.clock() > pending.expires:
            pending = None
        self._asking = None
        outcome = self._handle(text, self.site_area if area is None else area, pending)
        if self._asking is not None:
            if (
                pending is not None
                and outcome.actions == ()
                and pending.actions != self._asking.actions
                and not pending.choose
            ):
                # one question never silently replaces another
                before = reply.dropped(pending.intent.name, pending.targets)
                outcome = replace(outcome, response=f"{before} {outcome.response}")
            self._keep(who, self._asking)
        return replace(outcome, latency_ms=(time.perf_counter() - start) * 1000)

    def _keep(self, who: str, pending: Pending) -> None:
        now = self.clock()
        for key in [k for k, p in self._pending.items() if p.expires < now]:
            del self._pending[key]
        while len(self._pending) >= MAX_PENDING:  # bounded, however many senders
            del self._pending[min(self._pending, key=lambda k: self._pending[k].expires)]
        self._pending[who] = pending

    def _handle(self, text: str, area: str | None, pending: Pending | None) -> Outcome:
        if pending is not None and pending.choose:
            chosen = self._chosen(text, pending)
            if chosen is not None:
                return chosen
        elif pending is not None:
            said = normalize(text)
            if YES.match(said):
                confirmed = replace(pending.intent, tier="confirmation")
                ids = tuple(d.id for d in pending.targets)
                return Outcome(text, confirmed, ids, pending.actions, pending.response)
            if NO.match(said):
                return Outcome(text, Intent("none", tier="confirmation"), (), (), reply.CANCELLED)
        resolver = self.resolver(area)
        core = strip_assistant_names(text, named=resolver.names.mentions, extra=self.wake_words)
        core, duration = split_duration(core)
        marked = text.rstrip().endswith("?")
        clauses = split(core)
        question = is_question(core, marked=marked)
        several = len(clauses) > 1 and not question and not resolver.names.mentions("and")
        # One text's work is bounded (the texts behind it wait): a few requests, or a few
        # that act on a bounded number of devices together; beyond that, none is done.
        none = Intent("none", confidence=0.0, tier="none")
        if several and len(clauses) > MAX_CLAUSES:
            return Outcome(text, none, (), (), reply.too_many_requests(MAX_CLAUSES))
        if several:
            outcomes: list[Outcome] = []
            waiting: list[Pending] = []
            for clause in clauses:
                previous = outcomes[-1].intent if outcomes and clause.joined else None
                part = self._clause(text, clause.text, resolver, duration, previous, False)
                outcomes.append(part)
                if sum(len(o.targets) for o in outcomes) > MAX_DEVICES:
                    self._asking = None
                    return Outcome(text, none, (), (), reply.too_many_devices(MAX_DEVICES))
                if self._asking is not None:  # each sensitive part waits for the one "yes"
                    if not self._asking.choose:
                        waiting.append(self._asking)
                    self._asking = None
            # every part understood and one at least acted on: say what each did
            if any(o.targets for o in outcomes) and not any(map(_not_understood, outcomes)):
                self._asking = Pending.merged(waiting)
                return _combined(text, outcomes)
        return self._clause(text, core, resolver, duration, None, question)

    def _clause(
        self,
        text: str,
        core: str,
        resolver: Resolver,
        duration: Duration | None,
        previous: Intent | None,
        question: bool,
    ) -> Outcome:
        """One command: understood (or, for a name joined to the command before it, that
        command's intent), resolved, acted on. `question`: it only asks."""
        unresolved: Resolution | None = None
        if previous is not None:  # "...the porch and garden lights": the same, for these
            heard = replace(previous.slots, device=core, area=None)
            candidates: Iterable[Intent] = [replace(previous, slots=heard)]
        else:
            candidates = self._understood(core, resolver)
        for intent in candidates:
            if intent.name == "none":
                break
            if question and intent.name != "get_state":
                intent = replace(intent, name="get_state")  # a question never moves anything
            intent = refine.generic_play(refine.light_colour(intent, resolver.names))
            intent = refine.by_amount(core, intent)
            if refine.asks_level(core, intent):
                intent = replace(intent, name="get_state")  # "the current volume of the tv"
            every = over_many(core) if intent.name == "get_state" else says_everywhere(core)
            resolution = resolver.resolve(intent, asked_about(core), every=every)
            if resolution.status == "no_device" and refine.something_to_play(intent):
                # "play jazz": not a player called jazz, but something to play
                slots = replace(intent.slots, device=None, media=intent.slots.device)
                resolution = resolver.resolve(replace(intent, name="play_media", slots=slots))
            if resolution.status not in RETRY:
                if previous is None and refine.bare_entry(core, resolution, resolver.names):
                    found = resolution.targets
                    heard_name = found[0].name if len(found) == 1 else intent.slots.device or ""
                    none = replace(intent, name="none")
                    return Outcome(text, none, (), (), reply.bare_name(heard_name))
                sent = refine.clamped(refine.in_units(text, resolution))
                return self._act(text, sent, duration)
            unresolved = unresolved or resolution
        else:
            intent = Intent("none", confidence=0.0, tier="none")
        if unresolved is not None:
            return self._act(text, unresolved, duration)
        unsure = intent.tier == "model" and intent.unsure
        return Outcome(text, intent, (), (), reply.UNSURE if unsure else reply.NOT_UNDERSTOOD)

    def _chosen(self, text: str, pending: Pending) -> Outcome | None:
        """The answer to a "Which ...?" question: the devices it picks acted on, the
        question dropped, or None where the words are no answer (a new command)."""
        picked = pick(text, pending.targets)
        if picked.kind == "cancel":
            return Outcome(text, Intent("none", tier="choice"), (), (), reply.CANCELLED)
        if picked.kind == "none":
            return None
        intent = replace(pending.intent, tier="choice")
        if picked.kind == "some" and len(picked.devices) > 1:  # narrower, still several
            res = Resolution("ambiguous", intent, candidates=picked.devices, area=pending.area)
        else:
            res = Resolution("ok", intent, targets=picked.devices, area=pending.area)
            res = refine.clamped(refine.in_units(pending.said, res))
        return replace(self._act(pending.said, res), text=text)

    def _understood(self, text: str, resolver: Resolver) -> Iterator[Intent]:
        """Each tier's answer in turn; the model only runs when it's needed. A scene said by
        its name alone ("movie time", "good night") comes after the templates."""
        for index, tier in enumerate(self.tiers):
            intent = tier(text)
            if intent is not None and (
                (intent.tier == "model" and not _words_enough(text, intent))  # "1e308", "100%"
                or (intent.tier == "model" and intent.confidence < self._least)
                or refine.number_unasked(text, intent)  # "it's 21 degrees", "volume -5"
            ):
                intent = replace(intent, name="none", confidence=0.0, unsure=True)
            if intent is not None:
                yield intent
            if index == 0 and (scene := refine.scene_named(text, resolver.names)) is not None:
                yield scene

    def _unresolved(self, res: Resolution, where: str | None) -> str:
        """The reply where the names heard found no device to act on."""
        if res.status == "ambiguous":
            return reply.ambiguous(res.heard, res.candidates)
        if res.status == "unknown_area":
            return reply.unknown_area(res.heard)
        if res.status == "no_device":
            if (found := self._unexposed.get(spoken(res.heard))) is not None:
                return reply.not_exposed(*found)
            return reply.no_device(res.heard, where)
        if res.status == "nothing_there":
            return reply.nothing_there(res.heard, where)
        return reply.unsupported(res.intent.name, res.candidates)

    def _act(self, text: str, res: Resolution, duration: Duration | None = None) -> Outcome:
        intent = res.intent
        floor = res.area is not None and self.home.area(res.area) is None
        where = reply.place(res.area, floor=floor)

        def out(
            response: str, targets: tuple[Device, ...] = (), actions: tuple[Act, ...] = ()
        ) -> Outcome:
            return Outcome(text, intent, tuple(d.id for d in targets), actions, response)

        if res.status != "ok":
            if res.status == "ambiguous":  # the answer to the question picks
                expires = self.clock() + self.confirm_timeout_s
                self._asking = Pending(
                    intent, res.candidates, (), "", expires, choose=True, said=text, area=res.area
                )
            if res.status in ("unknown_area", "no_device", "nothing_there"):
                # nothing to act on: the vocabulary's `none`, with the reason as the reply
                intent = replace(intent, name="none")
            return out(self._unresolved(res, where))
        targets = res.targets
        if intent.name == "get_state":
            said = answer(text, targets, self.state, where)
            return out(said.text, said.about)
        if duration is not None and duration.how != "for":
            return out(reply.later(duration.said), targets)  # acting now would be wrong
        denied = tuple(d for d in targets if d.policy(intent.name) == "deny")
        targets = tuple(d for d in targets if d not in denied)
        if not targets:
            return out(reply.denied(intent.name, denied))
        actions, acted, problems = plan(intent, targets, self.state)
        if not acted:
            return out(problems[0], targets)
        done = tuple(acted)
        response = reply.done(intent.name, intent.slots, done, where)
        if res.note:
            response = response.removesuffix(".") + f" ({res.note})."
        if duration is not None:
            response += " " + reply.no_duration(duration.said)
        if problems:
            response += " " + problems[0]
        if denied:
            response += " " + reply.denied(intent.name, denied)
        # a device's own policy where it is sensitive itself; a "yes" where another device's
        # message would unlock or open a way in
        borrowed = {d.id for d in done if not d.is_sensitive(intent.name)}
        if any(d.policy(intent.name) == "confirm" for d in done) or any(
            a.device_id in borrowed and self._sensitive.touches(a) for a in actions
        ):
            self._asking = Pending(
                intent, done, tuple(actions), response, self.clock() + self.confirm_timeout_s
            )
            return out(reply.confirm(intent.name, done), done)
        return out(response, targets, tuple(actions))
