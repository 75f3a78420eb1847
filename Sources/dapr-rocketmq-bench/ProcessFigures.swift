import Foundation

/// Figures of a running process read from /proc (Linux).
struct ProcessFigures {
    let pid: Int32

    private func status(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            // "VmRSS:\t   12345 kB"
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    /// Resident set size in KiB.
    var residentKiB: Int { status("VmRSS") ?? 0 }
    /// Peak resident set size in KiB.
    var peakResidentKiB: Int { status("VmHWM") ?? 0 }
    var threads: Int { status("Threads") ?? 0 }

    /// User + system CPU seconds so far.
    var cpuSeconds: Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
