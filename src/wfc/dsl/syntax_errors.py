"""Syntax errors in words: Lark's ``UnexpectedInput`` → ``WFC12x`` diagnostics.

Sources of wording, tried in order:

1. brackets: a scan of the text finds the unclosed or mismatched bracket behind an error ("expected `}` to close
   the block opened at 3:5");
2. errors inside a string's ``{...}`` are ``WFC124``;
3. known mistakes: a clause (`else`, `catch`...) on a line of its own, Python words (`def`, `except`...), and
   :data:`EXAMPLES`, each with snippets that produce it. As with Lark's ``match_examples``, an error matches an
   example when the parser fails in the same state on the same kind of token; unlike it, the table is computed
   once, not on every error. The snippets double as test fixtures;
4. otherwise "unexpected X; expected Y", where Y is the set of acceptable terminals in words ("an expression",
   "a statement", "`{`"), never terminal names.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from typing import Protocol

from lark import Token, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from wfc.errors import Diagnostic, Severity, Span

# ---- known mistakes ----------------------------------------------------------------------------------------------

# (code, message, hint, snippets). Each snippet fails at the token the entry describes.
EXAMPLES: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    (
        "WFC123",
        "`=` is assignment; a comparison is written `==`",
        "write `==` to compare, e.g. `if x == 1 {`",
        (
            "workflow w() {\n if x = 1 {\n }\n}",
            "workflow w() {\n while x = 1 {\n }\n}",
            "workflow w() {\n y = x = 1\n}",
            "workflow w() {\n y = [x = 1]\n}",
            "workflow w() {\n y = f(a, x.y = 1)\n}",
            "workflow w() {\n return x = 1\n}",
            "workflow w() {\n y = (x = 1)\n}",
            "workflow w() {\n if a and x = 1 {\n }\n}",
        ),
    ),
    (
        "WFC129",
        "a Python-style `:` block",
        "wrap the block in braces on the same line: `if x {` ... `}`",
        (
            "workflow w() {\n if x:\n}",
            "workflow w() {\n while x:\n}",
            "workflow w() {\n for x in y:\n}",
            "workflow w():\n",
            "workflow w() -> int:\n",
            "workflow w() {\n try:\n}",
            "workflow w() {\n if x { } else:\n}",
            "workflow w() {\n try { } catch ValueError:\n}",
            "workflow w() {\n try { } catch:\n}",
        ),
    ),
    (
        "WFC120",
        "a `{` must be on the same line as what it opens",
        "move the `{` up to the end of the previous line, e.g. `if x {`",
        (
            "workflow w()\n{\n}",
            "workflow w() -> int\n{\n}",
            "workflow w() {\n if x\n {\n }\n}",
            "workflow w() {\n while x\n {\n }\n}",
            "workflow w() {\n for x in y\n {\n }\n}",
        ),
    ),
    (
        "WFC120",
        "an expression is missing",
        None,
        (
            "workflow w() {\n x =\n}",
            "workflow w() {\n x = 1 +\n}",
            "workflow w() {\n if {\n }\n}",
            "workflow w() {\n return 1 +\n}",
        ),
    ),
)


@functools.cache
def _example_table() -> dict[tuple[object, str], tuple[str, str, str | None]]:
    from wfc.dsl.parser import parser

    table: dict[tuple[object, str], tuple[str, str, str | None]] = {}
    for code, message, hint, snippets in EXAMPLES:
        for snippet in snippets:
            key = example_key(snippet)
            if key is not None:
                table.setdefault(key, (code, message, hint))
    del parser
    return table


def example_key(snippet: str) -> tuple[object, str] | None:
    """The (parser state, token type) at which ``snippet`` fails, or ``None`` if it parses."""
    from wfc.dsl.builder import Context, parsing
    from wfc.dsl.codes import Reporter
    from wfc.dsl.parser import parser

    try:
        with parsing(Context("<example>", Reporter("<example>", ()), lambda *_: None)):
            parser().parse(snippet, start="start")
    except UnexpectedToken as exc:
        return _key(exc)
    except UnexpectedInput:
        return None
    return None


def _key(exc: UnexpectedToken) -> tuple[object, str]:
    state = getattr(exc.state, "position", exc.state)
    return state, exc.token.type


# ---- words for terminals -----------------------------------------------------------------------------------------

_WORDS = {
    "NAME": "a name",
    "INT": "a number",
    "FLOAT": "a number",
    "DURATION": "a duration",
    "STRING": "a string",
    "_NL": "the end of the line",
    "$END": "the end of the file",
    "AUGOP": "`+=`",
    "ADDOP": "`+` or `-`",
    "MULOP": "`*` or `/`",
}
_EXPR_START = frozenset({"NAME", "INT", "STRING", "LPAR", "LSQB"})
_STMT_START = frozenset({"IF", "WHILE", "FOR", "TRY", "RETURN", "FAIL", "LOG"})
_COMMAND_START = frozenset({"SLEEP", "WAIT", "ALL", "FIRST"})
_CHILD_COMMANDS = frozenset({"ASYNC", "AWAIT"})  # `async child(x)`, `await handle`: commands too
_OPERATORS = frozenset({"ADDOP", "MULOP", "EQEQ", "LT", "AND", "OR"})
_CLOSE_FOR = {"(": ")", "[": "]", "{": "}"}


@functools.cache
def _terminal_words() -> dict[str, str]:
    from wfc.dsl.parser import parser

    out = dict(_WORDS)
    for t in parser().terminals:
        if t.name not in out and t.pattern.type == "str":
            out[t.name] = f"`{t.pattern.value}`"
        elif t.name not in out and (word := _WHOLE_WORD.fullmatch(t.pattern.value)):
            out[t.name] = f"`{word.group(1)}`"  # an option word (`retry`, `id`...), a whole-word pattern
    return out


_WHOLE_WORD = re.compile(r"([a-z_]+)\(\?!\[A-Za-z0-9_\]\)")
_OPTIONS = {
    "RETRY": "retry(...)", "NO": "no retry", "RUN_AFTER": "run_after", "RUN_AT": "run_at", "OPT_NAME": "name",
    "OPT_ID": "id", "DETACHED": "detached", "QUEUE": "queue", "PRIORITY": "priority",
    "PARTITION_KEY": "partition_key", "DEDUP_ID": "dedup_id",
}  # fmt: skip
"""The terminals that start a call option (after ``with`` or a ``,`` between options), in words."""


def _unknown_option(exc: UnexpectedToken, diag: _Diag, line: int, col: int, width: int) -> Diagnostic | None:
    """``step(x) with ident "a"``: a name where only an option can stand."""
    expected = set(exc.accepts or exc.expected)
    if not expected or not expected <= set(_OPTIONS):
        return None
    known = ", ".join(f"`{w}`" for w in _OPTIONS.values())
    if exc.token.type != "NAME":  # `with` and nothing after it, or a `,` too many
        return diag("WFC120", f"a call option is missing before {token_words(exc.token)}", line, col, width,
                    f"the options: {known}")  # fmt: skip
    word = str(exc.token.value)
    words = [w.split("(")[0].split(" ")[-1] for w in _OPTIONS.values()]
    close = difflib.get_close_matches(word, words, n=1)
    hint = (f"did you mean `{close[0]}`? " if close else "") + f"the options: {known}"
    return diag("WFC150", f"unknown call option `{word}`", line, col, width, hint)


def token_words(token: Token) -> str:
    if token.type == "$END":
        return "end of file"
    if token.type == "_NL":
        return "end of line" if token.value != ";" else "`;`"
    if token.type == "NAME":
        return f"name `{token.value}`"
    if token.type in ("INT", "FLOAT", "DURATION", "STRING"):
        return f"{_WORDS[token.type].split(' ', 1)[1]} `{token.value}`"
    return f"`{token.value}`"


def expected_words(expected: Sequence[str] | set[str] | frozenset[str]) -> str:
    names = set(expected)
    words: list[str] = []
    if names >= _STMT_START:
        words.append("a statement")
        names -= _STMT_START | _EXPR_START | {"BREAK", "CONTINUE", "RAISE", "SLEEP", "WAIT", "ALL", "FIRST"}
        names -= _CHILD_COMMANDS
        names -= {"FLOAT", "DURATION", "LBRACE", "TRUE", "FALSE", "NULL", "NOT", "ADDOP"}
    elif names >= _EXPR_START:
        words.append("an expression")
        names -= _EXPR_START | {"FLOAT", "DURATION", "LBRACE", "TRUE", "FALSE", "NULL", "NOT", "ADDOP"}
    if names >= _COMMAND_START and "a statement" not in words:
        words.append("a command")
        names -= _COMMAND_START | _CHILD_COMMANDS
    if names >= _OPERATORS:
        words.append("an operator")
        names -= _OPERATORS | {"POW", "NOTEQ", "LE", "GT", "GE", "IN", "NOT", "DOT", "LSQB", "LPAR"}
    table = _terminal_words()
    rest = sorted({table.get(n, n.lower()) for n in names})
    words.extend(rest)
    if not words:
        return "something else"
    if len(words) > 6:
        words = [*words[:5], "..."]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


# ---- brackets ----------------------------------------------------------------------------------------------------

_SCAN = re.compile(r"""#[^\n]*|"(?:[^"\\\n]|\\[^\n])*"|'(?:[^'\\\n]|\\[^\n])*'|[()\[\]{}]|\n""")


def open_brackets(
    text: str, until: int
) -> tuple[list[tuple[str, int, int]], tuple[str, int, int, str] | None]:
    """Brackets still open at offset ``until`` (kind, line, col), and the first closer that does not match
    (closer, line, col, the opener it met or ``""``) before it."""
    stack: list[tuple[str, int, int]] = []
    line, line_start = 1, 0
    for m in _SCAN.finditer(text, 0, until):
        tok = m.group()
        if tok == "\n":
            line += 1
            line_start = m.end()
            continue
        col = m.start() - line_start + 1
        if tok in _CLOSE_FOR:
            stack.append((tok, line, col))
        elif tok in (")", "]", "}"):
            if not stack:
                return stack, (tok, line, col, "")
            opener = stack.pop()
            if _CLOSE_FOR[opener[0]] != tok:
                return stack, (tok, line, col, opener[0])
    return stack, None


def _what(bracket: str) -> str:
    return {"(": "parenthesis", "[": "bracket", "{": "block"}[bracket]


# ---- entry -------------------------------------------------------------------------------------------------------


def describe(
    exc: UnexpectedInput, text: str, path: str, lines: Sequence[str], start: str = "start"
) -> list[Diagnostic]:
    """Diagnostics for one syntax error (positions are file positions)."""

    def diag(
        code: str, message: str, line: int, col: int, width: int = 1, hint: str | None = None
    ) -> Diagnostic:
        line = max(1, line)
        col = max(1, col)
        source = lines[line - 1] if line <= len(lines) else None
        return Diagnostic(
            code, message, Span(path, line, col, line, col + width), hint, Severity.ERROR, source
        )

    if isinstance(exc, UnexpectedCharacters):
        return [_characters(exc, text, diag)]
    if isinstance(exc, UnexpectedToken):
        return [_token(exc, text, diag, start)]
    line, col = _end_position(text)
    return [diag("WFC120", "unexpected end of the file", line, col)]


class _Diag(Protocol):
    def __call__(
        self, code: str, message: str, line: int, col: int, width: int = 1, hint: str | None = None
    ) -> Diagnostic: ...


def _characters(exc: UnexpectedCharacters, text: str, diag: _Diag) -> Diagnostic:
    char = exc.char
    line, col = exc.line, exc.column
    if char in "\"'":
        return diag(
            "WFC124",
            "unterminated string",
            line,
            col,
            hint="close the string on the same line; write `\\n` for a line break and `\\\\` for a backslash",
        )
    hints = {
        "!": "write `not x` for negation and `!=` for inequality",
        "&": "write `and`",
        "|": "write `or`",
        "?": "write `if`/`else` statements",
        "@": "decorators do not exist in .wf files",
        "$": "interpolate with `{name}` inside a string",
        "`": "strings use double or single quotes",
        "\\": "a backslash can only appear inside a string",
    }
    shown = char if char.isprintable() else f"U+{ord(char):04X}"
    return diag("WFC121", f"unexpected character `{shown}`", line, col, hint=hints.get(char))


def _token(exc: UnexpectedToken, text: str, diag: _Diag, start: str) -> Diagnostic:
    token = exc.token
    at_end = token.type == "$END"
    if at_end:
        line, col = _end_position(text)
        offset = len(text)
    else:
        line, col = token.line or 1, token.column or 1
        offset = token.start_pos if token.start_pos is not None else len(text)
    width = max(1, len(str(token.value))) if not at_end and token.type != "_NL" else 1

    # 1. brackets
    stack, mismatch = open_brackets(text, offset + (1 if token.type in ("RPAR", "RSQB", "RBRACE") else 0))
    if mismatch is not None:
        closer, mline, mcol, opener = mismatch
        if opener:
            message = f"`{closer}` does not close the {_what(opener)} `{opener}`"
            hint = f"expected `{_CLOSE_FOR[opener]}` first"
        else:
            message = f"`{closer}` closes nothing"
            hint = "remove it, or add the opening bracket it belongs to"
        return diag("WFC122", message, mline, mcol, hint=hint)
    word = _word_before(text, offset)
    declaration = _starts_declaration(token) or (
        word in ("workflow", "import") and _at_line_start(text, offset, word)
    )
    if stack and (at_end or declaration):
        opener, oline, ocol = stack[-1]
        what = "the end of the file" if at_end else "the next declaration"
        return diag(
            "WFC122",
            f"expected `{_CLOSE_FOR[opener]}` to close the {_what(opener)} opened at {oline}:{ocol} before {what}",
            line,
            col,
            hint=f"add `{_CLOSE_FOR[opener]}`",
        )

    # 2. inside a string's `{...}`
    if start == "expr_start":
        expected = expected_words(exc.accepts or exc.expected)
        found = (
            "an incomplete expression"
            if token.type in ("_NL", "$END")
            else f"unexpected {token_words(token)}"
        )
        return diag("WFC124", f"{found} in `{{...}}`; expected {expected}", line, col, width)

    # 3. known mistakes
    option = _unknown_option(exc, diag, line, col, width)
    if option is not None:
        return option
    if token.type == "NAME" and offset > 0 and text[offset - 1].isdigit():
        number = re.search(r"[0-9._]*$", text[:offset])
        begin = number.start() if number else offset
        shown = text[begin : offset + len(token.value)]
        return diag(
            "WFC126",
            f"invalid number or duration `{shown}`",
            line,
            col - (offset - begin),
            len(shown),
            "a duration is a number with one of the units ms, s, m, h, d (`90s`, `1.5h`); "
            "separate a number from a name with a space",
        )
    clause = _CLAUSES.get(word) if _at_line_start(text, offset, word) else None
    if clause is None and token.type == "_NL":
        after = re.match(r"\s*([A-Za-z_]+)", text[offset:])
        if after and after.group(1) in _CLAUSES:
            word, clause = after.group(1), _CLAUSES[after.group(1)]
            at = offset + after.start(1)
            line = text.count("\n", 0, at) + 1
            col = at - text.rfind("\n", 0, at)
    if clause is not None:
        return diag(
            "WFC125",
            f"`{word}` must follow the `}}` that closes the {clause} before it, on the same line",
            line,
            col,
            hint=f"write `}} {word} ...`",
        )
    if word in ("async", "await") and set(exc.accepts or exc.expected) >= _EXPR_START:
        # `async` and `await` are .wf commands: what follows them is missing, or not an expression.
        if word == "async":
            what, hint = "a workflow call", "e.g. `h = async ship(order)`, then `r = await h`"
        else:
            what, hint = "a child's handle", "the handle is what `async` gave: `h = async ship(order)` ... `await h`"
        return diag("WFC120", f"`{word}` needs {what}", line, col, width, hint)
    if word in ("def", "class", "lambda", "pass", "from", "except", "with", "async", "await", "yield"):
        return diag(
            "WFC129", f"`{word}` is Python, not part of the .wf language", line, col, hint=_PY_HINTS[word]
        )
    if set(exc.accepts or exc.expected) == {"OF"} and word in ("all", "first"):
        return diag(
            "WFC136",
            f"`{word}` is a keyword (`{word} of (...)` runs commands in parallel)",
            line,
            col,
            hint=f"rename the variable `{word}`",
        )
    known = _example_table().get(_key(exc))
    if known is not None:
        code, message, known_hint = known
        return diag(code, message, line, col, width, known_hint)

    # 4. in words
    expected = expected_words(exc.accepts or exc.expected)
    return diag("WFC120", f"unexpected {token_words(token)}; expected {expected}", line, col, width)


_PY_HINTS = {
    "def": "declare a workflow with `workflow name(params) { ... }`; steps are imported from Python modules",
    "class": "define classes in a Python module and use them through its steps",
    "lambda": "functions cannot be defined in a .wf file; put the logic in a step",
    "pass": "an empty block is just `{}`",
    "from": "import a module with `import package.module as alias`",
    "except": "handle errors with `try { ... } catch ErrorType as e { ... }`",
    "with": "options go after a step call: `step(x) with retry(max_attempts = 3)`",
    "async": "steps may be async in Python; .wf workflows are never async",
    "await": "call a step as `result = step(args)`: the workflow waits for it",
    "yield": "call a step as `result = step(args)`: there is no `yield` in .wf files",
}


_CLAUSES = {"else": "`if` block", "elif": "`if` block", "catch": "`try` block", "finally": "`try` block"}


def _starts_declaration(token: Token) -> bool:
    return token.type in ("WORKFLOW", "IMPORT") or (
        token.type == "NAME" and token.value in ("workflow", "import") and token.column == 1
    )


def _at_line_start(text: str, offset: int, word: str) -> bool:
    """Whether ``word`` is the only thing on its line before ``offset``."""
    start = text.rfind("\n", 0, offset) + 1
    return bool(word) and text[start:offset].strip() == word


def _word_before(text: str, offset: int) -> str:
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*$", text[max(0, offset - 40) : offset])
    return m.group(1) if m else ""


def _end_position(text: str) -> tuple[int, int]:
    """Where "end of file" is shown: just after the last non-blank line (which has a caret snippet)."""
    lines = text.rstrip().split("\n")
    return len(lines), len(lines[-1]) + 1
