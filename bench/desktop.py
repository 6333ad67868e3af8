#!/usr/bin/env python3
"""Desktop benchmark: cold start to an interactive window, idle RSS of the whole app
(every process: the shell and WebKit's web and network processes), and a
100,000-object prefix (first page after the click, DOM rows, frame times of a full
scroll, and the first page again once the app has indexed the bucket), under Xvfb,
driven by WebKitWebDriver.

    bench/desktop.py [--binary PATH] [--rounds 5] [--objects 100000]

Uses the `local` profile in a fresh COFFER_HOME per round; the big prefix is made
as plain files in the local store (that profile's layout). Prints Markdown.
"""
import argparse, json, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Driver:
    def __init__(self, binary, display, home):
        self.port = free_port()
        env = dict(os.environ, DISPLAY=display, TAURI_WEBVIEW_AUTOMATION="true", COFFER_HOME=home,
                   COFFER_API_TOKEN="bench-token-0123456789abcdef")
        env.pop("WAYLAND_DISPLAY", None)
        self.proc = subprocess.Popen(["WebKitWebDriver", f"--port={self.port}"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        self.binary = binary
        self.sid = None

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            return json.load(urllib.request.urlopen(req, timeout=120))["value"]
        except urllib.error.HTTPError as e:
            raise RuntimeError(json.load(e))

    def start(self):
        caps = {"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {"binary": self.binary, "args": []}}}}
        self.sid = self.call("POST", "/session", caps)["sessionId"]

    def js(self, script, *args):
        return self.call("POST", f"/session/{self.sid}/execute/sync", {"script": script, "args": list(args)})

    def js_async(self, script, *args):
        return self.call("POST", f"/session/{self.sid}/execute/async", {"script": script, "args": list(args)})

    def wait(self, script, *args, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = self.js(script, *args)
            if v:
                return v
            time.sleep(0.005)
        raise RuntimeError(f"timeout: {script}")

    def close(self):
        try:
            if self.sid:
                self.call("DELETE", f"/session/{self.sid}")
        except Exception:
            pass
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)


def tree_rss_kib(root_pid):
    """RSS and PSS of a process and all its descendants, KiB, and their names with
    their RSS/PSS in MiB. RSS counts shared libraries once per process; PSS shares
    them out, so its sum is what the app really costs."""
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(pid))
        except OSError:
            pass
    total, pss_total, todo, names = 0, 0, [root_pid], []
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
            name = status.split("\n", 1)[0].split(":", 1)[1].strip()
            rss = [l for l in status.splitlines() if l.startswith("VmRSS:")]
            with open(f"/proc/{pid}/smaps_rollup") as f:
                pss = [l for l in f.read().splitlines() if l.startswith("Pss:")]
            if rss:
                r, p = int(rss[0].split()[1]), int(pss[0].split()[1]) if pss else 0
                total += r
                pss_total += p
                names.append(f"{name} {r // 1024}/{p // 1024}")
        except OSError:
            pass
        todo.extend(children.get(pid, []))
    return total, pss_total, names


def app_pid(driver_pid):
    out = subprocess.run(["pgrep", "-P", str(driver_pid)], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None


MINIBROWSER = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"


def minibrowser_idle(display):
    """The floor: Debian's WebKitGTK MiniBrowser on a blank page, same display and
    renderer setting as the app; (RSS, PSS) in MiB, or None without it."""
    if not os.path.exists(MINIBROWSER):
        return None
    page = tempfile.NamedTemporaryFile("w", suffix=".html", delete=False)
    page.write("<!doctype html><title>blank</title><p>blank")
    page.close()
    env = dict(os.environ, DISPLAY=display, WEBKIT_DISABLE_DMABUF_RENDERER="1")
    proc = subprocess.Popen([MINIBROWSER, "file://" + page.name], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(6)
    kib, pss_kib, _ = tree_rss_kib(proc.pid)
    proc.terminate()
    proc.wait(10)
    os.unlink(page.name)
    return kib / 1024, pss_kib / 1024


def make_big_prefix(home, n):
    folder = os.path.join(home, "local", "big", "many")
    os.makedirs(folder, exist_ok=True)
    for i in range(n):
        with open(os.path.join(folder, f"obj-{i:06d}.txt"), "w") as f:
            f.write(f"{i}\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "coffer-desktop"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--objects", type=int, default=100_000)
    args = ap.parse_args()

    display = ":" + str(next(n for n in range(120, 200) if not os.path.exists(f"/tmp/.X{n}-lock")))
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists(f"/tmp/.X11-unix/X{display[1:]}"):
        time.sleep(0.02)

    starts, rss, pss, first_pages, rows, frames_p50, frames_p95, frames_max = [], [], [], [], [], [], [], []
    reopens = []
    names = []
    try:
        big_home = tempfile.mkdtemp(prefix="coffer-bench-big-")
        make_big_prefix(big_home, args.objects)
        for r in range(args.rounds):
            # Cold start: a fresh data dir each round.
            home = tempfile.mkdtemp(prefix="coffer-bench-")
            d = Driver(args.binary, display, home)
            t0 = time.perf_counter()
            d.start()
            d.wait("return !!document.querySelector('[data-testid=bucket-row][data-bucket=samples]')")
            starts.append((time.perf_counter() - t0) * 1000)
            time.sleep(5)
            pid = app_pid(d.proc.pid)
            kib, pss_kib, names = tree_rss_kib(pid)
            rss.append(kib / 1024)
            pss.append(pss_kib / 1024)
            d.close()
            shutil.rmtree(home, ignore_errors=True)

            # The big prefix. Its index is dropped first, so the first open lists live
            # (the app starts indexing the bucket in the background as it opens it).
            shutil.rmtree(os.path.join(big_home, "index"), ignore_errors=True)
            d = Driver(args.binary, display, big_home)
            d.start()
            d.wait("return !!document.querySelector('[data-testid=bucket-row][data-bucket=big]')")
            d.js("document.querySelector('[data-testid=bucket-row][data-bucket=big]').click()")
            d.wait("return !!document.querySelector('[data-testid=row][data-key=\"many/\"]')")
            d.js("document.querySelector('[data-testid=row][data-key=\"many/\"]').dispatchEvent(new MouseEvent('dblclick', {bubbles: true}))")
            d.wait("const p = window.__cofferPerf; return p && p.firstPageRenderedAt !== null && p.lastListClickAt !== null && document.querySelector('[data-testid=row][data-key^=\"many/obj-\"]')")
            p = d.js("const p = window.__cofferPerf; return [p.lastListClickAt, p.firstPageRenderedAt]")
            first_pages.append(p[1] - p[0])
            d.wait(f"const c = document.querySelector('[data-testid=list-count]'); return c && c.dataset.loading === 'false' && Number(c.dataset.total) >= {args.objects}", timeout=300)
            # Scroll from top to bottom, one step per frame, recording frame times.
            frames = d.js_async("""
const done = arguments[arguments.length - 1];
const grid = document.querySelector('[data-testid=object-grid]');
const step = grid.clientHeight * 3; const times = []; let last = performance.now(); let maxRows = 0;
function tick(now) {
  times.push(now - last); last = now;
  maxRows = Math.max(maxRows, document.querySelectorAll('[data-testid=row]').length);
  if (grid.scrollTop + grid.clientHeight >= grid.scrollHeight - 1) { done([times.slice(1), maxRows]); return; }
  grid.scrollTop += step; requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
""")
            times, max_rows = frames
            # Reopen: back to the bucket's root, then the prefix again, until the
            # first page comes from the index (once the background build is done).
            deadline = time.time() + 300
            while True:
                d.js("document.querySelector('[data-testid=crumb][data-prefix=\"\"]').click()")
                d.wait("return !!document.querySelector('[data-testid=row][data-key=\"many/\"]')")
                d.js("window.__cofferPerf.firstPageRenderedAt = null; document.querySelector('[data-testid=row][data-key=\"many/\"]').dispatchEvent(new MouseEvent('dblclick', {bubbles: true}))")
                d.wait("const p = window.__cofferPerf; return p && p.firstPageRenderedAt !== null && document.querySelector('[data-testid=row][data-key^=\"many/obj-\"]') && document.querySelector('[data-testid=index-age]')")
                source = d.js("return document.querySelector('[data-testid=index-age]').dataset.source")
                if source == "index":
                    p = d.js("const p = window.__cofferPerf; return [p.lastListClickAt, p.firstPageRenderedAt]")
                    reopens.append(p[1] - p[0])
                    break
                if time.time() > deadline:
                    raise RuntimeError("the bucket was not indexed within 5 minutes")
                time.sleep(1)
            times.sort()
            frames_p50.append(statistics.median(times))
            frames_p95.append(times[int(len(times) * 0.95)])
            frames_max.append(times[-1])
            rows.append(max_rows)
            d.close()
        floor = minibrowser_idle(display)
    finally:
        xvfb.terminate()

    med = statistics.median
    print(f"| measure | median of {args.rounds} | min | max |")
    print("|---|---|---|---|")
    print(f"| cold start to interactive window (ms) | {med(starts):.0f} | {min(starts):.0f} | {max(starts):.0f} |")
    print(f"| idle RSS, all processes, summed (MiB) | {med(rss):.0f} | {min(rss):.0f} | {max(rss):.0f} |")
    print(f"| idle PSS, all processes, summed (MiB) | {med(pss):.0f} | {min(pss):.0f} | {max(pss):.0f} |")
    if floor:
        print(f"| floor: WebKitGTK MiniBrowser, blank page, RSS / PSS summed (MiB) | {floor[0]:.0f} / {floor[1]:.0f} | | |")
    print(f"| {args.objects:,}-object prefix: first page after the click (ms) | {med(first_pages):.0f} | {min(first_pages):.0f} | {max(first_pages):.0f} |")
    print(f"| {args.objects:,}-object prefix reopened from the index: first page after the click (ms) | {med(reopens):.0f} | {min(reopens):.0f} | {max(reopens):.0f} |")
    print(f"| rows in the DOM while scrolling (max) | {max(rows)} | {min(rows)} | {max(rows)} |")
    print(f"| scroll frame time p50 (ms) | {med(frames_p50):.1f} | {min(frames_p50):.1f} | {max(frames_p50):.1f} |")
    print(f"| scroll frame time p95 (ms) | {med(frames_p95):.1f} | {min(frames_p95):.1f} | {max(frames_p95):.1f} |")
    print(f"| scroll frame time max (ms) | {med(frames_max):.1f} | {min(frames_max):.1f} | {max(frames_max):.1f} |")
    print(f"\nprocesses counted (RSS/PSS MiB, last round): {', '.join(names)}")


if __name__ == "__main__":
    sys.exit(main())
