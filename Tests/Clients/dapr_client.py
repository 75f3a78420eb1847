#!/usr/bin/env python3
"""A second gRPC implementation (Python grpcio) that talks to the component as daprd does.

It learns the message types the way daprd discovers services: through v1alpha server
reflection, then builds protobuf classes from the served descriptors (no .proto files here).
Each scenario prints one JSON line with what it saw; the Swift tests assert on it.

Usage: dapr_client.py SOCKET_PATH SCENARIO [ARGS...]
"""
import json
import sys
import threading
import random

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

PKG = "dapr.proto.components.v1"


def reflect(channel):
    """v1alpha ListServices, then FileContainingSymbol for each binding service, as daprd does."""
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    requests = [reflection_pb2.ServerReflectionRequest(list_services="*")]
    responses = list(stub.ServerReflectionInfo(iter(requests)))
    services = [s.name for s in responses[0].list_services_response.service]
    pool = descriptor_pool.DescriptorPool()
    added = set()
    for symbol in (PKG + ".InputBinding", PKG + ".OutputBinding"):
        reply = list(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(file_containing_symbol=symbol)])))[0]
        protos = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in reply.file_descriptor_response.file_descriptor_proto]
        for proto in reversed(protos):  # dependencies first
            if proto.name not in added:
                pool.Add(proto)
                added.add(proto.name)
    def cls(name):
        return message_factory.GetMessageClass(pool.FindMessageTypeByName(PKG + "." + name))
    return services, cls


def unary(channel, cls, path, request, response_type, instance=None):
    call = channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString(),
                               response_deserializer=cls(response_type).FromString)
    metadata = [("x-component-instance", instance)] if instance else None
    return call(request, metadata=metadata, timeout=30)


def raw_unary(channel, path, payload):
    call = channel.unary_unary(path, request_serializer=lambda b: b, response_deserializer=lambda b: b)
    try:
        call(payload, timeout=30)
        return "OK", ""
    except grpc.RpcError as error:
        return error.code().name, error.details()


def daprd_sequence(channel, instance, messages):
    """Replays daprd: reflection → OutputBinding Init → ListOperations → Invoke;
    InputBinding Init → Read, acking the delivered messages out of order."""
    services, cls = reflect(channel)
    out = PKG + ".OutputBinding/"
    inp = PKG + ".InputBinding/"
    init = cls("OutputBindingInitRequest")(metadata=cls("MetadataRequest")(properties={"topics": "t"}))
    unary(channel, cls, "/" + out + "Init", init, "OutputBindingInitResponse", instance)
    ops = unary(channel, cls, "/" + out + "ListOperations", cls("ListOperationsRequest")(), "ListOperationsResponse", instance)
    invoke = cls("InvokeRequest")(data=b"hello", metadata={"k": "v"}, operation=ops.operations[0])
    answer = unary(channel, cls, "/" + out + "Invoke", invoke, "InvokeResponse", instance)
    init = cls("InputBindingInitRequest")(metadata=cls("MetadataRequest")(properties={"messages": str(messages)}))
    unary(channel, cls, "/" + inp + "Init", init, "InputBindingInitResponse", instance)
    delivered = read_and_ack(channel, cls, instance, messages, fail_every=0)
    print(json.dumps({"services": services, "operations": list(ops.operations),
                      "invoke_data": answer.data.decode(), "invoke_metadata": dict(answer.metadata),
                      "delivered": delivered}))


def read_and_ack(channel, cls, instance, count, fail_every):
    """Opens Read, collects `count` messages, then acks them in reverse order; returns the data."""
    stream = channel.stream_stream("/" + PKG + ".InputBinding/Read",
                                   request_serializer=lambda m: m.SerializeToString(),
                                   response_deserializer=cls("ReadResponse").FromString)
    acks = []
    ready = threading.Condition()
    def requests():
        while True:
            with ready:
                while not acks:
                    ready.wait()
                item = acks.pop(0)
            if item is None:
                return
            yield item
    responses = stream(requests(), metadata=[("x-component-instance", instance)] if instance else None)
    received = []
    for response in responses:
        received.append(response)
        if len(received) == count:
            break
    ReadRequest, AckError = cls("ReadRequest"), cls("AckResponseError")
    with ready:
        for index, message in reversed(list(enumerate(received))):
            failed = fail_every and index % fail_every == 0
            acks.append(ReadRequest(message_id=message.message_id,
                                    response_error=AckError(message="app failed") if failed else None))
        ready.notify()
    # After the acks, wait until the component confirms every ack arrived (a message whose
    # data is "acked:<n>"), then close our side.
    confirmation = next(responses)
    with ready:
        acks.append(None)
        ready.notify()
    responses.cancel()
    return {"data": [m.data.decode() for m in received], "ids_unique": len({m.message_id for m in received}) == len(received),
            "confirmation": confirmation.data.decode(), "metadata": dict(received[0].metadata) if received else {}}


def concurrent_unary(channel, calls):
    _, cls = reflect(channel)
    path = "/" + PKG + ".OutputBinding/Invoke"
    init = cls("OutputBindingInitRequest")(metadata=cls("MetadataRequest")(properties={}))
    unary(channel, cls, "/" + PKG + ".OutputBinding/Init", init, "OutputBindingInitResponse", "load")
    call = channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString(),
                               response_deserializer=cls("InvokeResponse").FromString)
    futures = [call.future(cls("InvokeRequest")(data=str(i).encode(), operation="echo"),
                           metadata=[("x-component-instance", "load")], timeout=60) for i in range(calls)]
    echoed = sorted(int(f.result().data.decode()) for f in futures)
    print(json.dumps({"ok": echoed == list(range(calls)), "count": len(echoed)}))


def concurrent_reads(channel, streams, messages):
    _, cls = reflect(channel)
    results = [None] * streams
    def run(index):
        instance = "reader-%d" % index
        init = cls("InputBindingInitRequest")(metadata=cls("MetadataRequest")(properties={"messages": str(messages)}))
        unary(channel, cls, "/" + PKG + ".InputBinding/Init", init, "InputBindingInitResponse", instance)
        results[index] = read_and_ack(channel, cls, instance, messages, fail_every=0)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(streams)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(json.dumps({"confirmations": [r["confirmation"] for r in results],
                      "counts": [len(r["data"]) for r in results]}))


def bad_input(channel, oversize_bytes):
    out = "/" + PKG + ".OutputBinding/"
    results = {
        "malformed": raw_unary(channel, out + "Invoke", b"\x0a\xff\xff\xff\xff\x0f"),
        "unknown_method": raw_unary(channel, "/" + PKG + ".OutputBinding/NoSuchMethod", b""),
        "oversize": raw_unary(channel, out + "Invoke", b"\x0a" + encode_varint(oversize_bytes) + b"x" * oversize_bytes),
        "before_init": raw_unary(channel, out + "Invoke", b""),
    }
    results["still_serving"] = raw_unary(channel, out + "ListOperations", b"")
    print(json.dumps({k: list(v) for k, v in results.items()}))


def encode_varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def open_read_and_wait(channel, instance):
    """Opens a Read stream, prints a line once it is open, and blocks until the server ends it."""
    _, cls = reflect(channel)
    init = cls("InputBindingInitRequest")(metadata=cls("MetadataRequest")(properties={"messages": "1"}))
    unary(channel, cls, "/" + PKG + ".InputBinding/Init", init, "InputBindingInitResponse", instance)
    stream = channel.stream_stream("/" + PKG + ".InputBinding/Read", request_serializer=lambda m: m.SerializeToString(),
                                   response_deserializer=cls("ReadResponse").FromString)
    never = threading.Event()
    def requests():
        never.wait()
        return
        yield
    responses = stream(requests(), metadata=[("x-component-instance", instance)])
    first = next(responses)
    print(json.dumps({"open": True, "first": first.data.decode()}), flush=True)
    try:
        for _ in responses:
            pass
        print(json.dumps({"ended": "OK"}), flush=True)
    except grpc.RpcError as error:
        print(json.dumps({"ended": error.code().name}), flush=True)


def main():
    socket_path, scenario, *args = sys.argv[1:]
    # daprd's receive limit: grpc-go's default, which daprd does not change (docs/daprd.md §F).
    options = [("grpc.max_receive_message_length", 4 * 1024 * 1024)]
    with grpc.insecure_channel("unix://" + socket_path, options=options) as channel:
        if scenario == "daprd-sequence":
            daprd_sequence(channel, args[0] if args[0] != "-" else None, int(args[1]))
        elif scenario == "concurrent-unary":
            concurrent_unary(channel, int(args[0]))
        elif scenario == "concurrent-reads":
            concurrent_reads(channel, int(args[0]), int(args[1]))
        elif scenario == "bad-input":
            bad_input(channel, int(args[0]))
        elif scenario == "open-read":
            open_read_and_wait(channel, args[0])
        else:
            raise SystemExit("unknown scenario " + scenario)


if __name__ == "__main__":
    main()
