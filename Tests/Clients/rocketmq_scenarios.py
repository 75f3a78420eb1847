#!/usr/bin/env python3
"""Scenarios that drive the RocketMQ binding through the socket as daprd would, with Python grpcio.

Usage: rocketmq_scenarios.py SOCKET_PATH SCENARIO JSON_ARGS
Each scenario prints one JSON line (its result) as its last line.
"""
import base64
import json
import random
import sys
import threading
import time

import grpc

from dapr_client import reflect, PKG

OUT = "/" + PKG + ".OutputBinding/"
INP = "/" + PKG + ".InputBinding/"

# daprd reads every answer with grpc-go's default receive limit and sets no size option on
# pluggable components (docs/daprd.md §F); the channel here has the same limit.
DAPRD_MAX_RECEIVE = 4 * 1024 * 1024

# What daprd adds to an Invoke's request metadata besides the application's own keys: its gRPC
# API forwards every header of the application's call (":authority" as "dapr-authority"), its
# HTTP API adds the trace context of its span (tracestate may be empty).
DAPRD_FORWARDED = {
    "grpc": {"dapr-authority": "localhost:50001", "user-agent": "grpc-go/1.71.1", "content-type": "application/grpc",
             "grpc-accept-encoding": "identity,deflate,gzip", "authorization": "Bearer app-credential",
             "dapr-api-token": "api-credential", "x-forwarded-for": "10.1.2.3", "x-forwarded-proto": "http"},
    "http": {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate": ""},
}
CLOSING_NACK = "input binding is closed"


class Component:
    """One component instance driven as daprd drives it: `api` says which of daprd's APIs the
    application called, and so which forwarded keys every Invoke carries."""
    def __init__(self, channel, cls, instance, api="grpc"):
        self.channel, self.cls, self.instance, self.api = channel, cls, instance, api
        self.md = [("x-component-instance", instance)]

    def forwarded(self, metadata):
        merged = dict(DAPRD_FORWARDED[self.api])
        merged.update(metadata or {})
        return merged

    def unary(self, path, request, response_type, timeout=60):
        call = self.channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString(),
                                        response_deserializer=self.cls(response_type).FromString)
        return call(request, metadata=self.md, timeout=timeout)

    def init(self, direction, properties):
        name = "OutputBindingInitRequest" if direction == "output" else "InputBindingInitRequest"
        request = self.cls(name)(metadata=self.cls("MetadataRequest")(properties=properties))
        path = (OUT if direction == "output" else INP) + "Init"
        self.unary(path, request, name.replace("Request", "Response"))

    def invoke(self, operation, data=b"", metadata=None, timeout=60):
        request = self.cls("InvokeRequest")(operation=operation, data=data, metadata=self.forwarded(metadata))
        return self.unary(OUT + "Invoke", request, "InvokeResponse", timeout=timeout)

    def invoke_future(self, operation, data=b"", metadata=None):
        call = self.channel.unary_unary(OUT + "Invoke", request_serializer=lambda m: m.SerializeToString(),
                                        response_deserializer=self.cls("InvokeResponse").FromString)
        return call.future(self.cls("InvokeRequest")(operation=operation, data=data, metadata=self.forwarded(metadata)),
                           metadata=self.md, timeout=120)


class ReadStream:
    """An open InputBinding/Read stream: iterate messages, send acks from any thread."""
    def __init__(self, component):
        self.component = component
        self.queue, self.cond, self.closed = [], threading.Condition(), False
        call = component.channel.stream_stream(INP + "Read", request_serializer=lambda m: m.SerializeToString(),
                                               response_deserializer=component.cls("ReadResponse").FromString)
        self.responses = call(self._requests(), metadata=component.md)

    def _requests(self):
        while True:
            with self.cond:
                while not self.queue and not self.closed:
                    self.cond.wait()
                if self.closed and not self.queue:
                    return
                item = self.queue.pop(0)
            yield item

    def ack(self, message_id, error=None):
        cls = self.component.cls
        request = cls("ReadRequest")(message_id=message_id,
                                     response_error=cls("AckResponseError")(message=error) if error else None)
        with self.cond:
            self.queue.append(request)
            self.cond.notify()

    def close_as_daprd(self, delivered):
        """What daprd does when it stops or reloads the component: every delivery still waiting
        is answered with the closing nack, then the stream ends."""
        for message in delivered:
            self.ack(message.message_id, CLOSING_NACK)
        self.finish()

    def finish(self):
        """Half-close after the queued acks and wait for the server to end the stream, so every
        ack sent has been handled (messages delivered meanwhile stay unacked)."""
        with self.cond:
            self.closed = True
            self.cond.notify()
        try:
            for _ in self.responses:
                pass
        except grpc.RpcError:
            pass

    def cancel(self):
        with self.cond:
            self.closed = True
            self.cond.notify()
        self.responses.cancel()


def initialised(channel, cls, args):
    """The instance args["instance"], its output then its input initialised with args["properties"],
    in daprd's order."""
    c = Component(channel, cls, args["instance"])
    c.init("output", args["properties"])
    c.init("input", args["properties"])
    return c


def status_of(function):
    try:
        function()
        return "OK", ""
    except grpc.RpcError as error:
        return error.code().name, error.details()


def publish_all(component, count, prefix, metadata=None, concurrency=64):
    sent = 0
    futures = []
    for index in range(count):
        futures.append(component.invoke_future("create", ("%s-%d" % (prefix, index)).encode(), metadata))
        if len(futures) >= concurrency:
            futures.pop(0).result()
            sent += 1
    for future in futures:
        future.result()
        sent += 1
    return sent


def scenario_roundtrip(channel, cls, args):
    """daprd's order: Init → ListOperations → Invoke create; Init → Read. The same bytes and the
    documented metadata come back; then five more messages are acked in reverse order and the
    next delivery is a new message, not one of them again."""
    c = Component(channel, cls, args["instance"])
    props = args["properties"]
    c.init("output", props)
    operations = list(c.unary(OUT + "ListOperations", cls("ListOperationsRequest")(), "ListOperationsResponse").operations)
    c.init("input", props)
    answer = c.invoke("create", b"\x00hello\xff", {"rocketmq-tag": "tagA", "rocketmq-key": "k1,k2", "traceparent": "00-trace-01", "color": "red"})
    stream = ReadStream(c)
    message = next(stream.responses)
    stream.ack(message.message_id)
    for index in range(5):
        c.invoke("create", ("more-%d" % index).encode())
    more = [next(stream.responses) for _ in range(5)]
    for delivered in reversed(more):
        stream.ack(delivered.message_id)
    c.invoke("create", b"last")
    following = next(stream.responses)
    stream.ack(following.message_id)
    stream.cancel()
    print(json.dumps({"operations": operations, "create_metadata": dict(answer.metadata), "create_data": json.loads(answer.data),
                      "create_content_type": answer.content_type, "data_hex": message.data.hex(),
                      "metadata": dict(message.metadata), "content_type": message.content_type,
                      "more": sorted(m.data.decode() for m in more), "following": following.data.decode()}))


def scenario_fail_always(channel, cls, args):
    """One message, failed on every delivery; reports the reconsumeTimes seen."""
    c = initialised(channel, cls, args)
    c.invoke("create", b"doomed")
    stream = ReadStream(c)
    seen = []
    for message in stream.responses:
        seen.append(int(message.metadata["reconsumeTimes"]))
        stream.ack(message.message_id, "always fails")
        if len(seen) == args["deliveries"]:
            break
    # Keep the stream (and so the last failure ack) alive until the test has seen the outcome
    # and closes our standard input.
    print(json.dumps({"reconsume_times": seen}), flush=True)
    sys.stdin.read()
    stream.cancel()


def scenario_overrides(channel, cls, args):
    """Per-request overrides, read back with the read operation."""
    c = Component(channel, cls, args["instance"], args.get("api", "grpc"))
    c.init("output", args["properties"])
    results = []
    for metadata in args["creates"]:
        answer = c.invoke("create", metadata.pop("__data__", "x").encode(), metadata)
        results.append(json.loads(answer.data))
    read = []
    for topic in args["read_topics"]:
        answer = c.invoke("read", metadata={"topics": topic, "maxMessages": "100", "waitMs": str(args.get("wait_ms", 0))})
        read.extend(json.loads(answer.data))
    print(json.dumps({"created": results, "read": read}))


def scenario_consume(channel, cls, args):
    """Publish N messages, consume them acking a seeded fraction with errors, until every message
    was acked successfully once. Reports redeliveries of acked messages, bodies stored twice, and
    retried deliveries."""
    c = Component(channel, cls, args["instance"])
    props = args["properties"]
    c.init("output", props)
    c.init("input", props)
    count, error_rate = args["count"], args.get("error_rate", 0.0)
    rng = random.Random(args.get("seed", 7))
    stream = ReadStream(c)
    published = threading.Thread(target=publish_all, args=(c, count, "m"))
    published.start()
    succeeded, error_acks, retried, deliveries = set(), 0, 0, 0
    acked_stored, msg_id_of_body = set(), {}
    duplicates_after_success, stored_twice, stored_twice_under_another_msg_id = 0, 0, 0
    deadline = time.time() + args.get("timeout", 600)
    for message in stream.responses:
        deliveries += 1
        body = message.data.decode()
        stored = stored_identity(message.metadata)
        if int(message.metadata.get("reconsumeTimes", "0")) > 0:
            retried += 1
        if stored in acked_stored:
            # The consumer handed out again a message the app had acked: never allowed.
            duplicates_after_success += 1
            stream.ack(message.message_id)
        elif body in succeeded:
            # Another stored copy of an acked body: a send retried after its reply was lost (a
            # broker restart). RocketMQ sends are at-least-once; the copy keeps the message's
            # unique key (msgId), which is how an application recognises it.
            stored_twice += 1
            if message.metadata.get("msgId") != msg_id_of_body[body]:
                stored_twice_under_another_msg_id += 1
            stream.ack(message.message_id)
        elif rng.random() < error_rate:
            error_acks += 1
            stream.ack(message.message_id, "app failed")
        else:
            succeeded.add(body)
            acked_stored.add(stored)
            msg_id_of_body[body] = message.metadata.get("msgId")
            stream.ack(message.message_id)
        if len(succeeded) == count or time.time() > deadline:
            break
    published.join()
    stream.finish() if args.get("finish") else stream.cancel()
    print(json.dumps({"distinct_succeeded": len(succeeded), "error_acks": error_acks, "retried_deliveries": retried,
                      "deliveries": deliveries, "duplicates_after_success": duplicates_after_success,
                      "stored_twice": stored_twice, "stored_twice_under_another_msg_id": stored_twice_under_another_msg_id,
                      "missing": sorted(set("m-%d" % i for i in range(count)) - succeeded)[:20]}))


def stored_identity(metadata):
    """Which stored message a delivery is. The queue position alone is not enough (a retry-topic
    queue has positions of its own), nor is msgId (a retried send keeps it), so take both and the
    stamps that tell a retried send or a send-back apart. Fields the access lacks are None."""
    return tuple(metadata.get(key) for key in
                 ("msgId", "reconsumeTimes", "bornTimestamp", "storeTimestamp", "queueId", "queueOffset"))


def scenario_cancel_inflight(channel, cls, args):
    """Open Read, take messages without acking some, cancel; a new stream must deliver them again."""
    c = Component(channel, cls, args["instance"])
    props = args["properties"]
    c.init("output", props)
    c.init("input", props)
    count, unacked = args["count"], args["unacked"]
    publish_all(c, count, "c")
    first = ReadStream(c)
    seen, held = [], []
    for message in first.responses:
        body = message.data.decode()
        seen.append(body)
        if len(held) < unacked:
            held.append(body)          # never acked
        else:
            first.ack(message.message_id)
        if len(seen) == count:
            break
    # Acks still on their way when the stream is cancelled make those messages come again too
    # (at least once); what must come again is every message that was never acked.
    first.cancel()
    second = ReadStream(c)
    again = set()
    for message in second.responses:
        body = message.data.decode()
        second.ack(message.message_id)
        again.add(body)
        if set(held) <= again:
            break
    second.cancel()
    print(json.dumps({"held": held, "redelivered": sorted(again & set(held)), "first_stream": len(seen)}))


def scenario_isolation(channel, cls, args):
    """Two instances on one socket, different topics and groups: each sees only its own messages."""
    a, b = Component(channel, cls, "inst-a"), Component(channel, cls, "inst-b")
    a.init("output", args["a"]); a.init("input", args["a"])
    b.init("output", args["b"]); b.init("input", args["b"])
    publish_all(a, 5, "a")
    publish_all(b, 5, "b")
    results = {}
    for name, component in (("a", a), ("b", b)):
        stream = ReadStream(component)
        bodies = []
        for message in stream.responses:
            bodies.append(message.data.decode())
            stream.ack(message.message_id)
            if len(bodies) == 5:
                break
        stream.cancel()
        results[name] = sorted(bodies)
    print(json.dumps(results))


def scenario_read_operation(channel, cls, args):
    c = Component(channel, cls, args["instance"])
    c.init("output", args["properties"])
    publish_all(c, 7, "r")
    first = c.invoke("read", metadata={"maxMessages": "5"})
    second = c.invoke("read", metadata={"maxMessages": "100"})
    third = c.invoke("read", metadata={"maxMessages": "100"})
    print(json.dumps({"first": json.loads(first.data), "second": json.loads(second.data), "third": json.loads(third.data),
                      "content_type": first.content_type}))


def scenario_statuses(channel, cls, args):
    """Each call in args["calls"]: [direction-or-op, properties-or-metadata]; report status codes."""
    c = Component(channel, cls, args["instance"])
    out = []
    for kind, payload in args["calls"]:
        if kind in ("output", "input"):
            out.append(status_of(lambda: c.init(kind, payload)))
        else:
            size = payload.pop("__size__", None)
            data = b"x" * size if size else payload.pop("__data__", "x").encode()
            out.append(status_of(lambda: c.invoke(kind, data, payload)))
    print(json.dumps({"statuses": out}))


def scenario_hold(channel, cls, args):
    """Publish one message, open Read, print once it arrives, then wait until the server ends the stream."""
    c = initialised(channel, cls, args)
    c.invoke("create", b"held")
    stream = ReadStream(c)
    first = next(stream.responses)
    print(json.dumps({"open": True, "first": first.data.decode()}), flush=True)
    try:
        for _ in stream.responses:
            pass
        print(json.dumps({"ended": "OK"}), flush=True)
    except grpc.RpcError as error:
        print(json.dumps({"ended": error.code().name}), flush=True)


def scenario_concurrent_creates(channel, cls, args):
    c = Component(channel, cls, args["instance"])
    c.init("output", args["properties"])
    futures = [c.invoke_future("create", ("p-%d" % i).encode()) for i in range(args["count"])]
    offsets = set()
    for future in futures:
        metadata = future.result().metadata
        offsets.add((metadata["queueId"], metadata["queueOffset"]))
    print(json.dumps({"ok": len(futures), "distinct_positions": len(offsets)}))


def scenario_concurrent_streams(channel, cls, args):
    """`streams` instances, each with its own topic and group, each reading its one message at once."""
    results = [None] * args["streams"]
    def run(index):
        c = Component(channel, cls, "stream-%d" % index)
        props = dict(args["properties"], topics="topic-%d" % index, consumerGroup="group-%d" % index)
        c.init("output", props)
        c.init("input", props)
        c.invoke("create", ("s-%d" % index).encode())
        stream = ReadStream(c)
        message = next(stream.responses)
        stream.ack(message.message_id)
        stream.cancel()
        results[index] = message.data.decode()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(args["streams"])]
    for t in threads: t.start()
    for t in threads: t.join()
    print(json.dumps({"received": results}))


def scenario_ack_all(channel, cls, args):
    """Init input, open Read, ack every message and print its body (flushed) as it is acked,
    until every body of `expected` not in the file `seen` has been seen, or the stream fails."""
    c = Component(channel, cls, args["instance"])
    c.init("input", args["properties"])
    already = set(open(args["seen"]).read().split()) if args.get("seen") else set()
    wanted = set("k-%d" % i for i in range(args["expected"])) - already
    stream = ReadStream(c)
    try:
        for message in stream.responses:
            body = message.data.decode()
            stream.ack(message.message_id)
            print("acked " + body, flush=True)
            wanted.discard(body)
            if not wanted:
                break
    except grpc.RpcError as error:
        print("stream-error " + error.code().name, flush=True)
    stream.cancel()
    print(json.dumps({"remaining": len(wanted)}), flush=True)


def scenario_cycles(channel, cls, args):
    """`reads` Read streams opened (until the first message) and cancelled, then `inits` re-Inits."""
    c = initialised(channel, cls, args)
    c.invoke("create", b"cycle")
    for _ in range(args["reads"]):
        stream = ReadStream(c)
        next(stream.responses)   # the consumer joined and delivered: the stream is fully up
        stream.cancel()
    for index in range(args["inits"]):
        c.init("output" if index % 2 == 0 else "input", args["properties"])
    print(json.dumps({"ok": True}))


def scenario_oversize_delivery(channel, cls, args):
    """A message too big for a 4 MiB gRPC receive limit (grpcio's default, like daprd's) followed
    by a small one: the stream must stay healthy and deliver the small one."""
    c = initialised(channel, cls, args)
    c.invoke("create", b"x" * args["size"])
    c.invoke("create", b"small")
    stream = ReadStream(c)
    try:
        message = next(stream.responses)
        stream.ack(message.message_id)
        print(json.dumps({"first": message.data[:16].decode(), "first_size": len(message.data)}), flush=True)
    except grpc.RpcError as error:
        print(json.dumps({"error": error.code().name}), flush=True)
    sys.stdin.read()  # the test closes our input once it has seen the large message go back
    stream.cancel()


def scenario_orderly(channel, cls, args):
    """Messages with one sharding key, consumed with consumeOrderly; the first delivery of
    `fail` is failed. Reports the delivery sequence."""
    c = initialised(channel, cls, args)
    for index in range(args["count"]):
        c.invoke("create", ("o-%d" % index).encode(), {"rocketmq-shardingkey": "user-1"})
    stream = ReadStream(c)
    order, failed = [], False
    for message in stream.responses:
        body = message.data.decode()
        order.append(body)
        if body == args["fail"] and not failed:
            failed = True
            stream.ack(message.message_id, "fail once")
        else:
            stream.ack(message.message_id)
        if len(order) == args["count"] + 1:
            break
    stream.cancel()
    print(json.dumps({"order": order}))


def scenario_http_roundtrip(channel, cls, args):
    """accessProto http: create a text message with metadata, Read it and ack; then create a
    second one, fail its first delivery, and ack it when it comes again after its invisibility time."""
    c = Component(channel, cls, args["instance"])
    props = args["properties"]
    c.init("output", props)
    c.init("input", props)
    body = args["body"].encode()
    answer = c.invoke("create", body, {"rocketmq-tag": "tagA", "rocketmq-key": "k1", "traceparent": "00-trace-01",
                                       "color": "red", "rocketmq-shardingkey": "user-1"})
    stream = ReadStream(c)
    first = next(stream.responses)
    stream.ack(first.message_id)
    c.invoke("create", b"fail-once")
    failed = next(stream.responses)
    stream.ack(failed.message_id, "app failed")
    again = next(stream.responses)
    stream.ack(again.message_id)
    c.invoke("create", b"last")
    last = next(stream.responses)
    stream.ack(last.message_id)
    stream.finish()
    print(json.dumps({"create_metadata": dict(answer.metadata), "create_data": json.loads(answer.data),
                      "same_bytes": first.data == body, "metadata": dict(first.metadata), "content_type": first.content_type,
                      "failed": failed.data.decode(), "failed_metadata": dict(failed.metadata),
                      "again": again.data.decode(), "again_metadata": dict(again.metadata), "last": last.data.decode()}))


def scenario_closing_nacks(channel, cls, args):
    """daprd stopping: of `count` delivered messages the first `acked` are acked (in reverse
    order, from several threads), the rest get daprd's closing nack and the stream ends. A new
    stream must bring exactly the nacked ones again."""
    c = initialised(channel, cls, args)
    publish_all(c, args["count"], "n")
    stream = ReadStream(c)
    delivered = [next(stream.responses) for _ in range(args["count"])]
    acked, nacked = delivered[:args["acked"]], delivered[args["acked"]:]
    threads = [threading.Thread(target=stream.ack, args=(m.message_id,)) for m in reversed(acked)]
    for t in threads: t.start()
    for t in threads: t.join()
    stream.close_as_daprd(nacked)
    again_stream = ReadStream(c)
    again = [next(again_stream.responses) for _ in range(len(nacked))]
    for message in again:
        again_stream.ack(message.message_id)
    again_stream.finish()
    print(json.dumps({"acked": sorted(m.data.decode() for m in acked), "nacked": sorted(m.data.decode() for m in nacked),
                      "again": sorted(m.data.decode() for m in again),
                      "again_reconsume_times": sorted({m.metadata["reconsumeTimes"] for m in again})}))


def scenario_init_budget(channel, cls, args):
    """Init of both directions against name servers that may not answer, timed; then a create.
    With "wait_for_input", the create is retried (bounded) after the test closes our input, and
    a Read stream must then deliver what was created."""
    c = Component(channel, cls, args["instance"])
    timings, statuses = {}, {}
    for direction in ("output", "input"):
        started = time.monotonic()
        statuses[direction] = status_of(lambda: c.init(direction, args["properties"]))
        timings[direction] = time.monotonic() - started
    started = time.monotonic()
    statuses["create"] = status_of(lambda: c.invoke("create", b"first", timeout=10))
    timings["create"] = time.monotonic() - started
    print(json.dumps({"timings": timings, "statuses": statuses}), flush=True)
    if not args.get("wait_for_input"):
        return
    sys.stdin.read()
    deadline = time.monotonic() + 30
    while True:
        status = status_of(lambda: c.invoke("create", b"after", timeout=10))
        if status[0] == "OK" or time.monotonic() > deadline:
            break
        time.sleep(0.05)  # polling a condition with a deadline, not synchronising on time
    stream = ReadStream(c)
    message = next(stream.responses)
    stream.ack(message.message_id)
    stream.finish()
    print(json.dumps({"after": status, "delivered": message.data.decode()}))


def scenario_read_beside_stream(channel, cls, args):
    """A read on the group of an open Read stream, then on another group, then after the stream."""
    c = initialised(channel, cls, args)
    c.invoke("create", b"streamed")
    stream = ReadStream(c)
    first = next(stream.responses)
    stream.ack(first.message_id)
    same = status_of(lambda: c.invoke("read"))
    other = status_of(lambda: c.invoke("read", metadata={"consumerGroup": "another-group"}))
    stream.finish()
    after = status_of(lambda: c.invoke("read"))
    print(json.dumps({"same": same, "other": other, "after": after}))


def scenario_large_reads(channel, cls, args):
    """Creates messages of the given sizes, then reads one message at a time until a read
    returns nothing, under daprd's receive limit; reports what each read returned."""
    c = Component(channel, cls, args["instance"])
    c.init("output", args["properties"])
    for index, size in enumerate(args["sizes"]):
        c.invoke("create", bytes([ord("a") + index]) * size)
    reads = []
    for _ in range(len(args["sizes"]) + 2):
        answer = c.invoke("read", metadata={"maxMessages": str(args.get("max_messages", 1))})
        messages = json.loads(answer.data)
        reads.append({"metadata": dict(answer.metadata), "encoded": answer.ByteSize(),
                      "messages": [{"size": len(base64.b64decode(m["body"])), "first": base64.b64decode(m["body"])[:1].decode(),
                                    "has_text": "bodyText" in m, "msgId": m["msgId"]} for m in messages]})
        if not messages and not answer.metadata.get("deadLettered"):
            break
    print(json.dumps({"reads": reads}))


def scrape(url):
    """The Prometheus text exposition at `url` as {"name{labels}": value}."""
    import urllib.request
    samples = {}
    with urllib.request.urlopen(url, timeout=30) as answer:
        for line in answer.read().decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                samples[name] = float(value)
    return samples


def scenario_metrics(channel, cls, args):
    """Scrapes the metrics endpoint, makes `creates` creates, one refused create and
    `deliveries` deliveries (acked, the last one failed), and scrapes again."""
    c = initialised(channel, cls, args)
    before = scrape(args["url"])
    publish_all(c, args["creates"], "m")
    refused = status_of(lambda: c.invoke("create", b"x", {"delayLevel": "99"}))
    stream = ReadStream(c)
    delivered = [next(stream.responses) for _ in range(args["deliveries"])]
    for message in delivered[:-1]:
        stream.ack(message.message_id)
    stream.ack(delivered[-1].message_id, "app failed")
    stream.finish()
    after = scrape(args["url"])
    # A sample that moves after the acks (a send-back to the DLQ): scraped until it has, or 30 s.
    wanted = args.get("wait_for")
    deadline = time.time() + 30
    while wanted and after.get(wanted, 0) <= before.get(wanted, 0) and time.time() < deadline:
        time.sleep(0.02)
        after = scrape(args["url"])
    print(json.dumps({"before": before, "after": after, "refused": refused}))


def scenario_timer(channel, cls, args):
    """A create with startDeliverTime `delay_ms` ahead; on success, when the Read stream gets it."""
    c = initialised(channel, cls, args)
    deliver_at = int(time.time() * 1000) + args["delay_ms"]
    status = status_of(lambda: c.invoke("create", b"timed", {"startDeliverTime": str(deliver_at)}))
    result = {"status": status, "deliver_at": deliver_at}
    if status[0] == "OK":
        stream = ReadStream(c)
        message = next(stream.responses)
        result["received_at"] = int(time.time() * 1000)
        result["data"] = message.data.decode()
        stream.ack(message.message_id)
        stream.finish()
    print(json.dumps(result))


def scenario_broadcast(channel, cls, args):
    """Publishes `count` messages through the output of instance `publisher` (when given), then
    opens a Read stream on each of `instances` (their input initialised with `properties`) and
    acks every delivery until each has seen every body of `expected`; the first delivery of
    `fail[instance]` to that instance is answered with an error. Ends each stream as daprd does at
    a clean stop. Reports each instance's deliveries in order."""
    if args.get("publisher"):
        publisher = Component(channel, cls, args["publisher"])
        publisher.init("output", args["properties"])
        publish_all(publisher, args["count"], args["prefix"])
    expected = set(args["expected"])
    results = {}

    def consume(name):
        component = Component(channel, cls, name)
        component.init("input", args["properties"])
        stream = ReadStream(component)
        result = {"deliveries": [], "failed": [], "error": None}
        results[name] = (stream, result)
        wanted, fail = set(expected), args.get("fail", {}).get(name)
        try:
            for message in stream.responses:
                body = message.data.decode()
                result["deliveries"].append(body)
                if body == fail and fail not in result["failed"]:
                    result["failed"].append(body)
                    stream.ack(message.message_id, "app failed")
                    continue
                stream.ack(message.message_id)
                wanted.discard(body)
                if not wanted:
                    break
        except grpc.RpcError as error:
            result["error"] = error.code().name
        stream.finish()

    threads = {name: threading.Thread(target=consume, args=(name,)) for name in args["instances"]}
    for thread in threads.values():
        thread.start()
    deadline = time.time() + args.get("timeout", 120)
    for thread in threads.values():
        thread.join(max(0, deadline - time.time()))
    for name, thread in threads.items():
        if thread.is_alive() and name in results:
            stream, result = results[name]
            result["error"] = result["error"] or "timed out"
            stream.cancel()
    for thread in threads.values():
        thread.join()
    print(json.dumps({name: result for name, (_, result) in results.items()}))


def main():
    socket_path, scenario, raw = sys.argv[1], sys.argv[2], sys.argv[3]
    args = json.loads(raw)
    options = [("grpc.max_receive_message_length", DAPRD_MAX_RECEIVE)]
    with grpc.insecure_channel("unix://" + socket_path, options=options) as channel:
        _, cls = reflect(channel)
        globals()["scenario_" + scenario.replace("-", "_")](channel, cls, args)


def scenario_sql92(channel, cls, args):
    """Init with `properties` (output, then input, as daprd does); when both succeed, publishes
    each of `messages` ({"body", "metadata"}) with create, in order, then opens a Read stream and
    acks every delivery until `expect` have come. Reports both Init statuses and the deliveries
    (body and metadata) in order."""
    c = Component(channel, cls, args["instance"])
    result = {"init": [status_of(lambda: c.init("output", args["properties"])),
                       status_of(lambda: c.init("input", args["properties"]))],
              "delivered": []}
    if all(status == "OK" for status, _ in result["init"]):
        for message in args["messages"]:
            c.invoke("create", message["body"].encode(), message.get("metadata"))
        stream = ReadStream(c)
        for message in stream.responses:
            result["delivered"].append({"body": message.data.decode(), "metadata": dict(message.metadata)})
            stream.ack(message.message_id)
            if len(result["delivered"]) >= args["expect"]:
                break
        stream.finish()
    print(json.dumps(result))


def scenario_sql92_read(channel, cls, args):
    """Init the output side with `properties`, publishes each of `messages` ({"body", "metadata"})
    with create, then the `read` operation. Reports its status and the bodies it returned."""
    c = Component(channel, cls, args["instance"])
    c.init("output", args["properties"])
    for message in args["messages"]:
        c.invoke("create", message["body"].encode(), message.get("metadata"))
    try:
        answer = c.invoke("read", metadata={"maxMessages": "100"})
        print(json.dumps({"read": ["OK", ""], "bodies": [m.get("bodyText") for m in json.loads(answer.data)]}))
    except grpc.RpcError as error:
        print(json.dumps({"read": [error.code().name, error.details()], "bodies": []}))


if __name__ == "__main__":
    main()
