"""Load a YAML device configuration and report *every* problem at once, each with
file:line, the key path and, for typos, a suggestion. A technician on SSH fixes a
config in one pass instead of one error per restart."""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from firmware_config.root import EdgeConfig

Loc = tuple[str | int, ...]

MAX_CONFIG_BYTES = 1024 * 1024  # a full device config is a few KiB
MAX_EXPANDED_NODES = 20_000  # a full config is a few hundred; anchors may reuse, not multiply


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    line: int | None
    path: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.path or '<top level>'}: {self.message}"
        return f"{text} ({self.suggestion})" if self.suggestion else text


class ConfigError(Exception):
    """The configuration is invalid; `problems` lists every error found."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_config(path: str | Path) -> EdgeConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), None, "", f"cannot read file: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError([ConfigProblem(str(path), None, "", "file is not valid UTF-8")]) from exc
    return load_config_text(text, str(path))


def load_config_text(text: str, filename: str = "<config>") -> EdgeConfig:
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(
            [ConfigProblem(filename, None, "", f"file is larger than {MAX_CONFIG_BYTES} bytes")]
        )
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        _refuse_alias_bombs(node, filename)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        raise ConfigError([ConfigProblem(filename, line, "", f"YAML syntax error: {exc.problem}")]) from exc
    except RecursionError as exc:
        raise ConfigError([ConfigProblem(filename, None, "", "YAML nested too deeply")]) from exc
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(filename, 1, "", "the file must be a YAML mapping of sections")])
    lines = _line_map(node)
    try:
        return EdgeConfig.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(err, filename, lines) for err in exc.errors()]
        problems.sort(key=lambda p: p.line or 0)
        raise ConfigError(problems) from exc


def _refuse_alias_bombs(root: yaml.Node | None, filename: str) -> None:
    """Refuse a document whose aliases expand to more than MAX_EXPANDED_NODES nodes, or
    refer to themselves. The composed graph shares aliased nodes, so this count is
    linear in the text; walking the expansion (as validation and the line map do)
    is exponential in nested anchors: a few hundred bytes of `&a [*b, *b, ...]` would
    take gigabytes in `edge validate`, the unit's ExecStartPre."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise ConfigError(
                [ConfigProblem(filename, node.start_mark.line + 1, "", "an alias refers to itself")]
            )
        open_nodes.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_EXPANDED_NODES:
                raise ConfigError(
                    [
                        ConfigProblem(
                            filename,
                            child.start_mark.line + 1,
                            "",
                            f"anchors and aliases expand to more than {MAX_EXPANDED_NODES} values; "
                            "write the repeated parts out or use fewer nested aliases",
                        )
                    ]
                )
        open_nodes.discard(key)
        sizes[key] = total
        return total

    if root is not None:
        size(root)


def _line_map(node: yaml.Node | None, loc: Loc = ()) -> dict[Loc, int]:
    """Map each key path to the 1-based line where it is written."""
    out: dict[Loc, int] = {}
    if node is None:
        return out
    out[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            sub = (*loc, key_node.value)
            out.update(_line_map(value_node, sub))
            out[sub] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.update(_line_map(item, (*loc, i)))
    return out


def _problem(err: dict[str, Any], filename: str, lines: dict[Loc, int]) -> ConfigProblem:
    loc: Loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
    line = None
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            line = lines[loc[:cut]]
            break
    path = ".".join(str(p) for p in loc)
    message = err["msg"].removeprefix("Value error, ")
    suggestion = None
    if err["type"] == "extra_forbidden":
        message = "unknown key"
        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        if close:
            suggestion = f"did you mean '{close[0]}'?"
        elif allowed:
            suggestion = "allowed keys: " + ", ".join(sorted(allowed))
    elif err["type"] == "missing":
        message = "required key is missing"
    elif err["type"] == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        close = difflib.get_close_matches(str(err.get("input")), _literal_words(expected), n=1, cutoff=0.5)
        if close:
            suggestion = f"did you mean '{close[0]}'?"
    return ConfigProblem(filename, line, path, message, suggestion)


def _is_union_tag(part: str | int) -> bool:
    # pydantic inserts model names for union members (e.g. 'TlsConfig') into the loc.
    return isinstance(part, str) and part[:1].isupper() and not part.isupper()


def _literal_words(expected: str) -> list[str]:
    return [w.strip(" '\"") for w in expected.replace(" or ", ",").split(",") if w.strip(" '\"")]


def _allowed_keys(loc: Loc) -> list[str]:
    """Field names of the model found at `loc` in EdgeConfig, or [] if not a model."""
    model: Any = EdgeConfig
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return []
        model = _model_in(model.model_fields[part].annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    """Unwrap Optional[...] / list[...] / dict[str, ...] to the model inside, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
