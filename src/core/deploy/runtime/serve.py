#!/usr/bin/env python3
"""Trackside model server: an Open Inference Protocol (v2) endpoint for one model.

Standard library only (Python >= 3.8); the model's own framework (scikit-learn, torch) must be importable.
It pulls the model from an OCI registry by manifest digest (CNCF ModelPack layout), verifies every byte
against its sha256 digest, loads it, and only then reports ready.

    python3 serve.py --model-ref 127.0.0.1:5000/team/iris@sha256:<hex> --model-name iris --port 8080
    python3 serve.py --model-file ./model.pkl --model-name iris          # a local file, no registry

Every option can also come from the environment (TRACKSIDE_MODEL_REF, TRACKSIDE_MODEL_NAME, TRACKSIDE_PORT, ...),
which is how container manifests usually pass them.

Exit codes tell the deployer what went wrong without reading the log:
  2 bad arguments, 3 port already in use, 4 model pull failed, 5 model failed to load.
"""

import argparse
import base64
import hashlib
import json
import os
import pickle
import re
import signal
import ssl
import sys
import threading
import traceback
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RUNTIME_VERSION = "1"

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


def log(message):
    sys.stderr.write("trackside-serve: %s\n" % message)
    sys.stderr.flush()


class ServeError(Exception):
    def __init__(self, exit_code, message):
        Exception.__init__(self, message)
        self.exit_code = exit_code


class RequestError(Exception):
    """A client mistake: answered with HTTP 400 and the message."""


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


class RegistryReader:
    def __init__(self, registry, repository, plain_http, username, password, ca_file):
        scheme = "http" if plain_http else "https"
        self.base = "%s://%s/v2/%s" % (scheme, registry, repository)
        self.repository = repository
        self.username = username
        self.password = password
        self.token = None
        self.context = None
        if not plain_http:
            self.context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()

    def _basic(self):
        raw = ("%s:%s" % (self.username, self.password)).encode("utf-8")
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def _open(self, url, accept):
        headers = {"Accept": accept, "User-Agent": "trackside-serve/" + RUNTIME_VERSION}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        elif self.username:
            headers["Authorization"] = self._basic()
        request = urllib.request.Request(url, headers=headers)
        return urllib.request.urlopen(request, timeout=60, context=self.context)

    def _fetch_token(self, challenge):
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", None)
        if not realm:
            raise ServeError(EXIT_PULL_FAILED, "registry asked for a token without a realm")
        params.setdefault("scope", "repository:%s:pull" % self.repository)
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(params)
        headers = {"User-Agent": "trackside-serve/" + RUNTIME_VERSION}
        if self.username:
            headers["Authorization"] = self._basic()
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60, context=self.context) as r:
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
    reader = RegistryReader(registry, repository, args.plain_http, args.username, args.password, args.ca_file)
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


def validate_inputs(body):
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
# HTTP


class ServerState:
    def __init__(self, name, version):
        self.name = name
        self.version = version
        self.model = None
        self.lock = threading.Lock()


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        server_version = "trackside-serve/" + RUNTIME_VERSION
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            log("%s %s" % (self.address_string(), fmt % args))

        def reply(self, status, payload):
            body = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def model_path(self, suffix=""):
            return "/v2/models/%s%s" % (state.name, suffix)

        def do_GET(self):
            path = urllib.parse.urlparse(self.path).path.rstrip("/")
            ready = state.model is not None
            if path == "/v2/health/live":
                return self.reply(200, {"live": True})
            if path == "/v2/health/ready":
                return self.reply(200 if ready else 503, {"ready": ready})
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

        def do_POST(self):
            path = urllib.parse.urlparse(self.path).path.rstrip("/")
            if path not in (self.model_path("/infer"), self.model_path("/versions/%s/infer" % state.version)):
                return self.reply(404, {"error": "no route %s (this server serves model %r)" % (path, state.name)})
            if state.model is None:
                return self.reply(503, {"error": "model %s is still loading" % state.name})
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length).decode("utf-8"))
            except ValueError as error:
                return self.reply(400, {"error": "request body is not JSON: %s" % error})
            try:
                inputs, requested = validate_inputs(body)
                with state.lock:  # frameworks are not all safe to call from several threads at once
                    outputs = state.model.infer(inputs, requested)
            except RequestError as error:
                return self.reply(400, {"error": str(error)})
            except Exception as error:
                log("inference failed: %s" % traceback.format_exc())
                return self.reply(500, {"error": "inference failed: %s: %s" % (type(error).__name__, error)})
            response = {"model_name": state.name, "model_version": state.version, "outputs": outputs}
            if isinstance(body.get("id"), str):
                response["id"] = body["id"]
            return self.reply(200, response)

    return Handler


def parse_args(argv):
    env = os.environ.get
    parser = argparse.ArgumentParser(description="Open Inference Protocol v2 server for one model.")
    parser.add_argument("--model-name", default=env("TRACKSIDE_MODEL_NAME"))
    parser.add_argument("--model-ref", default=env("TRACKSIDE_MODEL_REF"), help="registry/repository@sha256:<digest>")
    parser.add_argument("--model-file", default=env("TRACKSIDE_MODEL_FILE"),
                        help="with --model-ref: the file inside the artifact to load; alone: a local model file")
    parser.add_argument("--model-dir", default=env("TRACKSIDE_MODEL_DIR", "/tmp/trackside-models"))
    parser.add_argument("--host", default=env("TRACKSIDE_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(env("TRACKSIDE_PORT", "8080")))
    parser.add_argument("--plain-http", action="store_true", default=env("TRACKSIDE_REGISTRY_PLAIN_HTTP") == "1",
                        help="talk to the registry over http (a loopback or lab registry)")
    parser.add_argument("--ca-file", default=env("TRACKSIDE_REGISTRY_CA_FILE"))
    parser.add_argument("--username", default=env("TRACKSIDE_REGISTRY_USERNAME"))
    parser.add_argument("--password", default=env("TRACKSIDE_REGISTRY_PASSWORD"))
    args = parser.parse_args(argv)
    if not args.model_name:
        parser.error("--model-name (or TRACKSIDE_MODEL_NAME) is required")
    if not args.model_ref and not args.model_file:
        parser.error("--model-ref or --model-file (or TRACKSIDE_MODEL_REF) is required")
    return args


def main(argv):
    args = parse_args(argv)
    version = args.model_ref.rsplit("@", 1)[1] if args.model_ref and "@" in args.model_ref else "1"
    state = ServerState(args.model_name, version)
    try:
        server = ThreadingHTTPServer((args.host, args.port), make_handler(state))
    except OSError as error:
        log("cannot listen on %s:%d: %s" % (args.host, args.port, error.strerror or error))
        return EXIT_PORT_IN_USE
    server.daemon_threads = True
    # Live at once, ready only once the model is loaded, so a health check can tell "still pulling" from "dead".
    threading.Thread(target=server.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    log("listening on %s:%d (live; not ready until model %s is loaded)" % (args.host, args.port, args.model_name))
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
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
