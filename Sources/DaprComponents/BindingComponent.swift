import DaprProto

/// An output binding instance, as the server drives it. One object per component instance
/// (`x-component-instance`); the server creates it through `BindingFactory`, calls `initialize`
/// once per `OutputBinding/Init`, and `close` before replacing or dropping it.
/// Errors thrown should be `ComponentError`s; anything else becomes `INTERNAL`.
public protocol OutputBindingComponent: AnyObject, Sendable {
    func initialize(metadata: [String: String]) async throws
    /// The operations this binding supports (`ListOperations`).
    var operations: [String] { get }
    func invoke(_ request: InvokeRequest) async throws -> InvokeResponse
    /// Throws (`unavailable`) when the instance cannot serve right now.
    func ping() async throws
    func close() async
}

/// An input binding instance. `read` runs for the life of one `InputBinding/Read` stream:
/// it delivers messages through `delivery` and returns once `delivery.ended` is true or the
/// task is cancelled, after it has stopped consuming.
public protocol InputBindingComponent: AnyObject, Sendable {
    func initialize(metadata: [String: String]) async throws
    func read(_ delivery: MessageDelivery) async throws
    func ping() async throws
    func close() async
}

/// Creates binding instances; the executable supplies the RocketMQ one.
public protocol BindingFactory: Sendable {
    func makeInputBinding(instance: String) -> InputBindingComponent
    func makeOutputBinding(instance: String) -> OutputBindingComponent
}
