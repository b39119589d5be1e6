"""What a function does with a value: where it goes, who changes it, which reads reach it.

Shared by ``needed_copy`` (the copies the ``copy-candidates`` prefilter drops). Pure, and
erring towards "may": a value handed to a call that cannot be seen may be kept, a method
of unknown type called on an object may change it.
"""

from __future__ import annotations

import ast

from bot.find.detectors import scope
from bot.find.detectors.scope import Function, ModuleInfo

MUTATORS = frozenset(
    {"append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "popitem"}
    | {"setdefault", "update", "add", "discard", "appendleft", "extendleft", "popleft"}
    | {"difference_update", "intersection_update", "symmetric_difference_update"}
)
# Methods that read an argument without keeping a reference to it.

NON_KEEPING_METHODS = frozenset(
    {"extend", "update", "index", "count", "remove", "discard", "join", "startswith"}
    | {"endswith", "issubset", "issuperset", "isdisjoint", "union", "intersection"}
    | {"difference", "symmetric_difference", "difference_update", "intersection_update"}
    | {"symmetric_difference_update", "get", "write", "writelines"}
)

READ_ONLY_METHODS = scope.READ_ONLY_METHODS | frozenset(
    {"union", "intersection", "difference", "symmetric_difference", "issubset", "issuperset"}
    | {"isdisjoint", "startswith", "endswith", "find", "rfind", "format", "join", "split"}
)

NON_KEEPING_BUILTINS = scope.CONSUMING_BUILTINS | frozenset(
    {"len", "isinstance", "issubclass", "print", "hash", "id", "format", "callable", "ascii"}
)

ITERATING_BUILTINS = frozenset({"enumerate", "zip", "reversed", "iter"})


def is_parameter(func: Function, name: str) -> bool:
    args = func.args
    params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return any(p is not None and p.arg == name for p in params)


def changes(
    copied: ast.expr, body: list[ast.stmt], info: ModuleInfo, prefixes: bool = False
) -> str | None:
    """How ``body`` may change the original (its text, or, with ``prefixes``, an object it
    hangs from, like ``self`` of ``self.items``), or None."""
    texts = {source_text(copied)}
    if isinstance(copied, ast.Call) and isinstance(copied.func, ast.Attribute):
        texts = {source_text(copied.func.value)}  # the dict behind a view
    owners = set(texts)
    if prefixes:
        for text in texts:
            parts = text.split(".")
            owners.update(".".join(parts[:i]) for i in range(1, len(parts)))
    for statement in body:
        for node in ast.walk(statement):
            change = _change(node, texts, owners, info)
            if change:
                return change
    return None


def _change(node: ast.AST, texts: set[str], owners: set[str], info: ModuleInfo) -> str | None:
    match node:
        case ast.Call(func=ast.Attribute(value=receiver, attr=attr)):
            text = source_text(receiver)
            if text in texts and attr in MUTATORS:
                return f"`{attr}`"
            if text in owners and attr not in READ_ONLY_METHODS:
                return f"calls `{text}.{attr}`"
        case ast.Subscript(value=value, ctx=ast.Store() | ast.Del()) if source_text(value) in texts:
            return "item assignment or deletion"
        case ast.AugAssign(target=target) if source_text(target) in texts:
            return "augmented assignment"
        case ast.Call(func=func, args=args, keywords=keywords) if not (
            isinstance(func, ast.Name) and func.id in NON_KEEPING_BUILTINS
        ):
            for arg in [*args, *(k.value for k in keywords)]:
                if source_text(arg) in owners:
                    return f"hands `{source_text(arg)}` to `{source_text(func)}`"
    return None


def source_text(node: ast.expr) -> str:
    return ast.unparse(node) if isinstance(node, ast.Name | ast.Attribute | ast.Subscript) else ""


def statement_of(node: ast.AST, info: ModuleInfo) -> ast.stmt:
    while not isinstance(node, ast.stmt):
        node = info.parents[node]
    return node


def bound_name(holder: ast.expr, info: ModuleInfo) -> ast.Name | None:
    match info.parents.get(holder):
        case ast.Assign(targets=[ast.Name() as target], value=value) if value is holder:
            return target
        case ast.AnnAssign(target=ast.Name() as target, value=value) if value is holder:
            return target
    return None


def fate_of(value: ast.expr, func: Function, info: ModuleInfo) -> str | None:
    """Whether the object ``value`` evaluates to leaves the function's hands."""
    parent = info.parents.get(value)
    match parent:
        case ast.Return() | ast.Yield() | ast.YieldFrom():
            return "returned to callers"
        case ast.Assign(targets=targets) if parent.value is value:
            if any(isinstance(t, ast.Attribute | ast.Subscript) for t in targets):
                return "stored"
            if any(isinstance(t, ast.Name) and not plain(t.id, func, info) for t in targets):
                return "stored in a global"
        case ast.List() | ast.Tuple() | ast.Set() if value in parent.elts:
            if not isinstance(parent.ctx if hasattr(parent, "ctx") else None, ast.Store):
                return _container_fate_of(parent, func, info)
        case ast.Dict() if value in parent.values or value in parent.keys:
            return _container_fate_of(parent, func, info)
        case ast.keyword() if isinstance(call := info.parents.get(parent), ast.Call):
            return _call_fate_of(call, None, parent.arg, func, info)
        case ast.Call(args=args) if value in args:
            return _call_fate_of(parent, args.index(value), None, func, info)
    return None


def _container_fate_of(display: ast.expr, func: Function, info: ModuleInfo) -> str | None:
    fate = fate_of(display, func, info)
    if fate:
        return f"put in a container that is {fate}"
    target = bound_name(display, info)
    if target is not None and plain(target.id, func, info):
        for use in reached_uses(target, func, info):
            if fate_of(use, func, info):
                return "put in a container that escapes"
    return None


def plain(name: str, func: Function, info: ModuleInfo) -> bool:
    """Whether ``name`` is ``func``'s own variable (not declared global or nonlocal)."""
    return not any(
        isinstance(n, ast.Global | ast.Nonlocal) and name in n.names for n in ast.walk(func)
    )


def _call_fate_of(
    call: ast.Call, index: int | None, keyword: str | None, func: Function, info: ModuleInfo
) -> str | None:
    match call.func:
        case ast.Name(id=name) if name in NON_KEEPING_BUILTINS and info.is_builtin(name):
            return None
        case ast.Name(id=name) if name in ITERATING_BUILTINS and info.is_builtin(name):
            outer = info.parents.get(call)
            if isinstance(outer, ast.For | ast.AsyncFor) and outer.iter is call:
                return None
            return f"handed to `{name}`, which keeps it"
        case ast.Attribute(attr=attr) if attr in NON_KEEPING_METHODS:
            return None
    callee = _visible_callee(call, func, info)
    if callee is not None and _reads_only(callee[0], index, keyword, callee[1]):
        return None
    return f"handed to `{source_text(call.func) or 'a call'}`, which may keep it"


def _visible_callee(
    call: ast.Call, func: Function, info: ModuleInfo
) -> tuple[Function, bool] | None:
    """The function ``call`` surely calls, seen in this module, and whether it takes the
    receiver as its first parameter; None if it cannot be seen."""
    match call.func:
        case ast.Name(id=name):
            defs = info.bindings.get(name, [])
            if (
                len(defs) == 1
                and isinstance(defs[0], Function)
                and info.parents.get(defs[0]) is info.tree
            ):
                return defs[0], False
        case ast.Attribute(value=ast.Name(id="self" | "cls"), attr=attr):
            for parent in info.ancestors(func):
                if isinstance(parent, ast.ClassDef):
                    methods = [n for n in parent.body if isinstance(n, Function) and n.name == attr]
                    if len(methods) == 1:
                        method = methods[0]
                        static = any(
                            source_text(d) == "staticmethod" for d in method.decorator_list
                        )
                        return method, not static
                    return None
    return None


def _reads_only(callee: Function, index: int | None, keyword: str | None, bound: bool) -> bool:
    """Whether ``callee`` only reads the parameter the argument is passed to."""
    args = callee.args
    positional = [*args.posonlyargs, *args.args][1 if bound else 0 :]
    if keyword is not None:
        names = [a.arg for a in [*positional, *args.kwonlyargs]]
        param = keyword if keyword in names else None
    elif index is not None and index < len(positional):
        param = positional[index].arg
    else:
        param = None
    if param is None or scope.introspects(callee):
        return False
    info = ModuleInfo(ast.Module(body=[callee], type_ignores=[]))
    for node in scope.own_nodes(callee):
        if isinstance(node, scope.NESTED_SCOPES) and scope.mentions(node, param):
            return False
        if isinstance(node, ast.Name) and node.id == param:
            if not isinstance(node.ctx, ast.Load):
                return False
            kind = scope.use_kind(node, info)
            if kind.startswith("method:") and kind[7:] in READ_ONLY_METHODS:
                continue
            if kind not in {"subscript", "len", "consumed", "membership", "iter", "truth"}:
                return False
    return True


def reached_uses(target: ast.Name, func: Function, info: ModuleInfo) -> list[ast.Name]:
    """Reads (and ``+=``) of ``target``'s name after its binding, up to a sure rebinding."""
    binding = statement_of(target, info)
    rebinds: list[ast.stmt] = []
    uses: list[ast.Name] = []
    for node in _scope_names(func, target.id):
        statement = statement_of(node, info)
        if isinstance(node.ctx, ast.Load) or isinstance(statement, ast.AugAssign):
            if scope.start_of(node) >= scope.end_of(binding):
                uses.append(node)
        elif statement is not binding and surely_after(statement, binding, func, info):
            rebinds.append(statement)
    cut = min((scope.start_of(r) for r in rebinds), default=None)
    return [u for u in uses if cut is None or scope.start_of(u) < cut]


def _scope_names(func: Function, name: str) -> list[ast.Name]:
    """``name``'s nodes in ``func``'s scope, and those in its comprehensions (read there)."""
    found = []
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.id == name:
            found.append(node)
        if isinstance(node, ast.Lambda | Function | ast.ClassDef):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return found


def surely_after(later: ast.stmt, binding: ast.stmt, func: Function, info: ModuleInfo) -> bool:
    """Whether ``later`` runs whenever ``binding`` did, after it (same or enclosing block)."""
    node: ast.AST = binding
    while node is not func:
        parent = info.parents[node]
        for field in ("body", "orelse", "finalbody"):
            block = getattr(parent, field, None)
            if (
                isinstance(block, list)
                and node in block
                and later in block[block.index(node) + 1 :]
            ):
                return True
        node = parent
    return False
