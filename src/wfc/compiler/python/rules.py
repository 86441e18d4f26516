"""The determinism rule table that ``wfc check`` applies to workflow code (see ``docs/determinism.md``).

Everything the checker reports is described here as data: a stable code, the qualified names a rule matches,
the message (what is wrong) and the hint (what to write instead). The checker in ``determinism.py`` resolves
each name in the workflow to qualified candidates such as ``time.time`` or ``datetime.datetime.now`` and looks
them up here; rules without ``targets`` are structural (set iteration, ``global``, imports...) and the checker
finds them by ``name``.

Targets are ``fnmatch`` patterns over qualified names (``*`` also matches dots). An instance method is named
through its class: ``pathlib.Path.read_text`` matches ``Path("x").read_text()``. The first matching rule wins,
so a specific rule (``time.sleep``) comes before a general one of the same code (``time.*``).

Message and hint templates may use ``{what}`` (the offending code as written, e.g. ```t.time()```),
``{name}`` (the resolved qualified name) and ``{expr}`` (the source of the offending expression).
"""

from __future__ import annotations

import attrs

from wfc.errors import Severity


@attrs.frozen
class Rule:
    code: str
    name: str
    message: str
    hint: str
    targets: tuple[str, ...] = ()
    severity: Severity = Severity.ERROR


_REPEAT = "the value changes when this code runs again"
_STEP = "do it in a step (`@wfc.step`) and `yield` the call: a step's result is recorded once"

# Instance methods of pathlib paths that touch the file system (pure path arithmetic is not listed).
_PATH_IO = (
    "read_text", "read_bytes", "write_text", "write_bytes", "open", "exists", "is_file", "is_dir",
    "is_symlink", "iterdir", "glob", "rglob", "stat", "lstat", "unlink", "mkdir", "rmdir", "touch",
    "rename", "replace", "resolve", "samefile", "owner", "group", "readlink", "chmod", "symlink_to",
    "hardlink_to", "cwd", "home", "absolute", "expanduser",
)  # fmt: skip

RULES: tuple[Rule, ...] = (
    Rule(
        "WFC201",
        "sleep",
        "{what} blocks the process: a workflow must not wait in ordinary code",
        "write `yield from wfc.sleep(seconds)`: a durable timer that survives restarts and holds no thread",
        ("time.sleep",),
    ),
    Rule(
        "WFC201",
        "clock",
        "{what} reads the clock: " + _REPEAT,
        "use `wfc.now()`, the time recorded for this transition (the same every time it runs again)",
        ("time.*",),
    ),
    Rule(
        "WFC202",
        "datetime-now",
        "{what} reads the clock: " + _REPEAT,
        "use `wfc.now()`, the time recorded for this transition (the same every time it runs again)",
        (
            "datetime.datetime.now",
            "datetime.datetime.today",
            "datetime.datetime.utcnow",
            "datetime.date.today",
        ),
    ),
    Rule(
        "WFC203",
        "random",
        "{what} draws random numbers: " + _REPEAT,
        "use `wfc.random()` (recorded, so the same value comes back when this code runs again)",
        ("random.*", "os.urandom", "os.getrandom", "numpy.random.*"),
    ),
    Rule(
        "WFC204",
        "uuid",
        "{what} makes a new id each time: " + _REPEAT,
        "use `wfc.uuid4()` (recorded); `uuid.uuid5(namespace, name)` is also fine: it is deterministic",
        ("uuid.uuid1", "uuid.uuid4"),
    ),
    Rule(
        "WFC205",
        "environment",
        "{what} reads the process environment: it can differ on the machine that runs this code next",
        "pass the configuration as a workflow argument, or read it in a step",
        (
            "os.environ",
            "os.environ.*",
            "os._Environ",
            "os._Environ.*",
            "os.environb",
            "os.environb.*",
            "os.getenv",
            "os.getenvb",
            "os.putenv",
            "os.unsetenv",
            "os.getpid",
            "os.getppid",
            "os.getlogin",
            "sys.argv",
            "sys.argv.*",
        ),
    ),
    Rule(
        "WFC206",
        "io",
        "{what} does file or console I/O: it runs again, or sees other data, each time this code runs",
        _STEP,
        (
            "builtins.open",
            "builtins.input",
            "io.open",
            "io.open_code",
            "io.FileIO",
            "os.open",
            "os.read",
            "os.write",
            "os.listdir",
            "os.scandir",
            "os.stat",
            "os.lstat",
            "os.walk",
            "os.fwalk",
            "os.remove",
            "os.unlink",
            "os.rename",
            "os.renames",
            "os.replace",
            "os.mkdir",
            "os.makedirs",
            "os.rmdir",
            "os.removedirs",
            "os.chdir",
            "os.getcwd",
            "os.truncate",
            "os.link",
            "os.symlink",
            "os.chmod",
            "os.chown",
            "os.utime",
            "os.access",
            "os.path.exists",
            "os.path.lexists",
            "os.path.isfile",
            "os.path.isdir",
            "os.path.islink",
            "os.path.ismount",
            "os.path.getsize",
            "os.path.getmtime",
            "os.path.getatime",
            "os.path.getctime",
            "os.path.samefile",
            "os.path.realpath",
            "os.path.abspath",
            "os.path.expanduser",
            "shutil.*",
            "glob.*",
            "tempfile.*",
            "fileinput.*",
            "sqlite3.*",
            *(f"pathlib.*Path.{method}" for method in _PATH_IO),
        ),
    ),
    Rule(
        "WFC207",
        "print",
        "{what} writes to the console: it prints again each time this code runs",
        "use `wfc.log.info(...)`, the workflow logger, which logs each message once",
        (
            "builtins.print",
            "sys.stdout.write",
            "sys.stdout.writelines",
            "sys.stderr.write",
            "sys.stderr.writelines",
            "sys.stdout.buffer.write",
            "sys.stderr.buffer.write",
        ),
    ),
    Rule(
        "WFC208",
        "network",
        "{what} talks to another process or the network: it runs again each time this code runs",
        _STEP,
        (
            "subprocess.*",
            "socket.*",
            "ssl.*",
            "urllib.request.*",
            "http.client.*",
            "requests.*",
            "httpx.*",
            "aiohttp.*",
            "urllib3.*",
            "smtplib.*",
            "ftplib.*",
            "os.system",
            "os.popen",
            "os.exec*",
            "os.spawn*",
            "os.fork",
            "os.kill",
        ),
    ),
    Rule(
        "WFC209",
        "concurrency",
        "{what} starts threads, processes or an event loop inside the workflow: the runtime cannot "
        "record or resume them",
        "run work in parallel with `yield from wfc.all_of(step_a(x), step_b(y))`; run blocking work in a step",
        ("threading.*", "_thread.*", "asyncio.*", "multiprocessing.*", "concurrent.futures.*"),
    ),
    Rule(
        "WFC210",
        "set-iteration",
        "iterating over the set `{expr}`: the order of a set of strings changes from one process to "
        "the next (hash randomization), so this code can take another path when it runs again",
        "iterate `sorted({expr})` instead",
    ),
    Rule(
        "WFC210",
        "set-pop",
        "`{expr}` takes an arbitrary element of a set: which one changes from one process to the next",
        "take `min(...)` or the first of `sorted(...)` instead",
    ),
    Rule(
        "WFC211",
        "identity",
        "{what} depends on memory addresses or per-process hash randomization: " + _REPEAT,
        "use a stable key: a field of the value, or `hashlib.sha256(...)` of its serialized form",
        ("builtins.id", "builtins.hash"),
    ),
    Rule(
        "WFC212",
        "global",
        "`{expr}` shares state with the process: the value is not persisted, it is lost on restart and "
        "changes again when this code runs again",
        "pass values in as arguments and out as return values; keep workflow state in local variables",
    ),
    Rule(
        "WFC213",
        "import",
        "`{expr}` inside workflow code: importing runs module code at run time and hides the names "
        "from `wfc check`",
        "import at module level",
    ),
    Rule(
        "WFC214",
        "unseen-call",
        "{what} calls `{name}`, whose code `wfc check` cannot see: if it reads the clock, randomness, "
        "files or the network, this workflow is not repeatable",
        "if it is pure, silence this line with `# wfc: ignore[WFC214]`; otherwise " + _STEP,
        severity=Severity.WARNING,
    ),
    Rule(
        "WFC214",
        "undefined-call",
        "{what} calls a name that is not defined (not a local, a module global or a builtin), so "
        "`wfc check` cannot see what it does",
        "define or import it at module level before the workflow is checked",
        severity=Severity.WARNING,
    ),
    Rule(
        "WFC215",
        "unyielded-command",
        "`{expr}` builds a command but nothing runs it: the result is thrown away",
        "write `yield from {expr}`: calling a step only builds the command, `yield from` runs it",
    ),
    Rule(
        "WFC217",
        "stored-command",
        "`{name} = {expr}` keeps a command that nothing runs: `{name}` is never yielded or passed on, so the "
        "step does not run and `{name}` is not its result",
        "write `{name} = yield from {expr}` to run it and get its result",
    ),
    Rule(
        "WFC216",
        "secrets",
        "{what} draws secure random values: " + _REPEAT,
        "use `wfc.random()` / `wfc.uuid4()`, or make the secret in a step so its result is recorded",
        ("secrets.*",),
    ),
)

RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}

# Modules whose functions are pure (or only read their arguments): calling them is not a WFC214 warning. A
# name matches when it is the module or inside it. Clock readers in `datetime` and `uuid1/uuid4` are caught by
# the rules above first.
PURE_MODULES: tuple[str, ...] = (
    "builtins",
    "math",
    "cmath",
    "json",
    "re",
    "itertools",
    "functools",
    "operator",
    "string",
    "decimal",
    "fractions",
    "statistics",
    "collections",
    "copy",
    "textwrap",
    "base64",
    "binascii",
    "hashlib",
    "hmac",
    "enum",
    "dataclasses",
    "typing",
    "datetime",
    "zoneinfo",
    "uuid",
    "bisect",
    "heapq",
    "struct",
    "unicodedata",
    "urllib.parse",
    "html",
    "shlex",
    "difflib",
    "ipaddress",
    "os.path",
    "wfc",
    # The exception being handled is part of the workflow's state (re-established on resume), so reading it
    # repeats: the traceback module only formats exceptions (its print_* functions write to stderr, like print).
    "sys.exc_info",
    "sys.exception",
    "traceback.format_exc",
    "traceback.format_exception",
    "traceback.format_exception_only",
    "attrs",
    "attr",
    "cattrs",
)

# The implementation modules some objects report in ``__module__``, mapped to the public name users import.
MODULE_ALIASES: dict[str, str] = {
    "posixpath": "os.path",
    "ntpath": "os.path",
    "genericpath": "os.path",
    "posix": "os",
    "nt": "os",
    "_io": "io",
    "_socket": "socket",
    "_thread": "threading",
    "_random": "random",
    "_datetime": "datetime",
    "_pydatetime": "datetime",
    "_asyncio": "asyncio",
    "_posixsubprocess": "subprocess",
    "_collections": "collections",
    "_functools": "functools",
    "_operator": "operator",
    "_json": "json",
    "_decimal": "decimal",
    "_pydecimal": "decimal",
    "_sha256": "hashlib",
    "_hashlib": "hashlib",
    "_bisect": "bisect",
    "_heapq": "heapq",
    "_struct": "struct",
    "_sre": "re",
    "_string": "string",
    "_uuid": "uuid",
    "_statistics": "statistics",
}

# Commands a workflow must `yield` (WFC215), besides calls to steps and workflows.
COMMAND_FACTORIES: tuple[str, ...] = (
    "wfc.sleep",
    "wfc.sleep_until",
    "wfc.wait_event",
    "wfc.all_of",
    "wfc.any_of",
    "wfc.start_child",
    "wfc.join",
    "wfc.commands.sleep",
    "wfc.commands.sleep_until",
    "wfc.commands.wait_event",
    "wfc.commands.all_of",
    "wfc.commands.any_of",
    "wfc.commands.start_child",
    "wfc.commands.join",
)

# Types whose instances are sets, and annotations that declare a set (WFC210).
SET_TYPES: tuple[str, ...] = (
    "builtins.set",
    "builtins.frozenset",
    "typing.Set",
    "typing.FrozenSet",
    "typing.AbstractSet",
    "typing.MutableSet",
    "collections.abc.Set",
    "collections.abc.MutableSet",
)

# Methods of a set that return a set, of a path that return a path, and the path types (for type inference).
SET_RETURNING_METHODS = frozenset({"union", "intersection", "difference", "symmetric_difference", "copy"})
PATH_RETURNING_METHODS = frozenset({"joinpath", "with_name", "with_suffix", "with_stem", "relative_to"})
PATH_TYPES = frozenset({"pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath"})

# Consumers whose result does not depend on the order they see the items in: `sorted(x for x in s)` is fine.
ORDER_FREE_CONSUMERS: tuple[str, ...] = (
    "builtins.sorted",
    "builtins.set",
    "builtins.frozenset",
    "builtins.len",
    "builtins.min",
    "builtins.max",
    "builtins.sum",
    "builtins.any",
    "builtins.all",
    "math.fsum",
    "math.prod",
)

# Callables that iterate their arguments in order (WFC210 when one is a set); `None` means every argument.
ORDERED_CONSUMERS: dict[str, tuple[int, ...] | None] = {
    "builtins.list": (0,),
    "builtins.tuple": (0,),
    "builtins.enumerate": (0,),
    "builtins.iter": (0,),
    "builtins.reversed": (0,),
    "builtins.dict": (0,),
    "builtins.bytes": (0,),
    "builtins.bytearray": (0,),
    "builtins.zip": None,
    "builtins.map": None,
    "builtins.filter": (1,),
    "builtins.dict.fromkeys": (0,),
    "collections.deque": (0,),
    "collections.OrderedDict": (0,),
    "collections.OrderedDict.fromkeys": (0,),
    "itertools.*": None,
    "functools.reduce": (1,),
}

# Methods that iterate their first argument in order, whatever they are called on: `", ".join(s)`.
ORDERED_METHODS: tuple[str, ...] = ("join", "extend", "fromkeys", "writelines")
