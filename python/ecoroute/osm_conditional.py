"""
OSM conditional restrictions (``value @ condition``): parsing, and the hours of the week they hold.

The syntax is the OSM wiki's *Conditional restrictions*: ``key:conditional =
value @ condition; value @ (condition)``, each condition a part of
``opening_hours`` (weekdays, times, months) or a non-time condition
(``weight>7.5``, ``wet``), parts joined by ``AND``. Everything here is a
pure function of the tag text.

Time is kept exact, in minutes of the week (Monday 00:00 is minute 0), as
half-open intervals: :attr:`Condition.minutes`. Routing works in the hours
of the week the traffic profiles use (:data:`ecoroute.traffic.HOURS_PER_WEEK`),
so :func:`hour_bins` turns the minutes into two sets of hours: those the
condition holds for the whole hour, and those it holds for some of it. In a
partial hour (``07:30-09:00`` in hour 7) the stricter of the two values
applies for the whole hour (:func:`code_profile`): rounding never opens a
road or a turn that the map closes at some moment of that hour.

What is read, and what is not:

* weekdays ``Mo``..``Su``, ranges (``Mo-Fr``, wrapping ``Fr-Mo``), lists
  (``Sa,Su``); times ``07:00-09:00``, lists ``07:00-09:00,16:00-18:00``,
  past midnight ``22:00-06:00`` (into the next day), ``24:00``; several
  rules ``Mo-Fr 07:00-09:00; Sa 08:00-12:00`` (a later rule replaces the
  times of the days it names, as in ``opening_hours``), ``off``, ``24/7``;
* months ``Nov-Mar``, ``Jan,Feb``: read, but a departure is a time of the
  week (:func:`ecoroute.traffic.departure_seconds`), so a condition with
  months is never decided by one (:attr:`Condition.decided` is False);
* public and school holidays ``PH``, ``SH``: ecoroute does not know which
  days they are. They are dropped from a list of days (``Mo-Fr,PH`` is
  ``Mo-Fr``: a holiday is taken as the ordinary day it falls on); a rule
  that names only holidays is left out;
* non-time conditions: vehicle properties (``weight>7.5``, ``length>12``,
  ``axleload``, ``height``, ``width``, ``wheels``, ``occupants``, ``stay``)
  and the road's state (``wet``, ``snow``, ...) are read but not evaluated
  (:attr:`Condition.other`);
* anything else (``sunrise``, ``sunset``, dates such as ``Dec 25``, years,
  ``Mo[1]``, typos) is not understood (:attr:`Condition.unread`).

Whatever a departure cannot decide (no departure, months, non-time or
unread parts) is settled by the router's policy: ``"restrict"`` takes the
stricter value, ``"ignore"`` the unconditional one (docs/map-rules.md,
"Conditional restrictions").
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: Minutes in a day and in a week (Monday 00:00 is minute 0).
MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
HOURS_PER_WEEK = 168

#: What an undecided condition does: index of a policy in :func:`code_profile`'s rows.
IGNORE, RESTRICT = 0, 1
POLICIES = ("ignore", "restrict")

_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_HOLIDAYS = ("PH", "SH")
#: Vehicle properties a condition may compare (OSM wiki, Conditional restrictions).
PROPERTIES = frozenset(
    {"weight", "axleload", "length", "width", "height", "wheels", "occupants", "stay"}
)
#: Words for the road's or the vehicle's state that a condition may name.
STATES = frozenset({"wet", "snow", "dry", "ice", "flooding", "winter", "summer", "fog", "hazmat"})

_TIME = r"(?:[01]?\d|2[0-4]):[0-5]\d"
_TIME_SPAN = re.compile(rf"^({_TIME})-({_TIME})$")
_PROPERTY = re.compile(
    r"^(?P<name>[a-z_]+)\s*(?P<op><=|>=|<|>|=)\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>[a-z]*)$"
)


@dataclass(frozen=True)
class Condition:
    """
    One parsed condition (what follows ``@``).

    Attributes
    ----------
    text
        The condition as written (without the parentheses).
    minutes
        Half-open ``(start, end)`` minutes of the week in which its time part
        holds, sorted and disjoint; None when it has no time part (it then
        holds at every time, as far as time goes).
    months
        Months (1-12) its time part is limited to; None: every month.
    other
        Non-time parts, read but not evaluated (``"weight>7.5"``, ``"wet"``).
    unread
        Parts that are not understood (``"sunset-sunrise"``).
    """

    text: str
    minutes: tuple[tuple[int, int], ...] | None = None
    months: frozenset[int] | None = None
    other: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()

    @property
    def understood(self) -> bool:
        """Whether every part was read (non-time parts count as read)."""
        return not self.unread

    @property
    def decided(self) -> bool:
        """Whether a time of the week alone decides it (no months, non-time or unread parts)."""
        return self.months is None and not self.other and not self.unread

    def holds_at(self, minute_of_week: int) -> bool | None:
        """
        Whether it holds at a minute of the week; None when a time of the week cannot say.

        >>> c = parse_condition("Mo-Fr 07:00-09:00")
        >>> c.holds_at(8 * 60), c.holds_at(10 * 60), c.holds_at(5 * 1440 + 8 * 60)
        (True, False, False)
        >>> parse_condition("wet").holds_at(0) is None
        True
        """
        if not self.decided:
            return None
        if self.minutes is None:
            return True
        m = minute_of_week % MINUTES_PER_WEEK
        return any(start <= m < end for start, end in self.minutes)


@dataclass(frozen=True)
class Rule:
    """One ``value @ condition`` of a conditional tag."""

    value: str
    condition: Condition


def parse_conditional(text: str) -> list[Rule]:
    """
    Split a ``*:conditional`` value into its rules, in the order written.

    Rules are separated by ``;`` outside parentheses; a rule without ``@``
    gets an unread condition.

    >>> [(r.value, r.condition.text) for r in parse_conditional(
    ...     "no @ (Mo-Fr 07:00-09:00; Sa 10:00-12:00); destination @ wet")]
    [('no', 'Mo-Fr 07:00-09:00; Sa 10:00-12:00'), ('destination', 'wet')]
    >>> parse_conditional("no_left_turn @ (Mo-Fr 07:00-09:00)")[0].condition.minutes[0]
    (420, 540)
    >>> parse_conditional("no")[0].condition.unread
    ('no',)
    """
    rules = []
    for piece in _split_outside_parentheses(text, ";"):
        if not piece.strip():
            continue
        value, at, condition = piece.partition("@")
        if not at:
            rules.append(Rule(value.strip(), Condition(piece.strip(), unread=(piece.strip(),))))
            continue
        rules.append(Rule(value.strip(), parse_condition(condition)))
    return rules


def parse_condition(text: str) -> Condition:
    """
    Parse one condition: time parts (``opening_hours`` subset) and others, joined by ``AND``.

    >>> parse_condition("(22:00-06:00)").minutes[:2]
    ((0, 360), (1320, 1800))
    >>> c = parse_condition("weight>7.5 AND Mo-Fr 06:00-22:00")
    >>> c.other, c.decided, len(c.minutes)
    (('weight>7.5',), False, 5)
    >>> parse_condition("sunset-sunrise").unread
    ('sunset-sunrise',)
    >>> sorted(parse_condition("Nov-Mar").months)
    [1, 2, 3, 11, 12]
    """
    body = text.strip()
    while body.startswith("(") and body.endswith(")") and _balanced(body[1:-1]):
        body = body[1:-1].strip()
    minutes: tuple[tuple[int, int], ...] | None = None
    months: frozenset[int] | None = None
    other: list[str] = []
    unread: list[str] = []
    for raw in re.split(r"\s+AND\s+", body, flags=re.IGNORECASE):
        part = raw.strip()
        while part.startswith("(") and part.endswith(")") and _balanced(part[1:-1]):
            part = part[1:-1].strip()
        if not part:
            unread.append(raw)
            continue
        found = _PROPERTY.match(part.lower())
        if found and found["name"] in PROPERTIES:
            other.append(part)
            continue
        if part.lower() in STATES:
            other.append(part)
            continue
        timed = _parse_hours(part)
        if timed is None:
            unread.append(part)
            continue
        part_minutes, part_months = timed
        if part_minutes is not None:
            minutes = part_minutes if minutes is None else _intersect(minutes, part_minutes)
        if part_months is not None:
            months = part_months if months is None else months & part_months
    return Condition(body, minutes, months, tuple(other), tuple(unread))


def hour_bins(condition: Condition) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """
    The hours of the week in which the time part holds all the time, and some of the time.

    Hour 0 is Monday 00:00-01:00 (as in ecoroute.traffic). Without a time
    part both are every hour.

    >>> whole, some = hour_bins(parse_condition("Mo 07:30-09:00"))
    >>> np.flatnonzero(whole).tolist(), np.flatnonzero(some).tolist()
    ([8], [7, 8])
    """
    if condition.minutes is None:
        every = np.ones(HOURS_PER_WEEK, dtype=bool)
        return every, every.copy()
    covered = np.zeros(MINUTES_PER_WEEK, dtype=bool)
    for start, end in condition.minutes:
        covered[start:end] = True
    per_hour = covered.reshape(HOURS_PER_WEEK, 60)
    return np.asarray(per_hour.all(axis=1)), np.asarray(per_hour.any(axis=1))


def rule_status(condition: Condition) -> npt.NDArray[np.uint8]:
    """
    Per policy (:data:`IGNORE`, :data:`RESTRICT`) and hour: 0 never holds, 1 holds, 2 may hold.

    "May hold": the hour is partial, or something a time of the week cannot
    decide is left to the policy (``"restrict"``: it may hold; ``"ignore"``:
    it does not). The caller takes the stricter of both outcomes where a
    rule may hold.

    >>> s = rule_status(parse_condition("Mo 07:30-09:00"))
    >>> s[:, 7].tolist(), s[:, 8].tolist(), s[:, 9].tolist()
    ([2, 2], [1, 1], [0, 0])
    >>> rule_status(parse_condition("wet"))[:, 0].tolist()
    [0, 2]
    """
    whole, some = hour_bins(condition)
    status = np.zeros((2, HOURS_PER_WEEK), dtype=np.uint8)
    if condition.decided:
        status[:, some] = 2
        status[:, whole] = 1
    else:  # ignore: it does not hold; restrict: it may, wherever its time part may
        status[RESTRICT, some] = 2
    return status


def code_profile(
    tags: Mapping[str, str],
    code_of: Callable[[Mapping[str, str]], int],
    keys: Callable[[str], bool] = lambda key: True,
    *,
    max_uncertain: int = 8,
) -> npt.NDArray[np.uint8] | None:
    """
    Per policy and hour of the week, the code ``code_of`` gives the tags with their conditionals applied.

    Every ``K:conditional`` tag (for which ``keys(K)`` is true) sets ``K``
    to the value of its last rule that holds (the rightmost wins, OSM wiki);
    ``code_of`` then reads the tags as it reads unconditional ones (for
    access: the mode hierarchy, directions, one-way rules). Where rules may
    hold (partial hours, undecided parts) the largest code over the cases
    wins: codes are ordered from least to most strict. Returns a ``(2, 168)``
    array (rows :data:`IGNORE`, :data:`RESTRICT`), or None when no
    conditional tag changes the code at any hour.

    >>> from ecoroute import osm_rules
    >>> tags = {"access": "yes", "access:conditional": "no @ (22:00-06:00)"}
    >>> p = code_profile(tags, lambda t: osm_rules.access_code(t, "motorcar", 1))
    >>> p[0, [5, 6, 21, 22]].tolist()
    [2, 0, 0, 2]
    """
    rules: list[tuple[str, str, npt.NDArray[np.uint8]]] = []
    for key, value in tags.items():
        if not key.endswith(":conditional"):
            continue
        base = key[: -len(":conditional")]
        if not keys(base):
            continue
        for rule in parse_conditional(value):
            rules.append((base, rule.value, rule_status(rule.condition)))
    if not rules:
        return None
    status = np.stack([s for _, _, s in rules])  # (rules, 2, hours)
    out = np.zeros((2, HOURS_PER_WEEK), dtype=np.uint8)
    cache: dict[bytes, int] = {}
    for policy in (IGNORE, RESTRICT):
        for hour in range(HOURS_PER_WEEK):
            column = status[:, policy, hour]
            signature = column.tobytes()
            if signature not in cache:
                cache[signature] = _worst_code(tags, rules, column, code_of, max_uncertain)
            out[policy, hour] = cache[signature]
    if (out == code_of(tags)).all():
        return None
    return out


def _worst_code(
    tags: Mapping[str, str],
    rules: list[tuple[str, str, npt.NDArray[np.uint8]]],
    column: npt.NDArray[np.uint8],
    code_of: Callable[[Mapping[str, str]], int],
    max_uncertain: int,
) -> int:
    """The strictest code over every case of the rules that may hold (status 2)."""
    uncertain = [i for i, s in enumerate(column.tolist()) if s == 2][:max_uncertain]
    worst = 0
    for case in itertools.product((False, True), repeat=len(uncertain)):
        holding = {i for i, s in enumerate(column.tolist()) if s == 1}
        holding |= {i for i, on in zip(uncertain, case, strict=True) if on}
        applied = dict(tags)
        for i, (base, value, _) in enumerate(rules):  # in order: the last that holds wins
            if i in holding:
                applied[base] = value
        worst = max(worst, code_of(applied))
    return worst


def turn_hours(condition: Condition) -> npt.NDArray[np.bool_]:
    """
    Per policy and hour, whether a restriction with this condition applies (the stricter reading).

    >>> h = turn_hours(parse_condition("Mo-Fr 07:00-09:00"))
    >>> h[:, 7].tolist(), h[:, 9].tolist(), h[:, 5 * 24 + 8].tolist()
    ([True, True], [False, False], [False, False])
    """
    return rule_status(condition) > 0


# ---------------------------------------------------------------------- opening_hours subset


def _parse_hours(
    text: str,
) -> tuple[tuple[tuple[int, int], ...] | None, frozenset[int] | None] | None:
    """
    Minutes of the week and months of an ``opening_hours`` subset; None if not understood.

    The minutes are None when no rule names a time or a day (months alone).
    """
    week: list[list[tuple[int, int]]] = [[] for _ in range(7)]  # per day, from its 00:00
    months: set[int] | None = None
    timed = False
    for rule_text in _split_outside_parentheses(text, ";"):
        for rule in _additional_rules(rule_text.strip()):
            parsed = _parse_rule(rule)
            if parsed is None:
                return None
            rule_months, days, spans, additional = parsed
            if rule_months is not None:
                months = (months or set()) | rule_months
            if days is None and spans is None:
                continue  # months only
            timed = True
            for day in days if days is not None else range(7):
                chosen = spans if spans is not None else [(0, MINUTES_PER_DAY)]
                week[day] = [*week[day], *chosen] if additional else list(chosen)
    minutes = _week_minutes(week) if timed else None
    return minutes, None if months is None else frozenset(months)


def _additional_rules(text: str) -> list[tuple[str, bool]]:
    """Split ``A, B`` where B starts with a weekday or month (``opening_hours``' additional rule)."""
    starts = "|".join((*_DAYS, *_MONTHS, *_HOLIDAYS))
    pieces = re.split(rf",\s*(?=(?:{starts})\b)", text)
    out: list[tuple[str, bool]] = []
    for i, piece in enumerate(pieces):
        # "Sa,Su" is a list of days, not two rules: a piece that is only days joins the next.
        item = rf"(?:{starts})(?:-(?:{starts}))?"
        if out and re.fullmatch(rf"{item}(?:,{item})*", out[-1][0].strip()):
            out[-1] = (f"{out[-1][0]},{piece}", out[-1][1])
            continue
        out.append((piece, i > 0))
    return out


def _parse_rule(
    rule: tuple[str, bool],
) -> tuple[set[int] | None, list[int] | None, list[tuple[int, int]] | None, bool] | None:
    """Months, days and time spans of one rule; None where a part is not understood."""
    text, additional = rule
    if text.strip() == "24/7":
        return None, None, [(0, MINUTES_PER_DAY)], additional
    tokens = text.split()
    months: set[int] | None = None
    days: list[int] | None = None
    spans: list[tuple[int, int]] | None = None
    i = 0
    if i < len(tokens) and (found := _months(tokens[i])) is not None:
        months, i = found, i + 1
    if i < len(tokens) and (found_days := _days(tokens[i])) is not None:
        days, i = found_days, i + 1
    if i < len(tokens):
        if tokens[i].lower() in ("off", "closed"):
            spans, i = [], i + 1
        elif (found_spans := _spans(tokens[i])) is not None:
            spans, i = found_spans, i + 1
    if i != len(tokens) or not tokens:
        return None
    if days == []:  # only holidays: not known, left out
        return None, [], [], True
    return months, days, spans, additional


def _months(token: str) -> set[int] | None:
    out: set[int] = set()
    for item in token.split(","):
        first, _, last = item.partition("-")
        if first not in _MONTHS or (last and last not in _MONTHS):
            return None
        a = _MONTHS.index(first)
        b = _MONTHS.index(last) if last else a
        out.update(((a + k) % 12) + 1 for k in range((b - a) % 12 + 1))
    return out


def _days(token: str) -> list[int] | None:
    out: list[int] = []
    for item in token.split(","):
        if item in _HOLIDAYS:
            continue  # not known: dropped (module docstring)
        first, _, last = item.partition("-")
        if first not in _DAYS or (last and last not in _DAYS):
            return None
        a = _DAYS.index(first)
        b = _DAYS.index(last) if last else a
        out.extend((a + k) % 7 for k in range((b - a) % 7 + 1))
    return sorted(set(out))


def _spans(token: str) -> list[tuple[int, int]] | None:
    out = []
    for item in token.split(","):
        found = _TIME_SPAN.match(item)
        if found is None:
            return None
        start, end = (_minute(t) for t in found.groups())
        if start is None or end is None or start >= MINUTES_PER_DAY:
            return None
        if end <= start:
            end += MINUTES_PER_DAY  # past midnight, into the next day
        out.append((start, end))
    return out


def _minute(text: str) -> int | None:
    hours, minutes = (int(x) for x in text.split(":"))
    value = hours * 60 + minutes
    return value if value <= MINUTES_PER_DAY else None


def _week_minutes(week: list[list[tuple[int, int]]]) -> tuple[tuple[int, int], ...]:
    """Union of every day's intervals, as sorted disjoint minutes of the week (wrapping Sunday)."""
    covered = np.zeros(MINUTES_PER_WEEK, dtype=bool)
    for day, spans in enumerate(week):
        for start, end in spans:
            first = day * MINUTES_PER_DAY + start
            index = np.arange(first, day * MINUTES_PER_DAY + end) % MINUTES_PER_WEEK
            covered[index] = True
    return _intervals(covered)


def _intervals(covered: npt.NDArray[np.bool_]) -> tuple[tuple[int, int], ...]:
    edges = np.diff(np.concatenate([[0], covered.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return tuple((int(a), int(b)) for a, b in zip(starts, ends, strict=True))


def _intersect(
    a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]
) -> tuple[tuple[int, int], ...]:
    covered = np.zeros(MINUTES_PER_WEEK, dtype=bool)
    other = np.zeros(MINUTES_PER_WEEK, dtype=bool)
    for start, end in a:
        covered[start:end] = True
    for start, end in b:
        other[start:end] = True
    return _intervals(covered & other)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _split_outside_parentheses(text: str, separator: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == separator and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


__all__ = [
    "IGNORE",
    "POLICIES",
    "RESTRICT",
    "Condition",
    "Rule",
    "code_profile",
    "hour_bins",
    "parse_condition",
    "parse_conditional",
    "rule_status",
    "turn_hours",
]
