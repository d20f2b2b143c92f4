"""The `x-lifecycle` extension: a task resource's states, transitions and per-state field rules.

A spec declares, on the schema of a task resource::

    x-lifecycle:
      status: step                      # property holding the status
      id: tid                           # property echoing the polled id
      progress: progress                # optional, never decreases (number or numeric string)
      timestamps: [request_time, ...]   # appear in this order, never change once set
      aliases: {Failed: Fail}           # other spellings accepted for a state
      states: [{value: ready, initial: true}, {value: done, terminal: true}, ...]
        # a state may say how it shows when one status field does not (_core/conditions.py):
        #   {value: failed, terminal: true, when: {done: true, error: {is: set}}}
      transitions: [{from: ready, to: [preparing, ...]}, ...]
      field-rules: [{states: [done], set: [finish_time], source: seed}, ...]

`status` may be left out when every state has `when`. A body is in the first declared state whose
condition holds (a state without `when`: the status field holds its value or an alias).

Rule kinds: `set` (present and not null, "" or 0), `null` (absent or null), `empty` (absent, null,
"" or 0), `absent` (the member is not there at all), `present` (there, whatever its value: 0, ""
and null included). The same rules appear in the schema as `if`/`then` so a plain validator
enforces them (`absent` as `{not: {}}`, `present` as `required` with `{}`); `rule_schemas` derives
that form and `schema_rule_atoms` reads it back for comparison.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from taskmock._core.conditions import (
    EMPTY_VALUES,
    condition_problems,
    condition_schema,
    matches,
)

__all__ = [
    "EMPTY_VALUES",
    "RULE_KINDS",
    "FieldRule",
    "Lifecycle",
    "conditional_entries",
    "field_value",
    "parse_lifecycle",
    "rule_atoms",
    "rule_entry_states",
    "rule_schemas",
    "rules_from_schema",
    "schema_lifecycle",
    "schema_rule_atoms",
]

RULE_KINDS: tuple[str, ...] = ("set", "null", "empty", "absent", "present")
# The kinds whose `then` lists the fields as `required`.
_REQUIRING = ("set", "present")
_SOURCES = ("seed", "vendor-docs", "inferred")

_RULE_THEN: dict[str, dict[str, Any]] = {
    "set": {"not": {"enum": list(EMPTY_VALUES)}},
    "null": {"type": "null"},
    "empty": {"enum": list(EMPTY_VALUES)},
    "absent": {"not": {}},
    "present": {},
}

State = Any  # a status value in the vendor's vocabulary: str or int


@dataclass(frozen=True)
class FieldRule:
    """In `states`, each field of `fields` must be of `kind` (set, null, empty, absent or
    present)."""

    states: tuple[State, ...]
    kind: str
    fields: tuple[str, ...]
    source: str = "inferred"

    def holds(self, body: Mapping[str, Any], field_name: str) -> bool:
        """Whether `body` satisfies this rule for one of its fields."""
        present = field_name in body
        value = body.get(field_name)
        if self.kind == "set":
            return present and not _is_empty(value)
        if self.kind == "null":
            return value is None
        if self.kind == "absent":
            return not present
        if self.kind == "present":
            return present
        return _is_empty(value)


def _is_empty(value: Any) -> bool:
    # bool is an int in Python; False is a value, not emptiness.
    return value is None or (not isinstance(value, bool) and value in ("", 0))


@dataclass(frozen=True)
class Lifecycle:
    """A validated `x-lifecycle`: the state machine of one task resource."""

    status_field: str | None
    id_field: str | None
    progress_field: str | None
    timestamps: tuple[str, ...]
    states: tuple[State, ...]
    initial: frozenset[State]
    terminal: frozenset[State]
    transitions: Mapping[State, tuple[State, ...]]
    rules: tuple[FieldRule, ...]
    aliases: Mapping[State, State] = field(default_factory=dict)
    names: Mapping[State, str] = field(default_factory=dict)
    source: Mapping[str, str] = field(default_factory=dict)
    when: Mapping[State, Mapping[str, Any]] = field(default_factory=dict)

    def condition(self, state: State) -> Mapping[str, Any]:
        """How a state shows in a body: its `when`, else its status value (or an alias of it)."""
        declared = self.when.get(state)
        if declared is not None:
            return declared
        spellings = [state, *(a for a, target in self.aliases.items() if target == state)]
        return {str(self.status_field): spellings[0] if len(spellings) == 1 else {"in": spellings}}

    def canonical(self, value: State) -> State:
        """The declared state a status value stands for (resolving aliases)."""
        return self.aliases.get(value, value)

    def is_state(self, value: State) -> bool:
        """Whether `value` is a declared state or an accepted alias of one."""
        # Compare types too: in Python True == 1, but JSON true is not the integer state 1.
        canonical = self.canonical(value)
        return any(s == canonical and type(s) is type(canonical) for s in self.states)

    def state_of(self, body: Any) -> State | None:
        """The declared state a task body is in (aliases resolved), or None when it shows none.

        The one answer to "which state is this body in": the checks ask nothing else.
        """
        if not isinstance(body, Mapping):
            return None
        if not self.when:  # one status field says it all
            value = body.get(self.status_field)
            if isinstance(value, dict | list):  # never a state, and unhashable
                return None
            return self.canonical(value) if self.is_state(value) else None
        return next((s for s in self.states if matches(self.condition(s), body)), None)

    def successors(self, state: State) -> tuple[State, ...]:
        """States reachable in one transition, in declared order."""
        return self.transitions.get(self.canonical(state), ())

    def reachable(self, start: State) -> frozenset[State]:
        """All states reachable from `start` in zero or more transitions."""
        seen = {self.canonical(start)}
        frontier = list(seen)
        while frontier:
            for nxt in self.successors(frontier.pop()):
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        return frozenset(seen)

    def label(self, state: State) -> str:
        """A display label: the value, with its vendor name where it has one."""
        name = self.names.get(state)
        return f"{state} ({name})" if name else str(state)

    def problems(self) -> list[tuple[str, str]]:
        """Well-formedness problems as (relative pointer, message); empty when sound."""
        found: list[tuple[str, str]] = []
        if not self.initial:
            found.append(("/states", "no state is marked initial"))
        reachable: set[State] = set()
        for start in self.initial:
            reachable |= self.reachable(start)
        for index, state in enumerate(self.states):
            if state not in reachable:
                found.append(
                    (
                        f"/states/{index}",
                        f"state {state!r} is unreachable from {_fmt(self.initial)}",
                    )
                )
        for state in self.terminal:
            if self.transitions.get(state):
                found.append(("/transitions", f"terminal state {state!r} has transitions out"))
        for state in self.states:
            if state not in self.terminal and not self.transitions.get(state):
                found.append(("/transitions", f"non-terminal state {state!r} has no way out"))
        return found


def field_value(body: Any, path: str) -> Any:
    """The value at a field path of a body (`metadata.progress` reads a nested member), or None."""
    for key in path.split("."):
        if not isinstance(body, Mapping):
            return None
        body = body.get(key)
    return body


def _fmt(values: Iterable[State]) -> str:
    return ", ".join(repr(v) for v in sorted(values, key=str))


def parse_lifecycle(raw: Any) -> tuple[Lifecycle | None, list[tuple[str, str]]]:
    """Parse an `x-lifecycle` value; returns the lifecycle (if usable) and problems found.

    Problems are (pointer relative to the extension, message).
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(raw, dict):
        return None, [("", "x-lifecycle must be a mapping")]
    for key in ("states", "transitions"):
        if key not in raw:
            problems.append(("", f"missing required key {key!r}"))
    if problems:
        return None, problems
    states_raw = raw["states"]
    if not isinstance(states_raw, list) or not states_raw:
        return None, [("/states", "states must be a non-empty list of {value: ...} entries")]
    states: list[State] = []
    initial: set[State] = set()
    terminal: set[State] = set()
    names: dict[State, str] = {}
    when: dict[State, Mapping[str, Any]] = {}
    for index, entry in enumerate(states_raw):
        if not isinstance(entry, dict) or "value" not in entry:
            problems.append((f"/states/{index}", "a state needs a 'value'"))
            continue
        value = entry["value"]
        if value in states:
            problems.append((f"/states/{index}", f"state {value!r} declared twice"))
        states.append(value)
        if entry.get("initial"):
            initial.add(value)
        if entry.get("terminal"):
            terminal.add(value)
        if "name" in entry:
            names[value] = str(entry["name"])
        if "when" in entry:
            found = list(condition_problems(entry["when"], f"/states/{index}/when"))
            problems.extend(found)
            if not found:
                when[value] = entry["when"]
    if "status" not in raw and len(when) < len(states):
        problems.append(("", "missing required key 'status' (only states with `when` need none)"))
    declared = set(states)
    transitions: dict[State, tuple[State, ...]] = {}
    transitions_raw = raw["transitions"]
    if not isinstance(transitions_raw, list):
        transitions_raw = []
        problems.append(("/transitions", "transitions must be a list of {from, to} entries"))
    for index, entry in enumerate(transitions_raw):
        where = f"/transitions/{index}"
        if (
            not isinstance(entry, dict)
            or "from" not in entry
            or not isinstance(entry.get("to"), list)
        ):
            problems.append((where, "a transition needs 'from' and a list 'to'"))
            continue
        source_state = entry["from"]
        if source_state not in declared:
            problems.append((where + "/from", f"transition from undeclared state {source_state!r}"))
        for j, target in enumerate(entry["to"]):
            if target not in declared:
                problems.append((f"{where}/to/{j}", f"transition to undeclared state {target!r}"))
        merged = (*transitions.get(source_state, ()), *entry["to"])
        transitions[source_state] = tuple(dict.fromkeys(merged))
    rules = _parse_rules(raw.get("field-rules", []), declared, problems)
    aliases_raw = raw.get("aliases", {})
    aliases: dict[State, State] = {}
    if isinstance(aliases_raw, dict):
        for alias, target in aliases_raw.items():
            if target not in declared:
                problems.append((f"/aliases/{alias}", f"alias of undeclared state {target!r}"))
            aliases[alias] = target
    timestamps = raw.get("timestamps", [])
    lifecycle = Lifecycle(
        status_field=str(raw["status"]) if "status" in raw else None,
        id_field=raw.get("id"),
        progress_field=raw.get("progress"),
        timestamps=tuple(timestamps) if isinstance(timestamps, list) else (),
        states=tuple(states),
        initial=frozenset(initial),
        terminal=frozenset(terminal),
        transitions=transitions,
        rules=rules,
        aliases=aliases,
        names=names,
        source=dict(raw.get("source", {})),
        when=when,
    )
    problems.extend(lifecycle.problems())
    return lifecycle, problems


def _parse_rules(
    raw: Any, declared: set[State], problems: list[tuple[str, str]]
) -> tuple[FieldRule, ...]:
    if not isinstance(raw, list):
        problems.append(("/field-rules", "field-rules must be a list"))
        return ()
    rules: list[FieldRule] = []
    for index, entry in enumerate(raw):
        where = f"/field-rules/{index}"
        if not isinstance(entry, dict) or not isinstance(entry.get("states"), list):
            problems.append((where, "a field rule needs a list 'states'"))
            continue
        for j, state in enumerate(entry["states"]):
            if state not in declared:
                problems.append((f"{where}/states/{j}", f"rule names undeclared state {state!r}"))
        source = entry.get("source", "inferred")
        if source not in _SOURCES:
            problems.append((f"{where}/source", f"source must be one of {', '.join(_SOURCES)}"))
        kinds = [k for k in RULE_KINDS if k in entry]
        if not kinds:
            problems.append((where, f"a field rule needs one of {', '.join(RULE_KINDS)}"))
        for kind in kinds:
            rules.append(FieldRule(tuple(entry["states"]), kind, tuple(entry[kind]), source))
    return tuple(rules)


Atom = tuple[str, str, str]  # (state as JSON text, field, kind)


def _atom_state(state: State) -> str:
    return repr(state)


def rule_atoms(lifecycle: Lifecycle) -> set[Atom]:
    """The rules as a set of (state, field, kind) facts, independent of how they are grouped."""
    return {
        (_atom_state(state), name, rule.kind)
        for rule in lifecycle.rules
        for state in rule.states
        for name in rule.fields
    }


def rule_schemas(lifecycle: Lifecycle, required: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The rules as JSON Schema `if`/`then` entries, one per rule.

    Each entry also names the schema's `required` properties with `{}` (no constraint): some tools
    (Specmatic) check the parent's `required` against every `allOf` branch, and warn and drop the
    requirement when the branch does not declare the property.
    """
    names = list(dict.fromkeys(required))
    entries: list[dict[str, Any]] = []
    for rule in lifecycle.rules:
        then: dict[str, Any] = {"properties": dict.fromkeys(rule.fields, _RULE_THEN[rule.kind])}
        if rule.kind in _REQUIRING:
            then = {"required": list(rule.fields), **then}
        entries.append(
            {
                **({"properties": {name: {} for name in names}} if names else {}),
                "if": _states_schema(lifecycle, rule.states),
                "then": then,
            }
        )
    return entries


def _states_schema(lifecycle: Lifecycle, states: Iterable[State]) -> dict[str, Any]:
    """The `if` of a rule: the status field is one of the states, or (with `when`) their
    conditions hold."""
    states = list(states)
    if not lifecycle.when:
        status = str(lifecycle.status_field)
        test = {"const": states[0]} if len(states) == 1 else {"enum": states}
        return {"required": [status], "properties": {status: test}}
    schemas = [condition_schema(lifecycle.condition(s)) for s in states]
    return schemas[0] if len(schemas) == 1 else {"anyOf": schemas}


def _canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True)


def schema_rule_atoms(
    schema: Mapping[str, Any], lifecycle: Lifecycle
) -> tuple[set[Atom], list[str]]:
    """Read the lifecycle rules back out of a schema's `allOf` `if`/`then` entries.

    An entry is a rule when its `if` names states and nothing more (`rule_entry_states`); any
    other `if`/`then` (on another member, or on a state and another member) is plain JSON Schema
    and states no rule. Aliases of a state count as that state. Returns the atoms and
    descriptions of entries that are not in the rule form.
    """
    atoms: set[Atom] = set()
    odd: list[str] = []
    for index, entry in enumerate(schema.get("allOf", [])):
        if not isinstance(entry, dict) or "if" not in entry:
            continue
        states = rule_entry_states(entry["if"], lifecycle)
        if states is None:
            continue  # a plain conditional: every validator enforces it, it states no rule
        names = entry.get("properties", {})
        if not isinstance(names, dict) or any(sub != {} for sub in names.values()):
            # Beside if/then, an entry only names properties (rule_schemas), never constrains them.
            odd.append(f"allOf/{index}/properties: a rule entry names properties with {{}} only")
        then = entry.get("then", {})
        if isinstance(states, str) or not isinstance(then, dict):
            odd.append(f"allOf/{index}: {states if isinstance(states, str) else 'no then'}")
            continue
        required = set(then.get("required", []))
        for name, constraint in then.get("properties", {}).items():
            kinds = [k for k, v in _RULE_THEN.items() if v == constraint]
            if not kinds or (kinds[0] in _REQUIRING) != (name in required):
                odd.append(
                    f"allOf/{index}/then/properties/{name}: not a set, null, empty, absent or "
                    "present rule"
                )
                continue
            atoms.update((_atom_state(lifecycle.canonical(s)), name, kinds[0]) for s in states)
    return atoms, odd


def rule_entry_states(test: Any, lifecycle: Lifecycle) -> list[State] | str | None:
    """The states an `allOf` entry's `if` names, when the entry is a field rule.

    A rule's `if` names states and nothing more: the status field's `const` or `enum` (with
    `required` of that field only), or a state's condition as `condition_schema` writes it (with
    `when`), or an `anyOf` of those. An `if` testing the status field alone, but not with `const`
    or `enum`, or naming a value that is no state, is a rule written wrong: a message says why.
    Any other `if` (another member, or a state and another member: `COMPLETED` with an `error`)
    is a plain JSON Schema conditional, not a rule: None.
    """
    alternatives = test["anyOf"] if isinstance(test, dict) and list(test) == ["anyOf"] else [test]
    if not isinstance(alternatives, list) or not alternatives:
        return None
    by_condition = {
        _canonical_json(condition_schema(lifecycle.condition(s))): s for s in lifecycle.states
    }
    status = lifecycle.status_field
    states: list[State] = []
    wrong: str | None = None
    for alternative in alternatives:
        state = by_condition.get(_canonical_json(alternative))
        if state is not None:
            states.append(state)
            continue
        tested = _status_test(alternative, status) if not lifecycle.when else None
        if tested is None:
            return None  # it tests something else as well: a plain conditional
        if isinstance(tested, dict):
            values = [tested["const"]] if "const" in tested else tested.get("enum")
            if list(tested) in (["const"], ["enum"]) and isinstance(values, list) and values:
                unknown = [v for v in values if not lifecycle.is_state(v)]
                if not unknown:
                    states.extend(values)
                    continue
                wrong = f"'if' names {_fmt(unknown)}, not a state of x-lifecycle"
                continue
        wrong = wrong or f"'if' does not test {status!r} with const or enum"
    return wrong if wrong is not None else states


def _status_test(alternative: Any, status: str | None) -> Any:
    """The schema an `if` alternative puts on the status field, when it tests that field alone
    (`required` naming it at most); None when it tests anything else."""
    if not isinstance(alternative, dict) or not set(alternative) <= {"required", "properties"}:
        return None
    properties = alternative.get("properties")
    required = alternative.get("required", [])
    if not isinstance(properties, dict) or list(properties) != [status]:
        return None
    if not isinstance(required, list) or not set(required) <= {status}:
        return None
    return properties[status]


def conditional_entries(
    schema: Mapping[str, Any], lifecycle: Lifecycle
) -> list[tuple[int, tuple[str, ...]]]:
    """The `allOf` `if`/`then` entries of a task schema that are plain JSON Schema conditionals,
    not field rules (`rule_entry_states`), each with the members its `if` tests."""
    found: list[tuple[int, tuple[str, ...]]] = []
    for index, entry in enumerate(schema.get("allOf", [])):
        if (
            isinstance(entry, dict)
            and "if" in entry
            and rule_entry_states(entry["if"], lifecycle) is None
        ):
            found.append((index, tuple(dict.fromkeys(_tested_members(entry["if"])))))
    return found


def _tested_members(node: Any) -> Iterator[str]:
    """The member names a schema tests (its `properties` and `required`, at any depth)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "required" and isinstance(value, list):
                yield from (str(name) for name in value)
            elif key == "properties" and isinstance(value, dict):
                yield from (str(name) for name in value)
                for inner in value.values():
                    yield from _tested_members(inner)
            elif key not in ("const", "enum", "default", "examples"):  # values, not schemas
                yield from _tested_members(value)
    elif isinstance(node, list):
        for item in node:
            yield from _tested_members(item)


def rules_from_schema(schema: Mapping[str, Any], lifecycle: Lifecycle) -> tuple[FieldRule, ...]:
    """The field rules a schema's `allOf` `if`/`then` entries state, each with the entry's
    `x-source`: a spec writes its rules once, in the form every JSON Schema tool reads, and the
    lifecycle takes them from there (when its `x-lifecycle` has no `field-rules`)."""
    rules: list[FieldRule] = []
    for entry in schema.get("allOf", []):
        if not isinstance(entry, dict) or "if" not in entry:
            continue
        atoms, odd = schema_rule_atoms({"allOf": [entry]}, lifecycle)
        if odd or not atoms:
            continue  # reported by `specs validate` (not a rule entry)
        source = str(entry.get("x-source", "inferred"))
        by_kind: dict[str, tuple[list[State], list[str]]] = {}
        for state_text, name, kind in sorted(atoms):
            states, names = by_kind.setdefault(kind, ([], []))
            state = next(s for s in lifecycle.states if _atom_state(s) == state_text)
            if state not in states:
                states.append(state)
            if name not in names:
                names.append(name)
        for kind, (states, names) in by_kind.items():
            ordered = tuple(s for s in lifecycle.states if s in states)
            rules.append(FieldRule(ordered, kind, tuple(names), source))
    return tuple(rules)


def schema_lifecycle(schema: Mapping[str, Any]) -> tuple[Lifecycle | None, list[tuple[str, str]]]:
    """The lifecycle a task schema declares: its `x-lifecycle`, with the field rules of its
    `allOf` `if`/`then` entries when the extension lists none (rules written once)."""
    raw = schema.get("x-lifecycle")
    lifecycle, problems = parse_lifecycle(raw)
    if lifecycle is not None and isinstance(raw, dict) and "field-rules" not in raw:
        lifecycle = replace(lifecycle, rules=rules_from_schema(schema, lifecycle))
    return lifecycle, problems
