import NIOCore
import RocketMQWire

/// What `PushConsumer` must do after each event it feeds `ConsumerStateMachine`. Each event has its
/// own action type, so the driver's `switch` over it names every case it has to carry out.
extension ConsumerStateMachine {
    enum StartAction: Equatable, Sendable {
        /// Resolve the routes, heartbeat, then report `joined()` (or `startFailed()`).
        case resolveRoutes
        /// A consumer starts once.
        case refuse
    }

    enum StartFailedAction: Equatable, Sendable {
        /// Finish the message stream and close the connections.
        case close
        /// A `stop()` under way finishes the consumer.
        case none
    }

    enum JoinAction: Equatable, Sendable {
        /// Rebalance now, then start the timers (docs/protocol-remoting.md §5.2).
        case rebalanceAndStartTimers
        /// `stop()` came first.
        case none
    }

    enum RebalanceRequestAction: Equatable, Sendable {
        /// Run a rebalance (the timer's or NOTIFY_CONSUMER_IDS_CHANGED's).
        case rebalance
        /// Not running: nothing to rebalance.
        case none
    }

    /// A committable offset to send to the broker (UPDATE_CONSUMER_OFFSET); report it with
    /// `offsetCommitted` once the broker has it.
    struct OffsetCommit: Equatable, Sendable {
        let queue: MessageQueue
        let offset: Int64
    }

    enum RebalanceAction: Equatable, Sendable {
        case none
        /// `removed` are no longer this consumer's (dropped already): end their pull loops, send
        /// `commit` (their offsets, never past an unacknowledged message) and, in orderly mode,
        /// unlock `unlock`. Then read the start offset of each of `added` (docs/protocol-remoting.md
        /// §5.6) and report `queueStarted` or `queueStartFailed`. All sorted.
        case change(added: [MessageQueue], removed: [MessageQueue], commit: [OffsetCommit], unlock: [MessageQueue])
    }

    enum QueueStartAction: Equatable, Sendable {
        /// Start the queue's pull loop, which asks `nextPull(of:generation:now:)` what to do.
        case startPulling(generation: UInt64)
        /// The consumer stopped meanwhile.
        case none
    }

    /// The next step of one queue's pull loop.
    enum PullAction: Equatable, Sendable {
        /// Pull from `offset` (long polling) and report the answer with `pulled`.
        case pull(offset: Int64, subscription: Subscription)
        /// Orderly, once the lock is first held: read the queue's offset from the broker again and
        /// report it with `lockedQueueOffsetRead`.
        case readOffsetWhenLocked
        /// Ask again after this pause (flow control, or an orderly queue not locked yet).
        case wait(TimeAmount)
        /// The queue was dropped or the consumer stops: end the loop.
        case stop
    }

    /// A failed message to send back to the broker (CONSUMER_SEND_MSG_BACK,
    /// docs/protocol-remoting.md §5.5); report the outcome with `sendBackFinished`.
    struct SendBack: Equatable, Sendable {
        let message: StoredMessage
        let queue: MessageQueue
        let generation: UInt64
        /// 0 lets the broker choose (by reconsume times); -1 sends the message to the DLQ at once.
        let delayLevel: Int
    }

    /// The delivery side of an event: messages to hand to the application now, in this order, and
    /// what else follows from it.
    enum DeliveryAction: Sendable {
        /// Hand these out (perhaps none).
        case deliver([ConsumedMessage])
        /// Hand these out, and send `SendBack` to the broker.
        case deliverAndSendBack([ConsumedMessage], SendBack)
        /// Hand these out, and report `backoffEnded(now:)` at the deadline, when a message waiting
        /// for a back-off may go out again.
        case deliverAndWakeUp([ConsumedMessage], at: NIODeadline)
    }

    enum AckAction: Sendable {
        /// No delivery has that handle (acknowledged already, timed out, or the consumer stopped):
        /// nothing changed.
        case unknownHandle
        /// The message's queue was rebalanced away (or taken on again) since it was delivered: the
        /// ack changes nothing there (the queue's owner delivers the message again if need be). It
        /// no longer counts as in flight, so these may go out.
        case staleGeneration([ConsumedMessage])
        case applied(DeliveryAction)
    }

    enum StopAction: Equatable, Sendable {
        /// Never started: finish the message stream and close the connections.
        case close
        /// Pulls and deliveries have ended: end the pull loops and timers, let the send-backs in
        /// flight finish (`sendBacksInFlight`), send `offsetsToCommit(unchangedToo: true)`, unlock
        /// `unlock` (orderly), unregister, then report `stopFinished()` and close.
        case stop(unlock: [MessageQueue])
        /// Another `stop()` is under way: wait until the phase is `.stopped`.
        case waitForStop
        /// Stopped already.
        case none
    }
}
