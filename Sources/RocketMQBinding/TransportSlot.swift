import NIOConcurrencyHelpers

/// The transport of an initialised instance: swapped at each Init, emptied at close. Whoever
/// swaps one out closes it, so each transport is closed once.
final class TransportSlot<Transport: Sendable>: Sendable {
    private let value = NIOLockedValueBox<Transport?>(nil)

    var current: Transport? { value.withLockedValue { $0 } }

    /// Puts `new` in (nil empties the slot) and returns what was there.
    func swap(_ new: Transport?) -> Transport? {
        value.withLockedValue { old in
            defer { old = new }
            return old
        }
    }
}
