#!/usr/bin/env python3
"""Stand-in for the Plinth controller's HTTP side, for the lab smoke test (e2e/lab/smoke.sh).

Serves:
  GET  /boot.ipxe                       -> chains to /v1/boot/${mac}.ipxe
  GET  /v1/boot/<mac>.ipxe              -> file <dir>/boot/<mac>.ipxe (written by smoke.sh), else the deploy
                                           script of the open deploy whose entry names this "mac", else "exit"
  GET  /files/<name>                    -> static file from <dir>/files (kernel, initramfs, images)
  GET  /v1/agent/deploys/<id>           -> deploy instructions (Bearer <deploy token>)
  POST /v1/agent/deploys/<id>/events    -> logs an agent event (Bearer <deploy token>)
  POST /v1/agent/checkin                -> logs a check-in of the installed OS (Bearer <check-in token>)
Every event/check-in is appended as one JSON line to <dir>/events.jsonl. Tokens are never logged.
Deploys come from --deploys-file (JSON: {deployId: {token, checkinToken, imageUrl, sha256, compression,
rootDeviceHints}}) or, for a single deploy, from the individual options. An entry may also name its "node", "mac",
"image" (for the deploy script) and "bytes" (the image length a `written` must report), or be a wipe
({"token", "checkinToken", "action": "clean", ...}: instructions {"action": "clean"}, ended by a `cleaned` event,
PROTOCOL.md section 5a), or an inspection ("action": "inspect": instructions {"action": "inspect"}, ended by an
`inspected` event, section 5b); a later entry for the same
node supersedes the earlier ones, as a new deploy does on the controller. As the controller does, a deploy token is
refused once its deploy is superseded (401) or written/failed (409), a `written` with another sha256 or length
fails the deploy (409), and a check-in is accepted only for a written deploy (409).
The transcripts in this directory are replayed against this stub and the controller (README.md).
"""
import argparse
import hmac
import json
import os
import shutil
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

ARGS = None
DEPLOYS = {}
# deploy id -> {"closed": superseded, "phase": None | "written" | "failed"}
STATE = {}
LOCAL_BOOT = "#!ipxe\necho no deploy for ${mac}: local boot\nexit\n"
REFUSED = "#!ipxe\necho Plinth: the deploy script of this boot was handed out already: refused\nexit\n"


def load_deploys(deploys):
    DEPLOYS.update(deploys)
    latest = {}
    for dep, d in DEPLOYS.items():
        STATE[dep] = {"closed": False, "phase": None}
        if d.get("node"):
            if d["node"] in latest:
                STATE[latest[d["node"]]]["closed"] = True
            latest[d["node"]] = dep


def deploy_script(dep, d):
    api = ARGS.advertise
    what = "wiping the disks of %s" % d["node"] if d.get("action") == "clean" else \
        "inspecting the hardware of %s" % d["node"] if d.get("action") == "inspect" else \
        "deploying %s to %s" % (d.get("image", "?"), d["node"])
    return ("#!ipxe\necho Plinth: %s (deploy %s)\n"
            "kernel %s/files/vmlinuz console=ttyS0 quiet plinth.api=%s plinth.deploy=%s plinth.token=%s "
            "plinth.node=%s plinth.checkin=%s BOOTIF=01-${mac:hexhyp}\n"
            "initrd %s/files/initramfs.cpio.gz\nboot\n") % (
        what, dep, api, api, dep, d["token"], d["node"], d["checkinToken"], api)


def log_event(kind, **fields):
    rec = {"t": round(time.time(), 3), "kind": kind, **fields}
    line = json.dumps(rec, sort_keys=True)
    with open(os.path.join(ARGS.dir, "events.jsonl"), "a") as f:
        f.write(line + "\n")
    print(line, flush=True)


class Handler(BaseHTTPRequestHandler):
    server_version = "plinth-stub/1"

    def log_message(self, fmt, *a):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % a))

    def _send(self, code, body, ctype="text/plain; charset=utf-8"):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _bearer_ok(self, expected):
        got = self.headers.get("Authorization", "")
        return got.startswith("Bearer ") and hmac.compare_digest(got[7:].strip(), expected)

    def _deploy_path(self):
        p = self.path.split("?", 1)[0]
        pre = "/v1/agent/deploys/"
        if not p.startswith(pre):
            return None, None
        rest = p[len(pre):].split("/")
        return rest[0], (rest[1] if len(rest) > 1 else "")

    def do_GET(self):
        p = self.path.split("?", 1)[0]
        if p == "/boot.ipxe":
            return self._send(200, "#!ipxe\nchain %s/v1/boot/${mac}.ipxe\n" % ARGS.advertise)
        if p.startswith("/v1/boot/") and p.endswith(".ipxe"):
            # iPXE percent-encodes the colons of ${mac}: /v1/boot/52%3A54%3A00%3A6c%3Aab%3A01.ipxe
            mac = unquote(p[len("/v1/boot/"):-len(".ipxe")]).lower()
            f = os.path.join(ARGS.dir, "boot", mac.replace(":", "-") + ".ipxe")
            log_event("ipxe", mac=mac, served=os.path.exists(f))
            if os.path.exists(f):
                with open(f) as fh:
                    return self._send(200, fh.read())
            for dep, d in DEPLOYS.items():
                st = STATE[dep]
                if d.get("mac", "").lower() == mac and d.get("node") and not st["closed"] and st["phase"] is None:
                    # one claim per deploy (the stub has no boot windows: its one boot is the whole run)
                    if st.get("claimed"):
                        log_event("ipxe-refused", mac=mac, deploy=dep)
                        return self._send(200, REFUSED)
                    st["claimed"] = True
                    return self._send(200, deploy_script(dep, d))
            return self._send(200, LOCAL_BOOT)
        if p.startswith("/files/"):
            name = os.path.basename(p)
            f = os.path.join(ARGS.dir, "files", name)
            if not os.path.isfile(f):
                return self._send(404, "not found\n")
            size = os.path.getsize(f)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            with open(f, "rb") as fh:
                shutil.copyfileobj(fh, self.wfile, 1 << 20)
            return None
        dep, sub = self._deploy_path()
        if dep is not None and sub == "":
            d = self._open_deploy(dep, p)
            if d is None:
                return None
            if d.get("action") in ("clean", "inspect"):
                log_event("instructions", deploy=dep, format=ARGS.format)
                if ARGS.format == "kv":
                    return self._send(200, "action=%s\n" % d["action"])
                return self._send(200, json.dumps({"action": d["action"]}) + "\n", "application/json")
            instr = {k: d[k] for k in ("imageUrl", "sha256", "compression")}
            instr["rootDeviceHints"] = dict(d.get("rootDeviceHints") or {})
            log_event("instructions", deploy=dep, format=ARGS.format)
            if ARGS.format == "kv":
                lines = ["imageUrl=%s" % instr["imageUrl"], "sha256=%s" % instr["sha256"],
                         "compression=%s" % instr["compression"]]
                for k, v in instr["rootDeviceHints"].items():
                    lines.append("rootDeviceHints.%s=%s" % (k, v))
                return self._send(200, "\n".join(lines) + "\n")
            return self._send(200, json.dumps(instr, indent=1) + "\n", "application/json")
        return self._send(404, "not found\n")

    def _open_deploy(self, dep, p):
        """The deploy if the request carries its token and it is open; else answered (401/409) and None."""
        d = DEPLOYS.get(dep)
        if d is None or not self._bearer_ok(d["token"]):
            log_event("denied", path=p)
            self._send(401, "unauthorized\n")
            return None
        if STATE[dep]["closed"]:
            log_event("denied", path=p, reason="closed")
            self._send(401, "deploy closed\n")
            return None
        if STATE[dep]["phase"]:
            log_event("denied", path=p, reason=STATE[dep]["phase"])
            self._send(409, "deploy already %s\n" % STATE[dep]["phase"])
            return None
        return d

    def _form(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        raw = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def do_POST(self):
        p = self.path.split("?", 1)[0]
        if p == "/v1/agent/checkin":
            form = self._form()
            dep = next((k for k, d in DEPLOYS.items() if d.get("checkinToken") and self._bearer_ok(d["checkinToken"])), None)
            if dep is None or STATE[dep]["closed"]:
                log_event("denied", path=p)
                return self._send(401, "unauthorized\n")
            if STATE[dep]["phase"] != "written":
                log_event("denied", path=p, reason="not written")
                return self._send(409, "deploy not written\n")
            # the OS also sends the deploy id of its config block (PROTOCOL.md section 6); the token names it here
            form.pop("deploy", None)
            if STATE[dep].get("checkedIn"):
                log_event("denied", path=p, reason="checked in already")
                return self._send(409, "already checked in\n")
            STATE[dep]["checkedIn"] = True
            log_event("checkin", deploy=dep, **form)
            return self._send(200, "ok\n")
        dep, sub = self._deploy_path()
        if dep is not None and sub == "events":
            form = self._form()
            d = self._open_deploy(dep, p)
            if d is None:
                return None
            form.pop("deploy", None)
            log_event("agent", deploy=dep, **form)
            phase = form.get("phase")
            # a wipe ends only by `cleaned`, an inspection by `inspected`, a deploy by `written`
            ends = {"clean": "cleaned", "inspect": "inspected"}.get(d.get("action"), "written")
            if phase in ("written", "cleaned", "inspected") and phase != ends:
                return self._send(409, "not a %s\n" % {"cleaned": "wipe", "inspected": "inspection"}.get(
                    phase, "deploy"))
            if phase in ("cleaned", "inspected"):
                STATE[dep]["phase"] = phase
            elif phase == "written":
                if form.get("sha256", "").lower() != d["sha256"].lower():
                    STATE[dep]["phase"] = "failed"
                    return self._send(409, "sha256 mismatch\n")
                if d.get("bytes") and form.get("bytes") != str(d["bytes"]):
                    STATE[dep]["phase"] = "failed"
                    return self._send(409, "length mismatch\n")
                STATE[dep]["phase"] = "written"
            elif phase == "failed":
                STATE[dep]["phase"] = "failed"
            return self._send(200, "ok\n")
        return self._send(404, "not found\n")

    do_HEAD = do_GET


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--advertise", help="base URL the nodes reach this stub at (default http://10.0.2.2:PORT)")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--deploy", default="d1")
    ap.add_argument("--deploys-file", help="JSON file with all deploys (overrides the single-deploy options)")
    ap.add_argument("--token-file", help="file holding the deploy token")
    ap.add_argument("--checkin-token-file")
    ap.add_argument("--image-url", default="")
    ap.add_argument("--sha256", default="")
    ap.add_argument("--compression", default="none", choices=["none", "gz", "xz"])
    ap.add_argument("--format", default="json", choices=["json", "kv"])
    ap.add_argument("--device-name", default="")
    ap.add_argument("--min-size-gb", type=int, default=0)
    ARGS = ap.parse_args()
    ARGS.advertise = (ARGS.advertise or "http://10.0.2.2:%d" % ARGS.port).rstrip("/")
    if ARGS.deploys_file:
        with open(ARGS.deploys_file) as f:
            load_deploys(json.load(f))
    else:
        if not ARGS.token_file or not ARGS.checkin_token_file:
            ap.error("--token-file and --checkin-token-file are required without --deploys-file")
        hints = {}
        if ARGS.device_name:
            hints["deviceName"] = ARGS.device_name
        if ARGS.min_size_gb:
            hints["minSizeGigabytes"] = ARGS.min_size_gb
        load_deploys({ARGS.deploy: {
            "token": open(ARGS.token_file).read().strip(),
            "checkinToken": open(ARGS.checkin_token_file).read().strip(),
            "imageUrl": ARGS.image_url, "sha256": ARGS.sha256, "compression": ARGS.compression,
            "rootDeviceHints": hints,
        }})
    srv = ThreadingHTTPServer((ARGS.bind, ARGS.port), Handler)
    print("stub api on %s:%d dir=%s" % (ARGS.bind, ARGS.port, ARGS.dir), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
