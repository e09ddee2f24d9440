"""sushy-emulator with what real BMCs have and sushy-tools 2.2 lacks, for Plinth's Redfish driver tests.

Runs sushy-tools' own Flask application unchanged and wraps it in a WSGI layer that adds, each when its
environment switch is 1:
  PLINTH_BMC_SESSIONS  a SessionService: POST /redfish/v1/SessionService/Sessions answers 201 with X-Auth-Token and
                       a Location; requests with a valid token pass (as Basic auth of that user to sushy-tools); an
                       unknown or expired token gets 401. Sessions expire after PLINTH_BMC_SESSION_TIMEOUT idle
                       seconds, or all at once on POST /plinth-test/expire-sessions.
  PLINTH_BMC_ETAG      an ETag on GET of a ComputerSystem; a PATCH of it without If-Match gets 428, with a stale one
                       412 (as strict BMCs do).
  PLINTH_BMC_TASKS     ComputerSystem.Reset answers 202 with a task monitor that runs for one second, then 204 (or
                       a Task in state Exception when sushy-tools refused the reset).
Connections are kept alive (HTTP/1.1), as BMCs do; plain sushy-emulator closes each after one answer.
GET /plinth-test/stats counts what the layer saw (sessions created, requests by auth kind, If-Match checks).
The user and password of the sessions come from PLINTH_BMC_USER / PLINTH_BMC_PASSWORD (never the command line).
"""
import base64
import hmac
import io
import itertools
import json
import os
import secrets
import ssl
import sys
import threading
import time

from sushy_tools.emulator import main as emulator  # configured from SUSHY_EMULATOR_CONFIG at import

app = emulator.app
SESSIONS = "/redfish/v1/SessionService/Sessions"
USER = os.environ.get("PLINTH_BMC_USER", "")
PASSWORD = os.environ.get("PLINTH_BMC_PASSWORD", "")


def on(name):
    return os.environ.get(name) == "1"


class PlinthBmc:
    def __init__(self, inner):
        self.inner = inner
        self.lock = threading.Lock()
        self.sessions = {}  # token -> [session id, last used]
        self.ids = itertools.count(1)
        self.tasks = {}  # id -> (done at, final status, messages)
        self.timeout = float(os.environ.get("PLINTH_BMC_SESSION_TIMEOUT", "600"))
        self.stats = {"sessionsCreated": 0, "sessionsDeleted": 0, "tokenRequests": 0, "basicRequests": 0,
                      "badTokens": 0, "ifMatchMissing": 0, "ifMatchStale": 0, "ifMatchOk": 0, "tasks": 0}

    # -- plumbing ---------------------------------------------------------------------------------------------
    def call_inner(self, env, body=None):
        env = dict(env)
        if body is not None:
            env["wsgi.input"] = io.BytesIO(body)
            env["CONTENT_LENGTH"] = str(len(body))
        captured = {}

        def start(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers

        chunks = self.inner(env, start)
        try:
            data = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        return captured["status"], captured["headers"], data

    @staticmethod
    def reply(start, status, body=None, headers=()):
        data = b"" if body is None else json.dumps(body).encode()
        hs = list(headers)
        if body is not None:
            hs.append(("Content-Type", "application/json"))
        hs.append(("Content-Length", str(len(data))))
        start(status, hs)
        return [data]

    @staticmethod
    def forward(start, status, headers, data, extra=()):
        hs = [(k, v) for k, v in headers if k.lower() != "content-length"] + list(extra)
        hs.append(("Content-Length", str(len(data))))
        start(status, hs)
        return [data]

    @staticmethod
    def etag_of(data):
        import hashlib
        return 'W/"%s"' % hashlib.sha1(data).hexdigest()[:16]

    # -- the layer ----------------------------------------------------------------------------------------------
    def __call__(self, env, start):
        path = env.get("PATH_INFO", "").rstrip("/") or "/"
        method = env.get("REQUEST_METHOD", "GET")
        length = int(env.get("CONTENT_LENGTH") or 0)
        body = env["wsgi.input"].read(length) if length else b""

        if path == "/plinth-test/stats":
            with self.lock:
                return self.reply(start, "200 OK", dict(self.stats, sessionsOpen=len(self.sessions)))
        if path == "/plinth-test/expire-sessions" and method == "POST":
            with self.lock:
                self.sessions.clear()
            return self.reply(start, "204 No Content")
        if path.startswith("/redfish/v1/TaskService/TaskMonitors/") and on("PLINTH_BMC_TASKS"):
            return self.task_monitor(path.rsplit("/", 1)[1], start)

        if on("PLINTH_BMC_SESSIONS"):
            if path in ("/redfish", "/redfish/v1"):
                status, headers, data = self.call_inner(env, body)
                root = json.loads(data)
                root.setdefault("Links", {})["Sessions"] = {"@odata.id": SESSIONS}
                root["SessionService"] = {"@odata.id": "/redfish/v1/SessionService"}
                return self.forward(start, status, headers, json.dumps(root).encode())
            if path == "/redfish/v1/SessionService" and method == "GET":
                return self.reply(start, "200 OK", {"@odata.id": "/redfish/v1/SessionService", "Id": "SessionService",
                                                    "SessionTimeout": int(self.timeout),
                                                    "Sessions": {"@odata.id": SESSIONS}})
            if path == SESSIONS and method == "POST":
                return self.create_session(body, start)
            token = env.get("HTTP_X_AUTH_TOKEN")
            if token is not None:
                session = self.touch(token)
                if session is None:
                    return self.reply(start, "401 Unauthorized", {"error": {"code": "Base.1.0.NoValidSession",
                                                                            "message": "no valid session"}})
                if path.startswith(SESSIONS + "/") and method == "DELETE":
                    with self.lock:
                        self.sessions.pop(token, None)
                        self.stats["sessionsDeleted"] += 1
                    return self.reply(start, "204 No Content")
                env = dict(env)
                del env["HTTP_X_AUTH_TOKEN"]
                env["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(
                    (USER + ":" + PASSWORD).encode()).decode()
                with self.lock:
                    self.stats["tokenRequests"] += 1
            elif env.get("HTTP_AUTHORIZATION"):
                with self.lock:
                    self.stats["basicRequests"] += 1
        elif env.get("HTTP_AUTHORIZATION"):
            with self.lock:
                self.stats["basicRequests"] += 1

        system = path.startswith("/redfish/v1/Systems/") and path.count("/") == 4
        if system and on("PLINTH_BMC_ETAG"):
            if method == "PATCH":
                _, _, current = self.call_inner(dict(env, REQUEST_METHOD="GET", CONTENT_LENGTH="0"), b"")
                wanted = env.get("HTTP_IF_MATCH")
                if wanted is None:
                    with self.lock:
                        self.stats["ifMatchMissing"] += 1
                    return self.reply(start, "428 Precondition Required", {"error": {
                        "code": "Base.1.0.PreconditionRequired", "message": "If-Match required"}})
                if wanted != self.etag_of(current):
                    with self.lock:
                        self.stats["ifMatchStale"] += 1
                    return self.reply(start, "412 Precondition Failed", {"error": {
                        "code": "Base.1.0.PreconditionFailed", "message": "ETag does not match"}})
                with self.lock:
                    self.stats["ifMatchOk"] += 1
            elif method == "GET":
                status, headers, data = self.call_inner(env, body)
                extra = [("ETag", self.etag_of(data))] if status.startswith("200") else []
                return self.forward(start, status, headers, data, extra)

        if on("PLINTH_BMC_TASKS") and method == "POST" and path.endswith("/Actions/ComputerSystem.Reset"):
            status, headers, data = self.call_inner(env, body)
            with self.lock:
                task = str(next(self.ids))
                messages = [] if status.startswith("2") else [data.decode(errors="replace")]
                self.tasks[task] = (time.time() + 1.0, messages)
                self.stats["tasks"] += 1
            return self.reply(start, "202 Accepted", None,
                              [("Location", "/redfish/v1/TaskService/TaskMonitors/" + task)])

        return self.inner(dict(env, **{"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}), start)

    def create_session(self, body, start):
        try:
            login = json.loads(body or b"{}")
        except ValueError:
            return self.reply(start, "400 Bad Request", {"error": {"message": "not JSON"}})
        ok = hmac.compare_digest(str(login.get("UserName", "")).encode(), USER.encode()) and \
            hmac.compare_digest(str(login.get("Password", "")).encode(), PASSWORD.encode())
        if not ok:
            return self.reply(start, "401 Unauthorized", {"error": {"code": "Base.1.0.InsufficientPrivilege",
                                                                    "message": "invalid credentials"}})
        token = secrets.token_hex(16)
        with self.lock:
            sid = str(next(self.ids))
            self.sessions[token] = [sid, time.time()]
            self.stats["sessionsCreated"] += 1
        return self.reply(start, "201 Created", {"@odata.id": SESSIONS + "/" + sid, "Id": sid, "UserName": USER},
                          [("X-Auth-Token", token), ("Location", SESSIONS + "/" + sid)])

    def touch(self, token):
        with self.lock:
            s = self.sessions.get(token)
            if s is None or time.time() - s[1] > self.timeout:
                self.sessions.pop(token, None)
                self.stats["badTokens"] += 1
                return None
            s[1] = time.time()
            return s

    def task_monitor(self, task, start):
        with self.lock:
            t = self.tasks.get(task)
        if t is None:
            return self.reply(start, "404 Not Found", {"error": {"message": "no such task"}})
        done_at, messages = t
        if time.time() < done_at:
            return self.reply(start, "202 Accepted", {"Id": task, "TaskState": "Running", "TaskStatus": "OK"},
                              [("Location", "/redfish/v1/TaskService/TaskMonitors/" + task)])
        if messages:
            return self.reply(start, "200 OK", {"Id": task, "TaskState": "Exception", "TaskStatus": "Critical",
                                                "Messages": [{"Message": m} for m in messages]})
        return self.reply(start, "204 No Content")


def main():
    # BMCs keep connections alive; werkzeug's development server does only when it speaks HTTP/1.1
    from werkzeug.serving import WSGIRequestHandler
    WSGIRequestHandler.protocol_version = "HTTP/1.1"
    app.wsgi_app = PlinthBmc(app.wsgi_app)
    context = None
    cert, key = app.config.get("SUSHY_EMULATOR_SSL_CERT"), app.config.get("SUSHY_EMULATOR_SSL_KEY")
    if cert and key:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
    app.run(host=app.config.get("SUSHY_EMULATOR_LISTEN_IP"), port=app.config.get("SUSHY_EMULATOR_LISTEN_PORT"),
            ssl_context=context, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
