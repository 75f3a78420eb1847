/// The `language` of a remoting command: the sender's client language (`LanguageCode.java`).
///
/// JSON headers carry the enum **name**, binary headers the one-byte code. Unknown bytes and names
/// decode to ``LanguageCode/unknown(_:)`` so a future language never breaks a frame.
/// A value type; safe to use from any thread.
public enum LanguageCode: Sendable, Hashable {
    case java, cpp, dotnet, python, delphi, erlang, ruby, other, http, go, php, oms, rust
    /// A byte this implementation does not know; kept so it can be re-encoded unchanged.
    case unknown(UInt8)

    /// All known languages in code order (0...12).
    public static let known: [LanguageCode] = [
        .java, .cpp, .dotnet, .python, .delphi, .erlang, .ruby, .other, .http, .go, .php, .oms, .rust,
    ]
    private static let names = [
        "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST",
    ]

    /// The binary header byte.
    public var code: UInt8 {
        switch self {
        case .java: return 0
        case .cpp: return 1
        case .dotnet: return 2
        case .python: return 3
        case .delphi: return 4
        case .erlang: return 5
        case .ruby: return 6
        case .other: return 7
        case .http: return 8
        case .go: return 9
        case .php: return 10
        case .oms: return 11
        case .rust: return 12
        case .unknown(let byte): return byte
        }
    }

    /// The JSON header name (`"JAVA"`, `"OTHER"`, ...). Unknown bytes fall back to `"OTHER"`.
    public var name: String {
        let index = Int(code)
        return index < Self.names.count ? Self.names[index] : "OTHER"
    }

    /// Decodes a binary header byte.
    public init(code: UInt8) {
        let index = Int(code)
        self = index < Self.known.count ? Self.known[index] : .unknown(code)
    }

    /// Decodes a JSON header name; `nil` when the name is not one of the 13 known names.
    public init?(name: String) {
        guard let index = Self.names.firstIndex(of: name) else { return nil }
        self = Self.known[index]
    }
}
