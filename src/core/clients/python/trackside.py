"""Trackside client: record metrics, params, tags, inputs and models of a training run.

    import trackside as ts
    ts.log_params({"lr": 0.01, "epochs": 5})
    for step in range(100):
        ts.log_metric("loss", loss, step=step)
    ts.log_input("data/train.csv")
    ts.log_model("model.pt")

Started by `trackside run` (or the editor), the client writes into the run folder the launcher
created ($TRACKSIDE_RUN_DIR). Run any other way, it creates its own run folder under the nearest
`.trackside/` above the working folder (or a new `.trackside/` in it), copies what the script
prints into the run's output.log, and records how the script ended (finished, failed with its
exit code and traceback, or stopped by Ctrl-C), as the launcher would.

Single file, standard library only, Python >= 3.8. Every event is one JSON line appended with a
single os.write() on an O_APPEND descriptor, so lines from threads, forked workers and the
launcher never interleave. Logging never breaks training: a failure prints one warning per kind
of call to stderr and the script goes on.
"""

import atexit
import builtins
import collections
import errno
import functools
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
import traceback

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

# A full disk (or quota): what the client cannot write yet is kept, up to this much, oldest dropped first.
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
_BACKLOG_MAX_BYTES = 64 << 20

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


_LOG_OPTIONS = ("commit", "sync")  # W&B's options of wandb.log(), accepted and ignored: they are no metrics


def _log_values(data, keywords):
    """The metrics of a log() call: a mapping (nested ones flattened to `a/b` keys) and keywords."""
    values = {}

    def flatten(mapping, prefix):
        for key, value in mapping.items():
            name = "%s/%s" % (prefix, key) if prefix else str(key)
            if isinstance(value, dict):
                flatten(value, name)
            else:
                values[name] = value

    if data is not None:
        if not hasattr(data, "items"):
            raise TypeError("log() takes a dict of metrics or keyword arguments, got %s" % type(data).__name__)
        flatten(dict(data.items()), "")
    flatten({k: v for k, v in keywords.items() if k not in _LOG_OPTIONS}, "")
    return values


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


# ---------------------------------------------------------------- output and exit (own runs only)
#
# Under `trackside run` the launcher tees the output into output.log and writes the final status
# from the exit code it sees. A run this client created has no launcher, so the client does both
# from inside the process, without changing anything the script itself sees or does.

_Outcome = collections.namedtuple("_Outcome", "status exit_code signal message traceback")
_FINISHED = _Outcome("finished", 0, None, "exited with code 0", None)
_TRACEBACK_LINES = 60
_MAX_PENDING = 64 * 1024  # a partial line longer than this (a progress bar redrawn with \r) is written out


def _exit_outcome(code):
    """How `sys.exit(code)` ends the process: None is 0, a number is the exit code, anything else
    is printed by Python and exits with 1."""
    if code is None:
        number = 0
    elif isinstance(code, int):
        number = code & 0xFF if os.name == "posix" else code
    else:
        number = 1
    if number == 0:
        return _FINISHED
    detail = "" if code is None or isinstance(code, int) else ": %s" % str(code)[:500]
    return _Outcome("failed", number, None, "exited with code %d%s" % (number, detail), None)


def _exception_outcome(exc_type, exc, tb):
    if issubclass(exc_type, SystemExit):
        return _exit_outcome(getattr(exc, "code", None))
    lines = "".join(traceback.format_exception(exc_type, exc, tb)).splitlines()[-_TRACEBACK_LINES:]
    kept = "\n".join(lines) + "\n"
    if issubclass(exc_type, KeyboardInterrupt):
        return _Outcome("killed", 130, "SIGINT", "stopped by Ctrl-C", kept)
    summary = traceback.format_exception_only(exc_type, exc)[-1].strip()
    return _Outcome("failed", 1, None, summary[:500], kept)


def _last_exception():
    """The exception that ended the script: the interpreter sets it before sys.excepthook prints it,
    even when a library replaced the hook."""
    return getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)


def _interactive():
    """A REPL or a notebook, where exceptions and SystemExit do not end the process."""
    if hasattr(sys, "ps1") or sys.flags.interactive:
        return True
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    try:
        return bool(get_ipython and get_ipython() is not None)
    except Exception:
        return False


class _OutputLog:
    """A run's output.log. Complete lines go out with one os.write() each, so lines from stdout,
    stderr, threads and forked workers never break each other up; flush() writes a partial line."""

    def __init__(self, path):
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        self._lock = threading.RLock()  # reentrant: a signal handler may print while the main thread writes
        self._pending = {}

    def add(self, stream, text):
        if self._fd is None or not isinstance(text, str) or not text:
            return
        # Partial lines wait per stream and per thread: print() writes its text and its newline in
        # two calls, and another thread's line may come in between.
        key = (stream, threading.get_ident())
        try:
            with self._lock:
                data = self._pending.pop(key, "") + text
                cut = data.rfind("\n") + 1
                if len(data) - cut > _MAX_PENDING:
                    cut = len(data)
                if cut < len(data):
                    self._pending[key] = data[cut:]
                self._write(data[:cut])
        except Exception as error:
            self._broken(error)

    def flush(self, stream=None):
        """Writes out the calling thread's partial line on `stream`, or every partial line."""
        try:
            with self._lock:
                keys = [(stream, threading.get_ident())] if stream is not None else list(self._pending)
                for key in keys:
                    self._write(self._pending.pop(key, ""))
        except Exception as error:
            self._broken(error)

    def append(self, text):
        self.flush()
        try:
            with self._lock:
                self._write(text)
        except Exception as error:
            self._broken(error)

    def close(self):
        self.flush()
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def after_fork(self):
        self._lock = threading.RLock()
        self._pending = {}

    def shows(self, text, window=64 * 1024):
        """True when `text` is in the last `window` bytes written."""
        self.flush()
        try:
            with open(self.path, "rb") as handle:
                handle.seek(max(0, os.fstat(handle.fileno()).st_size - window))
                return text.encode("utf-8", "replace") in handle.read()
        except OSError:
            return False

    def _write(self, text):
        if not text or self._fd is None:
            return
        data = text.encode("utf-8", "replace")
        written = os.write(self._fd, data)
        while written < len(data):
            written += os.write(self._fd, data[written:])

    def _broken(self, error):
        # Closed before warning: the warning itself goes through the tee.
        fd, self._fd = self._fd, None
        try:
            if fd is not None:
                os.close(fd)
        except OSError:
            pass
        _warn("write output.log", error)


class _OutputTee:
    """Stands in for sys.stdout or sys.stderr while a run of this client is open: the real stream
    gets every call as before, and what is written also goes to output.log. Once the run ends it only
    passes through, so a reference kept elsewhere (a logging handler, redirect_stdout) stays harmless."""

    def __init__(self, stream, log):
        self._trackside_stream = stream
        self._trackside_log = log

    def write(self, text):
        result = self._trackside_stream.write(text)
        log = self._trackside_log
        if log is not None:
            log.add(self, text)
        return result

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        self._trackside_stream.flush()
        log = self._trackside_log
        if log is not None:
            log.flush(self)

    def __getattr__(self, name):
        if name.startswith("_trackside_"):
            raise AttributeError(name)
        return getattr(self._trackside_stream, name)


def _point_logging_handlers(pairs):
    """Logging handlers made before the run (logging.basicConfig) hold the real stream; each
    (old, new) pair moves those holding `old` to `new`, so their lines reach output.log too."""
    logging = sys.modules.get("logging")
    if logging is None:
        return
    try:
        loggers = [logging.getLogger()] + [logger for logger in list(logging.Logger.manager.loggerDict.values())
                                           if isinstance(logger, logging.Logger)]
        for logger in loggers:
            for handler in list(logger.handlers):
                if isinstance(handler, logging.StreamHandler):
                    for old, new in pairs:
                        if getattr(handler, "stream", None) is old:
                            handler.setStream(new)
    except Exception as error:
        _warn("copy logging output to output.log", error)


class _ExitWatch:
    """Learns how the script ends, for the runs this client created: sys.exit (and the exit()/quit()
    builtins) are wrapped to remember their code and then do exactly what they did; an atexit handler
    ends the open run with that outcome, or with the exception that ended the script. Only the
    process that created the run records anything: forked workers leave through the same hooks."""

    def __init__(self):
        self.pid = os.getpid()
        self.active = True
        self.run = None
        self.ended_run = None
        self._exit_args = None
        self._known_exception = _last_exception()
        self._restore = []
        if not _interactive():  # there SystemExit ends a cell, not the process
            self._wrap(sys, "exit")
            self._wrap(builtins, "exit")
            self._wrap(builtins, "quit")
        atexit.register(self.at_exit)

    def _wrap(self, owner, name):
        original = getattr(owner, name, None)
        if not callable(original):
            return
        watch = self

        @functools.wraps(original)
        def recording_exit(*args, **kwargs):
            watch._record_exit(args[0] if args else kwargs.get("code"))
            return original(*args, **kwargs)

        setattr(owner, name, recording_exit)
        self._restore.append((owner, name, original, recording_exit))

    def _record_exit(self, code):
        try:
            # SystemExit raised in another thread only ends that thread.
            if self.active and os.getpid() == self.pid and threading.current_thread() is threading.main_thread():
                self._exit_args = (code,)
        except Exception:
            pass

    def outcome(self):
        if not _interactive():
            error = _last_exception()
            if error is not None and error is not self._known_exception:
                return _exception_outcome(type(error), error, error.__traceback__)
        if self._exit_args is not None:
            return _exit_outcome(self._exit_args[0])
        return _FINISHED

    def at_exit(self):
        if not self.active or os.getpid() != self.pid:
            return
        try:
            outcome = self.outcome()
            if self.run is not None:
                self.run._close(outcome)
            elif self.ended_run is not None and outcome.status != "finished":
                self.ended_run._amend(outcome)
        except Exception as error:
            _warn("record how the run ended", error)
        finally:
            self.uninstall(exiting=True)

    def uninstall(self, exiting=False):
        global _watch
        self.active = False
        for owner, name, original, wrapper in reversed(self._restore):
            if getattr(owner, name, None) is wrapper:  # replaced again since: leave theirs (ours passes through)
                setattr(owner, name, original)
        self._restore = []
        if not exiting:
            atexit.unregister(self.at_exit)
        if _watch is self:
            _watch = None


_watch = None
_own_runs = 0


def _watch_run_started(run):
    global _watch, _own_runs
    _own_runs += 1
    try:
        if _watch is None:
            _watch = _ExitWatch()
        _watch.run = run
        _watch.ended_run = None
    except Exception as error:
        _warn("watch how the script ends", error)


def _watch_run_ended(run, left_block):
    """A single-run script's run that ended by leaving its `with` block still takes the script's
    outcome if the script fails after it, as under `trackside run`; otherwise the watch ends here."""
    watch = _watch
    if watch is None or watch.run is not run:
        return
    watch.run = None
    if left_block and _own_runs == 1 and watch.pid == os.getpid():
        watch.ended_run = run
    else:
        watch.uninstall()


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
        # Lines the disk has not taken yet (a full disk), oldest first; written before any newer one.
        self._backlog = collections.deque()
        self._backlog_bytes = 0
        self._dropped = 0
        self._disk_full_told = False
        self._ended = False
        self._output = None
        self._tees = []
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
            self._backlog.append(line)
            self._backlog_bytes += len(line)
            while self._backlog_bytes > _BACKLOG_MAX_BYTES and len(self._backlog) > 1:
                self._backlog_bytes -= len(self._backlog.popleft())
                self._dropped += 1
            self._drain()

    def _drain(self):
        """Writes the waiting lines in order (lock held). A full disk keeps them for the next call;
        any other failure loses the line it hit, as before, and is raised to the caller."""
        while self._backlog:
            data = self._backlog[0]
            try:
                written = os.write(self._fd, data)
            except OSError as error:
                if error.errno not in _DISK_FULL:
                    self._backlog_bytes -= len(self._backlog.popleft())
                    raise
                self._on_disk_full(error)
                return
            if written < len(data):
                # Cut short by a full disk: the file keeps whole lines, so the part written is taken
                # back and the line waits whole. Should that fail (another writer appended since), only
                # the tail waits, so nothing is written twice.
                if not self._take_back(written):
                    self._backlog[0] = data[written:]
                    self._backlog_bytes -= written
                self._on_disk_full(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
                return
            self._backlog.popleft()
            self._backlog_bytes -= len(data)

    def _take_back(self, written):
        """Truncates the last `written` bytes, if they are still the end of the file (lock held)."""
        try:
            end = os.lseek(self._fd, 0, os.SEEK_CUR)
            if os.fstat(self._fd).st_size != end:
                return False
            os.ftruncate(self._fd, end - written)
            return True
        except OSError:
            return False

    def _on_disk_full(self, error):
        if self._disk_full_told:
            return
        self._disk_full_told = True
        atexit.register(self._flush_at_exit)
        try:
            sys.stderr.write("trackside: cannot write to the run folder (%s); training continues, metrics are kept "
                             "in memory (up to %d MB) and written when the disk has room again\n"
                             % (os.strerror(error.errno), _BACKLOG_MAX_BYTES >> 20))
            sys.stderr.flush()
        except Exception:
            pass

    def _give_up_backlog(self):
        """At the end of the run (lock held): a last try, then one line naming what could not be kept."""
        if self._backlog and self._fd is not None:
            try:
                self._drain()
            except OSError:
                pass
        lost = len(self._backlog) + self._dropped
        self._backlog.clear()
        self._backlog_bytes = self._dropped = 0
        if lost:
            try:
                sys.stderr.write("trackside: %d metric lines could not be written to events.jsonl before the run "
                                 "ended (disk full)\n" % lost)
                sys.stderr.flush()
            except Exception:
                pass

    def _flush_at_exit(self):
        with self._lock:
            self._give_up_backlog()

    def _after_fork(self):
        self._lock = threading.Lock()
        # What waits for the disk is the parent's to write; the child would write it a second time.
        self._backlog = collections.deque()
        self._backlog_bytes = self._dropped = 0
        if self._output is not None:
            self._output.after_fork()

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

    def log(self, data=None, step=None, **metrics):
        """`run.log({"loss": 0.5}, step=3)` as in W&B, or `run.log(loss=0.5, step=3)`."""
        if step is None and isinstance(data, int) and not isinstance(data, bool):
            data, step = None, data  # the step given first, as `log(step=None, **metrics)` once took it
        try:
            values = _log_values(data, metrics)
        except Exception as error:
            _warn("log metrics", error)
            return
        self.log_metrics(values, step=step)

    def _relative(self, absolute):
        try:
            relative = os.path.relpath(absolute, self.workspace)
        except ValueError:  # another drive on Windows
            return absolute
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            return absolute
        return relative.replace(os.sep, "/")

    # -- lifecycle of runs this client created

    def _write_status(self, outcome):
        running = outcome is None
        _write_json_atomic(os.path.join(self.dir, "status.json"), {
            "version": PROTOCOL_VERSION, "status": "running" if running else outcome.status, "pid": os.getpid(),
            "exitCode": None if running else outcome.exit_code, "signal": None if running else outcome.signal,
            "startedAt": self._started_at, "endedAt": None if running else _now_iso(),
            "message": None if running else outcome.message})

    def _start_output(self):
        try:
            self._output = _OutputLog(os.path.join(self.dir, "output.log"))
        except Exception as error:
            _warn("create output.log", error)
            return
        pairs = []
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name, None)
            if stream is None:
                continue
            if isinstance(stream, _OutputTee):  # left behind by an earlier run (redirect_stdout restored it)
                stream = stream._trackside_stream
            tee = _OutputTee(stream, self._output)
            setattr(sys, name, tee)
            pairs.append((stream, tee))
        self._tees = pairs
        _point_logging_handlers(pairs)

    def _stop_output(self, traceback_text=None):
        """Puts sys.stdout and sys.stderr back (where still ours), adds the traceback unless it was
        printed already, and closes output.log."""
        output, pairs = self._output, self._tees
        self._output, self._tees = None, []
        if output is None:
            return
        if traceback_text and output.shows(traceback_text.rstrip("\n").rsplit("\n", 1)[-1]):
            traceback_text = None
        for stream, tee in pairs:
            tee._trackside_log = None
            for attribute in ("stdout", "stderr"):
                if getattr(sys, attribute, None) is tee:
                    setattr(sys, attribute, stream)
        _point_logging_handlers([(tee, stream) for stream, tee in pairs])
        try:
            if traceback_text:
                output.append(traceback_text)
            output.close()
        except Exception as error:
            _warn("write output.log", error)

    def end(self, status="finished", message=None):
        """Ends a run this client started (runs started by the launcher are ended by the launcher)."""
        code = {"finished": 0, "killed": 130}.get(status, 1)
        self._close(_Outcome(status, code, None, message or "exited with code %d" % code, None))

    def _close(self, outcome, left_block=False):
        global _active
        with _state_lock:
            if self._ended:
                return
            self._ended = True
            if _active is self:
                _active = None
        with self._lock:
            self._give_up_backlog()
            if self._disk_full_told:
                atexit.unregister(self._flush_at_exit)
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        if not self.owned:
            return
        self._stop_output(outcome.traceback)
        try:
            self._write_status(outcome)
        except Exception as error:
            _warn("write the run status", error)
        _watch_run_ended(self, left_block)

    def _amend(self, outcome):
        try:
            if outcome.traceback:
                with open(os.path.join(self.dir, "output.log"), "a", encoding="utf-8", errors="replace") as handle:
                    handle.write(outcome.traceback)
            self._write_status(outcome)
        except Exception as error:
            _warn("write the run status", error)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._close(_FINISHED, left_block=True)
        else:
            self._close(_exception_outcome(exc_type, exc, tb))
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
    run._write_status(None)
    run._start_output()
    _watch_run_started(run)
    return run


def _attach_launched_run():
    run_dir = os.environ.get("TRACKSIDE_RUN_DIR")
    if not run_dir:
        return None
    if not os.path.isdir(run_dir):
        # The user deleted the launcher's run while it trained: nothing more is recorded, and no new
        # run folder takes its place.
        return Run(None, None, os.getcwd(), owned=False)
    workspace = os.environ.get("TRACKSIDE_WORKSPACE") or _find_workspace(os.path.dirname(os.path.dirname(run_dir)))
    return Run(run_dir, os.environ.get("TRACKSIDE_RUN_ID") or os.path.basename(run_dir), workspace, owned=False)


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
    """The run being logged into, or None outside a run (as MLflow's `active_run()`): inside
    `trackside run` that is the launcher's run; otherwise the run that start_run() or the first
    logging call created, until it ends. Asking never creates a run."""
    global _active
    with _state_lock:
        if _active is not None and not _active._ended:
            return _active
        launched = _attach_launched_run()
        if launched is not None:
            _active = launched
        return launched


def end_run(status="finished"):
    with _state_lock:
        run = _active
    if run is not None:
        run.end(status)


def _run_or_none():
    """The run a logging call writes into, started on the first call; None if none can be had."""
    try:
        return start_run()
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


def log(data=None, step=None, **metrics):
    """Shorthand: `ts.log({"loss": 0.3, "acc": 0.9}, step=10)` (the W&B habit; nested dicts give
    `train/loss` keys) or `ts.log(loss=0.3, acc=0.9, step=10)`."""
    run = _run_or_none()
    if run is not None:
        run.log(data, step=step, **metrics)


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
