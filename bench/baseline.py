#!/usr/bin/env python3
"""The scraper a user would otherwise write: requests + BeautifulSoup(lxml) + feedgen.

Walks the listing pages through `a.next.page-numbers`, fetches the articles with a thread
pool of 8, extracts title, date and body, and writes an RSS 2.0 file of the newest ITEMS.
It holds every article in memory, as such scripts do.

Usage: baseline.py START_URL --pages N --items K --out feed.rss
"""

import argparse
import concurrent.futures
import threading
from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup
from dateutil import parser as dateparser
from feedgen.feed import FeedGenerator

_local = threading.local()


def session():
    # One session per thread: requests.Session is not documented as thread-safe.
    if not hasattr(_local, "s"):
        _local.s = requests.Session()
        _local.s.headers["User-Agent"] = "baseline/1.0"
    return _local.s


def fetch_article(url):
    r = session().get(url, timeout=30)
    r.raise_for_status()
    soup = BeautifulSoup(r.content, "lxml")
    title = soup.select_one("h1.entry-title").get_text(strip=True)
    t = soup.select_one("time.entry-date.published")
    published = dateparser.isoparse(t["datetime"]) if t and t.has_attr("datetime") else None
    content = soup.select_one("div.entry-content")
    for junk in content.select(".sharedaddy, .jp-relatedposts, script, style"):
        junk.decompose()
    return {"url": url, "title": title, "published": published, "html": content.decode_contents()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("start")
    ap.add_argument("--pages", type=int, default=5)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--out", default="baseline.rss")
    a = ap.parse_args()

    links = []
    url = a.start
    for _ in range(a.pages):
        r = session().get(url, timeout=30)
        r.raise_for_status()
        soup = BeautifulSoup(r.content, "lxml")
        links += [urljoin(url, x["href"]) for x in soup.select("article h2.entry-title a[href]")]
        nxt = soup.select_one("a.next.page-numbers[href]")
        if nxt is None:
            break
        url = urljoin(url, nxt["href"])

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        articles = list(pool.map(fetch_article, links))

    articles.sort(key=lambda x: x["published"], reverse=True)
    fg = FeedGenerator()
    fg.title("Baseline")
    fg.link(href=a.start, rel="alternate")
    fg.description("Baseline scrape")
    fg.language("ru")
    for art in reversed(articles[: a.items]):
        fe = fg.add_entry()
        fe.id(art["url"])
        fe.title(art["title"])
        fe.link(href=art["url"])
        fe.content(art["html"], type="CDATA")
        if art["published"]:
            fe.pubDate(art["published"])
    fg.rss_file(a.out, pretty=False)
    print(f"{len(articles)} articles, {min(len(articles), a.items)} in {a.out}")


if __name__ == "__main__":
    main()
