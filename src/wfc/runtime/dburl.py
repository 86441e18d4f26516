"""Database URLs as people may see them: :func:`redact` hides the password.

Everything that shows a database URL — the worker's banner, ``Runtime``/``Client`` reprs, error messages and
hints, ``status`` texts, logs — goes through :func:`redact`, so a ``postgresql://user:secret@host/db`` given with
``--db`` or ``WFC_DB`` never reaches a terminal, a log file or an error report. The password can be in the
userinfo (``user:secret@``, where it may itself contain ``@`` or ``:``) or in libpq's query parameter
(``?password=secret``, or ``password=secret`` in a libpq key=value string passed by mistake); both are replaced by ``***``. A URL that cannot even be parsed is redacted by the same
rule textually rather than shown as is.
"""

from __future__ import annotations

import re
import urllib.parse

_HIDDEN = "***"
# libpq's password parameter: in a URL's query (?password=...), or in a key=value string given by mistake
_QUERY_PASSWORD = re.compile(r"(?i)((?:^|[?&;\s])password\s*=\s*)('[^']*'?|[^&#;\s]*)")
# scheme://user:password@ — up to the last "@" (a password may contain "@", ":", or even "/", "?" or "#", which
# urllib then reads as the path or query). A host:port whose path has an "@" is hidden too: showing less of an odd
# URL is better than showing a password.
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@]*:)(.*)@")


def _textual(url: str) -> str:
    match = _USERINFO.match(url)
    if match is None:
        return url
    return match.group(1) + _HIDDEN + "@" + url[match.end() :]


def redact(url: str) -> str:
    """``url`` with its password replaced by ``***`` (``postgresql://user:***@host/db``); unchanged when it has
    none. Not a URL (not a ``str``): its ``str``, which names no password."""
    if not isinstance(url, str):
        return str(url)
    try:
        parsed = urllib.parse.urlsplit(url)
        userinfo, at, host = parsed.netloc.rpartition("@")
        if at and ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            parsed = parsed._replace(netloc=f"{user}:{_HIDDEN}@{host}")
        text = urllib.parse.urlunsplit(parsed) if at else _textual(url)
    except ValueError:  # e.g. an unbalanced "[" in the host: redact by the textual rule
        text = _textual(url)
    return _QUERY_PASSWORD.sub(lambda m: m.group(1) + _HIDDEN, text)


__all__ = ["redact"]
