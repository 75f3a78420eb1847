// The gRPC C core (Debian libgrpc-dev 1.51) as the GRPCCore module sees it. Only GRPCCore imports
// this module. The static inline helpers below fill the core's unions and read its macros,
// which Swift cannot do directly; they own nothing.
#ifndef CGRPCCORE_SHIM_H
#define CGRPCCORE_SHIM_H

#include <grpc/grpc.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <grpc/support/alloc.h>
#include <grpc/grpc_security.h>
#include <string.h>
#include <dlfcn.h>

/* What every completion tag hands the core: a functor (first, so a pointer to this struct is a
   pointer to it) and the Swift object it completes. A queue polled with grpc_completion_queue_next
   returns the pointer as the event's tag; a callback queue runs functor_run where the operation
   completes. */
typedef struct cgrpc_tag {
    grpc_completion_queue_functor functor;
    void *owner;
} cgrpc_tag;

static inline grpc_op cgrpc_op_send_initial_metadata(grpc_metadata *metadata, size_t count) {
    grpc_op op; memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_INITIAL_METADATA;
    op.data.send_initial_metadata.count = count;
    op.data.send_initial_metadata.metadata = metadata;
    return op;
}

/* `buffer_hint`: the transport may hold the message (and complete it at once) until a later
   send without the hint flushes them together. */
static inline grpc_op cgrpc_op_send_message(grpc_byte_buffer *message, int buffer_hint) {
    grpc_op op; memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.flags = buffer_hint ? GRPC_WRITE_BUFFER_HINT : 0;
    op.data.send_message.send_message = message;
    return op;
}

static inline grpc_op cgrpc_op_send_status_from_server(grpc_metadata *trailing, size_t count,
                                                      grpc_status_code status, grpc_slice *details) {
    grpc_op op; memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    op.data.send_status_from_server.trailing_metadata = trailing;
    op.data.send_status_from_server.trailing_metadata_count = count;
    op.data.send_status_from_server.status = status;
    op.data.send_status_from_server.status_details = details;
    return op;
}

static inline grpc_op cgrpc_op_recv_message(grpc_byte_buffer **message) {
    grpc_op op; memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = message;
    return op;
}

static inline grpc_op cgrpc_op_recv_close_on_server(int *cancelled) {
    grpc_op op; memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op.data.recv_close_on_server.cancelled = cancelled;
    return op;
}

static inline grpc_op cgrpc_op_send_close_from_client(void) {
    grpc_op op; memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    return op;
}

static inline grpc_op cgrpc_op_recv_initial_metadata(grpc_metadata_array *metadata) {
    grpc_op op; memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_INITIAL_METADATA;
    op.data.recv_initial_metadata.recv_initial_metadata = metadata;
    return op;
}

static inline grpc_op cgrpc_op_recv_status_on_client(grpc_metadata_array *trailing, grpc_status_code *status,
                                                    grpc_slice *details) {
    grpc_op op; memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    op.data.recv_status_on_client.trailing_metadata = trailing;
    op.data.recv_status_on_client.status = status;
    op.data.recv_status_on_client.status_details = details;
    return op;
}

static inline uint32_t cgrpc_propagate_defaults(void) {
    return GRPC_PROPAGATE_DEFAULTS;
}

/// An absolute realtime deadline `milliseconds` from now (or none for a negative value).
static inline gpr_timespec cgrpc_deadline_in(int64_t milliseconds) {
    if (milliseconds < 0) return gpr_inf_future(GPR_CLOCK_REALTIME);
    return gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_millis(milliseconds, GPR_TIMESPAN));
}

static inline const uint8_t *cgrpc_slice_start(const grpc_slice *slice) {
    return GRPC_SLICE_START_PTR(*slice);
}

static inline size_t cgrpc_slice_length(const grpc_slice *slice) {
    return GRPC_SLICE_LENGTH(*slice);
}

static inline gpr_timespec cgrpc_infinite_future(void) {
    return gpr_inf_future(GPR_CLOCK_REALTIME);
}

/// Milliseconds from now until `deadline`, clamped to [0, INT64_MAX]; INT64_MAX for "no deadline".
static inline int64_t cgrpc_milliseconds_until(gpr_timespec deadline) {
    gpr_timespec infinite = gpr_inf_future(deadline.clock_type);
    if (gpr_time_cmp(deadline, infinite) >= 0) return INT64_MAX;
    gpr_timespec now = gpr_now(deadline.clock_type);
    if (gpr_time_cmp(deadline, now) <= 0) return 0;
    return gpr_time_to_millis(gpr_time_sub(deadline, now));
}

static inline grpc_arg cgrpc_integer_arg(char *key, int value) {
    grpc_arg arg; memset(&arg, 0, sizeof arg);
    arg.type = GRPC_ARG_INTEGER;
    arg.key = key;
    arg.value.integer = value;
    return arg;
}

/// Turns off Abseil's Mutex deadlock detection; returns 0 when this libabsl has no such switch.
///
/// Debian builds Abseil without NDEBUG, so every absl::Mutex lock the core takes also updates a
/// process-wide lock-order graph under one global lock: about 80 graph look-ups per call, contended
/// by every thread that touches the core. Upstream release builds compile that out; this is the
/// documented run-time switch (absl::SetMutexDeadlockDetectionMode(kIgnore)). It is looked up by
/// name because it is C++ (Debian's inline namespace "debian3") and must not become a link-time
/// dependency.
static inline int cgrpc_disable_abseil_deadlock_detection(void) {
    void (*set_mode)(int) = (void (*)(int))dlsym(
        RTLD_DEFAULT, "_ZN4absl7debian329SetMutexDeadlockDetectionModeENS0_15OnDeadlockCycleE");
    if (set_mode == NULL) return 0;
    set_mode(0);  /* OnDeadlockCycle::kIgnore */
    return 1;
}

#endif
