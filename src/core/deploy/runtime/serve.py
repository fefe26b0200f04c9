#!/usr/bin/env python3
"""Trackside model server: an Open Inference Protocol (v2) endpoint for one model.

Standard library only (Python >= 3.8); the model's own framework (scikit-learn, torch) must be importable.
It pulls the model from an OCI registry by manifest digest (CNCF ModelPack layout), verifies every byte
against its sha256 digest, loads it, and only then reports ready.

    python3 serve.py --model-ref 127.0.0.1:5000/team/iris@sha256:<hex> --model-name iris --port 8080
    python3 serve.py --model-file ./model.pkl --model-name iris          # a local file, no registry

Every option can also come from the environment (TRACKSIDE_MODEL_REF, TRACKSIDE_MODEL_NAME, TRACKSIDE_PORT, ...),
which is how container manifests usually pass them.

What it serves, and how it protects itself:
  * It listens on 127.0.0.1 unless told otherwise (--host 0.0.0.0 exposes it on every address).
  * With TRACKSIDE_AUTH_TOKEN set (environment only, so it never shows in a process list), every route but
    the health checks (/healthz, /v2/health/live, /v2/health/ready) needs `Authorization: Bearer <token>`.
  * A request body needs a Content-Length of at most --max-body-bytes (413 over it, 411 without it), must be
    JSON (400) nested at most --max-json-depth deep (400), with at most --max-rows rows per input (413).
  * /metrics answers in the Prometheus text format: requests, errors and a latency histogram per model version.
  * With --prediction-log, a share (--sample-rate, default 1.0) of the answered requests is appended, inputs
    and outputs, to a JSON-lines file: rotated at --log-max-bytes (default 50 MB), keeping --log-files files
    (default 3). It is written by a thread of its own, so a slow disk never holds up an answer.
  * SIGTERM drains: the port is closed, requests in flight are answered, the prediction log is flushed.

Exit codes tell the deployer what went wrong without reading the log:
  2 bad arguments, 3 port already in use, 4 model pull failed, 5 model failed to load.
"""

import argparse
import base64
import errno
import hashlib
import hmac
import json
import os
import pickle
import queue
import random
import re
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RUNTIME_VERSION = "2"

EXIT_USAGE = 2
EXIT_PORT_IN_USE = 3
EXIT_PULL_FAILED = 4
EXIT_LOAD_FAILED = 5

MANIFEST_MEDIA_TYPES = "application/vnd.oci.image.manifest.v1+json"
WEIGHT_MEDIA_TYPE = "application/vnd.cncf.model.weight.v1.raw"
FILEPATH_ANNOTATION = "org.cncf.model.filepath"
DIGEST_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")

TORCH_SUFFIXES = (".pt", ".pth", ".torchscript", ".ts")
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav")

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_JSON_DEPTH = 32
DEFAULT_MAX_ROWS = 10000
DEFAULT_LOG_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_LOG_FILES = 3
# Long enough for an inference in flight to finish, short enough for a 5 s stop grace period.
DRAIN_SECONDS = 3.0
# How long clients are told to keep an idle connection: well inside DRAIN_SECONDS.
KEEP_ALIVE_HINT_SECONDS = 2
# Latency buckets in seconds, as Prometheus client libraries default to, with 2.5 ms added for fast models.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
HEALTH_PATHS = ("/healthz", "/v2/health/live", "/v2/health/ready")

# OIP v2 datatypes to numpy / torch dtype names (same spelling in both libraries).
DATATYPES = {
    "BOOL": "bool",
    "UINT8": "uint8",
    "INT8": "int8",
    "INT16": "int16",
    "INT32": "int32",
    "INT64": "int64",
    "FP16": "float16",
    "FP32": "float32",
    "FP64": "float64",
}
DATATYPE_BY_DTYPE = {v: k for k, v in DATATYPES.items()}


# What this process's log lines start with; router.py, which uses these functions, names itself.
LOG_PREFIX = "trackside-serve"


def log(message):
    sys.stderr.write("%s: %s\n" % (LOG_PREFIX, message))
    sys.stderr.flush()


class ServeError(Exception):
    def __init__(self, exit_code, message):
        Exception.__init__(self, message)
        self.exit_code = exit_code


class RequestError(Exception):
    """A client mistake, answered with `status` (400 unless said otherwise) and the message."""

    def __init__(self, message, status=400, close=False):
        Exception.__init__(self, message)
        self.status = status
        # The body was not read (or not all of it): the connection cannot carry another request.
        self.close = close

# ---------------------------------------------------------------------------------------------------------------
# Pulling a ModelPack artifact by digest


def parse_model_ref(ref):
    """Splits `registry/repo/name@sha256:<hex>`; a tag is refused because only a digest pins the bytes."""
    if "@" not in ref:
        raise ServeError(EXIT_USAGE, "model reference %r must end in @sha256:<digest>" % ref)
    name, digest = ref.rsplit("@", 1)
    if not DIGEST_PATTERN.match(digest):
        raise ServeError(EXIT_USAGE, "model reference %r has an invalid digest" % ref)
    if "/" not in name:
        raise ServeError(EXIT_USAGE, "model reference %r has no registry host" % ref)
    registry, repository = name.split("/", 1)
    return registry, repository, digest


class _CredentialsStayHome(urllib.request.HTTPRedirectHandler):
    """Follows a registry's redirects (blob storage, a CDN) without taking its Authorization along."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        follow = super().redirect_request(req, fp, code, msg, headers, newurl)
        if follow is not None and urllib.parse.urlsplit(newurl).netloc != urllib.parse.urlsplit(req.full_url).netloc:
            follow.remove_header("Authorization")
        return follow


class RegistryReader:
    def __init__(self, registry, repository, plain_http, username, password, ca_file, token=None):
        scheme = "http" if plain_http else "https"
        self.registry = registry
        self.plain_http = plain_http
        self.base = "%s://%s/v2/%s" % (scheme, registry, repository)
        self.repository = repository
        self.username = username
        self.password = password
        # A pull token handed over by the deployer (scoped to this repository) stands in for credentials.
        self.token = token or None
        self.token_given = bool(token)
        self.context = None
        if not plain_http:
            self.context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
        handlers = [_CredentialsStayHome()]
        if self.context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=self.context))
        self.opener = urllib.request.build_opener(*handlers)

    def _may_send_credentials(self, url):
        """Over https to any host (a registry's token service often lives elsewhere); over plain http only
        to the registry itself, when it was configured as a plain-http registry."""
        parts = urllib.parse.urlsplit(url)
        return parts.scheme == "https" or (parts.scheme == "http" and self.plain_http and parts.netloc == self.registry)

    def _basic(self):
        raw = ("%s:%s" % (self.username, self.password)).encode("utf-8")
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def _open(self, url, accept):
        headers = {"Accept": accept, "User-Agent": "trackside-serve/" + RUNTIME_VERSION}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        elif self.username:
            headers["Authorization"] = self._basic()
        return self.opener.open(urllib.request.Request(url, headers=headers), timeout=60)

    def _fetch_token(self, challenge):
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", None)
        if not realm:
            raise ServeError(EXIT_PULL_FAILED, "registry asked for a token without a realm")
        params.setdefault("scope", "repository:%s:pull" % self.repository)
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(params)
        headers = {"User-Agent": "trackside-serve/" + RUNTIME_VERSION}
        if self.username:
            if not self._may_send_credentials(realm):
                raise ServeError(EXIT_PULL_FAILED, (
                    "the registry %s sends its token requests to %s, plain http on another host: the registry "
                    "credentials are not sent there. Serve the token service over https (or from the registry's "
                    "own host), or deploy from a registry that needs no credentials") % (self.registry, realm))
            headers["Authorization"] = self._basic()
        with self.opener.open(urllib.request.Request(url, headers=headers), timeout=60) as r:
            body = json.loads(r.read().decode("utf-8"))
        self.token = body.get("token") or body.get("access_token")
        if not self.token:
            raise ServeError(EXIT_PULL_FAILED, "token server answered without a token")

    def get(self, path, accept):
        url = self.base + path
        try:
            return self._open(url, accept)
        except urllib.error.HTTPError as error:
            challenge = error.headers.get("WWW-Authenticate", "")
            if error.code == 401 and challenge.lower().startswith("bearer") and not self.token:
                self._fetch_token(challenge)
                return self._open(url, accept)
            if error.code == 401 and self.token_given:
                raise ServeError(EXIT_PULL_FAILED, (
                    "the registry %s refused the pull token this server was given (tokens expire within "
                    "minutes of the deploy): deploy again") % self.registry)
            raise


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def safe_join(root, relative):
    """Keeps a layer's file path inside the model folder, whatever the manifest says."""
    target = os.path.normpath(os.path.join(root, relative))
    if os.path.isabs(relative) or not target.startswith(os.path.abspath(root) + os.sep):
        raise ServeError(EXIT_PULL_FAILED, "layer file path %r leaves the model folder" % relative)
    return target


def file_digest(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def pull_model(args):
    registry, repository, digest = parse_model_ref(args.model_ref)
    reader = RegistryReader(registry, repository, args.plain_http, args.username, args.password, args.ca_file,
                            args.token)
    log("pulling %s/%s@%s" % (registry, repository, digest))
    try:
        with reader.get("/manifests/" + digest, MANIFEST_MEDIA_TYPES) as response:
            raw = response.read()
        if "sha256:" + sha256_hex(raw) != digest:
            raise ServeError(EXIT_PULL_FAILED, "manifest bytes do not match %s" % digest)
        manifest = json.loads(raw.decode("utf-8"))
        layers = [
            layer
            for layer in manifest.get("layers", [])
            if layer.get("mediaType") == WEIGHT_MEDIA_TYPE and FILEPATH_ANNOTATION in layer.get("annotations", {})
        ]
        if not layers:
            raise ServeError(EXIT_PULL_FAILED, "manifest %s has no %s layer" % (digest, WEIGHT_MEDIA_TYPE))
        root = os.path.join(os.path.abspath(args.model_dir), digest.replace(":", "-"))
        files = []
        for layer in layers:
            relative = layer["annotations"][FILEPATH_ANNOTATION]
            target = safe_join(root, relative)
            files.append(target)
            if os.path.isfile(target) and file_digest(target) == layer["digest"]:
                log("%s already present" % relative)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            partial = target + ".partial"
            hasher = hashlib.sha256()
            with reader.get("/blobs/" + layer["digest"], "application/octet-stream") as response:
                with open(partial, "wb") as out:
                    for chunk in iter(lambda: response.read(1 << 20), b""):
                        hasher.update(chunk)
                        out.write(chunk)
            if "sha256:" + hasher.hexdigest() != layer["digest"]:
                os.unlink(partial)
                raise ServeError(EXIT_PULL_FAILED, "blob for %s does not match %s" % (relative, layer["digest"]))
            os.replace(partial, target)
            log("pulled %s (%s, verified)" % (relative, layer["digest"]))
        return files
    except urllib.error.HTTPError as error:
        raise ServeError(EXIT_PULL_FAILED, "registry answered %s for %s" % (error.code, error.url))
    except urllib.error.URLError as error:
        raise ServeError(EXIT_PULL_FAILED, "cannot reach registry %s: %s" % (registry, error.reason))


# ---------------------------------------------------------------------------------------------------------------
# Loading and running models


def choose_model_file(files, wanted):
    if wanted:
        for path in files:
            if path.endswith(os.sep + wanted) or os.path.basename(path) == wanted:
                return path
        raise ServeError(EXIT_LOAD_FAILED, "no file %r in the model artifact" % wanted)
    for path in files:
        if path.endswith(TORCH_SUFFIXES + PICKLE_SUFFIXES):
            return path
    return files[0]


class SklearnModel:
    platform = "sklearn"

    def __init__(self, model):
        if not hasattr(model, "predict"):
            raise ServeError(EXIT_LOAD_FAILED, "unpickled a %s, which has no predict()" % type(model).__name__)
        self.model = model

    def metadata(self):
        features = getattr(self.model, "n_features_in_", None)
        classes = getattr(self.model, "classes_", None)
        label_type = DATATYPE_BY_DTYPE.get(str(getattr(classes, "dtype", "")), "BYTES") if classes is not None else "FP64"
        outputs = [{"name": "predict", "datatype": label_type, "shape": [-1]}]
        if hasattr(self.model, "predict_proba"):
            outputs.append({"name": "predict_proba", "datatype": "FP64", "shape": [-1, -1]})
        inputs = [{"name": "input-0", "datatype": "FP64", "shape": [-1, features if features else -1]}]
        return inputs, outputs

    def infer(self, inputs, requested):
        import numpy

        if len(inputs) != 1:
            raise RequestError("a scikit-learn model takes exactly one input tensor, got %d" % len(inputs))
        features = to_array(numpy, inputs[0])
        names = requested or ["predict"]
        outputs = []
        for name in names:
            if name == "predict":
                result = self.model.predict(features)
            elif name == "predict_proba" and hasattr(self.model, "predict_proba"):
                result = self.model.predict_proba(features)
            else:
                raise RequestError("unknown output %r (this model has predict%s)" % (
                    name, " and predict_proba" if hasattr(self.model, "predict_proba") else ""))
            outputs.append(from_array(name, numpy.asarray(result)))
        return outputs


class TorchScriptModel:
    platform = "pytorch_torchscript"

    def __init__(self, module):
        self.module = module
        self.module.eval()

    def metadata(self):
        return [{"name": "input-0", "datatype": "FP32", "shape": [-1]}], [{"name": "output-0", "datatype": "FP32", "shape": [-1]}]

    def infer(self, inputs, requested):
        import torch

        tensors = []
        for tensor in inputs:
            dtype = getattr(torch, DATATYPES[tensor["datatype"]])
            tensors.append(torch.tensor(tensor["data"], dtype=dtype).reshape(tensor["shape"]))
        with torch.no_grad():
            result = self.module(*tensors)
        results = list(result) if isinstance(result, (tuple, list)) else [result]
        outputs = [from_array("output-%d" % i, r.detach().cpu().numpy()) for i, r in enumerate(results)]
        if requested:
            by_name = dict((o["name"], o) for o in outputs)
            missing = [n for n in requested if n not in by_name]
            if missing:
                raise RequestError("unknown output(s) %s (this model has %s)" % (missing, sorted(by_name)))
            outputs = [by_name[n] for n in requested]
        return outputs


def load_model(path):
    log("loading %s" % os.path.basename(path))
    try:
        if path.endswith(TORCH_SUFFIXES):
            import torch

            return TorchScriptModel(torch.jit.load(path, map_location="cpu"))
        with open(path, "rb") as f:
            return SklearnModel(pickle.load(f))
    except ServeError:
        raise
    except Exception as error:  # the loader's own words are the most useful thing to show
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        raise ServeError(EXIT_LOAD_FAILED, "model failed to load from %s: %s" % (os.path.basename(path), detail))


def to_array(numpy, tensor):
    array = numpy.asarray(tensor["data"], dtype=DATATYPES[tensor["datatype"]])
    try:
        return array.reshape(tensor["shape"])
    except ValueError:
        raise RequestError("input %r: %d values do not fit shape %s" % (tensor["name"], array.size, tensor["shape"]))


def from_array(name, array):
    dtype = str(array.dtype)
    if dtype in DATATYPE_BY_DTYPE:
        datatype = DATATYPE_BY_DTYPE[dtype]
        data = array.reshape(-1).tolist()
    else:  # class labels that are strings
        datatype = "BYTES"
        data = [str(v) for v in array.reshape(-1).tolist()]
    return {"name": name, "shape": list(array.shape), "datatype": datatype, "data": data}


def count_values(data):
    """Counts the scalars in flat or nested tensor data (OIP allows both)."""
    return sum(count_values(item) if isinstance(item, list) else 1 for item in data)


def tensor_rows(shape):
    """Rows in a batch: the first dimension of a [rows, features...] tensor, or one for a single vector."""
    return shape[0] if len(shape) > 1 else 1


def validate_inputs(body, max_rows=DEFAULT_MAX_ROWS):
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list) or not body["inputs"]:
        raise RequestError('the request needs "inputs": a non-empty list of tensors')
    inputs = []
    for index, tensor in enumerate(body["inputs"]):
        if not isinstance(tensor, dict):
            raise RequestError("inputs[%d] is not an object" % index)
        for field in ("name", "shape", "datatype", "data"):
            if field not in tensor:
                raise RequestError("inputs[%d] has no %r" % (index, field))
        if tensor["datatype"] not in DATATYPES:
            raise RequestError("inputs[%d]: datatype %r is not one of %s" % (index, tensor["datatype"], sorted(DATATYPES)))
        shape = tensor["shape"]
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise RequestError("inputs[%d]: shape must be a list of non-negative integers" % index)
        if tensor_rows(shape) > max_rows:
            raise RequestError("input %r has %d rows; this server takes at most %d per request" % (
                tensor["name"], tensor_rows(shape), max_rows), status=413)
        if not isinstance(tensor["data"], list):
            raise RequestError("inputs[%d]: data must be a list" % index)
        expected, count = 1, count_values(tensor["data"])
        for dim in shape:
            expected *= dim
        if count != expected:
            raise RequestError("input %r: %d values do not fit shape %s" % (tensor["name"], count, shape))
        inputs.append(tensor)
    requested = None
    if isinstance(body.get("outputs"), list):
        requested = [o.get("name") for o in body["outputs"] if isinstance(o, dict)]
    return inputs, requested


# ---------------------------------------------------------------------------------------------------------------
# Request guards: shared with router.py, which imports this file


class Limits:
    def __init__(self, max_body_bytes=DEFAULT_MAX_BODY_BYTES, max_json_depth=DEFAULT_MAX_JSON_DEPTH,
                 max_rows=DEFAULT_MAX_ROWS):
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth
        self.max_rows = max_rows


CONTENT_LENGTH = re.compile(r"^[0-9]+$")


def declared_length(headers, limits):
    """The body length a request declares, or a RequestError saying why it cannot be read."""
    if headers.get("Transfer-Encoding"):
        raise RequestError("send the body with a Content-Length (chunked transfer encoding is not supported)",
                           status=411, close=True)
    raw = headers.get("Content-Length")
    if raw is None:
        raise RequestError("a request body needs a Content-Length header", status=411, close=True)
    # int() would also take "+5", " 5" and "1_0"; a length is digits only.
    if not CONTENT_LENGTH.match(raw.strip()):
        raise RequestError("Content-Length %r is not a non-negative integer" % raw[:40], close=True)
    length = int(raw)
    if length > limits.max_body_bytes:
        raise RequestError("the body of %d bytes is over this server's limit of %d bytes" % (
            length, limits.max_body_bytes), status=413, close=True)
    return length


def read_body(handler, limits):
    length = declared_length(handler.headers, limits)
    body = handler.rfile.read(length)
    if len(body) < length:
        raise RequestError("the body ended after %d of its %d bytes" % (len(body), length), close=True)
    return body


def nested_deeper_than(value, limit):
    """True when lists and objects nest more than `limit` levels; iterative, so no input can exhaust the stack."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        for child in children:
            if isinstance(child, (list, dict)):
                stack.append((child, depth + 1))
    return False


def parse_json_body(body, limits):
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestError("request body is not UTF-8: %s" % error)
    try:
        value = json.loads(text)
    except RecursionError:
        raise RequestError("request body nests deeper than %d levels" % limits.max_json_depth)
    except ValueError as error:
        raise RequestError("request body is not JSON: %s" % error)
    if isinstance(value, (list, dict)) and nested_deeper_than(value, limits.max_json_depth):
        raise RequestError("request body nests deeper than %d levels" % limits.max_json_depth)
    return value


def bearer_token_matches(headers, token):
    if not token:
        return True
    given = headers.get("Authorization", "")
    if not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given[len("Bearer "):].strip().encode("utf-8"), token.encode("utf-8"))


# ---------------------------------------------------------------------------------------------------------------
# Metrics in the Prometheus text format


def label_text(labels):
    escaped = ('%s="%s"' % (k, str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n"))
               for k, v in labels)
    return "{%s}" % ",".join(escaped)


class RequestMetrics:
    """Requests, errors and latency per (model, version); cheap enough to update on every request."""

    def __init__(self, buckets=LATENCY_BUCKETS):
        self.buckets = buckets
        self.lock = threading.Lock()
        self.series = {}

    def observe(self, model, version, seconds, failed):
        with self.lock:
            entry = self.series.get((model, version))
            if entry is None:
                entry = self.series[(model, version)] = [0, 0, [0] * (len(self.buckets) + 1), 0.0]
            entry[0] += 1
            if failed:
                entry[1] += 1
            index = 0
            while index < len(self.buckets) and seconds > self.buckets[index]:
                index += 1
            entry[2][index] += 1
            entry[3] += seconds

    def render(self):
        with self.lock:
            series = sorted((key, [e[0], e[1], list(e[2]), e[3]]) for key, e in self.series.items())
        lines = [
            "# HELP trackside_requests_total Inference requests answered.",
            "# TYPE trackside_requests_total counter",
        ]
        lines += ["trackside_requests_total%s %d" % (label_text((("model", m), ("version", v))), e[0])
                  for (m, v), e in series]
        lines += [
            "# HELP trackside_request_errors_total Inference requests answered with a 4xx or 5xx status.",
            "# TYPE trackside_request_errors_total counter",
        ]
        lines += ["trackside_request_errors_total%s %d" % (label_text((("model", m), ("version", v))), e[1])
                  for (m, v), e in series]
        lines += [
            "# HELP trackside_request_duration_seconds Time from reading a request to answering it.",
            "# TYPE trackside_request_duration_seconds histogram",
        ]
        for (m, v), e in series:
            cumulative = 0
            for bound, count in zip(list(self.buckets) + ["+Inf"], e[2]):
                cumulative += count
                le = bound if isinstance(bound, str) else repr(float(bound))
                lines.append("trackside_request_duration_seconds_bucket%s %d" % (
                    label_text((("model", m), ("version", v), ("le", le))), cumulative))
            lines.append("trackside_request_duration_seconds_sum%s %r" % (
                label_text((("model", m), ("version", v))), e[3]))
            lines.append("trackside_request_duration_seconds_count%s %d" % (
                label_text((("model", m), ("version", v))), e[0]))
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# The prediction log


class PredictionLog:
    """Appends sampled requests as JSON lines from a thread of its own, rotating by size.

    `path` holds the newest lines, `path.1` the ones before, and so on up to `files` files; the oldest is
    dropped at each rotation. The file is opened for appending, so a restarted server continues it.
    """

    QUEUE_LIMIT = 10000

    def __init__(self, path, sample_rate, max_bytes, files):
        self.path = path
        self.sample_rate = sample_rate
        self.max_bytes = max_bytes
        self.files = files
        self.queue = queue.Queue(self.QUEUE_LIMIT)
        self.written = 0
        self.dropped = 0
        self.dropped_lock = threading.Lock()
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.file = open(path, "ab")
        self.size = self.file.tell()
        if self.size > 0 and not self._ends_with_newline():
            # A line torn by a crash stays one bad line instead of swallowing the next record.
            self._write(b"\n")
        self.thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self.thread.start()

    def _ends_with_newline(self):
        with open(self.path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

    def record(self, entry):
        """Queues one answered request (see line_of), if the sample picks it; never blocks the request."""
        if self.sample_rate < 1.0 and random.random() >= self.sample_rate:
            return
        try:
            self.queue.put_nowait(entry)
        except queue.Full:
            self.drop()

    def drop(self):
        with self.dropped_lock:
            self.dropped += 1

    def _write(self, data):
        self.file.write(data)
        self.size += len(data)

    def _rotate(self):
        self.file.close()
        if self.files == 1:
            self.file = open(self.path, "wb")
        else:
            for index in range(self.files - 1, 0, -1):
                source = self.path if index == 1 else "%s.%d" % (self.path, index - 1)
                if os.path.exists(source):
                    os.replace(source, "%s.%d" % (self.path, index))
            self.file = open(self.path, "ab")
        self.size = 0

    @staticmethod
    def line_of(entry):
        """The JSON line of a queued (time, id, model, version, latency s, inputs, outputs) entry."""
        ts, request_id, model, version, latency, inputs, outputs = entry
        record = {
            "v": 1,
            "ts": ts,
            "id": request_id,
            "model": model,
            "version": version,
            "latency_ms": round(latency * 1000, 3),
            "inputs": [dict((k, t[k]) for k in ("name", "shape", "datatype", "data")) for t in inputs],
            "outputs": outputs,
        }
        return (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8")

    def _append(self, entry):
        line = self.line_of(entry)
        if len(line) > self.max_bytes:
            self.drop()
            return
        if self.size + len(line) > self.max_bytes:
            self._rotate()
        self._write(line)
        self.written += 1

    def _run(self):
        while True:
            entry = self.queue.get()
            batch = [entry]
            while len(batch) < 256:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            stop = False
            for item in batch:
                if item is None:
                    stop = True
                else:
                    try:
                        self._append(item)
                    except (OSError, ValueError) as error:
                        self.drop()
                        log("prediction log: %s" % error)
            self.file.flush()
            if stop:
                return

    def close(self, timeout=2.0):
        self.queue.put(None)
        self.thread.join(timeout)
        self.file.close()

    def render_metrics(self):
        return "\n".join([
            "# HELP trackside_prediction_log_records_total Requests written to the prediction log.",
            "# TYPE trackside_prediction_log_records_total counter",
            "trackside_prediction_log_records_total %d" % self.written,
            "# HELP trackside_prediction_log_dropped_total Sampled requests the prediction log could not keep.",
            "# TYPE trackside_prediction_log_dropped_total counter",
            "trackside_prediction_log_dropped_total %d" % self.dropped,
        ]) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# HTTP plumbing shared with router.py: binding, draining, answering


class Lifecycle:
    """Counts connections and requests in flight, so SIGTERM can let them finish before the process exits."""

    def __init__(self):
        self.active = 0
        self.connections = 0
        self.draining = False
        self.condition = threading.Condition()

    def change(self, requests=0, connections=0):
        with self.condition:
            self.active += requests
            self.connections += connections
            self.condition.notify_all()

    def begin(self):
        self.change(requests=1)

    def end(self):
        self.change(requests=-1)

    def drain(self, timeout):
        """Waits until every connection closed (each answer now says Connection: close); returns those left."""
        deadline = time.monotonic() + timeout
        with self.condition:
            self.draining = True
            while (self.active > 0 or self.connections > 0) and time.monotonic() < deadline:
                self.condition.wait(deadline - time.monotonic())
            return self.connections


def port_is_taken(host, port):
    """Binds a throwaway socket without SO_REUSEPORT: it fails exactly when something listens there."""
    probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        return False
    except OSError as error:
        return error.errno == errno.EADDRINUSE
    finally:
        probe.close()


class Server(ThreadingHTTPServer):
    """A threading server whose port a second server may join (SO_REUSEPORT).

    Joining is how the router takes over a port from a model server without a moment in which nothing
    listens: both accept connections until the model server drains and exits.
    """

    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 drops connections under a burst; each then waits a second for a SYN retry.
    request_queue_size = 128

    def process_request(self, request, client_address):
        # Counted from the accept, not from when its thread starts: a drain that began in between
        # would otherwise see no connection and exit under it.
        self.RequestHandlerClass.lifecycle.change(connections=1)
        ThreadingHTTPServer.process_request(self, request, client_address)

    def close_request(self, request):
        try:
            ThreadingHTTPServer.close_request(self, request)
        finally:
            self.RequestHandlerClass.lifecycle.change(connections=-1)

    def handle_error(self, request, client_address):
        # A client that went away mid-request is not the server's fault; anything else is worth a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            ThreadingHTTPServer.handle_error(self, request, client_address)

    def server_bind(self):
        if hasattr(socket, "SO_REUSEPORT"):
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        # The parent also sets SO_REUSEADDR, which the connections this server accepts inherit: without
        # it, their TIME_WAIT after a stop would keep the next server from binding the port for a minute.
        ThreadingHTTPServer.server_bind(self)


def listen(host, port, handler_class, join_port=False):
    """The server on host:port; unless joining, a port another server holds is refused (OSError EADDRINUSE)."""
    if not join_port and port_is_taken(host, port):
        raise OSError(errno.EADDRINUSE, "address already in use")
    if ":" in host:
        Server.address_family = socket.AF_INET6
    return Server((host, port), handler_class)


def linger_and_discard(handler, seconds=2.0):
    """Lets the client read an early answer: closes our side, then reads what it still sends, for a while.

    Closing a socket with unread data makes the kernel reset it, and the client may then see the reset
    instead of the 413 that explains it.
    """
    connection = handler.connection
    try:
        connection.shutdown(socket.SHUT_WR)
        connection.settimeout(0.5)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and connection.recv(65536):
            pass
    except OSError:
        pass


class GuardedHandler(BaseHTTPRequestHandler):
    """Answers JSON, checks the bearer token and body limits, and closes connections while draining."""

    protocol_version = "HTTP/1.1"
    # An idle keep-alive connection holds a thread; let it go after a while.
    timeout = 30
    lifecycle = None
    limits = None
    token = None

    def log_message(self, fmt, *args):
        log("%s %s" % (self.address_string(), fmt % args))

    def log_request(self, code="-", size="-"):
        # Successful requests are counted in /metrics, and a health check answers 503 while the model
        # loads: a line for each would grow the log without bound.
        if isinstance(code, int) and code >= 400 and self.route_path() not in HEALTH_PATHS:
            BaseHTTPRequestHandler.log_request(self, code, size)

    def reply_bytes(self, status, body, content_type, extra_headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra_headers:
            self.send_header(name, value)
        if self.close_connection or (self.lifecycle is not None and self.lifecycle.draining):
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            # Clients that heed it (Node's fetch does) let an idle connection go before a draining server
            # would have to close it under them.
            self.send_header("Keep-Alive", "timeout=%d" % KEEP_ALIVE_HINT_SECONDS)
        # Headers and body in one write, one packet for a small answer.
        self._headers_buffer.append(b"\r\n" + body)
        self.flush_headers()

    def reply(self, status, payload, extra_headers=()):
        self.reply_bytes(status, json.dumps(payload).encode("utf-8"), "application/json", extra_headers)

    def refuse(self, error, extra_headers=()):
        """Answers a RequestError; an unread body means the connection is closed after a lingering read."""
        if error.close:
            self.close_connection = True
        self.reply(error.status, {"error": str(error)}, extra_headers)
        if error.close:
            linger_and_discard(self)

    def setup(self):
        BaseHTTPRequestHandler.setup(self)
        # Small answers must not wait for the client's delayed ACK (Nagle): 40 ms each, otherwise.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_expect_100(self):
        # A client that asks first learns about a body over the limit before sending it.
        try:
            declared_length(self.headers, self.limits)
        except RequestError as error:
            self.close_connection = True
            self.reply(error.status, {"error": str(error)})
            return False
        return BaseHTTPRequestHandler.handle_expect_100(self)

    def route_path(self):
        return urllib.parse.urlparse(self.path).path.rstrip("/") or "/"

    def authorized(self, path):
        """True when the route is open or the token matches; otherwise answers 401 and returns False."""
        if path in HEALTH_PATHS or bearer_token_matches(self.headers, self.token):
            return True
        has_body = self.command in ("POST", "PUT") and self.headers.get("Content-Length") not in (None, "0")
        self.refuse(RequestError("this server needs Authorization: Bearer <token>", status=401, close=has_body),
                    (("WWW-Authenticate", 'Bearer realm="trackside"'),))
        return False

    def dispatch(self, method):
        self.lifecycle.begin()
        try:
            path = self.route_path()
            if self.authorized(path):
                method(path)
        finally:
            self.lifecycle.end()

    def do_GET(self):
        self.dispatch(self.handle_get)

    def do_POST(self):
        self.dispatch(self.handle_post)

    def do_PUT(self):
        self.dispatch(self.handle_put)

    def handle_get(self, path):
        self.reply(404, {"error": "no route GET %s" % path})

    def handle_post(self, path):
        self.refuse(RequestError("no route POST %s" % path, status=404, close=True))

    def handle_put(self, path):
        self.refuse(RequestError("no route PUT %s" % path, status=404, close=True))


def accept_waiting(server):
    """Takes on the connections already queued on the port, which closing it would reset."""
    server.socket.setblocking(False)
    while True:
        try:
            connection, address = server.socket.accept()
        except OSError:
            return
        connection.setblocking(True)
        server.process_request(connection, address)


def serve_until_terminated(server, lifecycle, on_stop=None):
    """Serves until SIGTERM, then drains, so that no client sees a failure when another server takes over:

    the port is closed (after taking on the connections queued on it), then every connection still open
    is answered with Connection: close until it closes or DRAIN_SECONDS pass, `on_stop` runs, and it exits 0.
    """
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    server.shutdown()
    accept_waiting(server)
    server.server_close()
    # Only now do answers say Connection: close: a client that reconnects finds the port's other server.
    left = lifecycle.drain(DRAIN_SECONDS)
    if left:
        log("stopping with %d idle connection(s) still open" % left)
    if on_stop is not None:
        on_stop()
    os._exit(0)


def start_serving(server):
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


# ---------------------------------------------------------------------------------------------------------------
# The model server


class ServerState:
    def __init__(self, name, version, prediction_log=None, metrics=None):
        self.name = name
        self.version = version
        self.model = None
        self.lock = threading.Lock()
        self.prediction_log = prediction_log
        self.metrics = metrics


def make_handler(state, limits, token, lifecycle):
    class Handler(GuardedHandler):
        server_version = "trackside-serve/" + RUNTIME_VERSION

        def model_path(self, suffix=""):
            return "/v2/models/%s%s" % (state.name, suffix)

        def handle_get(self, path):
            ready = state.model is not None
            if path == "/v2/health/live":
                return self.reply(200, {"live": True})
            if path in ("/v2/health/ready", "/healthz"):
                return self.reply(200 if ready else 503, {"ready": ready})
            if path == "/metrics":
                text = state.metrics.render() if state.metrics else ""
                if state.prediction_log is not None:
                    text += state.prediction_log.render_metrics()
                return self.reply_bytes(200, text.encode("utf-8"), "text/plain; version=0.0.4; charset=utf-8")
            if path == "/v2":
                return self.reply(200, {"name": "trackside-serve", "version": RUNTIME_VERSION, "extensions": []})
            if path in (self.model_path("/ready"), self.model_path("/versions/%s/ready" % state.version)):
                return self.reply(200 if ready else 503, {"name": state.name, "ready": ready})
            if path in (self.model_path(), self.model_path("/versions/%s" % state.version)):
                if not ready:
                    return self.reply(503, {"error": "model %s is still loading" % state.name})
                inputs, outputs = state.model.metadata()
                return self.reply(200, {
                    "name": state.name,
                    "versions": [state.version],
                    "platform": state.model.platform,
                    "inputs": inputs,
                    "outputs": outputs,
                })
            return self.reply(404, {"error": "no route %s (this server serves model %r)" % (path, state.name)})

        def handle_post(self, path):
            if path not in (self.model_path("/infer"), self.model_path("/versions/%s/infer" % state.version)):
                return self.refuse(RequestError("no route %s (this server serves model %r)" % (path, state.name),
                                                status=404, close=True))
            started = time.perf_counter()
            status = self.infer()
            if state.metrics is not None:
                state.metrics.observe(state.name, state.version, time.perf_counter() - started, status >= 400)

        def infer(self):
            """Answers one inference request; returns the status it answered with."""
            if state.model is None:
                self.refuse(RequestError("model %s is still loading" % state.name, status=503, close=True))
                return 503
            try:
                body = parse_json_body(read_body(self, limits), limits)
                inputs, requested = validate_inputs(body, limits.max_rows)
                started = time.perf_counter()
                with state.lock:  # frameworks are not all safe to call from several threads at once
                    outputs = state.model.infer(inputs, requested)
                latency = time.perf_counter() - started
            except RequestError as error:
                self.refuse(error)
                return error.status
            except Exception as error:
                log("inference failed: %s" % traceback.format_exc())
                self.reply(500, {"error": "inference failed: %s: %s" % (type(error).__name__, error)})
                return 500
            response = {"model_name": state.name, "model_version": state.version, "outputs": outputs}
            if isinstance(body.get("id"), str):
                response["id"] = body["id"]
            self.reply(200, response)
            # After the answer is out: what the log costs stays off the request's latency.
            if state.prediction_log is not None:
                state.prediction_log.record(
                    (time.time(), response.get("id"), state.name, state.version, latency, inputs, outputs))
            return 200

    Handler.limits = limits
    Handler.token = token
    Handler.lifecycle = lifecycle
    return Handler


def add_guard_arguments(parser, env):
    """Listening and limit options, the same for the model server and the router."""
    parser.add_argument("--host", default=env("TRACKSIDE_HOST", "127.0.0.1"),
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 exposes it on every address)")
    parser.add_argument("--port", type=int, default=int(env("TRACKSIDE_PORT", "8080")))
    parser.add_argument("--join-port", action="store_true",
                        help="share the port with the server already on it (SO_REUSEPORT) instead of refusing it")
    parser.add_argument("--max-body-bytes", type=int,
                        default=int(env("TRACKSIDE_MAX_BODY_BYTES", str(DEFAULT_MAX_BODY_BYTES))))
    parser.add_argument("--max-json-depth", type=int,
                        default=int(env("TRACKSIDE_MAX_JSON_DEPTH", str(DEFAULT_MAX_JSON_DEPTH))))
    parser.add_argument("--max-rows", type=int, default=int(env("TRACKSIDE_MAX_ROWS", str(DEFAULT_MAX_ROWS))))


def limits_of(args):
    return Limits(args.max_body_bytes, args.max_json_depth, args.max_rows)


def parse_args(argv):
    env = os.environ.get
    parser = argparse.ArgumentParser(description="Open Inference Protocol v2 server for one model.")
    parser.add_argument("--model-name", default=env("TRACKSIDE_MODEL_NAME"))
    parser.add_argument("--model-ref", default=env("TRACKSIDE_MODEL_REF"), help="registry/repository@sha256:<digest>")
    parser.add_argument("--model-file", default=env("TRACKSIDE_MODEL_FILE"),
                        help="with --model-ref: the file inside the artifact to load; alone: a local model file")
    parser.add_argument("--model-dir", default=env("TRACKSIDE_MODEL_DIR", "/tmp/trackside-models"))
    add_guard_arguments(parser, env)
    parser.add_argument("--plain-http", action="store_true", default=env("TRACKSIDE_REGISTRY_PLAIN_HTTP") == "1",
                        help="talk to the registry over http (a loopback or lab registry)")
    parser.add_argument("--ca-file", default=env("TRACKSIDE_REGISTRY_CA_FILE"))
    parser.add_argument("--username", default=env("TRACKSIDE_REGISTRY_USERNAME"))
    parser.add_argument("--password", default=env("TRACKSIDE_REGISTRY_PASSWORD"))
    parser.add_argument("--token", default=env("TRACKSIDE_REGISTRY_TOKEN"),
                        help="a registry token scoped to pulling the model (instead of a username and password)")
    parser.add_argument("--prediction-log", default=env("TRACKSIDE_PREDICTION_LOG"),
                        help="append sampled requests to this JSON-lines file")
    parser.add_argument("--sample-rate", type=float, default=float(env("TRACKSIDE_SAMPLE_RATE", "1.0")))
    parser.add_argument("--log-max-bytes", type=int,
                        default=int(env("TRACKSIDE_LOG_MAX_BYTES", str(DEFAULT_LOG_MAX_BYTES))))
    parser.add_argument("--log-files", type=int, default=int(env("TRACKSIDE_LOG_FILES", str(DEFAULT_LOG_FILES))))
    parser.add_argument("--no-metrics", action="store_true", default=env("TRACKSIDE_METRICS") == "0",
                        help="leave /metrics empty (for measuring what counting costs)")
    args = parser.parse_args(argv)
    if not args.model_name:
        parser.error("--model-name (or TRACKSIDE_MODEL_NAME) is required")
    if not args.model_ref and not args.model_file:
        parser.error("--model-ref or --model-file (or TRACKSIDE_MODEL_REF) is required")
    if not 0.0 <= args.sample_rate <= 1.0:
        parser.error("--sample-rate must be between 0 and 1")
    if args.log_max_bytes < 1024 or args.log_files < 1:
        parser.error("--log-max-bytes must be at least 1024 and --log-files at least 1")
    if args.max_body_bytes < 1 or args.max_json_depth < 1 or args.max_rows < 1:
        parser.error("--max-body-bytes, --max-json-depth and --max-rows must be positive")
    return args


def main(argv):
    args = parse_args(argv)
    version = args.model_ref.rsplit("@", 1)[1] if args.model_ref and "@" in args.model_ref else "1"
    prediction_log = None
    if args.prediction_log and args.sample_rate > 0:
        try:
            prediction_log = PredictionLog(args.prediction_log, args.sample_rate, args.log_max_bytes, args.log_files)
        except OSError as error:
            log("cannot write the prediction log %s: %s" % (args.prediction_log, error.strerror or error))
            return EXIT_USAGE
    state = ServerState(args.model_name, version, prediction_log, None if args.no_metrics else RequestMetrics())
    lifecycle = Lifecycle()
    handler = make_handler(state, limits_of(args), os.environ.get("TRACKSIDE_AUTH_TOKEN") or None, lifecycle)
    try:
        server = listen(args.host, args.port, handler, args.join_port)
    except OSError as error:
        log("cannot listen on %s:%d: %s" % (args.host, args.port, error.strerror or error))
        return EXIT_PORT_IN_USE
    # Live at once, ready only once the model is loaded, so a health check can tell "still pulling" from "dead".
    start_serving(server)
    # Until the model is loaded there is nothing to drain: stopping then is immediate.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    log("listening on %s:%d (live; not ready until model %s is loaded)" % (args.host, args.port, args.model_name))
    if prediction_log is not None:
        log("logging %g%% of answered requests to %s" % (args.sample_rate * 100, args.prediction_log))
    try:
        files = pull_model(args) if args.model_ref else [os.path.abspath(args.model_file)]
        path = choose_model_file(files, args.model_file if args.model_ref else None)
        state.model = load_model(path)
    except ServeError as error:
        log("error: %s" % error)
        server.server_close()
        return error.exit_code
    log("model %s ready (%s) at http://%s:%d/v2/models/%s/infer" % (
        args.model_name, state.model.platform, args.host, args.port, args.model_name))
    serve_until_terminated(server, lifecycle, prediction_log.close if prediction_log is not None else None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
