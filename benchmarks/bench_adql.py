"""Benchmark of the ADQL translator on the ESO ObsCore queries (X1_obscore_eso.xml).

Usage::

    .venv/bin/python benchmarks/bench_adql.py [--repeat 200] [--compare-lark]

For every query: median and p99 of parse+validate+translate (``translate``) when all its
tables and functions exist here, else of ``parse`` alone (ESO-only tables/UDFs).
``--compare-lark`` (needs ``pip install lark``, not a soxsvo dependency) also times a lark LALR
prototype of the same grammar subset (the
measurement that chose the hand-written parser, see docs/adql.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from soxsvo.adql import ADQLError, parse, translate
from soxsvo.db.metadata import published_tables

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "adql"
X1 = CORPUS / "ivoa" / "X1_obscore_eso.xml"

_KEYWORDS = (
    "SELECT|FROM|WHERE|GROUP|ORDER|HAVING|AS|AND|OR|NOT|JOIN|LEFT|ON|BY|IN|"
    "IS|BETWEEN|LIKE|ILIKE|ASC|DESC|UNION|OFFSET|USING|INNER|RIGHT|FULL|"
    "OUTER|EXCEPT|INTERSECT|DISTINCT|TOP|NULL|EXISTS|ALL"
)
LARK_GRAMMAR = r"""
?start: query
query: select (_SETOP select)*
_SETOP: /UNION|EXCEPT|INTERSECT/i
select: SELECT quant? top? items FROM from_ where? group? having? order? offset?
quant: DISTINCT | ALL
top: TOP INT
items: item ("," item)*
item: "*" | NAME "." "*" | expr (AS? NAME)?
from_: tref ("," tref)*
tref: tprim (join)*
join: (LEFT|RIGHT|FULL|INNER)? OUTER? JOIN tprim (ON cond | USING "(" NAME ("," NAME)* ")")?
tprim: dotted (AS? NAME)? | "(" query ")" AS? NAME | "(" tref ")"
where: WHERE cond
group: GROUP BY expr ("," expr)*
having: HAVING cond
order: ORDER BY oitem ("," oitem)*
oitem: expr (ASC|DESC)?
offset: OFFSET INT
?cond: cond OR cterm | cterm
?cterm: cterm AND cfac | cfac
?cfac: NOT cfac | pred
?pred: expr COMP expr | expr NOT? BETWEEN expr AND expr | expr NOT? LIKE expr
     | expr NOT? IN "(" (query | expr ("," expr)*) ")" | expr IS NOT? NULL
     | EXISTS "(" query ")" | "(" cond ")"
?expr: expr ADDOP term | term
?term: term MULOP factor | factor
?factor: "-" factor | "+" factor | prim
?prim: NUMBER | STRING | NULL | dotted | func | "(" expr ")"
func: NAME "(" (DISTINCT? (expr ("," expr)* | "*"))? ")"
dotted: NAME ("." NAME)*
COMP: "<>" | "!=" | "<=" | ">=" | "=" | "<" | ">"
ADDOP: "+" | "-" | "||"
MULOP: "*" | "/"
NUMBER: /(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/
INT: /\d+/
STRING: /'([^']|'')*'/
SELECT: /SELECT\b/i
DISTINCT: /DISTINCT\b/i
ALL: /ALL\b/i
TOP: /TOP\b/i
FROM: /FROM\b/i
WHERE: /WHERE\b/i
GROUP: /GROUP\b/i
BY: /BY\b/i
HAVING: /HAVING\b/i
ORDER: /ORDER\b/i
OFFSET: /OFFSET\b/i
AS: /AS\b/i
ASC: /ASC\b/i
DESC: /DESC\b/i
JOIN: /JOIN\b/i
LEFT: /LEFT\b/i
RIGHT: /RIGHT\b/i
FULL: /FULL\b/i
INNER: /INNER\b/i
OUTER: /OUTER\b/i
ON: /ON\b/i
USING: /USING\b/i
AND: /AND\b/i
OR: /OR\b/i
NOT: /NOT\b/i
BETWEEN: /BETWEEN\b/i
LIKE: /I?LIKE\b/i
IN: /IN\b/i
IS: /IS\b/i
NULL: /NULL\b/i
EXISTS: /EXISTS\b/i
COMMENT: /--[^\n]*/
%import common.WS
%ignore WS
%ignore COMMENT
""" + (
    rf"NAME: /(?!({_KEYWORDS})\b)[A-Za-z][A-Za-z0-9_]*/i" + r' | /"([^"]|"")+"/' + "\n"
)


def load_queries() -> list[tuple[str, str]]:
    """(label, ADQL) of every query of X1_obscore_eso.xml."""
    root = ET.parse(X1).getroot()
    out = []
    for query in root.iter("query"):
        label = (query.findtext("description") or "").split(":")[0].strip()[:28]
        out.append((label, query.find("adql").text))
    return out


def timings(fn, repeat: int) -> tuple[float, float]:
    """Median and p99 (milliseconds) of ``repeat`` calls of ``fn``."""
    fn()  # warm caches
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.99 * len(samples)))]


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--repeat", type=int, default=200)
    args.add_argument("--compare-lark", action="store_true")
    opts = args.parse_args(argv)
    if not X1.is_file():
        print(f"corpus not found: {X1}", file=sys.stderr)
        return 1
    tables = published_tables()
    lark_parser = None
    if opts.compare_lark:
        from lark import Lark

        lark_parser = Lark(LARK_GRAMMAR, parser="lalr", maybe_placeholders=False)
    print(f"{'query':30} {'mode':10} {'median ms':>10} {'p99 ms':>8}"
          + ("  lark median ms" if lark_parser else ""))
    medians, ours, larks = [], [], []
    for label, adql in load_queries():
        try:
            translate(adql, tables)
            mode, fn = "translate", (lambda a=adql: translate(a, tables))
        except ADQLError:
            mode, fn = "parse", (lambda a=adql: parse(a, ("eso_intersection", "eso_dateadd_sec")))
        med, p99 = timings(fn, opts.repeat)
        medians.append(med)
        extra = ""
        if lark_parser is not None:
            pmed, _ = timings(lambda a=adql: parse(a, ("eso_intersection", "eso_dateadd_sec")),
                              opts.repeat)
            try:
                lmed, _ = timings(lambda a=adql: lark_parser.parse(a), opts.repeat)
                ours.append(pmed)
                larks.append(lmed)
                extra = f"  {lmed:14.3f} (ours parse {pmed:.3f})"
            except Exception:  # noqa: BLE001 - the prototype grammar covers a subset only
                extra = "  (outside the lark prototype's subset)"
        print(f"{label:30} {mode:10} {med:10.3f} {p99:8.3f}{extra}")
    print(f"overall median of medians: {statistics.median(medians):.3f} ms; "
          f"max median {max(medians):.3f} ms")
    if larks:
        print(f"parse only, {len(larks)} queries: ours {statistics.median(ours):.3f} ms, "
              f"lark LALR {statistics.median(larks):.3f} ms (medians)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
