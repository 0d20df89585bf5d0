"""The SQL scanner: where a query's code ends, its bind names, and files of comments only."""

import pytest

from core.sqltext import bind_names, masked, only_comments, spans, statement


@pytest.mark.parametrize(("kind", "sql", "body"), [
    (None, "SELECT a FROM t", "SELECT a FROM t"),
    (None, "SELECT a FROM t;", "SELECT a FROM t"),
    (None, "SELECT a FROM t ; ;\n", "SELECT a FROM t"),
    (None, "SELECT a FROM t; -- done", "SELECT a FROM t"),
    (None, "SELECT a FROM t -- done;", "SELECT a FROM t"),
    (None, "SELECT a FROM t /* the end */", "SELECT a FROM t"),
    (None, "SELECT a FROM t; /* one */ -- two\n/* three */;", "SELECT a FROM t"),
    (None, "SELECT a FROM t LIMIT 2 -- two", "SELECT a FROM t LIMIT 2"),
    (None, "-- wells\nSELECT a -- the id\nFROM t\n-- end", "-- wells\nSELECT a -- the id\nFROM t"),
    (None, "SELECT 'a;-- not a comment'", "SELECT 'a;-- not a comment'"),
    (None, "SELECT 'it''s' -- x", "SELECT 'it''s'"),
    (None, 'SELECT "a;b" AS x -- y', 'SELECT "a;b" AS x'),
    (None, "SELECT 'open -- literal", "SELECT 'open -- literal"),  # left for the database
    (None, "SELECT 1 /* open comment", "SELECT 1 /* open comment"),
    ("mysql", "SELECT a FROM t # done", "SELECT a FROM t"),
    ("mysql", "SELECT a FROM t; # done", "SELECT a FROM t"),
    ("mysql", "SELECT 'it\\'s' # x", "SELECT 'it\\'s'"),
    ("mysql", 'SELECT "a\\"b;" # x', 'SELECT "a\\"b;"'),
    ("mysql", "SELECT 5 --1", "SELECT 5 --1"),  # minus minus one, not a comment
    ("mysql", "SELECT `a;b` FROM t -- c", "SELECT `a;b` FROM t"),
    ("mysql", "SELECT 1 /*!50000 AS one */", "SELECT 1 /*!50000 AS one */"),
    ("postgres", "SELECT '#' AS a # x", "SELECT '#' AS a # x"),  # '#' is an operator
    ("postgres", "SELECT $$a;--$$ -- x", "SELECT $$a;--$$"),
    ("postgres", "SELECT $fn$ it's $$ $fn$; -- x", "SELECT $fn$ it's $$ $fn$"),
    ("postgres", "SELECT E'it\\'s' -- x", "SELECT E'it\\'s'"),
    ("postgres", "SELECT 'a\\' -- x", "SELECT 'a\\'"),  # standard strings: \ is a character
    ("postgres", "SELECT 1 /* a /* nested */ still */", "SELECT 1"),
    ("postgres", "SELECT $1 -- x", "SELECT $1"),
    ("sqlite", "SELECT [a;b] FROM t -- c", "SELECT [a;b] FROM t"),
    ("sqlserver", "SELECT [a]]--b] FROM t; -- c", "SELECT [a]]--b] FROM t"),
])
def test_statement_ends_where_the_code_ends(kind, sql, body):
    assert statement(sql, kind) == body


@pytest.mark.parametrize(("kind", "sql"), [
    (None, ""), (None, "  ;\n"), (None, "-- nothing yet"), (None, "/* TODO */;"),
    (None, "-- a\n-- b\n/* c */\n;"), ("mysql", "# nothing"), ("postgres", "/* a /* b */ */"),
])
def test_files_of_comments_only(kind, sql):
    assert only_comments(sql, kind)


@pytest.mark.parametrize(("kind", "sql"), [
    (None, "SELECT 1"), (None, "'x'"), ("postgres", "# x"), ("mysql", "/*! SELECT 1 */"),
    ("mysql", "-- x\n--1"),
])
def test_files_with_code(kind, sql):
    assert not only_comments(sql, kind)


@pytest.mark.parametrize(("kind", "sql", "names"), [
    (None, "SELECT a FROM t WHERE d > :since", {"since"}),
    (None, "WHERE d > :since AND e < :until OR f = :since", {"since", "until"}),
    (None, "WHERE a = ':not' -- :nor\n/* :neither */", set()),
    ("postgres", "SELECT a::text, b::numeric(10, 2) FROM t WHERE c > :since", {"since"}),
    ("postgres", "SELECT $$ :no $$, E'\\' :no'", set()),
    ("mysql", "SELECT @n := 1, :since", {"since"}),
    ("mysql", "SELECT 'a\\' :no' # :no", set()),
    (None, "SELECT '12:30' AS t, x:y, \\:esc", set()),
    (None, "SELECT :_private, :α1", {"_private", "α1"}),
    (None, "SELECT :1", set()),
])
def test_bind_names(kind, sql, names):
    assert bind_names(sql, kind) == names


def test_masked_keeps_length_and_code():
    sql = "SELECT 'x' /* c */ FROM t -- d\nLIMIT 5"

    blank = masked(sql)

    assert len(blank) == len(sql)
    assert blank == "SELECT " + " " * len("'x' /* c */") + " FROM t " + " " * len("-- d") \
        + "\nLIMIT 5"


def test_spans_cover_the_text_in_order():
    sql = "SELECT 'a' -- b\n/* c */ x"

    pieces = spans(sql)

    assert [k for k, _, _ in pieces] == ["code", "literal", "code", "comment", "code", "comment",
                                         "code"]
    assert "".join(sql[s:e] for _, s, e in pieces) == sql
