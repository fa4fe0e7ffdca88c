"""Checks the DOM chromium rendered of serve's page (tests/browser/run.sh).

check.py DOM LOG... PNG         the refused scenario, in detail, with its screenshot
check.py --any NAME DOM LOG     any scenario: the page rendered whole, without an error; one
                                line, PASS or FAIL, with the verdict and the address count
"""
import re
import sys
from html.parser import HTMLParser

STATUSES = {"ok", "lame", "unreachable", "flaky", "inconsistent", "bogus", "untested"}
VERDICTS = {"ok", "degraded", "broken", "unknown"}
# The browser's own log: a CSP violation, a failed load or a script error shows there.
BAD_LOG = re.compile(r"CONSOLE|Refused to|Content Security Policy|Uncaught|Failed to load resource|net::ERR_")
failed = []


def check(ok, what, quiet=False):
    if not quiet:
        print(("PASS " if ok else "FAIL ") + what)
    if not ok:
        failed.append(what)


class Addresses(HTMLParser):
    """The address nodes of the SVG: (data-status, tooltip text)."""

    def __init__(self):
        super().__init__()
        self.nodes, self.in_title, self.svg = [], False, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svg += 1
        if tag == "g" and a.get("class") == "address":
            self.nodes.append([a.get("data-status"), ""])
        if tag == "title" and self.nodes and self.nodes[-1][1] == "":
            self.in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.nodes[-1][1] += data


def log_errors(log):
    return [l.strip() for l in open(log, encoding="utf-8", errors="replace") if BAD_LOG.search(l)]


def any_scenario(name, dom_path, log):
    """One scenario's fresh trace: one SVG with address nodes of known statuses, a verdict, a
    headline, the report after the (closed) progress list, no error on the page or in the log."""
    dom = open(dom_path, encoding="utf-8").read()
    p = Addresses()
    p.feed(dom)
    q = lambda ok, what: check(ok, what, quiet=True)
    q(p.svg == 1, f"one inline SVG ({p.svg})")
    q(len(p.nodes) >= 1, "address nodes in the SVG")
    odd = sorted({n[0] for n in p.nodes} - STATUSES)
    q(not odd, f"unknown data-status {odd}")
    q(all(n[1].strip() for n in p.nodes), "every address node has its evidence as a tooltip")
    verdict = re.search(r'<h2 id="headline"><span class="verdict (\w+)">', dom)
    q(bool(verdict) and verdict.group(1) in VERDICTS, "a verdict in the headline")
    headline = re.search(r'<p class="headline">(.+?)</p>', dom, re.S)
    q(bool(headline), "a headline")
    q('role="alert"' not in dom, "no error on the page")
    q(dom.find('class="progress"') < dom.find('<div class="report">'), "the report after the progress list")
    q(dom.rstrip().endswith("</html>"), "the whole document")
    bad = log_errors(log)
    q(not bad, f"browser log: {bad[:2]}")
    report = dom[dom.find('<div class="report">'):]
    summary = f"{name}: {verdict.group(1) if verdict else '?'}, {len(p.nodes)} addresses, report {len(report) // 1024} KiB"
    print(("PASS " if not failed else "FAIL ") + summary + ("" if not failed else ": " + "; ".join(failed)))
    sys.exit(1 if failed else 0)


if sys.argv[1] == "--any":
    any_scenario(*sys.argv[2:5])

dom_path, *logs, png = sys.argv[1:]
dom = open(dom_path, encoding="utf-8").read()
p = Addresses()
p.feed(dom)
check(p.svg == 1, f"the page holds one inline SVG ({p.svg})")
lame = [n for n in p.nodes if n[0] == "lame"]
check(len(p.nodes) > 10, f"the SVG has the tree's addresses ({len(p.nodes)})")
check(len(lame) == 1 and lame[0][1].startswith("ns2.isp.example. "),
      f"ns2's address is lame: {lame}")
check(all(n[0] in ("lame", "ok") for n in p.nodes), "every other address is ok")
headline = re.search(r'<p class="headline">(.*?)</p>', dom, re.S)
check(bool(headline) and "ns2.isp.example." in headline.group(1)
      and "refuses queries for 113.0.203.in-addr.arpa." in headline.group(1),
      "the headline names the server and what it does")
check('<label for="target">' in dom and 'id="target"' in dom, "the form's input has a label")
check('data-kind="lame"' in dom, "the findings list the lame server (the graph's text alternative)")
for log in logs:
    lines = log_errors(log)
    check(not lines, f"no page error in {log.rsplit('/', 1)[-1]}: {lines[:3]}")
with open(png, "rb") as f:
    head = f.read(8)
check(head == b"\x89PNG\r\n\x1a\n", f"screenshot written: {png}")
print("browser: " + ("all passed" if not failed else f"{len(failed)} failed"))
sys.exit(1 if failed else 0)
