"""Light type facts for the copy detectors: which built-in type an expression surely has. Pure.

A *kind* names an exact built-in type: ``list``, ``tuple``, ``dict``, ``set``, ``frozenset``,
``range``, or ``str`` (str or bytes: they index, iterate, ``split`` and ``len`` alike). A
type is a safer fact than a value: mutation and aliasing never change it, only rebinding
does. So a name's kind is known when the binding that reaches a read is known
(``reaching_value``: the last earlier statement of the same block that binds it, a plain
``name = value``), or when every binding of a plain local (``scope.local_name``) has one
kind. Anything else is None, "don't know", and the detectors stay silent.

At module level (``func`` None) a name is a global that any code run between its binding
and the read may rebind (a function declaring it ``global``, another module, ``globals()``),
so only the binding in the statement *just before* the read's statement counts, and only
when nothing but name loads and constants can run before the read (``module_value``). In
a class body, or a lambda or comprehension outside any function, names are unknown: a
metaclass's namespace decides what a name means there. Expressions that need no name
(``'a b'.split()``, ``range(3)``) are known everywhere.

A parameter's kind is its annotation's when it names a built-in type (``xs: list[int]``,
``s: str``, ``d: dict[str, int]``, ``t: tuple[int, ...]``; ``bytes`` counts as ``str``) and
the function never rebinds it (``declared_kind``). The assumption is that callers honour
the annotation, as a type checker would make them; a parameter whose default is not of
that kind (``xs: list = None``) is not trusted, nor are unions, ``Optional``, ``typing``
aliases or string annotations other than a bare type name (``s: "str"``).

A list stays a list through ``xs += c`` when ``c`` is a known container: ``list.__iadd__``
extends in place, and none of these types has a ``__radd__`` that could answer instead.

``sequence`` is weaker: the result of a slice ``x[a:b]`` of an object of unknown type. By
the sequence protocol a slice is a new sequence (list, tuple, str, array, a node list...),
which can be iterated again and whose iteration reads items without side effects; only
``list-for-truth`` relies on it, and only for that.
"""

from __future__ import annotations

import ast

from bot.find.detectors import scope

CONTAINERS = frozenset({"list", "tuple", "dict", "set", "frozenset", "range", "str"})

_CONSTRUCTORS = {
    "list": "list",
    "sorted": "list",
    "tuple": "tuple",
    "dict": "dict",
    "set": "set",
    "frozenset": "frozenset",
    "range": "range",
    "str": "str",
    "repr": "str",
}
# Methods of str (and bytes) that return a new str (bytes) / a new list.
STR_TO_STR = frozenset(
    {"lower", "upper", "strip", "lstrip", "rstrip", "replace", "casefold", "title"}
    | {"capitalize", "swapcase", "expandtabs", "center", "ljust", "rjust", "zfill"}
    | {"format", "removeprefix", "removesuffix", "translate", "join"}
)
STR_TO_LIST = frozenset({"split", "rsplit", "splitlines"})
# re module functions and the kind they return.
_RE_FUNCTIONS = {"findall": "list", "split": "list", "sub": "str", "escape": "str"}
_COPYABLE = frozenset({"list", "dict", "set", "frozenset"})
_SLICEABLE = frozenset({"list", "tuple", "str", "range"})
_MAX_DEPTH = 12
# Annotations naming a built-in type (bare or subscripted), and the kind they declare.
_ANNOTATED = {
    "str": "str",
    "bytes": "str",
    "list": "list",
    "tuple": "tuple",
    "dict": "dict",
    "set": "set",
    "frozenset": "frozenset",
}


def kind(
    expr: ast.expr,
    func: scope.Function | None,
    info: scope.ModuleInfo,
    depth: int = 0,
    asking: frozenset[str] = frozenset(),
) -> str | None:
    """The kind ``expr`` surely evaluates to (see the module docstring), or None."""
    if depth > _MAX_DEPTH:
        return None
    deeper = depth + 1
    match expr:
        case ast.Constant(value=str() | bytes()) | ast.JoinedStr():
            return "str"
        case ast.List() | ast.ListComp():
            return "list"
        case ast.Tuple():
            return "tuple"
        case ast.Dict() | ast.DictComp():
            return "dict"
        case ast.Set() | ast.SetComp():
            return "set"
        case ast.Call(func=ast.Name(id=name)) if name in _CONSTRUCTORS and info.is_builtin(name):
            return _CONSTRUCTORS[name]
        case ast.Call(func=ast.Attribute(value=ast.Name(id="dict"), attr="fromkeys")):
            return "dict" if info.is_builtin("dict") else None
        case ast.Call(func=ast.Attribute(value=ast.Name(id="re"), attr=attr)) if (
            attr in _RE_FUNCTIONS and info.is_module_import("re")
        ):
            return _RE_FUNCTIONS[attr]
        case ast.Call(func=ast.Attribute(value=receiver, attr=attr)):
            of = kind(receiver, func, info, deeper, asking)
            if of == "str" and attr in STR_TO_STR:
                return "str"
            if of == "str" and attr in STR_TO_LIST:
                return "list"
            if of in _COPYABLE and attr == "copy":
                return of
        case ast.Subscript(value=value, slice=ast.Slice()):
            of = kind(value, func, info, deeper, asking)
            return of if of in _SLICEABLE else "sequence"
        case ast.BinOp(left=left, op=ast.Add(), right=right):
            of = kind(left, func, info, deeper, asking)
            if of in {"list", "tuple", "str"} and kind(right, func, info, deeper, asking) == of:
                return of
        case ast.BinOp(left=left, op=ast.BitOr() | ast.BitAnd() | ast.Sub() | ast.BitXor()):
            of = kind(left, func, info, deeper, asking)
            if of in {"set", "frozenset"} and kind(expr.right, func, info, deeper, asking) == of:
                return of
        case ast.IfExp(body=body, orelse=orelse):
            of = kind(body, func, info, deeper, asking)
            return of if of is not None and kind(orelse, func, info, deeper, asking) == of else None
        case ast.Name(ctx=ast.Load()):
            return name_kind(expr, func, info, deeper, asking)
    return None


def name_kind(
    use: ast.Name,
    func: scope.Function | None,
    info: scope.ModuleInfo,
    depth: int = 0,
    asking: frozenset[str] = frozenset(),
) -> str | None:
    """The kind of the value ``use`` (a read, or the target of ``use += ...``) finds, or None."""
    if func is None:
        value = module_value(use, info)
        return None if value is None else kind(value, None, info, depth + 1, asking)
    value = reaching_value(use, func, info)
    if value is not None:
        return kind(value, func, info, depth, asking)
    if use.id in asking:
        return None  # `x = x + [1]`: the answer would depend on itself
    if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef) and (
        declared := declared_kind(use.id, func, info)
    ):
        return declared
    local = scope.local_name(func, use.id, info)
    if local is None or not local.bindings:
        return None
    kinds, extended = set(), []
    for binding in local.bindings:
        if isinstance(binding, ast.AugAssign):
            if not isinstance(binding.op, ast.Add):
                return None
            extended.append(kind(binding.value, func, info, depth, asking | {use.id}))
        elif binding.value is None:
            return None
        else:
            kinds.add(kind(binding.value, func, info, depth, asking | {use.id}))
    if len(kinds) != 1:
        return None
    (of,) = kinds
    if not extended or (of == "list" and all(e in CONTAINERS for e in extended)):
        return of  # `xs += c` extends the list in place
    return of if of in {"tuple", "str"} and all(e == of for e in extended) else None


def declared_kind(
    name: str, func: ast.FunctionDef | ast.AsyncFunctionDef, info: scope.ModuleInfo
) -> str | None:
    """The kind a parameter ``name`` of ``func`` is annotated with, if nothing rebinds it."""
    args = func.args
    params = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(params) - len(args.defaults))
    defaults += args.defaults
    pairs = [
        *zip(params, defaults, strict=True),
        *zip(args.kwonlyargs, args.kw_defaults, strict=True),
    ]
    found = [(p, d) for p, d in pairs if p.arg == name]
    if len(found) != 1:
        return None
    ((param, default),) = found
    match param.annotation:
        case (
            ast.Name(id=type_name)
            | ast.Subscript(value=ast.Name(id=type_name))
            | ast.Constant(value=str(type_name))
        ):
            declared = _ANNOTATED.get(type_name)
        case _:
            return None
    if declared is None or not info.is_builtin(type_name):
        return None
    if default is not None and kind(default, None, info) != declared:
        return None
    rebound = any(n is not param and name in scope.bound_names(n) for n in ast.walk(func))
    return None if rebound or scope.introspects(func) else declared


def module_value(use: ast.Name, info: scope.ModuleInfo) -> ast.expr | None:
    """The value of a module-level ``name = value`` just before the statement reading ``name``.

    The read must be in the module's own scope (no function, class, lambda or comprehension
    around it), the binding the previous statement of the same block, and everything the
    reading statement evaluates before the read only name loads and constants: then no
    code runs between the binding and the read, so nothing can rebind the global.
    """
    chain: list[ast.AST] = [use]
    for parent in info.ancestors(use):
        if isinstance(parent, scope.NESTED_SCOPES):
            return None
        chain.append(parent)
        if isinstance(parent, ast.stmt):
            break
    statement = chain[-1]
    if not isinstance(statement, ast.stmt) or isinstance(statement, ast.While):
        return None
    if any(isinstance(p, scope.NESTED_SCOPES) for p in info.ancestors(statement)):
        return None
    if _binds_outside_targets(statement, use.id) or not _quiet_before(chain, statement):
        return None
    parent = info.parents.get(statement)
    block = None if parent is None else _block_of(parent, statement)
    if not block or block.index(statement) == 0:
        return None
    previous = block[block.index(statement) - 1]
    return _plain_value(previous, use.id) if isinstance(previous, ast.Assign) else None


_OPERATORS = (ast.expr_context, ast.operator, ast.cmpop, ast.unaryop, ast.boolop)


def _quiet_before(chain: list[ast.AST], statement: ast.stmt) -> bool:
    """Whether every operand beside ``chain`` (a read's ancestors) is a name load or constant.

    A statement's own targets and blocks run after its expressions, and the value of
    ``x += value`` after the read of ``x``: they are not counted.
    """
    on_chain = set(map(id, chain))
    for node in chain[1:]:
        for child in ast.iter_child_nodes(node):
            if id(child) in on_chain or isinstance(child, _OPERATORS):
                continue
            if node is statement and (
                isinstance(child, ast.stmt | ast.excepthandler)
                or (isinstance(statement, ast.Assign) and child in statement.targets)
                or (isinstance(statement, ast.AugAssign) and chain[-2] is statement.target)
            ):
                continue
            if not all(
                isinstance(n, ast.Name | ast.Constant | ast.expr_context | ast.keyword)
                for n in ast.walk(child)
            ):
                return False
    return True


def reaching_value(use: ast.Name, func: scope.Function, info: scope.ModuleInfo) -> ast.expr | None:
    """The value of the ``name = value`` that surely reaches this read of ``name``, or None.

    That is the last statement before the read's statement, in the same block (or, through
    ``if`` and ``with`` blocks, in an enclosing one), that binds the name, when it is a
    plain assignment. Loops, ``try`` and the function's start end the search: a loop's
    next pass or an exception can arrive from elsewhere. The name must not be global or
    nonlocal anywhere in the function, and the function must not reach its own frame.
    """
    name = use.id
    declared = declared_names(func)
    if declared is None or name in declared:
        return None
    statement: ast.AST = use
    for parent in info.ancestors(use):
        if isinstance(parent, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return None  # the function's start, or read later when a nested one runs
        if isinstance(parent, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp) and any(
            scope.mentions(generator.target, name) for generator in parent.generators
        ):
            return None  # (maybe) the comprehension's own variable
        if isinstance(parent, ast.stmt):
            statement = parent
            break
    else:
        return None
    if _binds_outside_targets(statement, name):
        return None
    if isinstance(statement, ast.While) and _binds(statement, name):
        return None  # the test runs again after the body
    node = statement
    while True:
        parent = info.parents.get(node)
        if parent is None:
            return None
        block = _block_of(parent, node)
        if block is None:
            return None
        for previous in reversed(block[: block.index(node)]):
            if _binds(previous, name):
                return _plain_value(previous, name)
        if parent is func:
            return None  # bound before the function started: a parameter, or unbound
        if isinstance(parent, ast.If):
            if _binds(parent.test, name):
                return None
        elif isinstance(parent, ast.With | ast.AsyncWith) and node in parent.body:
            if any(_binds(item, name) for item in parent.items):
                return None
        else:
            return None
        node = parent


_DECLARED: dict[int, tuple[scope.Function, frozenset[str] | None]] = {}


def declared_names(func: scope.Function) -> frozenset[str] | None:
    """Names ``func`` (or a function in it) declares global or nonlocal; None (every name)
    if it reaches its own frame. Remembered for the last few functions asked about."""
    cached = _DECLARED.get(id(func))
    if cached is None or cached[0] is not func:
        if scope.introspects(func):
            names = None
        else:
            names = frozenset(
                name
                for n in ast.walk(func)
                if isinstance(n, ast.Global | ast.Nonlocal)
                for name in n.names
            )
        if len(_DECLARED) > 64:
            _DECLARED.clear()
        cached = _DECLARED[id(func)] = (func, names)
    return cached[1]


def _block_of(parent: ast.AST, node: ast.AST) -> list[ast.stmt] | None:
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and node in block:
            return block
    return None


def _binds(node: ast.AST, name: str) -> bool:
    """Whether running ``node`` may bind ``name`` in the current scope (errs towards yes)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if name in scope.bound_names(current):
            return True
        if isinstance(current, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue  # its name counted above; its body is its own scope
        stack.extend(ast.iter_child_nodes(current))
    return False


def _binds_outside_targets(statement: ast.stmt, name: str) -> bool:
    """Whether evaluating ``statement``'s expressions may bind ``name`` (a ``:=`` in them)."""
    return any(
        isinstance(n, ast.NamedExpr) and scope.mentions(n.target, name) for n in ast.walk(statement)
    )


def _plain_value(statement: ast.stmt, name: str) -> ast.expr | None:
    match statement:
        case ast.Assign(targets=[ast.Name(id=target)], value=value) if target == name:
            if not _binds_outside_targets(statement, name):
                return value
        case ast.AnnAssign(target=ast.Name(id=target), value=ast.expr() as value) if target == name:
            if not _binds_outside_targets(statement, name):
                return value
    return None


def in_truth_context(node: ast.expr, info: scope.ModuleInfo) -> bool:
    """Whether only the truth of ``node``'s value is used (``if x``, ``not x``, ``a and x``...)."""
    parent = info.parents.get(node)
    match parent:
        case ast.UnaryOp(op=ast.Not()):
            return True
        case (
            ast.If(test=test) | ast.While(test=test) | ast.IfExp(test=test) | ast.Assert(test=test)
        ) if test is node:
            return True
        case ast.comprehension(ifs=ifs) if node in ifs:
            return True
        case ast.BoolOp():
            return in_truth_context(parent, info)
        case ast.Call(func=ast.Name(id="bool"), args=[arg], keywords=[]) if arg is node:
            return info.is_builtin("bool")
    return False
