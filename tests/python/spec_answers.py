"""What the mock's XML stand-in must answer for an operation, computed from its spec YAML.

The mock writes an XML operation's answer from the node tree in spec/operations/<file>.yaml
(crates/cos-ci-mock/src/generic.rs): every node from its `example`, one element for a repeated
node, an optional scalar without an example left out, an integer `...Width` / `...Height`
without an example taken from the input image. `expected_answer` applies the same rules and
shapes the result the way the SDK's own parser (qcloud_cos xml_to_dict) does, so a test can
compare the SDK's decoded answer with it: a node the mock drops, renames or fills wrongly fails.
"""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = ROOT / "spec" / "operations"
SERVICE = ROOT / "spec" / "service.yaml"


class _TextLoader(yaml.SafeLoader):
    """PyYAML reads FALSE and yes as booleans (YAML 1.1); the spec spells them as text."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_TextLoader)


def _yes(value):
    return str(value).lower() in ("true", "1")


def operation_file(name):
    """spec/operations/<file>.yaml of the operation whose ci-process value is `name`, or None."""
    for path in sorted(OPERATIONS.glob("*.yaml")):
        if _load(path).get("name") == name:
            return path
    return None


def operation(name):
    path = operation_file(name)
    if path is None:
        raise LookupError(f"no spec/operations file has name: {name}")
    return _load(path)


def operation_names():
    return sorted(_load(p)["name"] for p in OPERATIONS.glob("*.yaml"))


def _shapes():
    return _load(SERVICE).get("shapes", {})


def _node(spec):
    # `Width: integer` is short for `Width: { type: integer }`.
    return {"type": spec} if isinstance(spec, str) else dict(spec or {})


def _children(node, shapes):
    if "nodes" in node:
        return node["nodes"]
    shape = shapes.get(node.get("type"))
    if shape and "nodes" in shape:
        return shape["nodes"]
    return None


def _present(node, params):
    # A subtree only some list values ask for (`present_when: { param: value }`), if the spec
    # says so: present when the request's comma-separated list holds the value.
    when = node.get("present_when")
    if not when:
        return True
    return all(str(v) in str(params.get(p, "")).split(",") for p, v in when.items())


def _scalar(name, node, width, height, typed=False):
    value = _text(name, node, width, height)
    if not typed:
        return value
    # A JSON answer carries typed values, and "" stays "".
    kind = node.get("type", "string")
    if kind == "integer":
        return int(value)
    if kind == "boolean":
        return value.lower() == "true"
    if kind == "string" and value is None:
        return ""
    return value


def _text(name, node, width, height):
    ex = node.get("example")
    kind = node.get("type", "string")
    if kind == "integer":
        if ex is None and name.endswith("Width"):
            return str(width)
        if ex is None and name.endswith("Height"):
            return str(height)
        return str(int(ex) if ex is not None else 0)
    if kind == "number":
        return float(ex) if ex is not None else 0.0
    if kind == "boolean":
        value = ex is not None and _yes(ex)
        spelling = node.get("spelling")
        if spelling:
            return str(spelling[0] if value else spelling[1])
        return "true" if value else "false"
    # The SDK reads an empty element as None.
    return None if ex in (None, "") else str(ex)


def _document(nodes, width, height, params, shapes, skip, path, typed=False):
    out = {}
    for name, spec in nodes.items():
        node = _node(spec)
        here = f"{path}/{name}" if path else name
        if here in skip or not _present(node, params):
            continue
        children = _children(node, shapes)
        if children is None and node.get("optional") and node.get("example") is None:
            continue
        if children is not None:
            value = _document(children, width, height, params, shapes, skip, here, typed)
        else:
            value = _scalar(name, node, width, height, typed)
        # One element of a repeated node: the SDK gives it as the element, not a list.
        out[name] = value
    return out


def expected_answer(op, width, height, params=None, skip=()):
    """The SDK's dict of the mock's answer to `op` for a `width` x `height` image.

    `skip`: node paths (`Parent/Child`) left out of the comparison, for nodes whose value the
    mock computes (a base64 image) rather than copies from the spec.
    """
    response = op["output"]["response"]
    return _document(response["nodes"], width, height, params or {}, _shapes(), set(skip), "")


def expected_json(op, width, height, params=None, skip=()):
    """As `expected_answer`, for an operation answering JSON: values typed as JSON types them."""
    response = op["output"]["response"]
    return _document(response["nodes"], width, height, params or {}, _shapes(), set(skip), "", True)


def numbers_as_float(answer, op):
    """`answer` with the spec's `number` nodes read as floats (the wire may write 0 or 0.0)."""
    shapes = _shapes()

    def walk(value, nodes):
        if isinstance(value, list):
            return [walk(v, nodes) for v in value]
        if not isinstance(value, dict):
            return value
        out = {}
        for name, v in value.items():
            node = _node(nodes.get(name)) if name in nodes else {}
            children = _children(node, shapes)
            if children is not None:
                out[name] = walk(v, children)
            elif node.get("type") == "number" and v is not None:
                out[name] = float(v)
            else:
                out[name] = v
        return out

    return walk(answer, op["output"]["response"]["nodes"])
