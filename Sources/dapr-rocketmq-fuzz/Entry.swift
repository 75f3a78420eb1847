import Foundation

// Built with -DFUZZING and -sanitize=fuzzer (scripts/fuzz.sh), libFuzzer drives the target named
// by FUZZ_TARGET. Built normally, the program replays files: `dapr-rocketmq-fuzz TARGET FILE...`
// (the regression tests run every kept reproducer this way, in process).

#if FUZZING
private let selected: FuzzTargets = {
    guard let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"], let target = FuzzTargets(rawValue: name) else {
        fatalError("set FUZZ_TARGET to one of \(FuzzTargets.allCases.map(\.rawValue))")
    }
    return target
}()

@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// SwiftPM links an executable's entry under this name; hand control to libFuzzer's driver.
@_cdecl("dapr_rocketmq_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    _ = selected
    return runFuzzerDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
#else
@main
enum Replay {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTargets(rawValue: name) else {
            print("usage: dapr-rocketmq-fuzz {\(FuzzTargets.allCases.map(\.rawValue).joined(separator: "|"))} FILE...")
            exit(2)
        }
        for path in arguments.dropFirst() {
            target.run([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        }
    }
}
#endif
