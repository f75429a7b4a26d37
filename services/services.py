#!/usr/bin/env python3
"""Run real Apache Kafka (KRaft) and Apache Cassandra 5.0 for goblins tests.

No Docker: both servers are assembled from Maven Central jars with
``mvn dependency:copy-dependencies`` (see services/kafka/pom.xml and
services/cassandra/pom.xml) and started as plain ``java -cp 'lib/*' ...``
background processes on loopback, non-default ports.

Standard library only (Python >= 3.8). Invoked through ``scripts/services``.

State directory: ${GOBLINS_SERVICES_HOME:-$HOME/.cache/goblins-services}
    kafka/lib, kafka/data, kafka/server.properties, kafka/log4j2.xml,
    kafka/kafka.log, kafka/kafka.pid, kafka/cluster.id
    cassandra/lib, cassandra/data, cassandra/cassandra.yaml,
    cassandra/logback.xml, cassandra/cassandra.log, cassandra/cassandra.pid

Environment:
    GOBLINS_SERVICES_HOME          state dir (default ~/.cache/goblins-services)
    GOBLINS_KAFKA_PORT             Kafka PLAINTEXT port (default 19092)
    GOBLINS_KAFKA_CONTROLLER_PORT  KRaft controller port (default 19093)
    GOBLINS_CASSANDRA_PORT         CQL native port (default 19042)
    GOBLINS_CASSANDRA_STORAGE_PORT internode port (default 17000)
    GOBLINS_KAFKA_SECURE_PORT, GOBLINS_KAFKA_SECURE_CONTROLLER_PORT,
    GOBLINS_CASSANDRA_SECURE_PORT, GOBLINS_CASSANDRA_SECURE_STORAGE_PORT
                                   the secure set's ports (19192, 19193, 19142, 17100)
    GOBLINS_JAVA                   path of a Java 17 `java` binary (optional)
    GOBLINS_PYTHON                 python that needs the client libraries
                                   (default: the python running this script)
    GOBLINS_SERVICES_SKIP_PIP=1    do not pip-install the Python clients on `up`
    GOBLINS_CASSANDRA_UNSAFESYSTEM=1  faster DDL, but schema is lost on kill -9
    GOBLINS_CASSANDRA_COMMITLOG_SYNC=periodic  (default batch; see the yaml)
    GOBLINS_KAFKA_TIMEOUT          seconds to wait for Kafka (default 90)
    GOBLINS_CASSANDRA_TIMEOUT      seconds to wait for Cassandra (default 180)
"""

import base64
import fcntl
import glob
import hashlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HOME = os.path.abspath(os.path.expanduser(
    os.environ.get("GOBLINS_SERVICES_HOME") or "~/.cache/goblins-services"))
HOST = "127.0.0.1"


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value else default


KAFKA_PORT = env_int("GOBLINS_KAFKA_PORT", 19092)
KAFKA_CONTROLLER_PORT = env_int("GOBLINS_KAFKA_CONTROLLER_PORT", 19093)
CASSANDRA_PORT = env_int("GOBLINS_CASSANDRA_PORT", 19042)
CASSANDRA_STORAGE_PORT = env_int("GOBLINS_CASSANDRA_STORAGE_PORT", 17000)

PY_REQUIREMENTS = [
    # (import name, pip requirement, minimum version)
    ("confluent_kafka", "confluent-kafka>=2.13", (2, 13)),
    ("cassandra", "cassandra-driver>=3.30", (3, 30)),
    # the certificates of the secure set (--secure)
    ("cryptography", "cryptography>=41", (41, 0)),
]


def log(msg):
    print(msg, flush=True)


def err(msg):
    print(msg, file=sys.stderr, flush=True)


class Failure(Exception):
    pass


# --------------------------------------------------------------------------
# Tooling: Java 17, Maven, Python clients
# --------------------------------------------------------------------------

def java_major(java):
    try:
        out = subprocess.run([java, "-XshowSettings:properties", "-version"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        key, _, value = line.strip().partition("=")
        if key.strip() == "java.specification.version":
            value = value.strip()
            if value.startswith("1."):
                value = value[2:]
            try:
                return int(value.split(".")[0])
            except ValueError:
                return None
    return None


def apt_install(*packages):
    if not shutil.which("apt-get"):
        raise Failure("cannot install %s: no apt-get" % " ".join(packages))
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    log("installing %s with apt-get ..." % " ".join(packages))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(prefix + ["apt-get", "update", "-q"], env=env, check=False)
    r = subprocess.run(prefix + ["apt-get", "install", "-y", "-q",
                                 "--no-install-recommends"] + list(packages),
                       env=env)
    if r.returncode != 0:
        raise Failure("apt-get install %s failed" % " ".join(packages))


_JAVA = None


def find_java():
    """A Java 17 binary. Kafka 4.x needs >= 17; Cassandra 5.0 supports only
    11 and 17, so never a newer JDK (e.g. a Temurin 25 also installed)."""
    global _JAVA
    if _JAVA:
        return _JAVA
    candidates = []
    if os.environ.get("GOBLINS_JAVA"):
        candidates.append(os.environ["GOBLINS_JAVA"])
    candidates += sorted(glob.glob("/usr/lib/jvm/java-17-openjdk*/bin/java"))
    candidates += sorted(glob.glob("/usr/lib/jvm/*17*/bin/java"))
    if os.environ.get("JAVA_HOME"):
        candidates.append(os.path.join(os.environ["JAVA_HOME"], "bin", "java"))
    if shutil.which("java"):
        candidates.append(shutil.which("java"))
    for attempt in range(2):
        for c in candidates:
            if os.path.isfile(c) and os.access(c, os.X_OK) and java_major(c) == 17:
                _JAVA = c
                return c
        if attempt == 0:
            apt_install("openjdk-17-jdk-headless")
            candidates = sorted(glob.glob("/usr/lib/jvm/java-17-openjdk*/bin/java"))
    raise Failure("no Java 17 found (set GOBLINS_JAVA=/path/to/java17/bin/java)")


def find_mvn():
    mvn = shutil.which("mvn")
    if not mvn:
        apt_install("maven")
        mvn = shutil.which("mvn")
    if not mvn:
        raise Failure("maven (mvn) not found")
    return mvn


def python_for_clients():
    return os.environ.get("GOBLINS_PYTHON") or sys.executable


def ensure_python_clients(quiet=False):
    py = python_for_clients()
    check = (
        "import importlib, sys\n"
        "missing = []\n"
        "for mod, req, minv in %r:\n"
        "    try:\n"
        "        m = importlib.import_module(mod)\n"
        "        v = getattr(m, '__version__', None) or m.version()[0]\n"
        "        if tuple(int(x) for x in v.split('.')[:2]) < tuple(minv):\n"
        "            missing.append(req)\n"
        "    except Exception:\n"
        "        missing.append(req)\n"
        "print(' '.join(missing))\n" % (PY_REQUIREMENTS,))
    out = subprocess.run([py, "-c", check], stdout=subprocess.PIPE, text=True)
    missing = out.stdout.split()
    if not missing:
        if not quiet:
            log("python clients: already installed for %s" % py)
        return
    log("python clients: pip installing %s for %s ..." % (" ".join(missing), py))
    t0 = time.monotonic()
    # Both have manylinux wheels for CPython 3.9-3.13; --prefer-binary avoids a
    # slow C-extension source build of cassandra-driver if a newer sdist-only
    # release appears. CASS_DRIVER_NO_CYTHON keeps any source build quick.
    env = dict(os.environ, CASS_DRIVER_NO_CYTHON="1")
    r = subprocess.run([py, "-m", "pip", "install", "-q", "--prefer-binary"] + missing,
                       env=env)
    if r.returncode != 0:
        raise Failure("pip install %s failed" % " ".join(missing))
    log("python clients: installed in %.1f s" % (time.monotonic() - t0))


# --------------------------------------------------------------------------
# Process helpers
# --------------------------------------------------------------------------

def pid_alive(pid):
    """True if pid runs (a zombie counts as dead: PID 1 may not reap)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def pid_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().decode(errors="replace").split("\0")
    except OSError:
        return []


def rss_mib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def port_open(port, host=HOST, timeout=1.0):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 256 * 1024))
            data = f.read().decode(errors="replace").splitlines()
    except OSError:
        return "(no log at %s)" % path
    return "\n".join(data[-lines:])


def failure_report(path):
    """Error lines of the latest run (after our start marker), then the tail."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 4 * 1024 * 1024))
            lines = f.read().decode(errors="replace").splitlines()
    except OSError:
        return "(no log at %s)" % path
    start = 0
    for i, line in enumerate(lines):
        if line.startswith("===== goblins-services: starting"):
            start = i
    run = lines[start:]
    errors = [l for l in run if any(w in l for w in (
        "ERROR", "FATAL", "Exception", "Caused by", "Error:"))][:15]
    out = []
    if errors:
        out += ["--- error lines (%s) ---" % path] + [l[:400] for l in errors]
    out += ["--- last 30 lines ---"] + [l[:400] for l in run[-30:]]
    return "\n".join(out)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed")
        buf += chunk
    return buf


# --------------------------------------------------------------------------
# Readiness probes (raw wire protocols, stdlib only)
# --------------------------------------------------------------------------

class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        size = struct.calcsize(fmt)
        vals = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return vals[0] if len(vals) == 1 else vals

    def string(self, long=False):
        n = self.take(">i" if long else ">h")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def bytes_(self):
        n = self.take(">i")
        if n < 0:
            return None
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b


def kafka_request(sock, api_key, version, corr, body, client=b"goblins-services"):
    header = struct.pack(">hhih", api_key, version, corr, len(client)) + client
    msg = header + body
    sock.sendall(struct.pack(">i", len(msg)) + msg)
    size = struct.unpack(">i", recv_exact(sock, 4))[0]
    r = Reader(recv_exact(sock, size))
    if r.take(">i") != corr:
        raise OSError("bad correlation id")
    return r


def plain_socket(port, timeout):
    sock = socket.create_connection((HOST, port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def kafka_probe(port, timeout=3.0, connect=plain_socket):
    """ApiVersions v0 then Metadata (v4..v8, non-flexible) over raw TCP.
    Returns a description string when the broker serves metadata listing
    itself, else raises. ``connect(port, timeout)`` opens the socket (TLS and
    SASL for the secure broker)."""
    request = kafka_request
    with connect(port, timeout) as sock:
        r = request(sock, 18, 0, 1, b"")          # ApiVersions v0
        error = r.take(">h")
        if error:
            raise OSError("ApiVersions error %d" % error)
        versions = {}
        for _ in range(r.take(">i")):
            key, lo, hi = r.take(">hhh")
            versions[key] = (lo, hi)
        if 3 not in versions:
            raise OSError("broker does not offer Metadata")
        lo, hi = versions[3]
        v = max(lo, 4)
        if v > min(hi, 8):
            return "ApiVersions ok (Metadata v%d-%d not probed)" % (lo, hi)
        body = struct.pack(">i", 0)               # no topics, just brokers
        body += struct.pack(">b", 0)              # allow_auto_topic_creation
        if v >= 8:
            body += struct.pack(">bb", 0, 0)      # include_*_authorized_operations
        r = request(sock, 3, v, 2, body)
        r.take(">i")                               # throttle_time_ms
        brokers = []
        for _ in range(r.take(">i")):
            node = r.take(">i")
            host = r.string()
            bport = r.take(">i")
            r.string()                             # rack
            brokers.append((node, host, bport))
        cluster_id = r.string()
        controller = r.take(">i")
        if not any(b[2] == port for b in brokers):
            raise OSError("metadata lists no broker on port %d yet: %r" % (port, brokers))
        if controller < 0:
            raise OSError("no active controller yet")
        return "metadata v%d ok: cluster %s, brokers %s" % (v, cluster_id, brokers)


def cql_probe(port, timeout=3.0, connect=plain_socket, login=None, statements=()):
    """CQL native protocol v4: STARTUP (then a PLAIN login when ``login`` is
    (user, password)), the ``statements`` (idempotent DDL), then
    SELECT release_version FROM system.local. Returns the version."""
    def frame(sock, stream, opcode, body):
        sock.sendall(struct.pack(">BBhBi", 4, 0, stream, opcode, len(body)) + body)
        _ver, _flags, rstream, ropcode, length = struct.unpack(
            ">BBhBi", recv_exact(sock, 9))
        data = recv_exact(sock, length)
        if ropcode == 0x00:
            r = Reader(data)
            code = r.take(">i")
            raise OSError("CQL error 0x%04x: %s" % (code, r.string()))
        return ropcode, Reader(data)

    def string(s):
        b = s.encode()
        return struct.pack(">h", len(b)) + b

    with connect(port, timeout) as sock:
        op, _ = frame(sock, 1, 0x01, struct.pack(">h", 1) + string("CQL_VERSION")
                      + string("3.0.0"))
        if op == 0x03 and login:                  # AUTHENTICATE: SASL PLAIN
            token = b"\0" + login[0].encode() + b"\0" + login[1].encode()
            op, _ = frame(sock, 1, 0x0F, struct.pack(">i", len(token)) + token)
            if op != 0x10:
                raise OSError("login answered opcode 0x%02x, not AUTH_SUCCESS" % op)
        elif op != 0x02:
            raise OSError("STARTUP answered opcode 0x%02x, not READY" % op)
        for i, statement in enumerate(statements):
            q = statement.encode()
            op, _ = frame(sock, 3 + i, 0x07, struct.pack(">i", len(q)) + q + struct.pack(">hB", 0x0006, 0))
            if op != 0x08:
                raise OSError("statement answered opcode 0x%02x, not RESULT" % op)
        q = b"SELECT release_version FROM system.local"
        body = struct.pack(">i", len(q)) + q + struct.pack(">hB", 0x0001, 0)
        op, r = frame(sock, 2, 0x07, body)
        if op != 0x08 or r.take(">i") != 2:
            raise OSError("unexpected QUERY answer")
        flags, ncols = r.take(">ii")
        if flags & 0x0002:
            r.bytes_()
        if not flags & 0x0004:
            if flags & 0x0001:
                r.string(), r.string()
            for _ in range(ncols):
                if not flags & 0x0001:
                    r.string(), r.string()
                r.string()
                if r.take(">h") == 0:
                    r.string()
        if r.take(">i") < 1:
            raise OSError("system.local returned no row")
        return r.bytes_().decode()


# --------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------

class Service:
    name = ""
    main_class = ""
    timeout = 60

    def __init__(self):
        self.dir = os.path.join(HOME, self.name)
        self.lib = os.path.join(self.dir, "lib")
        self.data = os.path.join(self.dir, "data")
        self.pidfile = os.path.join(self.dir, self.name + ".pid")
        self.logfile = os.path.join(self.dir, self.name + ".log")
        self.pom = os.path.join(HERE, self.name, "pom.xml")

    # ---- jars ----
    def fetch(self):
        with open(self.pom, "rb") as f:
            pom_bytes = f.read()
        digest = hashlib.sha256(pom_bytes).hexdigest()
        marker = os.path.join(self.lib, ".complete")
        try:
            with open(marker) as f:
                if f.read().strip() == digest:
                    return False
        except OSError:
            pass
        log("%s: fetching jars with maven (%s) ..." % (self.name, self.pom))
        t0 = time.monotonic()
        mvn = find_mvn()
        work = os.path.join(self.dir, "mvn")
        tmp_lib = self.lib + ".tmp"
        shutil.rmtree(tmp_lib, ignore_errors=True)
        os.makedirs(work, exist_ok=True)
        with open(os.path.join(work, "pom.xml"), "wb") as f:
            f.write(pom_bytes)
        cmd = [mvn, "-q", "-B", "-f", os.path.join(work, "pom.xml"),
               "dependency:copy-dependencies", "-DincludeScope=runtime",
               "-DoutputDirectory=" + tmp_lib]
        r = subprocess.run(cmd, cwd=work, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0 or not glob.glob(os.path.join(tmp_lib, "*.jar")):
            raise Failure("%s: maven failed:\n%s" % (self.name, r.stdout[-4000:]))
        shutil.rmtree(self.lib, ignore_errors=True)
        os.rename(tmp_lib, self.lib)
        with open(marker, "w") as f:
            f.write(digest + "\n")
        log("%s: %d jars fetched in %.1f s" % (
            self.name, len(glob.glob(os.path.join(self.lib, "*.jar"))),
            time.monotonic() - t0))
        return True

    def version(self):
        return "?"

    # ---- pid ----
    def pid(self):
        """pid of our running server, or None (cleans a stale pid file)."""
        try:
            with open(self.pidfile) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        if pid_alive(pid) and self.main_class in pid_cmdline(pid):
            return pid
        try:
            os.unlink(self.pidfile)
        except OSError:
            pass
        return None

    # ---- lifecycle ----
    def probe(self):
        raise NotImplementedError

    def answering(self):
        try:
            return self.probe()
        except (OSError, struct.error, UnicodeDecodeError, IndexError):
            return None

    def launch(self):
        """Write configs and start the JVM; returns the pid."""
        os.makedirs(self.data, exist_ok=True)
        self.write_configs()
        self.prepare()
        cmd = self.command()
        logf = open(self.logfile, "ab")
        logf.write(("\n===== goblins-services: starting %s at %s =====\n" % (
            self.name, time.strftime("%Y-%m-%d %H:%M:%S"))).encode())
        logf.flush()
        proc = subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.DEVNULL,
                                stdout=logf, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True)
        logf.close()
        with open(self.pidfile, "w") as f:
            f.write("%d\n" % proc.pid)
        return proc

    def port(self):
        raise NotImplementedError

    def all_ports(self):
        return [self.port()]

    def down(self, grace=45):
        pid = self.pid()
        if pid is None:
            log("%s: not running" % self.name)
            return True
        log("%s: stopping pid %d (SIGTERM) ..." % (self.name, pid))
        t0 = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        while time.monotonic() - t0 < grace:
            if not pid_alive(pid):
                break
            time.sleep(0.2)
        else:
            log("%s: still alive after %d s, SIGKILL" % (self.name, grace))
            os.kill(pid, signal.SIGKILL)
            self.wait_dead(pid)
        self.wait_port_closed()
        try:
            os.unlink(self.pidfile)
        except OSError:
            pass
        log("%s: stopped in %.1f s" % (self.name, time.monotonic() - t0))
        return True

    def kill9(self):
        pid = self.pid()
        if pid is None:
            log("%s: not running" % self.name)
            return True
        os.kill(pid, signal.SIGKILL)
        self.wait_dead(pid)
        self.wait_port_closed()
        try:
            os.unlink(self.pidfile)
        except OSError:
            pass
        log("%s: killed pid %d with SIGKILL" % (self.name, pid))
        return True

    def wait_dead(self, pid, timeout=30):
        t0 = time.monotonic()
        while pid_alive(pid) and time.monotonic() - t0 < timeout:
            time.sleep(0.05)

    def wait_port_closed(self, timeout=10):
        t0 = time.monotonic()
        while port_open(self.port(), timeout=0.2) and time.monotonic() - t0 < timeout:
            time.sleep(0.1)

    def status_line(self):
        pid = self.pid()
        if pid is None:
            return False, "%s: down (port %d)" % (self.name, self.port())
        desc = self.answering()
        rss = rss_mib(pid)
        state = "up" if desc else "starting/not answering"
        return bool(desc), "%s: %s pid=%d port=%s:%d rss=%s" % (
            self.name, state, pid, HOST, self.port(),
            "%.0fMiB" % rss if rss else "?")


class Kafka(Service):
    name = "kafka"
    main_class = "kafka.Kafka"
    timeout = env_int("GOBLINS_KAFKA_TIMEOUT", 90)

    def port(self):
        return KAFKA_PORT

    def all_ports(self):
        return [KAFKA_PORT, KAFKA_CONTROLLER_PORT]

    def probe(self):
        return kafka_probe(KAFKA_PORT)

    def version(self):
        jars = glob.glob(os.path.join(self.lib, "kafka_2.13-*.jar"))
        return os.path.basename(jars[0])[len("kafka_2.13-"):-4] if jars else "?"

    def write_configs(self):
        with open(os.path.join(self.dir, "server.properties"), "w") as f:
            f.write("# generated by scripts/services; rewritten on every `up`\n")
            for k, v in self.properties().items():
                f.write("%s=%s\n" % (k, v))
        with open(os.path.join(self.dir, "log4j2.xml"), "w") as f:
            f.write(KAFKA_LOG4J2)

    def format_args(self):
        return []

    def properties(self):
        return {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": "1@%s:%d" % (HOST, KAFKA_CONTROLLER_PORT),
            "listeners": "PLAINTEXT://%s:%d,CONTROLLER://%s:%d" % (
                HOST, KAFKA_PORT, HOST, KAFKA_CONTROLLER_PORT),
            "advertised.listeners": "PLAINTEXT://%s:%d" % (HOST, KAFKA_PORT),
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": self.data,
            "num.partitions": "1",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "auto.create.topics.enable": "false",
            "delete.topic.enable": "true",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # After a kill -9 the restarted controller keeps the dead broker
            # incarnation registered until its session expires (default 9 s:
            # DuplicateBrokerRegistrationException retries); shorter = faster
            # crash-restart. Heartbeats stay well inside the timeout.
            "broker.session.timeout.ms": "3000",
            "broker.heartbeat.interval.ms": "500",
            "num.network.threads": "2",
            "num.io.threads": "4",
            "num.recovery.threads.per.data.dir": "1",
            "log.retention.hours": "168",
            "log.segment.bytes": str(64 * 1024 * 1024),
        }

    def jvm(self):
        return [find_java(), "-Xms256m", "-Xmx512m", "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=20", "-XX:+ExitOnOutOfMemoryError",
                "-Djava.awt.headless=true",
                "-Dkafka.logs.dir=" + self.dir,
                "-Dlog4j2.configurationFile=" + os.path.join(self.dir, "log4j2.xml"),
                "-cp", os.path.join(self.lib, "*")]

    def prepare(self):
        if os.path.exists(os.path.join(self.data, "meta.properties")):
            return
        idfile = os.path.join(self.dir, "cluster.id")
        if not os.path.exists(idfile):
            cid = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
            with open(idfile, "w") as f:
                f.write(cid + "\n")
        with open(idfile) as f:
            cid = f.read().strip()
        log("%s: formatting storage (cluster id %s) ..." % (self.name, cid))
        t0 = time.monotonic()
        cmd = self.jvm() + ["kafka.tools.StorageTool", "format", "-t", cid,
                            "-c", os.path.join(self.dir, "server.properties"),
                            "--ignore-formatted"] + self.format_args()
        r = subprocess.run(cmd, cwd=self.dir, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise Failure("%s: storage format failed:\n%s" % (self.name, r.stdout[-4000:]))
        log("%s: storage formatted in %.1f s" % (self.name, time.monotonic() - t0))

    def command(self):
        return self.jvm() + [self.main_class,
                             os.path.join(self.dir, "server.properties")]


class Cassandra(Service):
    name = "cassandra"
    main_class = "org.apache.cassandra.service.CassandraDaemon"
    timeout = env_int("GOBLINS_CASSANDRA_TIMEOUT", 180)

    def port(self):
        return CASSANDRA_PORT

    def all_ports(self):
        return [CASSANDRA_PORT, CASSANDRA_STORAGE_PORT]

    def probe(self):
        return "release_version " + cql_probe(CASSANDRA_PORT)

    def version(self):
        jars = glob.glob(os.path.join(self.lib, "cassandra-all-*.jar"))
        return os.path.basename(jars[0])[len("cassandra-all-"):-4] if jars else "?"

    def write_configs(self):
        with open(os.path.join(self.dir, "cassandra.yaml"), "w") as f:
            f.write(self.yaml())
        with open(os.path.join(self.dir, "logback.xml"), "w") as f:
            f.write(CASSANDRA_LOGBACK)

    def yaml(self):
        return CASSANDRA_YAML % {
                "host": HOST, "storage_port": self.all_ports()[1],
                "native_port": self.port(),
                "commitlog_sync": (
                    "commitlog_sync: periodic\ncommitlog_sync_period: 10000ms"
                    if os.environ.get("GOBLINS_CASSANDRA_COMMITLOG_SYNC") == "periodic"
                    else "commitlog_sync: batch")}

    def prepare(self):
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)

    def command(self):
        java = find_java()
        jamm = sorted(glob.glob(os.path.join(self.lib, "jamm-*.jar")))
        if not jamm:
            raise Failure("cassandra: no jamm-*.jar in %s" % self.lib)
        tmp = os.path.join(self.dir, "tmp")
        cmd = [java, "-Xms1G", "-Xmx1G", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=300",
               "-Xss256k", "-XX:+PerfDisableSharedMem", "-XX:+ExitOnOutOfMemoryError",
               "-XX:+HeapDumpOnOutOfMemoryError",
               "-XX:HeapDumpPath=" + tmp,
               "-Djava.awt.headless=true",
               "-Djava.net.preferIPv4Stack=true",
               "-Djdk.attach.allowAttachSelf=true",
               "-javaagent:" + jamm[-1],
               "-Dio.netty.tryReflectionSetAccessible=true",
               "-Dchronicle.analytics.disable=true",
               "-Djna.tmpdir=" + tmp,
               "-Dio.netty.native.workdir=" + tmp,
               "-Dcassandra.config=file://" + os.path.join(self.dir, "cassandra.yaml"),
               "-Dcassandra-foreground=yes",
               "-Dcassandra.storagedir=" + self.data,
               "-Dcassandra.logdir=" + self.dir,
               "-Dlogback.configurationFile=" + os.path.join(self.dir, "logback.xml"),
               # fast single-node start and schema changes for tests
               "-Dcassandra.skip_wait_for_gossip_to_settle=0",
               "-Dcassandra.ring_delay_ms=1000",
               # NOT unsafesystem by default: with it, schema changes are not
               # flushed, and after a kill -9 the keyspaces/tables created since
               # the last flush are gone and their replayed rows are dropped
               # ("Skipped N mutations from unknown CF"). Costs ~60 ms per DDL.
               "-Dcassandra.unsafesystem=%s" % (
                   "true" if os.environ.get("GOBLINS_CASSANDRA_UNSAFESYSTEM") == "1"
                   else "false"),
               # no fsync: survives a process kill (see commitlog_sync: batch in
               # the yaml), not a machine crash -- fine for throw-away test data.
               "-Dcassandra.skip_sync=true",
               ]
        for m in ["java.base/jdk.internal.misc",
                  "java.management.rmi/com.sun.jmx.remote.internal.rmi",
                  "java.management/com.sun.jmx.remote.security",
                  "java.rmi/sun.rmi.registry", "java.rmi/sun.rmi.server",
                  "java.sql/java.sql", "java.base/java.lang.ref",
                  "jdk.unsupported/sun.misc"]:
            cmd += ["--add-exports", m + "=ALL-UNNAMED"]
        for m in ["java.base/java.lang.module", "java.base/jdk.internal.loader",
                  "java.base/jdk.internal.ref", "java.base/jdk.internal.reflect",
                  "java.base/jdk.internal.math", "java.base/jdk.internal.module",
                  "java.base/jdk.internal.util.jar",
                  "jdk.management/com.sun.management.internal",
                  "java.base/sun.nio.ch", "java.base/java.io",
                  "java.base/java.lang.reflect", "java.base/java.lang",
                  "java.base/java.util", "java.base/java.nio"]:
            cmd += ["--add-opens", m + "=ALL-UNNAMED"]
        if has_full_jdk(java):
            cmd += ["--add-exports", "jdk.attach/sun.tools.attach=ALL-UNNAMED",
                    "--add-exports", "jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
                    "--add-opens", "jdk.compiler/com.sun.tools.javac=ALL-UNNAMED"]
        cmd += ["-cp", os.path.join(self.lib, "*"), self.main_class]
        return cmd


def has_full_jdk(java):
    try:
        out = subprocess.run([java, "--list-modules"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    mods = {line.split("@")[0] for line in out.split()}
    return "jdk.compiler" in mods and "jdk.attach" in mods


KAFKA_LOG4J2 = """<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by scripts/services; stdout is redirected to kafka.log -->
<Configuration status="WARN">
  <Appenders>
    <Console name="STDOUT" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="STDOUT"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="kafka.authorizer.logger" level="WARN"/>
    <Logger name="org.apache.kafka.controller" level="INFO"/>
    <Logger name="kafka.log.LogCleaner" level="WARN"/>
    <Logger name="org.apache.kafka.storage.internals.log.LogCleaner" level="WARN"/>
  </Loggers>
</Configuration>
"""

CASSANDRA_LOGBACK = """<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by scripts/services; stdout is redirected to cassandra.log -->
<configuration scan="false">
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder>
      <pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern>
    </encoder>
  </appender>
  <logger name="org.apache.cassandra" level="INFO"/>
  <logger name="com.thinkaurelius.thrift" level="ERROR"/>
  <root level="INFO">
    <appender-ref ref="STDOUT"/>
  </root>
</configuration>
"""

# Unknown keys are fatal in cassandra.yaml: keep to keys that exist in 5.0.
CASSANDRA_YAML = """# generated by scripts/services; rewritten on every `up`
cluster_name: goblins-test
num_tokens: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "%(host)s:%(storage_port)d"
listen_address: %(host)s
rpc_address: %(host)s
storage_port: %(storage_port)d
native_transport_port: %(native_port)d
start_native_transport: true
# batch: a write is acknowledged only after its commit log section got its sync
# marker, so acknowledged writes survive `kill -9`. (periodic mode writes the
# markers only every ~100 ms, so a kill -9 can lose the last ~100 ms of acked
# writes.) -Dcassandra.skip_sync=true makes the sync itself free (no fsync),
# which only matters for machine/OS crashes, not process kills.
# GOBLINS_CASSANDRA_COMMITLOG_SYNC=periodic switches to periodic (10 s).
%(commitlog_sync)s
commitlog_segment_size: 5MiB
auto_snapshot: false
storage_compatibility_mode: NONE
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
concurrent_reads: 8
concurrent_writes: 8
concurrent_counter_writes: 8
concurrent_compactors: 1
"""

# --------------------------------------------------------------------------
# The secure set (--secure): Kafka with a SASL_SSL listener (SCRAM-SHA-512)
# and Cassandra with TLS and PasswordAuthenticator, on their own ports and
# data directories, so the plain services stay as they are.
# --------------------------------------------------------------------------

SECURE_DIR = os.path.join(HOME, "secure")
KAFKA_SECURE_PORT = env_int("GOBLINS_KAFKA_SECURE_PORT", 19192)
KAFKA_SECURE_CONTROLLER_PORT = env_int("GOBLINS_KAFKA_SECURE_CONTROLLER_PORT", 19193)
CASSANDRA_SECURE_PORT = env_int("GOBLINS_CASSANDRA_SECURE_PORT", 19142)
CASSANDRA_SECURE_STORAGE_PORT = env_int("GOBLINS_CASSANDRA_SECURE_STORAGE_PORT", 17100)
# Throw-away credentials of throw-away test services on loopback.
KAFKA_USER, KAFKA_PASSWORD = "goblins", "goblins-secret"
KAFKA_ADMIN, KAFKA_ADMIN_PASSWORD = "admin", "admin-secret"
CASSANDRA_ADMIN = ("cassandra", "cassandra")  # the default superuser
CASSANDRA_USER, CASSANDRA_PASSWORD = "goblins", "goblins-cassandra-secret"
KEYSTORE_PASSWORD = "goblins-keystore"
CA_PEM = os.path.join(SECURE_DIR, "ca.pem")
KEYSTORE = os.path.join(SECURE_DIR, "server.p12")


def ensure_certs():
    """A CA and a server certificate for 127.0.0.1/localhost (PKCS12 keystore
    for both JVMs, the CA as PEM for clients), made once with `cryptography`."""
    if os.path.exists(CA_PEM) and os.path.exists(KEYSTORE):
        return
    try:
        import datetime
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import pkcs12
        from cryptography.x509.oid import NameOID
    except ImportError:
        raise Failure("--secure needs the python package `cryptography` "
                      "(pip install cryptography) to make its certificates")
    import ipaddress
    os.makedirs(SECURE_DIR, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=3650)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("goblins test CA"))
          .issuer_name(name("goblins test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(start)
          .not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                       False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([
        x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))])
    cert = (x509.CertificateBuilder().subject_name(name("localhost"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(end).add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    p12 = pkcs12.serialize_key_and_certificates(
        b"server", key, cert, [ca],
        serialization.BestAvailableEncryption(KEYSTORE_PASSWORD.encode()))
    tmp = KEYSTORE + ".tmp"
    with open(tmp, "wb") as f:
        f.write(p12)
    os.rename(tmp, KEYSTORE)
    with open(CA_PEM + ".tmp", "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    os.rename(CA_PEM + ".tmp", CA_PEM)
    log("secure: made a test CA and server certificate in %s" % SECURE_DIR)


def tls_socket(port, timeout):
    import ssl
    context = ssl.create_default_context(cafile=CA_PEM)
    sock = plain_socket(port, timeout)
    try:
        return context.wrap_socket(sock, server_hostname=HOST)
    except Exception:
        sock.close()
        raise


def scram_socket(port, timeout, user=KAFKA_USER, password=KAFKA_PASSWORD):
    """A TLS socket to the SASL_SSL listener, logged in with SCRAM-SHA-512
    (RFC 5802; SaslHandshake v1 then SaslAuthenticate v1)."""
    import hmac
    sock = tls_socket(port, timeout)
    try:
        mech = b"SCRAM-SHA-512"
        r = kafka_request(sock, 17, 1, 10, struct.pack(">h", len(mech)) + mech)
        if r.take(">h"):
            raise OSError("SaslHandshake refused SCRAM-SHA-512")

        def authenticate(corr, data):
            r = kafka_request(sock, 36, 1, corr, struct.pack(">i", len(data)) + data)
            code = r.take(">h")
            message = r.string()
            if code:
                raise OSError("SASL login refused (%d): %s" % (code, message))
            return r.bytes_() or b""

        nonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = "n=%s,r=%s" % (user, nonce)
        server_first = authenticate(11, ("n,," + first_bare).encode()).decode()
        fields = dict(kv.split("=", 1) for kv in server_first.split(","))
        salted = hashlib.pbkdf2_hmac("sha512", password.encode(),
                                     base64.b64decode(fields["s"]), int(fields["i"]))
        client_key = hmac.new(salted, b"Client Key", "sha512").digest()
        stored_key = hashlib.sha512(client_key).digest()
        final_bare = "c=biws,r=%s" % fields["r"]
        auth_message = ",".join([first_bare, server_first, final_bare]).encode()
        signature = hmac.new(stored_key, auth_message, "sha512").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        authenticate(12, ("%s,p=%s" % (final_bare, base64.b64encode(proof).decode())).encode())
        return sock
    except Exception:
        sock.close()
        raise


class SecureKafka(Kafka):
    """Kafka with one SASL_SSL listener (SCRAM-SHA-512 users made at format
    time); the KRaft controller listener stays plaintext on loopback."""
    name = "kafka-secure"

    def __init__(self):
        super().__init__()
        self.lib = os.path.join(HOME, "kafka", "lib")  # the plain Kafka's jars
        self.pom = os.path.join(HERE, "kafka", "pom.xml")

    def port(self):
        return KAFKA_SECURE_PORT

    def all_ports(self):
        return [KAFKA_SECURE_PORT, KAFKA_SECURE_CONTROLLER_PORT]

    def probe(self):
        return kafka_probe(KAFKA_SECURE_PORT, connect=scram_socket)

    def answering(self):
        try:
            return self.probe()
        except (OSError, struct.error, UnicodeDecodeError, IndexError, ValueError, KeyError):
            return None

    def properties(self):
        props = super().properties()
        listener = "SASL_SSL://%s:%d" % (HOST, KAFKA_SECURE_PORT)
        jaas = ('org.apache.kafka.common.security.scram.ScramLoginModule required '
                'username="%s" password="%s";' % (KAFKA_ADMIN, KAFKA_ADMIN_PASSWORD))
        props.update({
            "controller.quorum.voters": "1@%s:%d" % (HOST, KAFKA_SECURE_CONTROLLER_PORT),
            "listeners": "%s,CONTROLLER://%s:%d" % (listener, HOST, KAFKA_SECURE_CONTROLLER_PORT),
            "advertised.listeners": listener,
            "inter.broker.listener.name": "SASL_SSL",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL",
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": jaas,
            "ssl.keystore.type": "PKCS12",
            "ssl.keystore.location": KEYSTORE,
            "ssl.keystore.password": KEYSTORE_PASSWORD,
            "ssl.key.password": KEYSTORE_PASSWORD,
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": CA_PEM,
            "super.users": "User:%s" % KAFKA_ADMIN,
        })
        return props

    def prepare(self):
        ensure_certs()
        super().prepare()

    def format_args(self):
        return ["--add-scram", "SCRAM-SHA-512=[name=%s,password=%s]" % (KAFKA_ADMIN, KAFKA_ADMIN_PASSWORD),
                "--add-scram", "SCRAM-SHA-512=[name=%s,password=%s]" % (KAFKA_USER, KAFKA_PASSWORD)]

    def jvm(self):
        return [a if a != "-Xmx512m" else "-Xmx384m" for a in super().jvm()]


class SecureCassandra(Cassandra):
    """Cassandra whose native port speaks only TLS and asks for a password
    (PasswordAuthenticator; the probe makes the role goblins, a superuser)."""
    name = "cassandra-secure"

    def __init__(self):
        super().__init__()
        self.lib = os.path.join(HOME, "cassandra", "lib")  # the plain Cassandra's jars
        self.pom = os.path.join(HERE, "cassandra", "pom.xml")

    def port(self):
        return CASSANDRA_SECURE_PORT

    def all_ports(self):
        return [CASSANDRA_SECURE_PORT, CASSANDRA_SECURE_STORAGE_PORT]

    def probe(self):
        # The probe also makes the role the tests log in with (idempotent).
        role = ("CREATE ROLE IF NOT EXISTS %s WITH PASSWORD = '%s' AND LOGIN = true "
                "AND SUPERUSER = true" % (CASSANDRA_USER, CASSANDRA_PASSWORD))
        return "release_version " + cql_probe(
            CASSANDRA_SECURE_PORT, connect=tls_socket, login=CASSANDRA_ADMIN,
            statements=[role])

    def answering(self):
        try:
            return self.probe()
        except (OSError, struct.error, UnicodeDecodeError, IndexError, ValueError):
            return None

    def yaml(self):
        text = super().yaml().replace("cluster_name: goblins-test\n", "cluster_name: goblins-test-secure\n")
        text = text.replace("authenticator: AllowAllAuthenticator\n", "authenticator: PasswordAuthenticator\n")
        return text + CASSANDRA_TLS_YAML % {"keystore": KEYSTORE, "password": KEYSTORE_PASSWORD}

    def prepare(self):
        ensure_certs()
        super().prepare()

    def command(self):
        cmd = super().command()
        heap = {"-Xms1G": "-Xms512M", "-Xmx1G": "-Xmx512M"}
        cmd = [heap.get(a, a) for a in cmd]
        # The default superuser is made 10 s after start unless told otherwise.
        return cmd[:1] + ["-Dcassandra.superuser_setup_delay_ms=0"] + cmd[1:]


CASSANDRA_TLS_YAML = """client_encryption_options:
  enabled: true
  optional: false
  keystore: %(keystore)s
  keystore_password: %(password)s
  store_type: PKCS12
  require_client_auth: false
"""

SECURE_SERVICES = {"kafka": SecureKafka, "cassandra": SecureCassandra}


SERVICES = {"kafka": Kafka, "cassandra": Cassandra}


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------

def select(args, allow_all=True, sets=(SERVICES,)):
    which = args[0] if args else "all"
    if which == "all" and allow_all:
        return [cls() for table in sets for cls in table.values()]
    if which in SERVICES:
        return [table[which]() for table in sets]
    raise Failure("unknown service %r (expected kafka, cassandra%s)" % (
        which, ", all" if allow_all else ""))


def cmd_up(services):
    os.makedirs(HOME, exist_ok=True)
    if os.environ.get("GOBLINS_SERVICES_SKIP_PIP") != "1":
        try:
            ensure_python_clients(quiet=True)
        except Failure as e:
            err("warning: %s (servers will still start)" % e)
    pending = []
    for svc in services:
        os.makedirs(svc.dir, exist_ok=True)
        pid = svc.pid()
        if pid is not None:
            desc = svc.answering()
            if desc:
                log("%s: already running and answering (pid %d, %s:%d; %s)" % (
                    svc.name, pid, HOST, svc.port(), desc))
                continue
            log("%s: pid %d running but not answering yet; waiting" % (svc.name, pid))
            pending.append((svc, None, time.monotonic(), pid))
            continue
        for port in svc.all_ports():
            if port_open(port):
                raise Failure("%s: port %s:%d is already in use by another process"
                              % (svc.name, HOST, port))
        svc.fetch()
        pending.append((svc, "launch", None, None))
    # launch everything first, then wait for all (they start in parallel)
    waiting = []
    for svc, action, t0, pid in pending:
        if action == "launch":
            t0 = time.monotonic()
            proc = svc.launch()
            pid = proc.pid
            log("%s %s: launched pid %d (log: %s)" % (
                svc.name, svc.version(), pid, svc.logfile))
        waiting.append([svc, t0, pid])
    failed = []
    while waiting:
        for item in list(waiting):
            svc, t0, pid = item
            elapsed = time.monotonic() - t0
            if not pid_alive(pid):
                failed.append(svc)
                err("%s: process %d exited during start-up after %.1f s; log tail:\n%s"
                    % (svc.name, pid, elapsed, failure_report(svc.logfile)))
                waiting.remove(item)
                continue
            desc = svc.answering()
            if desc:
                rss = rss_mib(pid)
                log("%s: up in %.1f s (pid %d, %s:%d, rss %.0f MiB; %s)" % (
                    svc.name, elapsed, pid, HOST, svc.port(), rss or 0, desc))
                waiting.remove(item)
            elif elapsed > svc.timeout:
                failed.append(svc)
                err("%s: not answering after %d s (pid %d still alive); log tail:\n%s"
                    % (svc.name, svc.timeout, pid, failure_report(svc.logfile)))
                waiting.remove(item)
        if waiting:
            time.sleep(0.25)
    if failed:
        raise Failure("failed to start: " + ", ".join(s.name for s in failed))
    return 0


def cmd_down(services):
    for svc in services:
        svc.down()
    return 0


def cmd_status(services):
    ok = True
    for svc in services:
        up, line = svc.status_line()
        log(line)
        ok = ok and up
    return 0 if ok else 1


def cmd_kill9(services):
    for svc in services:
        svc.kill9()
    return 0


def cmd_env(_services, secure=False):
    if not secure:
        print("GOBLINS_TEST_KAFKA=%s:%d" % (HOST, KAFKA_PORT))
        print("GOBLINS_TEST_CASSANDRA=%s:%d" % (HOST, CASSANDRA_PORT))
        return 0
    # Quoted (the URLs hold '&'): use eval "$(scripts/services env --secure)".
    print("GOBLINS_TEST_KAFKA_SECURE_URL='kafka://%s:%d?security=SASL_SSL&sasl_mechanism=SCRAM-SHA-512"
          "&username=%s&ca=%s'" % (HOST, KAFKA_SECURE_PORT, KAFKA_USER, CA_PEM))
    print("GOBLINS_TEST_KAFKA_SECURE_PASSWORD='%s'" % KAFKA_PASSWORD)
    print("GOBLINS_TEST_CASSANDRA_SECURE_URL='cassandra://%s@%s:%d/goblins?tls=1&ca=%s'" % (
        CASSANDRA_USER, HOST, CASSANDRA_SECURE_PORT, CA_PEM))
    print("GOBLINS_TEST_CASSANDRA_SECURE_PASSWORD='%s'" % CASSANDRA_PASSWORD)
    return 0


def cmd_logs(services):
    for svc in services:
        print("==> %s <==" % svc.logfile)
        print(tail(svc.logfile, 60))
    return 0


def cmd_wipe(services):
    for svc in services:
        if svc.pid() is not None:
            raise Failure("%s is running; run `down %s` first" % (svc.name, svc.name))
        shutil.rmtree(svc.data, ignore_errors=True)
        for extra in ("cluster.id", "tmp"):
            p = os.path.join(svc.dir, extra)
            if os.path.isdir(p):
                shutil.rmtree(p, ignore_errors=True)
            elif os.path.exists(p):
                os.unlink(p)
        log("%s: data wiped (%s); jars kept" % (svc.name, svc.data))
    return 0


USAGE = """usage: scripts/services COMMAND [--secure|--with-secure] [kafka|cassandra|all]

  up [svc]        fetch jars (cached), write configs, start, wait until answering
  down [svc]      SIGTERM, wait, SIGKILL if needed
  status [svc]    up/down with pid and port; exit 0 if all requested are up
  restart svc     down then up, keeping data
  kill9 svc       kill -9 (crash tests); data kept
  env             print GOBLINS_TEST_KAFKA=... and GOBLINS_TEST_CASSANDRA=...
                  (use: export $(scripts/services env))
  logs [svc]      tail the server logs
  wipe [svc]      delete data of stopped services (jars kept)
  deps            pip-install confluent-kafka / cassandra-driver if missing

  --secure        the secure set instead: Kafka with a SASL_SSL listener
                  (SCRAM-SHA-512; port 19192), Cassandra with TLS and a
                  password (port 19142); own data dirs, the plain services
                  are not touched. `env --secure` prints their URLs
                  (use: eval "$(scripts/services env --secure)")
  --with-secure   both sets (`up` starts all four in parallel)

state dir: %s
""" % HOME


def main(argv):
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if argv else 2
    cmd, args = argv[0], [a for a in argv[1:] if a not in ("--secure", "--with-secure")]
    secure, both = "--secure" in argv[1:], "--with-secure" in argv[1:]
    sets = (SERVICES, SECURE_SERVICES) if both else (SECURE_SERVICES,) if secure else (SERVICES,)

    def selected(args, allow_all=True):
        return select(args, allow_all, sets)

    if cmd == "env":
        if both:
            cmd_env(None)
        return cmd_env(None, secure or both)
    if cmd == "deps":
        ensure_python_clients()
        return 0
    os.makedirs(HOME, exist_ok=True)
    # serialize concurrent invocations (e.g. parallel test workers)
    lock = open(os.path.join(HOME, ".lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        if cmd == "up":
            return cmd_up(selected(args))
        if cmd == "down":
            return cmd_down(selected(args))
        if cmd == "status":
            return cmd_status(selected(args))
        if cmd == "restart":
            services = selected(args, allow_all=True)
            cmd_down(services)
            return cmd_up(services)
        if cmd in ("kill9", "kill-9"):
            return cmd_kill9(selected(args, allow_all=True))
        if cmd == "logs":
            return cmd_logs(selected(args))
        if cmd == "wipe":
            return cmd_wipe(selected(args))
        err(USAGE)
        return 2
    finally:
        lock.close()


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Failure as e:
        err("error: %s" % e)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
