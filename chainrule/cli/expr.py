"""A safe arithmetic-expression reader for `chainrule graph`: Python's `ast` and a whitelist, never `eval`.

Allowed: numbers, variable names, ``+ - * / **``, unary minus and plus, parentheses, and
the one-argument functions exp, log, relu, tanh and sigmoid. Everything else, and
anything too long, too deep or with a power in an exponent (``9**9**9``), is refused
before a single number is computed.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from chainrule.autograd import Value
from chainrule.autograd import scalar_ops as ops

MAX_LENGTH = 1000
MAX_DEPTH = 40  # levels of parentheses, calls and operators; a + b + c + ... is one level
MAX_EXPONENT = 100.0
FUNCTIONS = ("exp", "log", "relu", "sigmoid", "tanh")

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_LEVEL = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.Pow: 3}
_FLOAT_OPS = {"+": ops.ADD, "-": ops.SUB, "*": ops.MUL, "/": ops.DIV}  # on numbers alone: ints as ints
MAX_INTEGER_BITS = 4096
"""The largest integer a constant part of an expression may reach (2**4096 is far beyond any float)."""
_FLOAT_FUNCTIONS = {"exp": ops.EXP, "log": ops.LOG, "relu": ops.RELU, "sigmoid": ops.SIGMOID, "tanh": ops.TANH}

_REFUSED = {
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "indexing (a[b])",
    ast.Lambda: "lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Compare: "a comparison",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else",
    ast.NamedExpr: "assignment (:=)",
    ast.Starred: "unpacking (*)",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.JoinedStr: "a string",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


class ExpressionError(ValueError):
    """An expression `chainrule graph` will not evaluate, with the reason."""


def parse(text: str) -> ast.expr:
    """The checked syntax tree of `text`; raises ExpressionError saying what is not allowed."""
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is too long ({len(text)} characters; the limit is {MAX_LENGTH})")
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # the line breaks Python's parser counts, as one kind
    if "#" in text:  # Python would read the rest as a comment and draw what comes before it
        raise ExpressionError(f"'#' is not part of an expression (at {_position(text, text.index('#'))})")
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as error:
        where = ""
        if error.offset:
            lines = stripped.split("\n")
            index = sum(len(line) + 1 for line in lines[: (error.lineno or 1) - 1]) + error.offset - 1
            where = f" at {_position(text, lead + index)}"
        raise ExpressionError(f"cannot parse the expression{where}: {error.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(f"the expression is nested too deeply (the limit is {MAX_DEPTH} levels)") from None
    _check(tree.body)
    return tree.body


def _position(text: str, index: int) -> str:
    """Where character `index` of `text` is, counted from 1: its column, and its line when `text` has several."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}" if "\n" in text else f"column {column}"


def _check(root: ast.expr) -> None:
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested too deeply (the limit is {MAX_DEPTH} levels)")
        if isinstance(node, ast.Constant):
            _number(node)
        elif isinstance(node, ast.Name):
            _name(node.id)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise ExpressionError(f"the operator {_operator(node.op)} is not allowed (use + - * / **)")
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ExpressionError(f"the operator {_operator(node.op)} is not allowed (use + - * / **)")
            if isinstance(node.op, ast.Pow):
                _check_exponent(node.right)
            chained = isinstance(node.left, ast.BinOp) and _LEVEL.get(type(node.left.op)) == _LEVEL[type(node.op)]
            stack.append((node.left, depth if chained else depth + 1))
            stack.append((node.right, depth + 1))
        elif isinstance(node, ast.Call):
            _check_call(node)
            stack.append((node.args[0], depth + 1))
        else:
            what = _REFUSED.get(type(node), f"a {type(node).__name__} expression")
            raise ExpressionError(f"{what} is not allowed in an expression")


def _number(node: ast.Constant) -> float:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "a string" if isinstance(value, (str, bytes)) else repr(value)
        raise ExpressionError(f"{kind} is not allowed in an expression: only real numbers")
    try:
        number = float(value)
    except OverflowError:
        raise ExpressionError("a number in the expression is too large for a float") from None
    if not math.isfinite(number):
        raise ExpressionError("a number in the expression is too large for a float")
    return number


def _name(name: str) -> None:
    if name.startswith("_"):
        raise ExpressionError(f"the name {name!r} is not allowed (names may not start with '_')")


def _check_call(node: ast.Call) -> None:
    func = node.func
    if isinstance(func, ast.Attribute):
        raise ExpressionError("attribute access (a.b) is not allowed in an expression")
    if not isinstance(func, ast.Name):
        what = _REFUSED.get(type(func))
        if what:
            raise ExpressionError(f"{what} is not allowed in an expression")
        raise ExpressionError(f"only the functions {', '.join(FUNCTIONS)} can be called")
    if func.id not in FUNCTIONS:
        raise ExpressionError(f"unknown function {func.id!r} (allowed: {', '.join(FUNCTIONS)})")
    if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
        raise ExpressionError(f"{func.id}() takes exactly one argument")


def _check_exponent(exponent: ast.expr) -> None:
    """Refuse towers like 9**9**9 (a power inside an exponent) and huge constant exponents."""
    for node in ast.walk(exponent):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            raise ExpressionError("a power inside an exponent (like 9**9**9) is not allowed")
    if all(not isinstance(node, (ast.Name, ast.Call)) for node in ast.walk(exponent)):
        _check(exponent)
        try:
            value = _evaluate(exponent, {})
        except ArithmeticError as error:
            raise ExpressionError(f"in an exponent: {error}") from None
        if abs(value) > MAX_EXPONENT:
            digits = len(str(abs(value))) if type(value) is int else 0
            shown = f"of {digits} digits" if digits > 300 else f"{value:g}"
            raise ExpressionError(f"the exponent {shown} is too large (the limit is {MAX_EXPONENT:g} either way)")


def _operator(op: ast.AST) -> str:
    return {
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.MatMult: "@",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.BitOr: "|",
        ast.BitAnd: "&",
        ast.BitXor: "^",
        ast.Invert: "~",
        ast.Not: "not",
    }.get(type(op), type(op).__name__)


def names_in(tree: ast.expr) -> list[str]:
    """The variable names `tree` uses, in order of first appearance in the text."""
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    names = [node for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in called]
    names.sort(key=lambda node: (node.lineno, node.col_offset))  # ast.walk goes breadth first
    return list(dict.fromkeys(node.id for node in names))


def evaluate(tree: ast.expr, variables: dict[str, Value]) -> Value | float:
    """The value of a checked tree, building Values where `variables` take part and floats elsewhere.

    Domain errors and overflows (log(0), exp(1e6), 1/0) raise the engine's ValueError,
    OverflowError or ZeroDivisionError.
    """
    return _evaluate(tree, variables)


def _evaluate(root: ast.expr, variables: dict[str, Any]) -> Any:
    results: dict[int, Any] = {}
    stack: list[tuple[ast.expr, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        children = _children(node)
        if not ready and children:
            stack.append((node, True))
            stack.extend((child, False) for child in children)
            continue
        results[id(node)] = _apply(node, [results.pop(id(child)) for child in children], variables)
    return results[id(root)]


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return [node.args[0]]
    return []


def _apply(node: ast.expr, args: list[Any], variables: dict[str, Any]) -> Any:
    result = _result(node, args, variables)
    if type(result) is int and result.bit_length() > MAX_INTEGER_BITS:
        raise ExpressionError(f"an integer in the expression is too large (more than {MAX_INTEGER_BITS} bits)")
    return result


def _result(node: ast.expr, args: list[Any], variables: dict[str, Any]) -> Any:
    """What `node` gives from its children's results `args`. Integers stay exact Python ints until they meet a
    float or a Value, as in Python itself: ``2**53 + 1 - 2**53`` is 1, where floats would give 0."""
    if isinstance(node, ast.Constant):
        number = _number(node)
        return node.value if type(node.value) is int else number
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id!r} is a function: call it, as in {node.id}(x)")
        if node.id not in variables:
            raise ExpressionError(f"unknown name {node.id!r}: give it a value with --at {node.id}=NUMBER")
        return variables[node.id]
    if isinstance(node, ast.UnaryOp):
        (operand,) = args
        if isinstance(node.op, ast.UAdd):
            return operand
        return -operand
    if isinstance(node, ast.BinOp):
        left, right = args
        symbol = _BINARY[type(node.op)]
        if isinstance(left, Value) or isinstance(right, Value):
            return _value_op(symbol, left, right)
        if not (type(left) is int and type(right) is int and (symbol != "**" or right >= 0)):
            left, right = _as_float(left), _as_float(right)  # as Python turns an int into a float to meet one
        if symbol == "**":
            return ops.PowConst(right).forward(left)
        return _FLOAT_OPS[symbol].forward(left, right)
    if isinstance(node, ast.Call):
        (argument,) = args
        name = node.func.id  # type: ignore[attr-defined]
        if isinstance(argument, Value):
            return getattr(argument, name)()
        return _FLOAT_FUNCTIONS[name].forward(_as_float(argument))
    raise ExpressionError(f"a {type(node).__name__} expression is not allowed")


def _as_float(number: int | float) -> float:
    """`number` as a float; ExpressionError for an integer beyond any float (Python's OverflowError)."""
    try:
        return float(number)
    except OverflowError:
        digits = len(str(abs(number)))
        raise ExpressionError(f"an integer in the expression is too large for a float ({digits} digits)") from None


def _value_op(symbol: str, left: Any, right: Any) -> Value:
    if symbol == "+":
        return left + right
    if symbol == "-":
        return left - right
    if symbol == "*":
        return left * right
    if symbol == "/":
        return left / right
    return left**right
