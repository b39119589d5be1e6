"""Copies that are surely needed: what the ``copy-candidates`` prefilter drops. Pure.

``why_needed`` looks at one candidate copy inside a function and says why the copy must
stay, or None when it cannot tell (the candidate then goes to an agent). It only answers
from evidence in the same function (and, for a call, in a function of the same module
that it can see), never from names or habits:

- the copy is returned, yielded, stored (on an attribute, in an item, a container, a
  global) or handed to a call that may keep it: a defensive copy, when the original may be
  seen by other code (a parameter, an attribute, an item, a name that aliases one, or a
  local still used after the copy), or a conversion of a dict view;
- the copy is changed afterwards (``append``, ``pop``, ``x[k] = v``, ``del``, ``+=``,
  attributes or nested items of a deep copy), and the original may be seen as above;
- the loop over the copy changes the original, or calls its methods or hands it on
  (remove-while-iterating, a tree rewritten while walking it); or, after the copy, the
  original is changed while the copy is still read (a snapshot);
- the copied name may be a one-shot iterator (a parameter or a call's result of unknown
  type) and the copy is indexed, sliced, measured, reversed, searched, or read twice;
- such a copy sits in a ``try`` body: it forces a lazy producer where its errors are caught.

Each rule errs towards None: the agent judges what this module cannot prove.
"""

from __future__ import annotations

import ast

from bot.find.detectors import copy_uses, facts, scope
from bot.find.detectors.scope import Function, ModuleInfo

_SEQUENCE_ONLY = frozenset({"subscript", "len", "reversed", "search", "membership"})

_LOOPS = (ast.For, ast.AsyncFor, ast.While)

_MAX_ALIASES = 2


def why_needed(copy: ast.expr, copied: ast.expr, deep: bool, info: ModuleInfo) -> str | None:
    """Why the copy ``copy`` (of ``copied``) must stay, or None when it cannot tell.

    The element of a comprehension (``[row[:] for _ in rows]``, ``[list(t) for t in ts]``)
    makes one new object per item, which the result keeps.
    """
    comprehension = info.parents.get(copy)
    if isinstance(comprehension, ast.ListComp | ast.SetComp | ast.GeneratorExp) and (
        comprehension.elt is copy
    ):
        return "each item of the result must be a copy of its own"
    func = scope.enclosing_function(copy, info)
    if func is None:
        return None
    conversion = _conversion(copy, copied, func, info)
    if conversion:
        return conversion
    holder = copy
    while isinstance(parent := info.parents.get(holder), ast.IfExp | ast.BoolOp):
        if isinstance(parent, ast.IfExp) and parent.test is holder:
            break
        holder = parent
    visible = _visible(copied, copy, func, info)
    lazy = (
        isinstance(copy, ast.Call)
        and isinstance(copy.func, ast.Name)
        and copy.func.id in {"list", "tuple", "set", "dict"}
        and _maybe_iterator(copied, copy, func, info)
    )
    if lazy and _in_try(copy, func, info):
        return "forces a possibly lazy iterable inside its `try`, where its errors are caught"
    parent = info.parents.get(holder)
    if isinstance(parent, ast.For | ast.AsyncFor) and parent.iter is holder:
        change = copy_uses.changes(copied, parent.body, info, prefixes=True)
        if change:
            return f"the loop over the copy changes the original ({change})"
        return None
    if lazy and _reversed_or_measured(holder, info):
        return "materialises a possibly one-shot iterable for `reversed`/`len`"
    target = copy_uses.bound_name(holder, info)
    if target is not None:
        return _name_needs(target, holder, copied, visible, lazy, deep, func, info, 0)
    fate = copy_uses.fate_of(holder, func, info)
    if fate and visible:
        return f"the copy is {fate}, and the original may be seen elsewhere"
    if fate and lazy:
        return f"materialises a possibly one-shot iterable whose items are {fate}"
    return None


_COMPARED = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)


def _conversion(copy: ast.expr, copied: ast.expr, func: Function, info: ModuleInfo) -> str | None:
    """Why ``copy`` is a conversion that its reader relies on, not a copy; None if it is not.

    ``set(xs)`` of anything but a set removes duplicates and needs hashable items; and a
    ``list(x)``/``tuple(x)`` of an object that is not already of that type decides what
    ``==``, ``in`` and the text of ``repr``/f-strings/``%`` make of it.
    """
    if not (isinstance(copy, ast.Call) and isinstance(copy.func, ast.Name)):
        return None
    made = copy.func.id
    of = facts.kind(copied, func, info)
    if made in {"set", "frozenset"}:
        return None if of in {"set", "frozenset"} else "converts to a set (drops duplicates)"
    if made not in {"list", "tuple"} or of == made:
        return None
    parent = info.parents.get(copy)
    match parent:
        case ast.Compare(left=left, ops=[op], comparators=[right]) if isinstance(op, _COMPARED):
            if left is copy or (right is copy and isinstance(op, ast.Eq | ast.NotEq)):
                return f"the comparison depends on the copy being a {made}"
        case ast.FormattedValue() | ast.BinOp(op=ast.Mod()):
            return f"the text shows the copy as a {made}"
        case ast.Call(func=ast.Name(id="repr"), args=[_]) if info.is_builtin("repr"):
            return f"the text shows the copy as a {made}"
    return None


def _visible(copied: ast.expr, copy: ast.expr, func: Function, info: ModuleInfo) -> bool:
    """Whether other code may see the original after the copy (then a copy protects it)."""
    match copied:
        case ast.Subscript(slice=ast.Slice()):
            return False  # a slice is a new sequence already
        case ast.Call(func=ast.Attribute(attr="keys" | "values" | "items")):
            return True  # a view: the copy is a conversion too
        case ast.Attribute() | ast.Subscript():
            return True
        case ast.Name(id=name):
            if copy_uses.is_parameter(func, name) or not any(
                name in scope.bound_names(n) for n in scope.own_nodes(func)
            ):
                return True  # a parameter, a global, a builtin, a closure's variable
            local = scope.local_name(func, name, info)
            if local is None:
                return True
            if any(b.value is None or _aliases(b.value) for b in local.bindings):
                return True
            statement = copy_uses.statement_of(copy, info)
            loop = scope.outermost_loop(statement, func, info)
            if scope.escapes(local, info, after=scope.start_of(loop)):
                return True  # handed out before the copy
            if any(name in scope.bound_names(n) for n in ast.walk(statement)):
                return False  # `xs = list(xs)`: later reads see the copy
            others = [u for u in local.uses if u is not copied]
            if loop is not statement and any(scope.within(u, loop, info) for u in others):
                return True
            return any(
                scope.start_of(u) > scope.end_of(statement)
                and not any(
                    scope.end_of(statement) <= scope.start_of(b) < scope.start_of(u)
                    and copy_uses.surely_after(b, statement, func, info)
                    for b in local.bindings
                )
                for u in others
            )
    return False


def _aliases(value: ast.expr) -> bool:
    """Whether ``name = value`` may make the name another reference to an existing object."""
    if isinstance(value, ast.IfExp):
        return _aliases(value.body) or _aliases(value.orelse)
    if isinstance(value, ast.BoolOp):
        return any(_aliases(v) for v in value.values)
    return isinstance(value, ast.Name | ast.Attribute | ast.Subscript | ast.Starred)


def _maybe_iterator(copied: ast.expr, copy: ast.expr, func: Function, info: ModuleInfo) -> bool:
    """Whether ``copied`` is a name that may hold a one-shot iterator (unknown type, and a
    parameter or bound to a call's result or a generator)."""
    if not isinstance(copied, ast.Name) or facts.kind(copied, func, info) is not None:
        return False
    if copy_uses.is_parameter(func, copied.id):
        annotation = _annotation(func, copied.id)
        return annotation is None or any(
            word in annotation for word in ("Iterable", "Iterator", "Generator")
        )
    value = facts.reaching_value(copied, func, info)
    if value is None:
        local = scope.local_name(func, copied.id, info)
        values = [b.value for b in local.bindings] if local else []
    else:
        values = [value]
    return bool(values) and all(isinstance(v, ast.Call | ast.GeneratorExp) for v in values)


def _annotation(func: Function, name: str) -> str | None:
    args = func.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        if arg.arg == name and arg.annotation is not None:
            return ast.unparse(arg.annotation)
    return None


def _in_try(node: ast.AST, func: Function, info: ModuleInfo) -> bool:
    child = node
    for parent in info.ancestors(node):
        if parent is func:
            return False
        if isinstance(parent, ast.Try | ast.TryStar) and child in parent.body and parent.handlers:
            return True
        child = parent
    return False


def _reversed_or_measured(holder: ast.expr, info: ModuleInfo) -> bool:
    match info.parents.get(holder):
        case ast.Call(func=ast.Name(id="reversed" | "len" as name), args=[arg]) if arg is holder:
            return info.is_builtin(name)
    return False


def _name_needs(
    target: ast.Name,
    holder: ast.expr,
    copied: ast.expr,
    visible: bool,
    lazy: bool,
    deep: bool,
    func: Function,
    info: ModuleInfo,
    depth: int,
) -> str | None:
    """Why the copy bound to ``target`` must stay, from what the function does with it."""
    if not copy_uses.plain(target.id, func, info):
        return (
            "the copy is stored in a global, and the original may be seen elsewhere"
            if (visible)
            else None
        )
    binding = copy_uses.statement_of(target, info)
    uses = copy_uses.reached_uses(target, func, info)
    loop = _innermost_loop(binding, func, info)
    if loop is not None and not any(scope.within(u, loop, info) for u in uses):
        bound_in_loop = {n for node in ast.walk(loop) for n in scope.bound_names(node)}
        if not any(scope.mentions(copied, n) for n in bound_in_loop):
            return None  # the same copy made on every pass, only the last one read
    sequence_uses = 0
    for use in uses:
        how, detail = _use(use, deep, func, info)
        if how == "mutated" and visible:
            return f"the copy is changed afterwards ({detail}) while the original must stay"
        if how == "fate" and visible:
            return f"the copy is {detail}, and the original may be seen elsewhere"
        if how == "alias" and depth < _MAX_ALIASES:
            alias = info.parents[use]
            assert isinstance(alias, ast.Assign) and isinstance(alias.targets[0], ast.Name)
            why = _name_needs(
                alias.targets[0], use, copied, visible, lazy, deep, func, info, depth + 1
            )
            if why:
                return why
        if how == "iter" and isinstance(loop := info.parents.get(detail), ast.For | ast.AsyncFor):
            change = copy_uses.changes(copied, loop.body, info, prefixes=True)
            if change:
                return f"the loop over the copy changes the original ({change})"
        sequence_uses += how == "sequence"
    if lazy and (sequence_uses or len(uses) > 1 or _read_in_a_later_loop(uses, binding, info)):
        return "materialises a possibly one-shot iterable that is read as a sequence or twice"
    if uses and _changed_before(copied, binding, max(scope.start_of(u) for u in uses), func):
        return "a snapshot: the original changes while the copy is still read"
    return None


def _use(use: ast.Name, deep: bool, func: Function, info: ModuleInfo) -> tuple[str, object]:
    """How a read of the copy's name uses it: ("mutated", what), ("fate", where it goes),
    ("alias", None), ("sequence", None), ("iter", the loop's iter), or ("read", None)."""
    parent = info.parents.get(use)
    if isinstance(parent, ast.AugAssign) and parent.target is use:
        return "mutated", "augmented assignment"
    chain: ast.expr = use
    while isinstance(up := info.parents.get(chain), ast.Subscript | ast.Attribute):
        if up.value is not chain:
            break
        nested = chain is not use
        if isinstance(up.ctx, ast.Store | ast.Del) and (deep or not nested):
            return "mutated", "assignment" if isinstance(up.ctx, ast.Store) else "deletion"
        call = info.parents.get(up)
        if isinstance(up, ast.Attribute) and isinstance(call, ast.Call) and call.func is up:
            if up.attr in copy_uses.MUTATORS and (deep or not nested):
                return "mutated", f"`{up.attr}`"
            if not nested and up.attr in {"index", "count"}:
                return "sequence", None
            break
        if not nested and not deep and isinstance(up, ast.Subscript):
            return "sequence", None
        chain = up
    match parent:
        case ast.Assign(targets=[ast.Name()], value=value) if value is use:
            return "alias", None
        case ast.Call(func=ast.Name(id="len" | "reversed"), args=[arg]) if arg is use:
            return "sequence", None
        case ast.Compare(ops=[ast.In() | ast.NotIn()], comparators=[right]) if right is use:
            return "sequence", None
        case ast.For(iter=iterable) | ast.AsyncFor(iter=iterable) if iterable is use:
            return "iter", use
        case ast.Call(func=ast.Name(id="enumerate" | "zip")) if (
            isinstance(info.parents.get(parent), ast.For | ast.AsyncFor)
            and info.parents[parent].iter is parent
        ):
            return "iter", parent
    fate = copy_uses.fate_of(use, func, info)
    return ("fate", fate) if fate else ("read", None)


def _innermost_loop(node: ast.AST, func: Function, info: ModuleInfo) -> ast.stmt | None:
    for parent in info.ancestors(node):
        if parent is func:
            return None
        if isinstance(parent, _LOOPS):
            return parent
    return None


def _read_in_a_later_loop(uses: list[ast.Name], binding: ast.stmt, info: ModuleInfo) -> bool:
    for use in uses:
        for parent in info.ancestors(use):
            if isinstance(parent, _LOOPS) and not scope.within(binding, parent, info):
                return True
    return False


def _changed_before(
    copied: ast.expr, binding: ast.stmt, last_read: scope.Position, func: Function
) -> bool:
    """Whether the original is changed after the copy and before its last read."""
    if not isinstance(copied, ast.Attribute | ast.Subscript | ast.Name):
        return False
    texts = {copy_uses.source_text(copied)}
    for node in ast.walk(func):
        if (
            isinstance(node, ast.expr)
            and scope.end_of(binding) <= scope.start_of(node) < last_read
            and _direct_change(node, texts)
        ):
            return True
    return False


def _direct_change(node: ast.AST, texts: set[str]) -> bool:
    match node:
        case ast.Call(func=ast.Attribute(value=receiver, attr=attr)) if attr in copy_uses.MUTATORS:
            return copy_uses.source_text(receiver) in texts
        case ast.Subscript(value=value, ctx=ast.Store() | ast.Del()):
            return copy_uses.source_text(value) in texts
    return False
