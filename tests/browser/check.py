"""Checks the DOM chromium rendered of serve's page (tests/browser/run.sh)."""
import re
import sys
from html.parser import HTMLParser

dom_path, *logs, png = sys.argv[1:]
dom = open(dom_path, encoding="utf-8").read()
failed = []


def check(ok, what):
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
# The browser's own log: a CSP violation, a failed load or a script error shows there.
bad = re.compile(r"CONSOLE|Refused to|Content Security Policy|Uncaught|Failed to load resource|net::ERR_")
for log in logs:
    lines = [l for l in open(log, encoding="utf-8", errors="replace") if bad.search(l)]
    check(not lines, f"no page error in {log.rsplit('/', 1)[-1]}: {lines[:3]}")
with open(png, "rb") as f:
    head = f.read(8)
check(head == b"\x89PNG\r\n\x1a\n", f"screenshot written: {png}")
print("browser: " + ("all passed" if not failed else f"{len(failed)} failed"))
sys.exit(1 if failed else 0)
