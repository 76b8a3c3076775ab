#!/usr/bin/env python3
"""Peak server memory while audit packs of a full account are downloaded (issue 10 figure).
usage: auditpack_mem.py BINARY [MB=237] [PARALLEL=6]"""
import os, sys, re, time, json, socket, subprocess, tempfile, threading, requests
binary = sys.argv[1]; total_mb = int(sys.argv[2]) if len(sys.argv) > 2 else 237
parallel = int(sys.argv[3]) if len(sys.argv) > 3 else 6
d = tempfile.mkdtemp()
open(f"{d}/palpate.toml", "w").write(f"[rate_limits]\nuploads_per_account = 1000\nstorage_quota_mb = {total_mb + 50}\n")
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
env = dict(os.environ, PALPATE_CONFIG=f"{d}/palpate.toml", PALPATE_BIND=f"127.0.0.1:{port}",
           PALPATE_DATA_DIR=d, PALPATE_DATABASE_URL=f"sqlite://{d}/p.db", PALPATE_MAIL="file",
           PALPATE_LOG="warn", PALPATE_SESSION_KEY="k" * 80, PALPATE_PASSWORD="a long enough password")
subprocess.run([binary, "users", "create", "--email", "p@example.com", "--name", "P", "--role", "practitioner"],
               env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
srv = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{port}"
for _ in range(200):
    try:
        if requests.get(base + "/healthz").status_code == 200: break
    except Exception: pass
    time.sleep(0.1)
csrf = lambda body: re.search(r'name="_csrf" value="([^"]+)"', body).group(1)
c = requests.Session()
r = c.post(base + "/login", data={"email": "p@example.com", "password": "a long enough password", "_csrf": csrf(c.get(base + "/login").text)})
c.post(base + "/ce/credentials", data={"rule": "ncbtmb-bctmb", "issued_on": "2025-06-01", "_csrf": csrf(c.get(base + "/ce/credentials/new").text)}, allow_redirects=False)
n = (total_mb + 9) // 10
for i in range(n):
    tok = csrf(c.get(base + "/ce/activities/new").text)
    data = b"%PDF-1.4\n" + os.urandom(10 * 1024 * 1024 - 20) + b"\n%%EOF\n"
    r = c.post(f"{base}/ce/activities?_csrf={tok}", data={"title": f"Course {i}", "completed_on": "2026-05-02", "delivery": "live_online", "hours": "1", "unit": "hour", "topic_ethics": "1"},
               files={"certificate": (f"c{i}.pdf", data, "application/pdf")}, allow_redirects=False)
    assert r.status_code == 303, (r.status_code, r.text[:300])
cred = re.search(r"/ce/credentials/(\d+)/audit-pack.zip", c.get(base + "/ce").text).group(1)
rss = lambda: int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{srv.pid}/status").read()).group(1)) // 1024
before = rss(); peak = [before]; done = [False]; sizes = []
def sample():
    while not done[0]:
        peak[0] = max(peak[0], rss()); time.sleep(0.02)
def fetch():
    with c.get(f"{base}/ce/credentials/{cred}/audit-pack.zip", stream=True) as r:
        sizes.append(sum(len(ch) for ch in r.iter_content(1 << 16)))
t = threading.Thread(target=sample); t.start()
t0 = time.time(); ws = [threading.Thread(target=fetch) for _ in range(parallel)]
[w.start() for w in ws]; [w.join() for w in ws]; wall = time.time() - t0
done[0] = True; t.join(); srv.kill()
print(json.dumps({"certificates_mb": n * 10, "parallel_downloads": parallel, "pack_mb": round(max(sizes) / 2**20, 1),
                  "rss_before_mb": before, "rss_peak_mb": peak[0], "wall_s": round(wall, 2)}))
