#!/usr/bin/env python3
"""Trackside traffic router: one port in front of a deployment's model servers, for a canary or an A/B split.

    python3 router.py --model-name iris --port 8080 \\
        --routes '[{"slot": "a", "url": "http://127.0.0.1:8081", "version": "sha256:...", "weight": 80},
                   {"slot": "b", "url": "http://127.0.0.1:8082", "version": "sha256:...", "weight": 20}]'

Standard library only; it sits beside serve.py and borrows its request guards (bearer token, body limits,
draining on SIGTERM), so both answer the same way.

  * Each inference request goes to one backend by smooth weighted round robin: over every 100 requests the
    split is exactly the weights, with no run of luck. A backend that refuses the connection (nothing was sent)
    is skipped and the request goes to another one.
  * /metrics counts requests, errors and latency per model version as seen here, hop included, in the same
    names serve.py uses, plus the weight of each route.
  * The table changes without a restart: PUT /-/routes with `Authorization: Bearer $TRACKSIDE_ROUTER_ADMIN_TOKEN`.
    A backend taken out gets no new request; GET /-/routes shows what it still has in flight, so it can be
    stopped once that is zero, and no request fails because of the change.
  * It binds its port with SO_REUSEPORT when told to join (--join-port), which is how it takes over the port of
    the model server that served alone before, without a moment in which nothing listens.

Exit codes: 2 bad arguments, 3 port already in use.
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

import serve

# A backend answers an inference within this, or the request fails with 502.
BACKEND_TIMEOUT = 60
HEALTH_TIMEOUT = 2
FORWARDED_HEADERS = ("Content-Type", "Authorization", "Accept")


class Route:
    def __init__(self, slot, url, version, weight):
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme != "http" or not parsed.hostname or not parsed.port:
            raise ValueError("route %s: url must be http://host:port, got %r" % (slot, url))
        self.slot = slot
        self.url = url
        self.host = parsed.hostname
        self.port = parsed.port
        self.version = version
        self.weight = weight
        self.current = 0
        self.inflight = 0
        self.requests = 0

    def describe(self):
        return {"slot": self.slot, "url": self.url, "version": self.version, "weight": self.weight,
                "inflight": self.inflight, "requests": self.requests}


def parse_routes(value):
    """The route table from JSON: a list of {slot, url, version, weight}, weights 0-100 summing to more than 0."""
    if not isinstance(value, list) or not value:
        raise ValueError("routes must be a non-empty list")
    routes, slots = [], set()
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ValueError("routes[%d] is not an object" % index)
        slot, url, version, weight = (item.get(k) for k in ("slot", "url", "version", "weight"))
        if not isinstance(slot, str) or not slot or slot in slots:
            raise ValueError("routes[%d]: slot must be a unique non-empty string" % index)
        if not isinstance(version, str) or not isinstance(url, str):
            raise ValueError("routes[%d]: url and version must be strings" % index)
        if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= 100:
            raise ValueError("routes[%d]: weight must be an integer from 0 to 100" % index)
        slots.add(slot)
        routes.append(Route(slot, url, version, weight))
    if sum(r.weight for r in routes) <= 0:
        raise ValueError("at least one route needs a weight above 0")
    return routes


class RouteTable:
    def __init__(self, routes):
        self.lock = threading.Lock()
        self.routes = routes
        # Routes taken out of the table while requests were in flight on them, until those are answered.
        self.retired = []

    def pick(self, exclude=()):
        """The next route by smooth weighted round robin (nginx's), marked in flight; None when none is left."""
        with self.lock:
            candidates = [r for r in self.routes if r.weight > 0 and r not in exclude]
            if not candidates:
                return None
            total = sum(r.weight for r in candidates)
            for route in candidates:
                route.current += route.weight
            best = max(candidates, key=lambda r: r.current)
            best.current -= total
            best.inflight += 1
            return best

    def done(self, route, answered=False):
        """Marks a request off; `answered` counts it for the route (not one it refused)."""
        with self.lock:
            route.inflight -= 1
            if answered:
                route.requests += 1
            self.retired = [r for r in self.retired if r.inflight > 0]

    def replace(self, routes):
        """Swaps in a new table; a backend in both keeps its counters, one left out is retired until drained."""
        with self.lock:
            kept = {(r.slot, r.url): r for r in self.routes}
            merged = []
            for route in routes:
                old = kept.pop((route.slot, route.url), None)
                if old is not None:
                    old.version, old.weight, old.current = route.version, route.weight, 0
                    merged.append(old)
                else:
                    merged.append(route)
            self.routes = merged
            self.retired = [r for r in self.retired + list(kept.values()) if r.inflight > 0]

    def snapshot(self):
        with self.lock:
            return {"routes": [r.describe() for r in self.routes], "retired": [r.describe() for r in self.retired]}

    def weights(self):
        with self.lock:
            return [(r.slot, r.version, r.weight) for r in self.routes]


def forward(route, method, path, headers=None, body=None, timeout=BACKEND_TIMEOUT):
    """One request to one backend on a connection of its own: no idle connection can be closed under it."""
    connection = http.client.HTTPConnection(route.host, route.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", "application/json"), response.read()
    finally:
        connection.close()


def backend_ready(route):
    try:
        return forward(route, "GET", "/v2/health/ready", timeout=HEALTH_TIMEOUT)[0] == 200
    except OSError:
        return False


def render_route_metrics(table):
    lines = [
        "# HELP trackside_route_weight Share of requests (percent) the router sends to a backend.",
        "# TYPE trackside_route_weight gauge",
    ]
    for slot, version, weight in table.weights():
        lines.append("trackside_route_weight%s %d" % (serve.label_text((("slot", slot), ("version", version))), weight))
    return "\n".join(lines) + "\n"


def make_handler(model_name, table, metrics, limits, token, admin_token, lifecycle):
    class Handler(serve.GuardedHandler):
        server_version = "trackside-router/" + serve.RUNTIME_VERSION

        def authorized(self, path):
            if path != "/-/routes":
                return serve.GuardedHandler.authorized(self, path)
            if admin_token and serve.bearer_token_matches(self.headers, admin_token):
                return True
            self.refuse(serve.RequestError("changing routes needs the router's admin token", status=403,
                                           close=self.command == "PUT"))
            return False

        def handle_get(self, path):
            if path == "/v2/health/live":
                return self.reply(200, {"live": True})
            if path in ("/healthz", "/v2/health/ready"):
                ready = all(backend_ready(r) for r in table.routes if r.weight > 0)
                return self.reply(200 if ready else 503, {"ready": ready})
            if path == "/metrics":
                text = metrics.render() + render_route_metrics(table)
                return self.reply_bytes(200, text.encode("utf-8"), "text/plain; version=0.0.4; charset=utf-8")
            if path == "/-/routes":
                return self.reply(200, table.snapshot())
            self.relay("GET", None, counted=False)

        def handle_put(self, path):
            if path != "/-/routes":
                return serve.GuardedHandler.handle_put(self, path)
            try:
                body = serve.parse_json_body(serve.read_body(self, limits), limits)
                table.replace(parse_routes(body.get("routes") if isinstance(body, dict) else None))
            except serve.RequestError as error:
                return self.refuse(error)
            except ValueError as error:
                return self.refuse(serve.RequestError(str(error)))
            serve.log("routes now %s" % ", ".join("%s=%d" % (s, w) for s, _, w in table.weights()))
            self.reply(200, table.snapshot())

        def handle_post(self, path):
            if not path.startswith("/v2/models/"):
                return serve.GuardedHandler.handle_post(self, path)
            try:
                body = serve.read_body(self, limits)
            except serve.RequestError as error:
                return self.refuse(error)
            self.relay("POST", body, counted=path.endswith("/infer"))

        def relay(self, method, body, counted):
            headers = dict((h, self.headers[h]) for h in FORWARDED_HEADERS if self.headers.get(h))
            started = time.perf_counter()
            tried = []
            while True:
                route = table.pick(exclude=tried)
                if route is None:
                    status = 502 if tried else 503
                    self.reply(status, {"error": "no backend could take the request (tried %s)" % (
                        ", ".join(r.slot for r in tried) or "none: every weight is 0")})
                    break
                try:
                    status, content_type, data = forward(route, method, self.path, headers, body)
                except ConnectionRefusedError:
                    # Nothing reached the backend, so another one may take the request.
                    tried.append(route)
                    table.done(route)
                    continue
                except OSError as error:
                    table.done(route)
                    status = 502
                    self.reply(status, {"error": "backend %s failed: %s" % (route.slot, error)})
                else:
                    table.done(route, answered=counted)
                    self.reply_bytes(status, data, content_type)
                if counted:
                    metrics.observe(model_name, route.version, time.perf_counter() - started, status >= 400)
                break

    Handler.limits = limits
    Handler.token = token
    Handler.lifecycle = lifecycle
    return Handler


def parse_args(argv):
    env = os.environ.get
    parser = argparse.ArgumentParser(description="Weighted router in front of Trackside model servers.")
    parser.add_argument("--model-name", default=env("TRACKSIDE_MODEL_NAME"), required=env("TRACKSIDE_MODEL_NAME") is None)
    parser.add_argument("--routes", default=env("TRACKSIDE_ROUTES"), help="the route table as JSON")
    serve.add_guard_arguments(parser, env)
    args = parser.parse_args(argv)
    try:
        args.routes = parse_routes(json.loads(args.routes or "null"))
    except ValueError as error:
        parser.error("--routes: %s" % error)
    return args


def main(argv):
    serve.LOG_PREFIX = "trackside-router"
    args = parse_args(argv)
    limits = serve.limits_of(args)
    table = RouteTable(args.routes)
    lifecycle = serve.Lifecycle()
    handler = make_handler(args.model_name, table, serve.RequestMetrics(), limits,
                           os.environ.get("TRACKSIDE_AUTH_TOKEN") or None,
                           os.environ.get("TRACKSIDE_ROUTER_ADMIN_TOKEN") or None, lifecycle)
    try:
        server = serve.listen(args.host, args.port, handler, args.join_port)
    except OSError as error:
        serve.log("cannot listen on %s:%d: %s" % (args.host, args.port, error.strerror or error))
        return serve.EXIT_PORT_IN_USE
    serve.start_serving(server)
    serve.log("routing %s on %s:%d: %s" % (args.model_name, args.host, args.port,
                                           ", ".join("%s=%d" % (s, w) for s, _, w in table.weights())))
    serve.serve_until_terminated(server, lifecycle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
