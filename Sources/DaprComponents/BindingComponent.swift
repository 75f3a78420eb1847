import DaprProto

/// What every binding instance does, in either direction. One object per component instance
/// (`x-component-instance`) and direction; the server creates it through `BindingFactory`, calls
/// `initialize` once per Init, and `close` before replacing or dropping it.
/// Errors thrown should be `ComponentError`s; anything else becomes `INTERNAL`.
public protocol BindingComponent: AnyObject, Sendable {
    func initialize(metadata: [String: String]) async throws
    /// Throws (`unavailable`) when the instance cannot serve right now.
    func ping() async throws
    func close() async
}

/// An output binding instance.
public protocol OutputBindingComponent: BindingComponent {
    /// The operations this binding supports (`ListOperations`).
    var operations: [String] { get }
    func invoke(_ request: InvokeRequest) async throws -> InvokeResponse
}

/// An input binding instance. `read` runs for the life of one `InputBinding/Read` stream:
/// it delivers messages through `delivery` and returns once `delivery.ended` is true or the
/// task is cancelled, after it has stopped consuming.
public protocol InputBindingComponent: BindingComponent {
    func read(_ delivery: MessageDelivery) async throws
}

/// Creates binding instances; the executable supplies the RocketMQ one.
public protocol BindingFactory: Sendable {
    func makeInputBinding(instance: String) -> InputBindingComponent
    func makeOutputBinding(instance: String) -> OutputBindingComponent
}
