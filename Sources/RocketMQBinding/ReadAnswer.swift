import DaprProto
import Foundation

/// The answer of a `read`, bounded to what daprd can receive.
///
/// daprd reads every answer with grpc-go's default 4 MiB receive limit; a larger one fails the
/// call after the read's offsets were committed, and the messages would be lost for the group. So
/// the answer is sized on its real encoding as messages are added: a message goes in with its
/// `bodyText` when that fits, without it when only the base64 body fits, and not at all when it
/// does not fit beside what is already there (it stays uncommitted for the next read). A message
/// that cannot fit even alone is `neverFits`: the caller must dispose of it, not skip it.
struct ReadAnswer {
    /// daprd's receive limit on the whole encoded `InvokeResponse`.
    static let limit = RocketMQInputBinding.daprdMaxReceiveMessageSize
    /// Room kept for the response's metadata (counts and dead-lettered ids: at most 1024 ids of
    /// 32 characters), its content type and the `data` field's own key and length.
    static let metadataReserve = 64 * 1024

    enum Placement: Equatable {
        case added
        /// Does not fit beside the messages already added; fits alone.
        case full
        /// Does not fit even alone.
        case neverFits
    }

    private var data: [UInt8] = [UInt8(ascii: "[")]
    private(set) var count = 0
    private let budget: Int

    init(limit: Int = ReadAnswer.limit) {
        budget = limit - Self.metadataReserve
    }

    /// Adds one message's JSON object (sorted keys), with `bodyText` when it fits.
    mutating func add(_ object: [String: Any], bodyText: String?) throws -> Placement {
        var candidates: [[String: Any]] = []
        if let bodyText { candidates.append(object.merging(["bodyText": bodyText]) { $1 }) }
        candidates.append(object)
        var smallest = Int.max
        for candidate in candidates {
            let encoded = try JSONSerialization.data(withJSONObject: candidate, options: [.sortedKeys])
            smallest = min(smallest, encoded.count)
            // One byte for the separator (or the opening bracket's partner) and one for the closing bracket.
            guard data.count + encoded.count + 2 <= budget else { continue }
            if count > 0 { data.append(UInt8(ascii: ",")) }
            data.append(contentsOf: encoded)
            count += 1
            return .added
        }
        return smallest + 2 + 1 > budget ? .neverFits : .full
    }

    func response(metadata: [String: String]) -> InvokeResponse {
        InvokeResponse(data: data + [UInt8(ascii: "]")], metadata: metadata, contentType: "application/json")
    }
}
