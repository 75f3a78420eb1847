/// What `dapr-rocketmq --version` prints: `dapr-rocketmq <version> (<commit>)`.
enum Version {
    /// The release; raised by hand when one is made.
    static let number = "0.2.0"
    /// The commit the executable was built from (`git rev-parse --short=12 HEAD`), or `unknown`
    /// when it was built without git; `buildCommit` is written at build time by the BuildCommit
    /// plugin (Plugins/BuildCommit), never committed.
    static let commit = buildCommit
    static let line = "dapr-rocketmq \(number) (\(commit))"
}
