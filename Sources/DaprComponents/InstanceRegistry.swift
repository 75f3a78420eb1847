import Foundation

/// Component instances of one direction, keyed by `x-component-instance`. Each instance is
/// its own object with its own configuration and connections, so instances never share state.
final class InstanceRegistry<Component>: @unchecked Sendable {
    private let lock = NSLock()
    private var instances: [String: Component] = [:]

    subscript(name: String) -> Component? {
        lock.withLock { instances[name] }
    }

    /// Stores `component` for `name`, returning the instance it replaces.
    func replace(_ name: String, with component: Component?) -> Component? {
        lock.withLock {
            let old = instances[name]
            instances[name] = component
            return old
        }
    }

    /// Removes the instance stored for `name` if `matches` says it is the expected one.
    func remove(_ name: String, if matches: (Component) -> Bool) {
        lock.withLock {
            if let current = instances[name], matches(current) { instances[name] = nil }
        }
    }

    func removeAll() -> [Component] {
        lock.withLock {
            defer { instances = [:] }
            return Array(instances.values)
        }
    }
}
