#!/usr/bin/env python3
"""Runs the pressfeed benchmark and prints a Markdown table. Started by bench/run.sh.

Everything runs on 127.0.0.1: nginx serves a generated site (gen_site.py), pressfeed and the
Python baseline scrape it, and wrk compares feed serving by `pressfeed run` with nginx.
Each step is bounded; every process started here is stopped here.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "selectors.toml"), encoding="utf-8") as _f:
    SELECTORS = _f.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class Nginx:
    """nginx in the foreground (`daemon off`), config and logs in a temp dir."""

    def __init__(self, root, feeds, tmp, hosts=1):
        self.port = free_port()
        self.tmp = tmp
        self.log = os.path.join(tmp, "access.log")
        conf = os.path.join(tmp, "nginx.conf")
        # 127.0.0.1, 127.0.0.2, ...: distinct sites for distinct sources, all on loopback.
        listen = " ".join(f"listen 127.0.0.{k + 1}:{self.port};" for k in range(hosts))
        with open(conf, "w") as f:
            f.write(f"""
daemon off;
worker_processes auto;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fastcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  access_log {self.log};
  sendfile on; tcp_nopush on; keepalive_requests 1000000; etag on;
  types {{ text/html html; text/plain txt; application/rss+xml rss;
          application/atom+xml atom; application/feed+json json; }}
  charset utf-8; charset_types application/rss+xml application/atom+xml;
  server {{
    {listen}
    root {root};
    index index.html;
    location /feeds/ {{ alias {feeds}/; }}
  }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", tmp, "-e", f"{tmp}/error.log"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def requests(self):
        try:
            with open(self.log) as f:
                return sum(1 for _ in f)
        except FileNotFoundError:
            return 0

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def timed(cmd, cwd=None, env=None):
    """Runs cmd under /usr/bin/time -v; returns wall s, cpu s, peak RSS MB."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        r = subprocess.run(["/usr/bin/time", "-v", "-o", tf.name] + cmd, cwd=cwd, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=1800)
        out = tf.read()
    if r.returncode != 0:
        sys.stderr.write(f"warning: {' '.join(cmd)} exited {r.returncode}\n{r.stderr[-2000:]}\n")

    def field(name):
        m = re.search(re.escape(name) + r":\s*(\S+)", out)
        return m.group(1) if m else "0"

    wall = 0.0
    for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        wall = wall * 60 + float(part)
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    rss = int(field("Maximum resident set size (kbytes)")) / 1024
    return {"wall": wall, "cpu": cpu, "rss": rss, "rc": r.returncode, "stderr": r.stderr}


def config(path, port, *, sources=1, schedule="@yearly", listen_port=None, max_pages=5):
    listen = listen_port or free_port()
    with open(path, "w") as f:
        f.write(f"""[settings]
database = "pressfeed.db"
feeds_dir = "feeds"
base_url = "http://127.0.0.1:{listen}/"
listen = "127.0.0.1:{listen}"
per_host_concurrency = 8
respect_robots = false
min_delay_ms = 0
""")
        for k in range(sources):
            sid = "bench" if sources == 1 else f"bench{k}"
            f.write(f"""
[[source]]
id = "{sid}"
title = "Benchmark site"
timezone = "Asia/Almaty"
listing_urls = ["http://127.0.0.{k + 1 if sources > 1 else 1}:{port}/"]
schedule = "{schedule}"
items = 50
max_pages = {max_pages}
recheck_hours = 0

""" + SELECTORS)
    return listen


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def gen_site(work, n):
    site = os.path.join(work, f"site-{n}")
    stamp = os.path.join(site, ".complete")
    if not os.path.exists(stamp):
        shutil.rmtree(site, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_site.py"), site, str(n)], check=True,
                       stdout=subprocess.DEVNULL)
        open(stamp, "w").close()
    return site


def count_items(rss_path):
    try:
        with open(rss_path, encoding="utf-8") as f:
            return f.read().count("<item>")
    except FileNotFoundError:
        return 0


def grow_store(db, total):
    """Copies the stored articles with new ids, dated before the real ones, up to `total`."""
    con = sqlite3.connect(db)
    have = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    cols = [r[1] for r in con.execute("PRAGMA table_info(articles)")]
    copy = 1
    while have < total:
        sel = ", ".join(
            f"id || '#dup{copy}'" if c == "id"
            else f"strftime('%Y-%m-%dT%H:%M:%SZ', {c}, '-{copy * 5} years')" if c == "published"
            else c for c in cols)
        con.execute(f"INSERT INTO articles ({', '.join(cols)}) SELECT {sel} FROM articles "
                    f"WHERE id NOT LIKE '%#dup%' LIMIT ?", (total - have,))
        con.commit()
        have = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        copy += 1
    con.close()
    return have


def median_wall(cmd, cwd, runs):
    walls = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
    return statistics.median(walls)


def wrk(url, seconds, conns, header=None):
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s"]
    if header:
        cmd += ["-H", header]
    out = subprocess.run(cmd + [url], stdout=subprocess.PIPE, text=True, timeout=seconds + 30).stdout
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    if non2xx:
        sys.stderr.write(f"warning: {url}: {non2xx.group(1)} non-2xx/3xx responses\n")
    return float(m.group(1)) if m else 0.0


def etag(url):
    req = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.headers["ETag"]


def get_status(url, header):
    req = urllib.request.Request(url, headers=dict([header.split(": ", 1)]))
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


class Daemon:
    def __init__(self, binary, cfg, cwd, port):
        self.proc = subprocess.Popen([binary, "-c", cfg, "run"], cwd=cwd,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env={**os.environ, "RUST_LOG": "warn"})
        wait_port(port)

    def status(self, key):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--python", required=True, help="venv python for the baseline")
    ap.add_argument("--work", default=os.path.join(HERE, ".work"))
    ap.add_argument("--ns", default="100,1000,10000")
    ap.add_argument("--render-total", type=int, default=100_000)
    ap.add_argument("--serve-seconds", type=int, default=10)
    ap.add_argument("--daemon-seconds", type=int, default=30)
    ap.add_argument("--no-baseline", action="store_true")
    a = ap.parse_args()
    a.bin, a.python = os.path.abspath(a.bin), os.path.abspath(a.python)
    ns = [int(x) for x in a.ns.split(",")]
    os.makedirs(a.work, exist_ok=True)
    env = {**os.environ, "RUST_LOG": "warn"}

    rows = []  # (what, N, wall, cpu, rss, articles, requests, baseline dict or None)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    last = None
    for n in ns:
        log(f"== N = {n}: generating site")
        site = gen_site(a.work, n)
        run = fresh_dir(os.path.join(a.work, f"run-{n}"))
        tmp = fresh_dir(os.path.join(a.work, f"nginx-{n}"))
        feeds = os.path.join(run, "feeds")
        os.makedirs(feeds)
        nginx = Nginx(site, feeds, tmp)
        try:
            start = f"http://127.0.0.1:{nginx.port}/"
            cfg = os.path.join(run, "config.toml")
            config(cfg, nginx.port)
            pages = (n + 9) // 10

            log("   refresh (cold)")
            r0 = nginx.requests()
            t = timed([a.bin, "-c", cfg, "refresh"], cwd=run, env=env)
            t["requests"] = nginx.requests() - r0
            t["articles"] = count_items(os.path.join(feeds, "bench.rss"))
            rows.append(("refresh, newest 50, full text", n, t))

            log("   refresh (no change)")
            r0 = nginx.requests()
            t = timed([a.bin, "-c", cfg, "refresh"], cwd=run, env=env)
            t["requests"] = nginx.requests() - r0
            t["articles"] = 0
            rows.append(("refresh again, nothing changed", n, t))

            log(f"   backfill --pages {pages}")
            for f in ("pressfeed.db", "pressfeed.db-wal", "pressfeed.db-shm"):
                if os.path.exists(os.path.join(run, f)):
                    os.remove(os.path.join(run, f))
            r0 = nginx.requests()
            t = timed([a.bin, "-c", cfg, "backfill", "--source", "bench", "--pages", str(pages)],
                      cwd=run, env=env)
            t["requests"] = nginx.requests() - r0
            con = sqlite3.connect(os.path.join(run, "pressfeed.db"))
            t["articles"] = con.execute("SELECT count(*) FROM articles").fetchone()[0]
            con.close()
            rows.append((f"backfill, whole site", n, t))

            if not a.no_baseline:
                for what, p, items in (("refresh, newest 50, full text", 5, 50),
                                       ("backfill, whole site", pages, n)):
                    log(f"   baseline: {what}")
                    out = os.path.join(run, "baseline.rss")
                    r0 = nginx.requests()
                    t = timed([a.python, os.path.join(HERE, "baseline.py"), start, "--pages", str(p),
                               "--items", str(items), "--out", out], cwd=run)
                    t["requests"] = nginx.requests() - r0
                    t["articles"] = count_items(out)
                    rows.append(("baseline: " + what, n, t))
        finally:
            nginx.stop()
        last = (n, run, site, cfg)

    # Render one 50-item feed from a store grown to render_total articles.
    n, run, site, cfg = last
    render_rows = []
    db = os.path.join(run, "pressfeed.db")
    for total in (None, a.render_total):
        if total:
            log(f"== growing the store to {total} articles")
            have = grow_store(db, total)
        else:
            con = sqlite3.connect(db)
            have = con.execute("SELECT count(*) FROM articles").fetchone()[0]
            con.close()
        shutil.rmtree(os.path.join(run, "feeds"), ignore_errors=True)
        t = timed([a.bin, "-c", cfg, "render"], cwd=run, env=env)
        t["articles"] = count_items(os.path.join(run, "feeds", "bench.rss"))

        # Whole-process wall, median of 11, minus the same for `check` (start-up and config).
        def rerender():
            shutil.rmtree(os.path.join(run, "feeds"), ignore_errors=True)
        walls = []
        for _ in range(11):
            rerender()
            t0 = time.perf_counter()
            subprocess.run([a.bin, "-c", cfg, "render"], cwd=run, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            walls.append(time.perf_counter() - t0)
        startup = median_wall([a.bin, "-c", cfg, "check"], run, 11)
        t["median"] = statistics.median(walls)
        t["net"] = max(0.0, t["median"] - startup)
        render_rows.append((have, t))

    # Daemon: steady-state RSS with 10 sources, then serving vs nginx.
    log("== daemon with 10 sources")
    drun = fresh_dir(os.path.join(a.work, "daemon"))
    dtmp = fresh_dir(os.path.join(a.work, "nginx-daemon"))
    os.makedirs(os.path.join(drun, "feeds"))
    nginx = Nginx(site, os.path.join(drun, "feeds"), dtmp, hosts=10)
    daemon = None
    try:
        dcfg = os.path.join(drun, "config.toml")
        dport = config(dcfg, nginx.port, sources=10, schedule="*/5 * * * * *")
        daemon = Daemon(a.bin, dcfg, drun, dport)
        time.sleep(a.daemon_seconds)
        daemon_rss = daemon.status("VmRSS")
        daemon_hwm = daemon.status("VmHWM")
        daemon_reqs = nginx.requests()
        daemon.stop()
        daemon = None

        log("== serving: pressfeed run vs nginx")
        config(dcfg, nginx.port, sources=10, schedule="@yearly", listen_port=dport)
        daemon = Daemon(a.bin, dcfg, drun, dport)
        serve = {}
        for name, url in (("pressfeed", f"http://127.0.0.1:{dport}/feeds/bench0.rss"),
                          ("nginx", f"http://127.0.0.1:{nginx.port}/feeds/bench0.rss")):
            tag = etag(url)
            h = f"If-None-Match: {tag}"
            assert get_status(url, h) == 304, f"{name} does not answer 304 to {h}"
            full = wrk(url, a.serve_seconds, 64)
            cond = wrk(url, a.serve_seconds, 64, h)
            serve[name] = (full, cond)
        feed_bytes = os.path.getsize(os.path.join(drun, "feeds", "bench0.rss"))
    finally:
        if daemon:
            daemon.stop()
        nginx.stop()

    # ---- the table ----
    print("\n### Scrape (politeness off, per_host_concurrency 8)\n")
    print("| run | N | wall s | CPU s (user+sys) | CPU ms / article | peak RSS MB | articles | requests |"
          " baseline wall s | baseline CPU ms / article | baseline RSS MB | CPU ratio baseline/pressfeed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = {(w[len("baseline: "):], n): t for w, n, t in rows if w.startswith("baseline: ")}
    for what, n, t in rows:
        if what.startswith("baseline: "):
            continue
        per = f"{1000 * t['cpu'] / t['articles']:.2f}" if t["articles"] else "—"
        b = base.get((what, n))
        if b and b["articles"]:
            bcols = (f"{b['wall']:.2f} | {1000 * b['cpu'] / b['articles']:.2f} | {b['rss']:.0f} | "
                     f"{(b['cpu'] / b['articles']) / (t['cpu'] / t['articles']):.1f}×"
                     if t["articles"] and t["cpu"] else f"{b['wall']:.2f} | — | {b['rss']:.0f} | —")
        else:
            bcols = "— | — | — | —"
        print(f"| {what} | {n} | {t['wall']:.2f} | {t['cpu']:.2f} | {per} | {t['rss']:.1f} | "
              f"{t['articles']} | {t['requests']} | {bcols} |")

    print("\n### Render one 50-item feed (`pressfeed render`, RSS + Atom + JSON)\n")
    print("| articles stored | process wall ms (median of 11) | minus start-up (`check`) ms | process CPU ms | peak RSS MB | items |")
    print("|---:|---:|---:|---:|---:|---:|")
    for have, t in render_rows:
        print(f"| {have} | {1000 * t['median']:.1f} | {1000 * t['net']:.1f} | {1000 * t['cpu']:.0f} | "
              f"{t['rss']:.1f} | {t['articles']} |")

    print(f"\n### Daemon (`pressfeed run`, 10 sources, each run every 5 s, after {a.daemon_seconds} s)\n")
    print(f"RSS {daemon_rss:.1f} MB, peak {daemon_hwm:.1f} MB, {daemon_reqs} requests to the site.\n")

    print(f"### Feed serving, {feed_bytes} B RSS file, wrk -t2 -c64 -d{a.serve_seconds}s, loopback\n")
    print("| request | pressfeed run req/s | nginx req/s | pressfeed / nginx |")
    print("|---|---:|---:|---:|")
    for i, label in enumerate(("full GET (200)", "If-None-Match (304)")):
        p, g = serve["pressfeed"][i], serve["nginx"][i]
        print(f"| {label} | {p:.0f} | {g:.0f} | {p / g:.2f}× |" if g else f"| {label} | {p:.0f} | 0 | — |")


if __name__ == "__main__":
    main()
