"""SQL text as the database reads it: string literals, quoted names, comments and semicolons.

A small scanner, not a parser. It knows each dialect's quoting and comments well enough to say
where a query's code ends (so that a LIMIT can follow it whatever comments and semicolons close
the file), which `:name` bind parameters the query uses, and whether a file holds any code:

- literals: '...' with '' (MySQL also \\'), "..." and `...` with doubled quotes (MySQL also
  backslashes in "..."), [...] names in SQLite and SQL Server, PostgreSQL's E'...' with
  backslashes and $tag$...$tag$ dollar quotes;
- comments: `--` to the end of the line (MySQL: only when a space follows), `#` in MySQL, and
  /* ... */ (nested in PostgreSQL and SQL Server; MySQL's /*! ... */ and /*+ ... */ are code).

A literal or comment left open runs to the end of the text and counts as code, so nothing the
database would complain about is hidden from it.
"""

import re
from dataclasses import dataclass

CODE, LITERAL, COMMENT = "code", "literal", "comment"


@dataclass(frozen=True)
class Dialect:
    """What one database's SQL text allows (the scanner's rules)."""

    hash_comments: bool = False  # MySQL: '#' starts a line comment
    dash_comment_needs_space: bool = False  # MySQL: '--' is a comment only before a space
    backslash_escapes: bool = False  # MySQL: \' and \" inside quotes
    nested_comments: bool = False  # PostgreSQL, SQL Server: /* /* */ */
    code_comments: bool = False  # MySQL: /*! ... */ and /*+ ... */ are read as code
    dollar_quotes: bool = False  # PostgreSQL: $$...$$, $tag$...$tag$
    escape_strings: bool = False  # PostgreSQL: E'...' with backslash escapes
    brackets: bool = False  # SQLite, SQL Server: [quoted name]


DIALECTS = {
    "mysql": Dialect(hash_comments=True, dash_comment_needs_space=True, backslash_escapes=True,
                     code_comments=True),
    "postgres": Dialect(nested_comments=True, dollar_quotes=True, escape_strings=True),
    "sqlite": Dialect(brackets=True),
    "sqlserver": Dialect(nested_comments=True, brackets=True),
}
STANDARD = Dialect()

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\x80-\uffff][A-Za-z0-9_\x80-\uffff]*)?\$")
# `:name`, but not a PostgreSQL `::cast`, a `word:name` or an escaped `\:name`
_BIND = re.compile(r"(?<![:\w\\]):([^\W\d]\w*)(?!:)")
_TRAILING = " \t\r\n\f\v;"


def dialect_for(kind: str | None) -> Dialect:
    """The scanner rules for a connection type (mysql, postgres, sqlite, sqlserver)."""
    return DIALECTS.get(kind or "", STANDARD)


def spans(sql: str, kind: str | None = None) -> list[tuple[str, int, int]]:
    """The text cut into (CODE | LITERAL | COMMENT, start, end) pieces, in order."""
    rules = dialect_for(kind)
    pieces: list[tuple[str, int, int]] = []
    code_from = i = 0
    n = len(sql)
    while i < n:
        found = _special(sql, i, rules)
        if found is None:
            i += 1
            continue
        what, end = found
        end = min(end, n)
        if what is None:  # MySQL's /*! or /*+: code that looks like a comment
            i = end
            continue
        if i > code_from:
            pieces.append((CODE, code_from, i))
        pieces.append((what, i, end))
        i = code_from = end
    if code_from < n:
        pieces.append((CODE, code_from, n))
    return pieces


def _special(sql: str, i: int, rules: Dialect) -> tuple[str | None, int] | None:
    """What starts at `i` when it is a literal or comment: (kind, end); None for plain code."""
    c = sql[i]
    if c in "'\"`" or (c == "[" and rules.brackets):
        closing = "]" if c == "[" else c
        escapes = rules.backslash_escapes and c != "`"
        return _closed(LITERAL, _quote_end(sql, i + 1, closing, escapes))
    if c == "-" and sql.startswith("--", i):
        after = sql[i + 2:i + 3]
        if not rules.dash_comment_needs_space or not after or after.isspace():
            return COMMENT, _line_end(sql, i)
    elif c == "#" and rules.hash_comments:
        return COMMENT, _line_end(sql, i)
    elif c == "/" and sql.startswith("/*", i):
        if rules.code_comments and sql[i + 2:i + 3] in ("!", "+"):
            return None, i + 3
        return _closed(COMMENT, _comment_end(sql, i, rules.nested_comments))
    elif c == "$" and rules.dollar_quotes and not _in_word(sql, i):
        tag = _DOLLAR_TAG.match(sql, i)
        if tag:
            close = sql.find(tag.group(), tag.end())
            return _closed(LITERAL, -1 if close < 0 else close + len(tag.group()))
    elif c in "eE" and rules.escape_strings and sql.startswith("'", i + 1) \
            and not _in_word(sql, i):
        return _closed(LITERAL, _quote_end(sql, i + 2, "'", True))
    return None


def _closed(kind: str, end: int) -> tuple[str, int]:
    """An unterminated literal or comment runs to the end and counts as code."""
    return (kind, end) if end >= 0 else (CODE, 1 << 62)  # clipped to the text by spans()


def _in_word(sql: str, i: int) -> bool:
    return i > 0 and (sql[i - 1].isalnum() or sql[i - 1] in "_$")


def _quote_end(sql: str, i: int, closing: str, escapes: bool) -> int:
    """The index after the closing quote (a doubled quote is part of the text), or -1."""
    n = len(sql)
    while i < n:
        c = sql[i]
        if escapes and c == "\\":
            i += 2
        elif c == closing:
            if sql.startswith(closing, i + 1):
                i += 2
            else:
                return i + 1
        else:
            i += 1
    return -1


def _line_end(sql: str, i: int) -> int:
    end = sql.find("\n", i)
    return len(sql) if end < 0 else end


def _comment_end(sql: str, i: int, nested: bool) -> int:
    depth, i = 1, i + 2
    while depth:
        close = sql.find("*/", i)
        if close < 0:
            return -1
        opened = sql.find("/*", i, close) if nested else -1
        if opened >= 0:
            depth, i = depth + 1, opened + 2
        else:
            depth, i = depth - 1, close + 2
    return i


def statement(sql: str, kind: str | None = None) -> str:
    """The query without the comments, semicolons and white space that close it, so that SQL
    can follow it: `SELECT a FROM t; -- done` gives `SELECT a FROM t`."""
    end = 0
    for what, start, stop in reversed(spans(sql, kind)):
        if what == COMMENT:
            continue
        if what == LITERAL:
            end = stop
            break
        kept = sql[start:stop].rstrip(_TRAILING)
        if kept:
            end = start + len(kept)
            break
    return sql[:end].strip()


def masked(sql: str, kind: str | None = None) -> str:
    """The text with every literal and comment blanked out (same length), so that patterns
    looking at the code cannot be fooled by a `LIMIT 5` or a `:name` inside a string."""
    parts = []
    for what, start, stop in spans(sql, kind):
        text = sql[start:stop]
        parts.append(text if what == CODE else re.sub(r"[^\n]", " ", text))
    return "".join(parts)


def bind_names(sql: str, kind: str | None = None) -> set[str]:
    """The `:name` bind parameters of the query, outside literals and comments (a PostgreSQL
    `::type` cast, MySQL's `:=` and `a:b` are none)."""
    return set(_BIND.findall(masked(sql, kind)))


def only_comments(sql: str, kind: str | None = None) -> bool:
    """True when the text holds no code at all: nothing but comments, blanks and semicolons."""
    return not statement(sql, kind)


__all__ = ["DIALECTS", "Dialect", "bind_names", "dialect_for", "masked", "only_comments",
           "spans", "statement"]
