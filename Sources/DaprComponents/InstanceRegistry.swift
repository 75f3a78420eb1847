import GRPCCore

/// Component instances of one direction, keyed by `x-component-instance`. Each instance is
/// its own object with its own configuration and connections, so instances never share state.
final class InstanceRegistry<Component: Sendable>: Sendable {
    private let instances = LockedValueBox<[String: Component]>([:])

    subscript(name: String) -> Component? {
        instances.withLockedValue { $0[name] }
    }

    /// Stores `component` for `name`, returning the instance it replaces.
    func replace(_ name: String, with component: Component?) -> Component? {
        instances.withLockedValue { instances in
            let old = instances[name]
            instances[name] = component
            return old
        }
    }

    /// Removes the instance stored for `name` if `matches` says it is the expected one.
    func remove(_ name: String, if matches: (Component) -> Bool) {
        instances.withLockedValue { instances in
            if let current = instances[name], matches(current) { instances[name] = nil }
        }
    }

    func removeAll() -> [Component] {
        instances.withLockedValue { instances in
            defer { instances = [:] }
            return Array(instances.values)
        }
    }
}
