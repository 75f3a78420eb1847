#!/usr/bin/env bash
# Fuzzes the decoders that take bytes from the network or from daprd, with libFuzzer
# (swiftc -sanitize=fuzzer,address), each target for a bounded time (default 60 s):
#   scripts/fuzz.sh [SECONDS] [TARGET...]   targets: remoting-frame stored-messages route-json protobuf-requests
# Seeds come from the captured frames in Tests/Golden. A crash is written to
# Tests/FuzzReproducers/<target>/; fix it and keep the file: the test suite replays every one.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(remoting-frame stored-messages route-json protobuf-requests mq-http-xml)

scratch=.build-fuzz
swift build --product dapr-rocketmq-fuzz --scratch-path "$scratch" \
  -Xswiftc -DFUZZING -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld
fuzzer="$scratch/debug/dapr-rocketmq-fuzz"

corpus="$scratch/corpus"
python3 - "$corpus" Tests/Golden/rocketmq-4.9.8 <<'PY'
import glob, json, os, sys
corpus, golden = sys.argv[1], sys.argv[2]
def put(target, name, data):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(data)
for path in sorted(glob.glob(os.path.join(golden, "*.jsonl"))):
    base = os.path.basename(path)
    for line in open(path):
        record = json.loads(line)
        name = "%s-%d" % (base, record["seq"])
        put("remoting-frame", name, bytes.fromhex(record["frame_hex"]))
        body = bytes.fromhex(record.get("body_hex") or "")
        if record.get("type") == "response" and record["header"].get("code") == 0 and body:
            if record.get("request_code") == 11:
                put("stored-messages", name, body)
            if record.get("request_code") == 105:
                put("route-json", name, body)
# Protobuf seeds: an InvokeRequest, a ReadRequest with an error, an Init request, a reflection request.
def field(number, payload):
    key, size = (number << 3) | 2, len(payload)
    out = bytearray([key])
    while True:
        out.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            return bytes(out) + payload
entry = field(1, b"k") + field(2, b"v")
put("protobuf-requests", "invoke", field(1, b"hi") + field(2, entry) + field(3, b"create"))
put("protobuf-requests", "ack", field(2, b"id") + field(3, field(1, b"app failed")))
put("protobuf-requests", "init", field(1, field(1, field(1, b"topics") + field(2, b"orders"))))
put("protobuf-requests", "reflection", field(7, b"*"))
# An MQ HTTP consume answer (docs/protocol-mq-http.md §4) with a namespace, CDATA, references and a comment.
put("mq-http-xml", "messages", b'<?xml version="1.0"?><Messages xmlns="http://mq.aliyuncs.com/doc/v1/"><Message>'
    b'<MessageId>id1</MessageId><ReceiptHandle>h1</ReceiptHandle><MessageBody>a &amp; b&#xD;<![CDATA[<raw>]]></MessageBody>'
    b'<PublishTime>1</PublishTime><NextConsumeTime>2</NextConsumeTime><!-- c --><MessageTag>T</MessageTag></Message></Messages>')
PY

status=0
for target in "${targets[@]}"; do
  mkdir -p "Tests/FuzzReproducers/$target"
  echo "== $target: ${seconds}s"
  FUZZ_TARGET="$target" "$fuzzer" "$corpus/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="Tests/FuzzReproducers/$target/" -print_final_stats=1 2>&1 | tail -n 12 || status=1
done
exit $status
