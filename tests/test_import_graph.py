"""The package's import graph: no cycle, no upward import, no private name across modules.

Every ``import`` of the package is read from the source with ``ast``,
function-level ones included (they hide cycles from Python but not from a
reader). Layers, bottom to top (docs/design.md, "Layers", says why each
module is where it is)::

    base          _version, errors, _jsonsafe, _validation, _threads, tolerances
    kernels       lp, polytope, disc, ball   plain arrays; no network, no domain
    network       network, _torch, loading, plnetwork, _layers, _torch_graph, _onnx, convert,
                  scaling
    domain        domain
    checks        verification           reads a RegionSet by duck typing
    results       results                the type every engine returns
    files         export, recertify      the result's file format (resume files included)
    engines       lp_engine, lp_search, subdivision, cones, milp, serial, distributed,
                  partition, merge
    dispatch      enumeration            checks input, picks serial or distributed
    analysis      geometry, linear, decision, plotting
    estimators    sampling, richness, lines, distance, density, compare, ...
    cli           cli, cli_args, __main__

A module may import its own layer or any layer below; only ``__main__``
imports the package ``__init__``. A module added to the package must be
given a layer here.
"""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "polyregions"

LAYERS = [
    ("base", {"_version", "errors", "_jsonsafe", "_validation", "_deprecation", "_threads",
              "tolerances"}),
    ("kernels", {"lp", "polytope", "disc", "ball"}),
    ("network", {"network", "_torch", "loading", "plnetwork", "_layers", "_torch_graph", "_onnx",
                 "convert", "scaling"}),
    ("domain", {"domain"}),
    ("checks", {"verification"}),
    ("results", {"results"}),
    ("files", {"export", "recertify"}),
    ("engines", {"lp_engine", "lp_search", "subdivision", "skeleton", "complex_cells",
                 "inscribed_radii", "cones", "milp",
                 "serial", "distributed", "partition", "merge"}),
    ("dispatch", {"enumeration"}),
    ("analysis", {"geometry", "linear", "decision", "plotting"}),
    ("estimators", {"sampling", "richness", "segments", "lines", "distance", "density", "compare",
                    "estimator_table", "expectations", "volumes", "arrangements",
                    "segment_expectations", "bounds", "local_bounds",
                    "constructions", "testing", "batch", "tracking"}),
    ("cli", {"cli", "cli_args", "__main__"}),
    ("package", {"__init__"}),
]
LAYER = {m: k for k, (_, mods) in enumerate(LAYERS) for m in mods}

# Edges that are known to be wrong and owned by someone fixing them:
# {(importer, imported): "owner: why"}. Remove a mark when its edge is fixed
# (test_known_edges_still_exist fails until then).
KNOWN = {}


def _modules():
    return sorted(p.stem for p in PACKAGE.glob("*.py"))


def _imports(name):
    """``{(imported module, names taken)}`` of module ``name``, function-level imports included."""
    tree = ast.parse((PACKAGE / f"{name}.py").read_text())
    mods = set(_modules())
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = tuple(a.name for a in node.names)
            if node.level == 1 and node.module:
                out.append((node.module.split(".")[0], names))
            elif node.level == 1:  # from . import x
                for n in names:
                    out.append((n if n in mods else "__init__", (n,) if n not in mods else ()))
            elif node.module and node.module.split(".")[0] == "polyregions":
                parts = node.module.split(".")
                out.append((parts[1] if len(parts) > 1 else "__init__", names))
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "polyregions":
                    out.append((parts[1] if len(parts) > 1 else "__init__", ()))
    return [(m, names) for m, names in out if m != name]


def _graph():
    return {m: {dep for dep, _ in _imports(m)} for m in _modules()}


def test_every_module_has_a_layer():
    missing = [m for m in _modules() if m not in LAYER]
    assert not missing, f"give these modules a layer in LAYERS: {missing}"


def test_no_upward_import():
    bad = []
    for m, deps in _graph().items():
        for d in deps:
            if LAYER.get(d, -1) > LAYER.get(m, len(LAYERS)) and (m, d) not in KNOWN:
                bad.append(f"{m} ({LAYERS[LAYER[m]][0]}) imports {d} ({LAYERS[LAYER[d]][0]})")
    assert not bad, "upward imports:\n" + "\n".join(sorted(bad))


def find_cycles(graph):
    """Every cycle met by a depth-first walk of ``{module: {imported modules}}``."""
    state, stack, cycles = {}, [], []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == "open":
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m)
    return cycles


def test_no_cycle():
    graph = {m: {d for d in deps if (m, d) not in KNOWN} for m, deps in _graph().items()}
    cycles = find_cycles(graph)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_planted_cycles():
    assert find_cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"]]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "d": {"a", "c"}}) == []


def test_no_private_name_crosses_a_module():
    bad = []
    for m in _modules():
        for dep, names in _imports(m):
            for n in names:
                if n.startswith("_") and not n.startswith("__"):
                    bad.append(f"{m} imports {dep}.{n}")
    assert not bad, "make these public where they are defined:\n" + "\n".join(sorted(bad))


def private_attributes(sources):
    """``[(module, "obj._name")]``: private attributes read on another module's objects.

    ``sources`` maps module names to source text. A private attribute
    (``_name``, not dunder) read on anything but ``self``/``cls`` is reported
    when ``_name`` is defined (def, class, assignment, ``self._name = ...``)
    in another module of the package and not in the reading module itself;
    a third party's privates are the reader's own business.
    """
    defined, reads = {}, {}
    for m, text in sources.items():
        tree = ast.parse(text)
        names, used = set(), []
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                if isinstance(node.ctx, ast.Store):
                    names.add(node.attr)
                elif (node.attr.startswith("_") and not node.attr.startswith("__")
                      and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                    used.append((node.attr, ast.unparse(node)))
        defined[m], reads[m] = names, used
    bad = []
    for m, used in reads.items():
        for attr, text in used:
            if attr not in defined[m] and any(attr in d for k, d in defined.items() if k != m):
                bad.append((m, text))
    return sorted(bad)


def test_no_private_attribute_crosses_a_module():
    bad = private_attributes({m: (PACKAGE / f"{m}.py").read_text() for m in _modules()})
    assert not bad, "make these public where they are defined:\n" + "\n".join(
        f"{m} reads {text}" for m, text in bad)


def test_the_private_attribute_finder_finds_a_planted_read():
    owner = "class Polytope:\n    def __init__(self):\n        self._box = 1\n"
    assert private_attributes({"domain": owner, "split": "def f(d):\n    return d._box\n"}) == [
        ("split", "d._box")]
    # its own objects, self, and a third party's privates are not reported
    assert private_attributes({"domain": owner + "def g(p):\n    return p._box\n",
                               "lp": "def h(core):\n    return core._Highs(), self._box\n"}) == []


def test_known_edges_still_exist():
    # A mark must go once its edge is fixed, so the test goes back to checking it.
    graph = _graph()
    stale = [edge for edge in KNOWN if edge[1] not in graph.get(edge[0], ())]
    assert not stale, f"remove fixed edges from KNOWN: {stale}"
