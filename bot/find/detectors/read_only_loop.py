"""``for k, v in list(d.items()):`` copies a collection for a loop that changes nothing.

``copy-before-iteration`` proves a copy unneeded by following a local that nothing else
can reach. This detector covers what that cannot see: parameters, attributes and items
(``attrib``, ``self.fields``, ``node['classes']``), whose other references are unknown. It
proves instead that *the loop changes nothing at all* while it walks the collection, so
no reference, known or not, can change it in the meantime:

- The loop walks ``list(R.items())``, ``tuple(R.keys())``, ``list(R.values())`` or
  ``R[:]``, where ``R`` is a name, an attribute or an item (``node['classes']``): no call
  of its own. It becomes ``R.items()`` (``R``).
- Its body (``else:`` runs after the walk and does not count) only stores into the
  function's own plain local names, or into items of a local bound only to a fresh
  ``{}``/``[]`` that ``R`` does not mention and that no code gets hold of before the loop
  ends (``self.cache = out`` would make ``out[k] = v`` change ``R``); its calls are to
  pure builtins (``len``, ``isinstance``, ``str``, ``sorted``, ...), ``str`` methods of a
  known ``str`` (``facts.kind``), methods of such a fresh local (``nsattrib.update(...)``),
  or functions of the same module that themselves call and store nothing more
  (``return tag``). A ``try`` inside the body may catch errors (``except KeyError:
  continue``), with bodies of the same kind and no ``as`` name. No ``yield``, ``await``,
  ``:=``, ``lambda``, ``while``, ``with`` or ``del``.
- For a ``for`` statement: it is inside a function, whose loop target names are plain
  locals (not ``global``/``nonlocal``, no ``locals()``), and not inside a ``try`` or
  ``with`` of that function: should walking ``R`` itself fail half-way, the partial work
  is in locals that the exception discards, as the copy's failure before the first pass
  would have.
- In a comprehension (one ``for``): a list, set or dict comprehension, or a generator
  expression consumed on the spot as the only argument of ``list``, ``tuple``, ``set``,
  ``frozenset``, ``dict``, ``sorted``, ``sum``, ``min``, ``max``, ``any``, ``all`` or
  ``"sep".join`` (a generator kept for later would walk ``R`` after code that may change
  it).

The stated assumption, as for every detector here: reading (an attribute, an item, a
comparison, ``str()``, a hash, ``items()`` of a mapping) changes no collection. Under it
nothing can change ``R`` during the loop, and a dict's views, a list or a tuple yield
exactly the items their copy holds, in the same order; an early ``break``/``return`` only
leaves less of a copy unbuilt. Silent for ``list(R)`` of a bare ``R`` (it may be an
iterator, and the body could consume it, or an iterator it is built from) and for copies
kept in a name.
"""

from __future__ import annotations

import ast
import functools
import re

from bot.find.detectors import facts, reading, scope
from bot.find.detectors.core import Match

name = "copy-before-read-only-loop"
summary = "`for k, v in list(d.items()):` copies a collection for a loop that changes nothing"
explanation = (
    "The loop walks a copy of the collection (`list(...)`, `tuple(...)`, `[:]`), but it "
    "changes nothing while it walks: it only stores into its own local variables and calls "
    "nothing that could reach the collection, so walking the collection itself visits the "
    "same items in the same order. Cost: a copy as long as the collection every time the "
    "loop starts."
)

_HINT = re.compile(r"\b(?:list|tuple)\s*\(|:[\s\\]*\]")
_VIEWS = frozenset({"items", "keys", "values"})
# Builtins that change none of their arguments (reading them is the stated assumption).
_PURE_BUILTINS = scope.CONSUMING_BUILTINS | frozenset(
    {"len", "isinstance", "issubclass", "ascii", "int", "float", "complex", "hash", "id"}
    | {"type", "abs", "round", "divmod", "enumerate", "zip", "range", "reversed", "format"}
    | {"ord", "chr", "bin", "hex", "oct", "callable", "hasattr", "getattr"}
)
# Builtins that read a generator whole when it is their argument (`str(g)` only shows it).
_CONSUMERS = scope.CONSUMING_BUILTINS - {"bool", "str", "repr"}
_STR_READS = (
    facts.STR_TO_STR
    | facts.STR_TO_LIST
    | {"startswith", "endswith", "find", "rfind", "index", "rindex", "count", "encode"}
    | {"decode", "partition", "rpartition", "isdigit", "isalpha", "isalnum", "isspace"}
    | {"islower", "isupper", "isidentifier"}
)
_FRESH_METHODS = scope.NON_ESCAPING_METHODS | {"add", "discard"}
_IMPURE = (ast.Yield, ast.YieldFrom, ast.Await, ast.NamedExpr, ast.Lambda)
_MAX_DEPTH = 3  # how deep calls into the module's own functions are followed


class _Body:
    """What the statements of one loop body (or function body) may store into and call."""

    def __init__(
        self,
        func: scope.Function | None,
        info: scope.ModuleInfo,
        walked: ast.expr | None,
        depth: int = 0,
        after: scope.Position | None = None,
    ) -> None:
        self.func, self.info, self.walked, self.depth = func, info, walked, depth
        self.after = after  # the end of the outermost loop: no alias of a fresh local before
        # Names declared global/nonlocal; None when the function reaches its own frame.
        self.declared = facts.declared_names(func) if func is not None else frozenset()

    @functools.cached_property
    def fresh(self) -> frozenset[str]:
        """Plain locals bound only to new lists, dicts or sets, and not mentioned in what
        the loop walks: changing one changes nothing anybody else holds."""
        if self.func is None:
            return frozenset()
        walked = self.walked
        mentioned = {n.id for n in ast.walk(walked) if isinstance(n, ast.Name)} if walked else set()
        fresh = set()
        for candidate in {n.id for n in scope.own_nodes(self.func) if isinstance(n, ast.Name)}:
            local = scope.local_name(self.func, candidate, self.info)
            if candidate in mentioned or local is None or not local.bindings:
                continue
            if self.after is not None and scope.escapes(local, self.info, after=self.after):
                continue  # `self.cache = out` before the loop: `out[k] = v` changes it
            kinds = {
                None
                if isinstance(b, ast.AugAssign)
                else scope.fresh_kind(b.value, candidate, self.info)
                for b in local.bindings
            }
            if kinds <= {"list", "dict", "set"}:
                fresh.add(candidate)
        return frozenset(fresh)

    def statements(self, body: list[ast.stmt]) -> bool:
        return all(self.statement(s) for s in body)

    def statement(self, node: ast.stmt) -> bool:
        match node:
            case ast.Expr(value=value) | ast.Return(value=value):
                return value is None or self.expr(value)
            case ast.Raise(exc=exc, cause=cause):
                return all(self.expr(e) for e in (exc, cause) if e is not None)
            case ast.Assign(targets=targets, value=value):
                return self.expr(value) and all(self.store(t) for t in targets)
            case ast.AnnAssign(target=target, value=value):
                return (value is None or self.expr(value)) and self.store(target)
            case ast.AugAssign(target=ast.Name(id=target), value=value):
                return target in self.fresh and self.expr(value)
            case ast.AugAssign(target=ast.Subscript() as target, value=value):
                return self.store(target) and self.expr(value)
            case ast.If(test=test, body=body, orelse=orelse):
                return self.expr(test) and self.statements(body) and self.statements(orelse)
            case ast.For(target=target, iter=iterable, body=body, orelse=orelse):
                return (
                    self.store(target)
                    and self.expr(iterable)
                    and self.statements(body)
                    and self.statements(orelse)
                )
            case ast.Try(body=body, handlers=handlers, orelse=orelse, finalbody=final):
                # Caught inside the body, an error is the body's own affair; what walking
                # the collection raises is outside any `try` of the body.
                return (
                    all(self.handler(h) for h in handlers)
                    and self.statements(body)
                    and self.statements(orelse)
                    and self.statements(final)
                )
            case ast.Assert(test=test, msg=msg):
                return self.expr(test) and (msg is None or self.expr(msg))
            case ast.Pass() | ast.Break() | ast.Continue():
                return True
        return False

    def handler(self, handler: ast.ExceptHandler) -> bool:
        """``except KeyError:`` / ``except (A, B):`` with a body that changes nothing; no
        ``as`` name (Python deletes it after the handler)."""
        if handler.name is not None:
            return False
        if handler.type is not None and not all(
            isinstance(t, ast.Name | ast.Attribute)
            for t in (handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type])
        ):
            return False
        return self.statements(handler.body)

    def store(self, target: ast.expr) -> bool:
        match target:
            case ast.Name(id=stored):
                return (
                    self.func is not None
                    and self.declared is not None
                    and (stored not in self.declared)
                )
            case ast.Tuple(elts=elts) | ast.List(elts=elts):
                return all(self.store(e) for e in elts)
            case ast.Starred(value=value):
                return self.store(value)
            case ast.Subscript(value=ast.Name(id=container), slice=index):
                return container in self.fresh and self.expr(index)
        return False

    def expr(self, node: ast.expr) -> bool:
        for inner in ast.walk(node):
            if isinstance(inner, _IMPURE):
                return False
            if isinstance(inner, ast.Call) and not self.call(inner):
                return False
        return True

    def call(self, node: ast.Call) -> bool:
        match node.func:
            case ast.Name(id=called) if called in _PURE_BUILTINS and self.info.is_builtin(called):
                return True
            case ast.Name(id=called):
                return self.pure_function(called)
            case ast.Attribute(value=ast.Name(id=receiver), attr=method) if (
                receiver in self.fresh and method in _FRESH_METHODS
            ):
                return True
            case ast.Attribute(value=receiver, attr=method) if method in _STR_READS:
                return facts.kind(receiver, self.func, self.info) == "str"
        return False

    def pure_function(self, called: str) -> bool:
        """Whether ``called`` is a plain function of this module that calls and stores
        nothing more than a loop body may."""
        definitions = self.info.bindings.get(called, [])
        if self.depth >= _MAX_DEPTH or len(definitions) != 1:
            return False
        (definition,) = definitions
        if not (
            isinstance(definition, ast.FunctionDef)
            and self.info.parents.get(definition) is self.info.tree
            and not definition.decorator_list
        ):
            return False
        inner = _Body(definition, self.info, None, self.depth + 1)
        return inner.declared == frozenset() and inner.statements(definition.body)


def detect(source: str, path: str) -> list[Match]:
    module = reading.read(source, _HINT)
    if module is None:
        return []
    tree, info, positions, text = module
    matches: list[Match] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.For):
            walked = _walked(node.iter, info)
            if walked is None or not _loop_changes_nothing(node, walked, info):
                continue
            copy = node.iter
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            if len(node.generators) != 1:
                continue
            copy = node.generators[0].iter
            walked = _walked(copy, info)
            if walked is None or not _comprehension_changes_nothing(node, walked, info):
                continue
        else:
            continue
        segment, inner = text(copy), text(walked)
        if "#" in segment or not inner:
            continue
        edit = positions.edit(positions.start(copy), positions.end(copy), inner)
        message = f"`{segment}` copies `{inner}` for a loop that changes nothing while it walks"
        matches.append(positions.match(copy, message, (edit,), f"Iterate over `{inner}`"))
    return reading.disjoint(matches)


def _walked(copy: ast.expr, info: scope.ModuleInfo) -> ast.expr | None:
    """What ``copy`` copies (``R.items()``, ``R``) if it is a copy this detector removes."""
    match copy:
        case ast.Call(
            func=ast.Name(id="list" | "tuple" as builtin),
            args=[ast.Call(func=ast.Attribute(value=ref, attr=view), args=[], keywords=[]) as v],
            keywords=[],
        ) if view in _VIEWS and info.is_builtin(builtin) and _plain_ref(ref):
            return v
        case ast.Subscript(value=ref, slice=ast.Slice(None, None, None), ctx=ast.Load()) if (
            _plain_ref(ref)
        ):
            return ref
    return None


def _plain_ref(node: ast.expr) -> bool:
    """A name, or attributes and items of one with constant or name indices: no calls."""
    match node:
        case ast.Name():
            return True
        case ast.Attribute(value=value):
            return _plain_ref(value)
        case ast.Subscript(value=value, slice=ast.Constant() | ast.Name()):
            return _plain_ref(value)
    return False


def _loop_changes_nothing(loop: ast.For, walked: ast.expr, info: scope.ModuleInfo) -> bool:
    func = scope.enclosing_function(loop, info)
    if func is None or scope.introspects(func):
        return False
    for parent in info.ancestors(loop):
        if parent is func:
            break
        if isinstance(parent, ast.Try | ast.TryStar | ast.With | ast.AsyncWith):
            return False
    if isinstance(walked, ast.Name) and scope.local_name(func, walked.id, info) is not None:
        return False  # a plain local: copy-before-iteration's, which can prove more
    after = scope.end_of(scope.outermost_loop(loop, func, info))
    body = _Body(func, info, walked, after=after)
    return body.store(loop.target) and body.statements(loop.body)


def _comprehension_changes_nothing(
    node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp,
    walked: ast.expr,
    info: scope.ModuleInfo,
) -> bool:
    if isinstance(node, ast.GeneratorExp) and not _consumed_at_once(node, info):
        return False
    generator = node.generators[0]
    if generator.is_async:
        return False
    body = _Body(None, info, walked)
    parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    return _target(generator.target) and all(body.expr(p) for p in [*parts, *generator.ifs])


def _target(target: ast.expr) -> bool:
    match target:
        case ast.Name():
            return True
        case ast.Tuple(elts=elts) | ast.List(elts=elts):
            return all(_target(e) for e in elts)
    return False


def _consumed_at_once(node: ast.GeneratorExp, info: scope.ModuleInfo) -> bool:
    call = info.parents.get(node)
    if not isinstance(call, ast.Call) or call.args != [node] or call.keywords:
        return False
    match call.func:
        case ast.Name(id=consumer):
            return consumer in _CONSUMERS and info.is_builtin(consumer)
        case ast.Attribute(value=ast.Constant(value=str()), attr="join"):
            return True
    return False
