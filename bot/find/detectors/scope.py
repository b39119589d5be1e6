"""Local-variable analysis shared by the detectors: who binds a name, who reads it, may it escape.

Everything here errs on the side of "don't know": a name that is a parameter, global,
nonlocal, seen by a nested scope, bound by anything but a plain assignment, or visible
through ``locals()``-like introspection is not analysed at all (``local_name`` returns None).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

Function = ast.FunctionDef | ast.AsyncFunctionDef

NESTED_SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)

# Reading a frame's locals hands out every local: such functions are not analysed.
_INTROSPECTION_NAMES = frozenset({"locals", "vars", "eval", "exec"})
_INTROSPECTION_ATTRS = frozenset({"_getframe", "currentframe", "f_locals", "f_back"})


def introspects(func: Function) -> bool:
    """Whether ``func`` may read or write its own frame's locals (``locals()``, frames)."""
    return any(
        (isinstance(n, ast.Name) and n.id in _INTROSPECTION_NAMES)
        or (isinstance(n, ast.Attribute) and n.attr in _INTROSPECTION_ATTRS)
        for n in ast.walk(func)
    )


# Methods of list, dict and tuple that neither return the object itself nor keep a
# reference to it: calling one directly (``x.append(v)``) lets nothing escape.
LIST_METHODS = frozenset(
    {"append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse"}
    | {"count", "index", "copy"}
)
DICT_METHODS = frozenset(
    {"pop", "popitem", "setdefault", "update", "clear"} | {"get", "keys", "values", "items", "copy"}
)
NON_ESCAPING_METHODS = LIST_METHODS | DICT_METHODS
READ_ONLY_METHODS = frozenset({"count", "index", "copy", "get", "keys", "values", "items"})

# Builtins that read an iterable eagerly and keep no reference to it, when it is their only
# positional argument (``max(a, b)`` can return ``a`` itself, so it must be the only one).
CONSUMING_BUILTINS = frozenset(
    {"list", "tuple", "set", "frozenset", "dict", "sorted", "sum", "min", "max", "any", "all"}
    | {"bool", "str", "repr"}
)

FRESH_CONSTRUCTORS = {
    "list": "list",
    "sorted": "list",
    "dict": "dict",
    "set": "set",
    "frozenset": "set",
    "tuple": "tuple",
}


class ModuleInfo:
    """Facts about one module that every function's analysis needs."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.parents: dict[ast.AST, ast.AST] = {}
        self.bindings: dict[str, list[ast.AST]] = defaultdict(list)
        self.star_import = False
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
            for name in bound_names(node):
                self.bindings[name].append(node)
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                self.star_import = True

    def is_builtin(self, name: str) -> bool:
        """Whether ``name`` surely means the builtin: nothing in the module rebinds it."""
        return not self.star_import and name not in self.bindings

    def is_module_import(self, name: str) -> bool:
        """Whether ``name`` is bound only by top-level ``import name`` statements."""
        nodes = self.bindings.get(name, [])
        if self.star_import or not nodes:
            return False
        for node in nodes:
            if not isinstance(node, ast.Import) or self.parents.get(node) is not self.tree:
                return False
            if any(_binds(a, name) and (a.name, a.asname) != (name, None) for a in node.names):
                return False
        return True

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        while node in self.parents:
            node = self.parents[node]
            yield node


def _binds(alias: ast.alias, name: str) -> bool:
    return (alias.asname or alias.name.split(".")[0]) == name


def bound_names(node: ast.AST) -> list[str]:
    """Names that ``node`` itself binds or declares (not those of its children)."""
    match node:
        case ast.Name(id=name, ctx=ast.Store() | ast.Del()):
            return [name]
        case ast.arg(arg=name):
            return [name]
        case ast.FunctionDef(name=name) | ast.AsyncFunctionDef(name=name) | ast.ClassDef(name=name):
            return [name]
        case ast.Import(names=aliases) | ast.ImportFrom(names=aliases):
            return [a.asname or a.name.split(".")[0] for a in aliases if a.name != "*"]
        case ast.ExceptHandler(name=str(name)):
            return [name]
        case ast.MatchAs(name=str(name)) | ast.MatchStar(name=str(name)):
            return [name]
        case ast.MatchMapping(rest=str(name)):
            return [name]
        case ast.Global(names=names) | ast.Nonlocal(names=names):
            return list(names)
    if hasattr(ast, "TypeVar") and isinstance(node, ast.TypeVar | ast.ParamSpec | ast.TypeVarTuple):
        return [node.name]
    return []


def mentions(node: ast.AST, name: str) -> bool:
    """Whether ``name`` occurs anywhere in ``node`` (read, bound or declared)."""
    return any(
        (isinstance(n, ast.Name) and n.id == name) or name in bound_names(n) for n in ast.walk(node)
    )


def enclosing_function(node: ast.AST, info: ModuleInfo) -> Function | None:
    """The function whose own scope ``node`` is in (None at module or class level).

    A function's decorators, defaults and annotations, and a class's bases, keywords and
    decorators, run in the scope around them, not in their own.
    """
    child = node
    for parent in info.ancestors(node):
        if isinstance(parent, NESTED_SCOPES) and _in_own_scope(parent, child):
            return parent if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef) else None
        child = parent
    return None


def _in_own_scope(scope: ast.AST, child: ast.AST) -> bool:
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return any(child is statement for statement in scope.body)
    if isinstance(scope, ast.Lambda):
        return child is scope.body
    return True  # a comprehension: all of it counts as its own (the first iterable too)


def own_nodes(func: Function) -> Iterator[ast.AST]:
    """Every node of ``func``'s body in its own scope; nested scopes are yielded, not entered."""
    stack: list[ast.AST] = list(reversed(func.body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, NESTED_SCOPES):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def within(node: ast.AST, container: ast.AST | list[ast.stmt], info: ModuleInfo) -> bool:
    """Whether ``node`` lies inside ``container`` (a node, or a statement list such as a body)."""
    roots = container if isinstance(container, list) else [container]
    return node in roots or any(a in roots for a in info.ancestors(node))


@dataclass(frozen=True)
class LocalName:
    """A plain local variable: every statement that binds it and every read of it."""

    name: str
    bindings: tuple[ast.Assign | ast.AnnAssign | ast.AugAssign, ...]
    uses: tuple[ast.Name, ...]


def local_name(func: Function, name: str, info: ModuleInfo) -> LocalName | None:
    """``name`` as a plain local of ``func``, or None if it is anything less simple."""
    args = func.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    if any(p is not None and p.arg == name for p in params):
        return None
    if introspects(func):
        return None
    bindings: list[ast.Assign | ast.AnnAssign | ast.AugAssign] = []
    uses: list[ast.Name] = []
    for node in own_nodes(func):
        if isinstance(node, NESTED_SCOPES):
            if mentions(node, name):
                return None
            continue
        if isinstance(node, ast.Name) and node.id == name:
            if isinstance(node.ctx, ast.Load):
                uses.append(node)
                continue
            binding = simple_binding(node, info)
            if binding is None:
                return None
            if not (isinstance(binding, ast.AnnAssign) and binding.value is None):
                bindings.append(binding)
        elif name in bound_names(node):
            return None  # global, nonlocal, import, except ... as, match capture, ...
    return LocalName(name, tuple(bindings), tuple(uses))


def simple_binding(
    target: ast.Name, info: ModuleInfo
) -> ast.Assign | ast.AnnAssign | ast.AugAssign | None:
    """The statement if ``target`` is bound by ``name = v``, ``name: T = v`` or ``name op= v``."""
    if not isinstance(target.ctx, ast.Store):
        return None
    parent = info.parents.get(target)
    if isinstance(parent, ast.Assign) and parent.targets == [target]:
        return parent
    if isinstance(parent, ast.AnnAssign | ast.AugAssign) and parent.target is target:
        return parent
    return None


def fresh_kind(value: ast.expr | None, name: str, info: ModuleInfo) -> str | None:
    """``list``, ``dict``, ``set`` or ``tuple`` if ``value`` surely builds a new, unshared object.

    Displays, comprehensions, calls of the (unshadowed) builtin constructors and
    ``name + [...]`` (a list concatenation) qualify; anything else is None.
    """
    match value:
        case ast.List() | ast.ListComp():
            return "list"
        case ast.Dict() | ast.DictComp():
            return "dict"
        case ast.Set() | ast.SetComp():
            return "set"
        case ast.Tuple():
            return "tuple"
        case ast.Call(func=ast.Name(id=func)) if func in FRESH_CONSTRUCTORS and info.is_builtin(
            func
        ):
            return FRESH_CONSTRUCTORS[func]
        case ast.BinOp(left=ast.Name(id=left), op=ast.Add(), right=ast.List()) if left == name:
            return "list"
    return None


def concat_left_operand(binding: ast.stmt, name: str) -> ast.Name | None:
    """The left ``name`` of a ``name = name + [...]`` binding, else None."""
    match binding:
        case ast.Assign(value=ast.BinOp(left=ast.Name(id=left) as operand, op=ast.Add())):
            if left == name:
                return operand
    return None


def use_kind(use: ast.Name, info: ModuleInfo) -> str:
    """How a read of a name uses the object; "other" when it may hand the object out."""
    parent = info.parents.get(use)
    match parent:
        case ast.Subscript(value=value) if value is use:
            return "subscript"
        case ast.Attribute(value=value, attr=attr) if value is use:
            call = info.parents.get(parent)
            if isinstance(call, ast.Call) and call.func is parent:
                return f"method:{attr}"
        case ast.Call(func=ast.Name(id="len"), args=[arg], keywords=[]) if arg is use:
            if info.is_builtin("len"):
                return "len"
        case ast.Call(func=ast.Name(id=func), args=[arg]) if arg is use:
            if func in CONSUMING_BUILTINS and info.is_builtin(func):
                return "consumed"
        case ast.Compare(ops=[ast.In() | ast.NotIn()], comparators=[right]) if right is use:
            return "membership"
        case ast.Return(value=value) if value is use:
            return "return"
        case ast.For(iter=iterable) if iterable is use:
            return "iter"
        case ast.If(test=test) | ast.While(test=test) | ast.IfExp(test=test) if test is use:
            return "truth"
        case ast.Assert(test=test) if test is use:
            return "truth"
        case ast.UnaryOp(op=ast.Not(), operand=operand) if operand is use:
            return "truth"
        case ast.BoolOp() if truth_tested(use, info):
            return "truth"  # `if x and y:`: the `and` hands `x` to nothing but the test
    return "other"


_NON_ESCAPING_KINDS = frozenset(
    {"subscript", "len", "consumed", "membership", "return", "iter", "truth"}
)


Position = tuple[int, int]  # (line, UTF-8 byte column) as ast gives them; only compared


def start_of(node: ast.expr | ast.stmt) -> Position:
    return node.lineno, node.col_offset


def end_of(node: ast.expr | ast.stmt) -> Position:
    assert node.end_lineno is not None and node.end_col_offset is not None
    return node.end_lineno, node.end_col_offset


def outermost_loop(node: ast.stmt, func: Function, info: ModuleInfo) -> ast.stmt:
    """The outermost loop of ``func`` that contains ``node`` (``node`` itself if none does)."""
    outer = node
    for parent in info.ancestors(node):
        if parent is func:
            break
        if isinstance(parent, ast.For | ast.AsyncFor | ast.While):
            outer = parent
    return outer


def escapes(
    local: LocalName,
    info: ModuleInfo,
    ignore: frozenset[ast.Name] = frozenset(),
    after: Position | None = None,
) -> bool:
    """Whether some read of the local may hand its object to other code (alias or escape).

    Allowed reads: ``x[...]``, ``len(x)``, ``sorted(x)``-like builtins (CONSUMING_BUILTINS),
    ``v in x``, ``return x``, ``for v in x``, truth tests, direct calls of list/dict methods,
    and the left operand of ``x = x + [...]``. Any read at or past ``after`` is allowed too:
    pass the end of the outermost loop that must not see an alias. Python jumps backwards
    only through loops, so code after that loop's end never runs before its last pass.
    """
    allowed = set(ignore)
    allowed.update(
        operand
        for binding in local.bindings
        if (operand := concat_left_operand(binding, local.name)) is not None
    )
    for use in local.uses:
        if use in allowed or (after is not None and start_of(use) >= after):
            continue
        kind = use_kind(use, info)
        if kind in _NON_ESCAPING_KINDS:
            continue
        if kind.startswith("method:") and kind.removeprefix("method:") in NON_ESCAPING_METHODS:
            continue
        return True
    return False


# --- light type facts: copy spellings, non-negative integers, truth tests -------------------

COPY_CONSTRUCTORS = frozenset({"list", "dict", "set"})


def copy_of(value: ast.expr | None, info: ModuleInfo) -> tuple[str, ast.expr] | None:
    """Which shallow-copy spelling ``value`` is, and the expression it copies, or None.

    ``x.copy()`` is ``("method", x)``, ``x[:]`` is ``("slice", x)``, ``copy.copy(x)`` (with
    ``copy`` imported as a module) is ``("copy", x)``, and ``list(x)``, ``dict(x)``,
    ``set(x)`` (the unshadowed builtins, one positional argument) are ``("list", x)``, ...
    """
    match value:
        case ast.Call(func=ast.Attribute(value=copied, attr="copy"), args=[], keywords=[]):
            if not (isinstance(copied, ast.Name) and copied.id == "copy"):
                return "method", copied
        case ast.Subscript(value=copied, slice=ast.Slice(None, None, None), ctx=ast.Load()):
            return "slice", copied
        case ast.Call(
            func=ast.Attribute(value=ast.Name(id="copy"), attr="copy"), args=[copied], keywords=[]
        ) if not isinstance(copied, ast.Starred) and info.is_module_import("copy"):
            return "copy", copied
        case ast.Call(func=ast.Name(id=func), args=[copied], keywords=[]) if (
            func in COPY_CONSTRUCTORS
            and info.is_builtin(func)
            and not isinstance(copied, ast.Starred)
        ):
            return func, copied
    return None


def may_copy_a_name(node: ast.AST) -> bool:
    """A cheap test, before ``ModuleInfo`` is built: could ``node`` be a ``copy_of`` a name?"""
    match node:
        case ast.Call(func=ast.Attribute(value=ast.Name(), attr="copy"), args=[], keywords=[]):
            return True
        case ast.Subscript(value=ast.Name(), slice=ast.Slice(None, None, None)):
            return True
        case ast.Call(
            func=ast.Attribute(value=ast.Name(id="copy"), attr="copy"), args=[ast.Name()]
        ):
            return True
        case ast.Call(func=ast.Name(id=func), args=[ast.Name()], keywords=[]):
            return func in COPY_CONSTRUCTORS
    return False


def truth_tested(node: ast.expr, info: ModuleInfo) -> bool:
    """Whether ``node``'s value is only tested for truth (``if x:``, ``not x``, ``bool(x)``,
    ``x and ...`` where the ``and`` itself is only tested, comprehension conditions)."""
    parent = info.parents.get(node)
    match parent:
        case ast.If(test=test) | ast.While(test=test) | ast.IfExp(test=test) if test is node:
            return True
        case ast.Assert(test=test) if test is node:
            return True
        case ast.UnaryOp(op=ast.Not()):
            return True
        case ast.comprehension(ifs=ifs) if node in ifs:
            return True
        case ast.Call(func=ast.Name(id="bool"), args=[arg], keywords=[]) if arg is node:
            return info.is_builtin("bool")
        case ast.BoolOp():
            return truth_tested(parent, info)
    return False
