"""Trackside client: record metrics, params, tags, inputs and models of a training run.

    import trackside as ts
    ts.log_params({"lr": 0.01, "epochs": 5})
    for step in range(100):
        ts.log_metric("loss", loss, step=step)
    ts.log_input("data/train.csv")
    ts.log_model("model.pt")

Started by `trackside run` (or the editor), the client writes into the run folder the launcher
created ($TRACKSIDE_RUN_DIR). Run any other way, it creates its own run folder under the nearest
`.trackside/` above the working folder (or a new `.trackside/` in it) and marks the run finished
or failed when the script ends.

Single file, standard library only, Python >= 3.8. Every event is one JSON line appended with a
single os.write() on an O_APPEND descriptor, so lines from threads, forked workers and the
launcher never interleave. Logging never breaks training: a failure prints one warning per kind
of call to stderr and the script goes on.
"""

import atexit
import hashlib
import json
import math
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time

__all__ = [
    "Run",
    "active_run",
    "end_run",
    "log",
    "log_artifact",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "set_tag",
    "start_run",
]

PROTOCOL_VERSION = 1
TRACKSIDE_DIR = ".trackside"
DEFAULT_PACKAGES = ("torch", "sklearn", "numpy", "pandas", "tensorflow", "transformers", "jax")
_DISTRIBUTIONS = {
    "sklearn": ("scikit-learn",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tf-nightly"),
}
_ARTIFACT_KINDS = ("file", "model", "dataset")
_HASH_CACHE_VERSION = 1

_warned = set()
_state_lock = threading.RLock()
_active = None


def _warn(kind, error, subject=None):
    """One line on stderr the first time a kind of call fails; the same kind stays silent after that."""
    if kind in _warned:
        return
    _warned.add(kind)
    try:
        what = "%s %s" % (kind, subject) if subject is not None else kind
        sys.stderr.write("trackside: could not %s (%s); training continues, later failures of this kind are silent\n"
                         % (what, error))
        sys.stderr.flush()
    except Exception:
        pass


# ---------------------------------------------------------------- values


def _number(value):
    """A float from Python, numpy or torch scalars (anything with .item() or __float__)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    item = getattr(value, "item", None)
    if callable(item):
        value = item()
    return float(value)


def _encode_number(value):
    """JSON has no NaN or Infinity; the protocol writes them as strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _step(step):
    if step is None:
        return None
    item = getattr(step, "item", None)
    if callable(item):
        step = item()
    return int(step)


def _param_value(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            value = item()
        except Exception:
            return str(value)
        if isinstance(value, (bool, int, str)):
            return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


def _metric_key(key):
    if not isinstance(key, str) or not key or len(key) > 250:
        raise ValueError("metric key must be a non-empty string of at most 250 characters, got %r" % (key,))
    return key


# ---------------------------------------------------------------- files


def _write_json_atomic(path, data):
    temp = "%s.%d.%d.tmp" % (path, os.getpid(), random.getrandbits(32))
    with open(temp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.replace(temp, path)


def _find_workspace(start):
    here = os.path.abspath(start)
    current = here
    while True:
        if os.path.isdir(os.path.join(current, TRACKSIDE_DIR)):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return here
        current = parent


def _now_iso():
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".%03dZ" % int((now % 1) * 1000)


# ---------------------------------------------------------------- hashing


def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


class _HashCache:
    """Digests keyed by absolute path, valid while size and mtime hold; shared with the editor."""

    def __init__(self, workspace):
        self.path = os.path.join(workspace, TRACKSIDE_DIR, "cache", "hashes.json")
        self.entries = {}
        self.dirty = False
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
            if data.get("version") == _HASH_CACHE_VERSION and isinstance(data.get("entries"), dict):
                self.entries = data["entries"]
        except Exception:
            pass

    def digest(self, path, info):
        stamp = str(info.st_mtime_ns)
        entry = self.entries.get(path)
        if isinstance(entry, dict) and entry.get("size") == info.st_size and entry.get("mtimeNs") == stamp:
            return entry.get("sha256")
        value = _sha256_file(path)
        self.entries[path] = {"size": info.st_size, "mtimeNs": stamp, "mtimeMs": info.st_mtime_ns / 1e6,
                              "sha256": value}
        self.dirty = True
        return value

    def save(self):
        if not self.dirty:
            return
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            _write_json_atomic(self.path, {"version": _HASH_CACHE_VERSION, "entries": self.entries})
        except Exception as error:
            _warn("save the hash cache", error)


def hash_path(path, cache=None):
    """(sha256, size) of a file, or of a folder: sha256 over `<posix path>\\0<file sha256>\\n` lines,
    regular files sorted by the UTF-8 bytes of their path (the same algorithm as the editor's)."""
    path = os.path.abspath(path)
    info = os.stat(path)
    digest_of = cache.digest if cache else (lambda p, _i: _sha256_file(p))
    if os.path.isfile(path):
        return digest_of(path, info), info.st_size
    files = []
    for root, _dirs, names in os.walk(path, followlinks=False):
        for name in names:
            absolute = os.path.join(root, name)
            try:
                file_info = os.stat(absolute)
            except OSError:
                continue  # a dangling link holds no content
            if not os.path.isfile(absolute):
                continue
            relative = os.path.relpath(absolute, path).replace(os.sep, "/")
            files.append((relative.encode("utf-8", "surrogateescape"), absolute, file_info))
    files.sort(key=lambda entry: entry[0])
    total = hashlib.sha256()
    size = 0
    for relative, absolute, file_info in files:
        total.update(relative + b"\0" + digest_of(absolute, file_info).encode("ascii") + b"\n")
        size += file_info.st_size
    return total.hexdigest(), size


# ---------------------------------------------------------------- run metadata (own runs only)


_ADJECTIVES = ["amber", "brisk", "calm", "clever", "crisp", "daring", "eager", "fancy", "gentle", "glad", "golden",
               "humble", "jolly", "keen", "lively", "lucky", "mellow", "nimble", "proud", "quick", "quiet", "rapid",
               "rosy", "shy", "silent", "steady", "sunny", "swift", "tidy", "vivid", "witty", "zesty"]
_NOUNS = ["badger", "bison", "comet", "crane", "delta", "ember", "falcon", "fern", "finch", "fox", "gecko", "harbor",
          "heron", "lynx", "maple", "meadow", "moose", "nebula", "orca", "otter", "panda", "pine", "quartz", "raven",
          "river", "robin", "sparrow", "tiger", "tulip", "walrus", "willow", "zebra"]
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _new_run_id():
    """A ULID: 48 bits of milliseconds then 80 random bits, so ids sort by creation time."""
    value = (int(time.time() * 1000) << 80) | random.SystemRandom().getrandbits(80)
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def _readable_name(run_id):
    digits = [max(_CROCKFORD.find(c), 0) for c in run_id[-6:].upper()]
    return "%s-%s-%d" % (_ADJECTIVES[(digits[0] * 32 + digits[1]) % len(_ADJECTIVES)],
                         _NOUNS[(digits[2] * 32 + digits[3]) % len(_NOUNS)], (digits[4] * 32 + digits[5]) % 100)


def _parse_value(text):
    stripped = text.strip()
    try:
        if stripped and stripped.lstrip("+-")[:1] in "0123456789." and stripped.lower() not in ("nan", "inf"):
            number = float(stripped)
            return int(number) if number.is_integer() and "." not in stripped and "e" not in stripped.lower() \
                else number
    except ValueError:
        pass
    if stripped in ("true", "True"):
        return True
    if stripped in ("false", "False"):
        return False
    return text


def _params_from_argv(args):
    """`--lr 0.1`, `--lr=0.1`, `-e 5`, flags as true; `--max-iter` is recorded as `max_iter`."""
    params = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            break
        if not arg.startswith("-") or len(arg) < 2 or not (arg.lstrip("-")[:1].isalpha() or arg.lstrip("-")[:1] == "_"):
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        key = name.replace("-", "_")
        if eq:
            params[key] = _parse_value(value)
        elif i < len(args) and (not args[i].startswith("-") or args[i][1:2].isdigit() or args[i][1:2] == "."):
            params[key] = _parse_value(args[i])
            i += 1
        else:
            params[key] = True
    return params


def _strip_credentials(url):
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    user_info, _, host = authority.rpartition("@")
    if scheme.lower() in ("ssh", "git+ssh", "ssh+git"):
        user = user_info.split(":")[0]
        return "%s://%s%s%s%s" % (scheme, user + "@" if user else "", host, slash, path)
    return "%s://%s%s%s" % (scheme, host, slash, path)


def _git(args, cwd):
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    result = subprocess.run(["git"] + args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            timeout=10)
    return result.returncode, result.stdout


def _capture_git(cwd, patch_path):
    try:
        code, _ = _git(["rev-parse", "--show-toplevel"], cwd)
        if code != 0:
            return None
        code, out = _git(["rev-parse", "--verify", "-q", "HEAD"], cwd)
        commit = out.decode().strip() if code == 0 and out.strip() else None
        code, out = _git(["symbolic-ref", "--short", "-q", "HEAD"], cwd)
        branch = out.decode().strip() if code == 0 and out.strip() else None
        _, out = _git(["status", "--porcelain", "--untracked-files=all", "-z"], cwd)
        entries = [e for e in out.decode("utf-8", "replace").split("\0") if e]
        untracked = sorted(e[3:] for e in entries if e.startswith("?? "))
        tracked = any(not e.startswith("?? ") and len(e) > 3 and e[2] == " " for e in entries)
        _, out = _git(["config", "--get-regexp", r"^remote\..*\.url$"], cwd)
        remotes = {}
        for line in out.decode("utf-8", "replace").splitlines():
            name, _, url = line.partition(" ")
            name = name[len("remote."):-len(".url")]
            remotes.setdefault(name, url)
        remote = remotes.get("origin") or (next(iter(remotes.values())) if remotes else None)
        code, patch = _git(["diff", "--binary", "--no-color", "--no-ext-diff", "HEAD" if commit else "--cached"], cwd)
        if code == 0 and patch:
            with open(patch_path, "wb") as handle:
                handle.write(patch)
        return {"commit": commit, "branch": branch, "dirty": bool(tracked or untracked or patch),
                "remote": _strip_credentials(remote) if remote else None, "untracked": untracked}
    except Exception:
        return None


def _environment(packages=DEFAULT_PACKAGES):
    versions = {}
    try:
        from importlib import metadata
        for name in packages:
            for dist in _DISTRIBUTIONS.get(name, (name,)):
                try:
                    versions[name] = metadata.version(dist)
                    break
                except Exception:
                    pass
    except ImportError:
        pass
    return {"os": "%s %s" % (platform.system(), platform.release()), "platform": sys.platform,
            "arch": {"x86_64": "x64", "AMD64": "x64", "aarch64": "arm64"}.get(platform.machine(), platform.machine()),
            "hostname": socket.gethostname(), "node": None, "interpreter": sys.executable,
            "interpreterVersion": platform.python_version(), "packages": versions}


def _script_argv():
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    return (os.path.abspath(script) if script else None), list(sys.argv[1:])


# ---------------------------------------------------------------- the run


class Run:
    """One run folder. Use the module functions, or `with start_run(...) as run:` and its methods."""

    def __init__(self, run_dir, run_id, workspace, owned):
        self.dir = run_dir
        self.id = run_id
        self.workspace = workspace
        self.owned = owned
        self._lock = threading.Lock()
        self._fd = None
        self._ended = False
        self._failure = None
        self._started_at = _now_iso()

    # -- writing

    def _append(self, event):
        line = (json.dumps(event, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")
        if self.dir is None:
            return
        with self._lock:
            if self._fd is None:
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
                self._fd = os.open(os.path.join(self.dir, "events.jsonl"), flags, 0o644)
            written = os.write(self._fd, line)
            while written < len(line):  # never in practice for a regular file; guards the write(2) contract
                written += os.write(self._fd, line[written:])

    def _after_fork(self):
        self._lock = threading.Lock()

    # -- the API

    def log_metric(self, key, value, step=None):
        try:
            event = {"type": "metric", "key": _metric_key(key), "value": _encode_number(_number(value)),
                     "ts": time.time()}
            step = _step(step)
            if step is not None:
                event["step"] = step
            self._append(event)
        except Exception as error:
            _warn("log metric", error, repr(key))

    def log_metrics(self, metrics, step=None):
        try:
            items = list(dict(metrics).items())
        except Exception as error:
            _warn("log metrics", error)
            return
        for key, value in items:
            self.log_metric(key, value, step=step)

    def log_params(self, params):
        try:
            values = {str(k): _param_value(v) for k, v in dict(params).items()}
            if values:
                self._append({"type": "params", "values": values, "ts": time.time()})
        except Exception as error:
            _warn("log params", error)

    def log_param(self, key, value):
        self.log_params({key: value})

    def set_tag(self, key, value):
        try:
            if not isinstance(key, str) or not key:
                raise ValueError("tag key must be a non-empty string")
            self._append({"type": "tag", "key": key, "value": str(value), "ts": time.time()})
        except Exception as error:
            _warn("set tag", error)

    def log_artifact(self, path, kind="file", name=None, role="output"):
        """Records a file or folder with its sha256 and size. `kind`: file, model or dataset."""
        try:
            if kind not in _ARTIFACT_KINDS:
                raise ValueError("kind must be one of %s, got %r" % (", ".join(_ARTIFACT_KINDS), kind))
            if role not in ("input", "output"):
                raise ValueError("role must be input or output, got %r" % (role,))
            absolute = os.path.abspath(os.fspath(path))
            cache = _HashCache(self.workspace)
            digest, size = hash_path(absolute, cache)
            cache.save()
            event = {"type": "artifact", "path": self._relative(absolute), "role": role, "kind": kind,
                     "sha256": digest, "size": size, "ts": time.time()}
            if name:
                event["name"] = str(name)
            self._append(event)
        except Exception as error:
            _warn("log artifact", error, path)

    def log_input(self, path, kind="dataset", name=None):
        self.log_artifact(path, kind=kind, name=name, role="input")

    def log_model(self, path, name=None):
        self.log_artifact(path, kind="model", name=name, role="output")

    def log(self, step=None, **metrics):
        self.log_metrics(metrics, step=step)

    def _relative(self, absolute):
        try:
            relative = os.path.relpath(absolute, self.workspace)
        except ValueError:  # another drive on Windows
            return absolute
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            return absolute
        return relative.replace(os.sep, "/")

    # -- lifecycle of runs this client created

    def _write_status(self, status, exit_code=None, message=None):
        _write_json_atomic(os.path.join(self.dir, "status.json"), {
            "version": PROTOCOL_VERSION, "status": status, "pid": os.getpid(), "exitCode": exit_code,
            "signal": None, "startedAt": self._started_at,
            "endedAt": None if status == "running" else _now_iso(), "message": message})

    def end(self, status="finished", message=None):
        """Ends a run this client started (runs started by the launcher are ended by the launcher)."""
        global _active
        with _state_lock:
            if self._ended:
                return
            self._ended = True
            if _active is self:
                _active = None
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        if not self.owned:
            return
        if self._failure and status == "finished":
            status, message = self._failure
        try:
            code = {"finished": 0, "killed": 130}.get(status, 1)
            self._write_status(status, code, message or ("exited with code %d" % code))
        except Exception as error:
            _warn("write the run status", error)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, _tb):
        if exc_type is None:
            self.end("finished")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.end("killed", "stopped by Ctrl-C")
        else:
            self.end("failed", "%s: %s" % (exc_type.__name__, exc))
        return False


def _create_own_run(experiment, name, params):
    workspace = _find_workspace(os.getcwd())
    run_id = _new_run_id()
    run_dir = os.path.join(workspace, TRACKSIDE_DIR, "runs", run_id)
    os.makedirs(run_dir, exist_ok=True)
    script, argv = _script_argv()
    recorded = _params_from_argv(argv)
    recorded.update({str(k): _param_value(v) for k, v in (params or {}).items()})
    stem = os.path.splitext(os.path.basename(script))[0] if script else "python"
    run = Run(run_dir, run_id, workspace, owned=True)
    info = {
        "version": PROTOCOL_VERSION, "id": run_id, "experiment": experiment or stem,
        "name": name or _readable_name(run_id), "argv": [sys.executable] + ([script] if script else []) + argv,
        "cwd": os.getcwd(), "script": script, "createdAt": run._started_at,
        "git": _capture_git(os.getcwd(), os.path.join(run_dir, "git.patch")), "environment": _environment(),
        "params": recorded, "parentRunId": os.environ.get("TRACKSIDE_PARENT_RUN_ID") or None,
        "placement": {"kind": "slurm", "jobId": os.environ["SLURM_JOB_ID"],
                      "node": os.environ.get("SLURMD_NODENAME")} if os.environ.get("SLURM_JOB_ID")
        else {"kind": "local", "jobId": None, "node": None},
    }
    _write_json_atomic(os.path.join(run_dir, "run.json"), info)
    run._write_status("running")
    atexit.register(run.end)
    _chain_excepthook()
    return run


def _attach_launched_run():
    run_dir = os.environ.get("TRACKSIDE_RUN_DIR")
    if not run_dir or not os.path.isdir(run_dir):
        return None
    workspace = os.environ.get("TRACKSIDE_WORKSPACE") or _find_workspace(os.path.dirname(os.path.dirname(run_dir)))
    return Run(run_dir, os.environ.get("TRACKSIDE_RUN_ID") or os.path.basename(run_dir), workspace, owned=False)


_hook_installed = False


def _chain_excepthook():
    """An exception that ends the script marks the run failed (then the usual traceback prints)."""
    global _hook_installed
    if _hook_installed:
        return
    _hook_installed = True
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        run = _active
        if run is not None and run.owned:
            if issubclass(exc_type, KeyboardInterrupt):
                run._failure = ("killed", "stopped by Ctrl-C")
            else:
                run._failure = ("failed", "%s: %s" % (exc_type.__name__, exc))
        previous(exc_type, exc, tb)

    sys.excepthook = hook


def start_run(experiment=None, name=None, params=None):
    """The run to log into; usable as `with start_run(...) as run:`.

    Inside a run started by `trackside run`, that run is returned (experiment and name were set by
    the launcher; params are logged). Otherwise a new run folder is created.
    """
    global _active
    with _state_lock:
        if _active is not None and not _active._ended:
            if params:
                _active.log_params(params)
            return _active
        run = _attach_launched_run()
        if run is not None:
            _active = run
            if params:
                run.log_params(params)
            return run
        try:
            _active = _create_own_run(experiment, name, params)
        except Exception as error:
            # Training goes on unrecorded rather than stopping on a full disk or a read-only folder.
            _warn("create a run folder", error)
            _active = Run(None, None, os.getcwd(), owned=False)
        return _active


def active_run():
    """The current run, starting one if none is active yet."""
    with _state_lock:
        if _active is not None and not _active._ended:
            return _active
        return start_run()


def end_run(status="finished"):
    with _state_lock:
        run = _active
    if run is not None:
        run.end(status)


def _run_or_none():
    try:
        return active_run()
    except Exception:
        return None


def log_metric(key, value, step=None):
    run = _run_or_none()
    if run is not None:
        run.log_metric(key, value, step)


def log_metrics(metrics, step=None):
    run = _run_or_none()
    if run is not None:
        run.log_metrics(metrics, step)


def log(step=None, **metrics):
    """Shorthand: `ts.log(loss=0.3, acc=0.9, step=10)`."""
    log_metrics(metrics, step)


def log_param(key, value):
    run = _run_or_none()
    if run is not None:
        run.log_param(key, value)


def log_params(params):
    run = _run_or_none()
    if run is not None:
        run.log_params(params)


def set_tag(key, value):
    run = _run_or_none()
    if run is not None:
        run.set_tag(key, value)


def log_artifact(path, kind="file", name=None):
    run = _run_or_none()
    if run is not None:
        run.log_artifact(path, kind=kind, name=name)


def log_input(path, kind="dataset", name=None):
    run = _run_or_none()
    if run is not None:
        run.log_input(path, kind=kind, name=name)


def log_model(path, name=None):
    run = _run_or_none()
    if run is not None:
        run.log_model(path, name=name)


def _reset_after_fork():
    # A lock held by another thread at fork time would stay locked forever in the child.
    global _state_lock
    _state_lock = threading.RLock()
    if _active is not None:
        _active._after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
