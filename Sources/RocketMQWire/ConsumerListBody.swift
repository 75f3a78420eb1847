/// The GET_CONSUMER_LIST_BY_GROUP response body: `{"consumerIdList":[...]}`
/// (docs/protocol-remoting.md §2.9).
public struct ConsumerListBody: Sendable, Equatable, Codable {
    public var consumerIdList: [String]

    public init(consumerIdList: [String]) {
        self.consumerIdList = consumerIdList
    }

    public init(body: [UInt8]) throws {
        let json = try RemotingBodyError.parse(body, as: "ConsumerListBody")
        consumerIdList = (json["consumerIdList"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    public func encoded() -> [UInt8] {
        var w = FastJSONWriter()
        w.value(.object([(key: "consumerIdList", value: .array(consumerIdList.map { .string($0) }))]))
        return w.bytes
    }
}
