import DaprProtoC

// The messages of dapr.proto.components.v1 (bindings.proto, common.proto) as Swift values.

/// `InputBindingInitRequest` / `OutputBindingInitRequest`: the component metadata.
/// Both have one field, `MetadataRequest metadata = 1`, so they share one wire shape and one
/// codec (the input stub decodes and encodes either).
public struct BindingInitRequest: ProtoMessage, Equatable {
    public var properties: [String: String]

    public init(properties: [String: String] = [:]) {
        self.properties = properties
    }

    public init(decoding bytes: [UInt8]) throws {
        properties = try withUnpacked(
            bytes, name: "BindingInitRequest",
            unpack: dapr__proto__components__v1__input_binding_init_request__unpack,
            free: dapr__proto__components__v1__input_binding_init_request__free_unpacked
        ) { message in
            guard let metadata = message.pointee.metadata else { return [:] }
            return mapEntries(metadata.pointee.properties, count: metadata.pointee.n_properties) {
                ($0.pointee.key, $0.pointee.value)
            }
        }
    }

    public func encoded() -> [UInt8] {
        let arena = CArena()
        let entries = arena.array(of: UnsafeMutablePointer<Dapr__Proto__Components__V1__MetadataRequest__PropertiesEntry>?.self, count: properties.count)
        for (index, (key, value)) in properties.sorted(by: { $0.key < $1.key }).enumerated() {
            let entry = arena.array(of: Dapr__Proto__Components__V1__MetadataRequest__PropertiesEntry.self, count: 1)
            dapr__proto__components__v1__metadata_request__properties_entry__init(entry)
            entry.pointee.key = arena.string(key)
            entry.pointee.value = arena.string(value)
            (entries + index).initialize(to: entry)
        }
        let metadata = arena.array(of: Dapr__Proto__Components__V1__MetadataRequest.self, count: 1)
        dapr__proto__components__v1__metadata_request__init(metadata)
        metadata.pointee.n_properties = properties.count
        metadata.pointee.properties = entries
        var message = Dapr__Proto__Components__V1__InputBindingInitRequest()
        dapr__proto__components__v1__input_binding_init_request__init(&message)
        message.metadata = metadata
        return packed(&message, size: dapr__proto__components__v1__input_binding_init_request__get_packed_size,
                      pack: dapr__proto__components__v1__input_binding_init_request__pack)
    }
}

/// `OutputBinding/Invoke` request.
public struct InvokeRequest: ProtoMessage, Equatable {
    public var data: [UInt8]
    public var metadata: [String: String]
    public var operation: String

    public init(data: [UInt8] = [], metadata: [String: String] = [:], operation: String) {
        self.data = data
        self.metadata = metadata
        self.operation = operation
    }

    public init(decoding bytes: [UInt8]) throws {
        self = try withUnpacked(
            bytes, name: "InvokeRequest",
            unpack: dapr__proto__components__v1__invoke_request__unpack,
            free: dapr__proto__components__v1__invoke_request__free_unpacked
        ) { message in
            InvokeRequest(
                data: swiftBytes(message.pointee.data),
                metadata: mapEntries(message.pointee.metadata, count: message.pointee.n_metadata) {
                    ($0.pointee.key, $0.pointee.value)
                },
                operation: swiftString(message.pointee.operation))
        }
    }

    public func encoded() -> [UInt8] {
        let arena = CArena()
        var message = Dapr__Proto__Components__V1__InvokeRequest()
        dapr__proto__components__v1__invoke_request__init(&message)
        message.data = arena.bytes(data)
        message.operation = arena.string(operation)
        message.n_metadata = metadata.count
        message.metadata = arena.entries(metadata, init: dapr__proto__components__v1__invoke_request__metadata_entry__init) {
            $0.pointee.key = $1
            $0.pointee.value = $2
        }
        return packed(&message, size: dapr__proto__components__v1__invoke_request__get_packed_size,
                      pack: dapr__proto__components__v1__invoke_request__pack)
    }
}

/// `OutputBinding/Invoke` response.
public struct InvokeResponse: ProtoMessage, Equatable {
    public var data: [UInt8]
    public var metadata: [String: String]
    public var contentType: String

    public init(data: [UInt8] = [], metadata: [String: String] = [:], contentType: String = "") {
        self.data = data
        self.metadata = metadata
        self.contentType = contentType
    }

    public init(decoding bytes: [UInt8]) throws {
        self = try withUnpacked(
            bytes, name: "InvokeResponse",
            unpack: dapr__proto__components__v1__invoke_response__unpack,
            free: dapr__proto__components__v1__invoke_response__free_unpacked
        ) { message in
            InvokeResponse(
                data: swiftBytes(message.pointee.data),
                metadata: mapEntries(message.pointee.metadata, count: message.pointee.n_metadata) {
                    ($0.pointee.key, $0.pointee.value)
                },
                contentType: swiftString(message.pointee.content_type))
        }
    }

    public func encoded() -> [UInt8] {
        let arena = CArena()
        var message = Dapr__Proto__Components__V1__InvokeResponse()
        dapr__proto__components__v1__invoke_response__init(&message)
        message.data = arena.bytes(data)
        message.content_type = arena.string(contentType)
        message.n_metadata = metadata.count
        message.metadata = arena.entries(metadata, init: dapr__proto__components__v1__invoke_response__metadata_entry__init) {
            $0.pointee.key = $1
            $0.pointee.value = $2
        }
        return packed(&message, size: dapr__proto__components__v1__invoke_response__get_packed_size,
                      pack: dapr__proto__components__v1__invoke_response__pack)
    }
}

/// `OutputBinding/ListOperations` response.
public struct ListOperationsResponse: ProtoMessage, Equatable {
    public var operations: [String]

    public init(operations: [String]) {
        self.operations = operations
    }

    public init(decoding bytes: [UInt8]) throws {
        operations = try withUnpacked(
            bytes, name: "ListOperationsResponse",
            unpack: dapr__proto__components__v1__list_operations_response__unpack,
            free: dapr__proto__components__v1__list_operations_response__free_unpacked
        ) { message in
            (0..<message.pointee.n_operations).map { swiftString(message.pointee.operations[$0]) }
        }
    }

    public func encoded() -> [UInt8] {
        let arena = CArena()
        var message = Dapr__Proto__Components__V1__ListOperationsResponse()
        dapr__proto__components__v1__list_operations_response__init(&message)
        message.n_operations = operations.count
        message.operations = arena.stringArray(operations)
        return packed(&message, size: dapr__proto__components__v1__list_operations_response__get_packed_size,
                      pack: dapr__proto__components__v1__list_operations_response__pack)
    }
}

/// `InputBinding/Read` client message: daprd's acknowledgement of one delivered message.
public struct ReadRequest: ProtoMessage, Equatable {
    public var responseData: [UInt8]
    public var messageID: String
    /// Set when the application failed to handle the message.
    public var responseError: String?

    public init(responseData: [UInt8] = [], messageID: String, responseError: String? = nil) {
        self.responseData = responseData
        self.messageID = messageID
        self.responseError = responseError
    }

    public init(decoding bytes: [UInt8]) throws {
        self = try withUnpacked(
            bytes, name: "ReadRequest",
            unpack: dapr__proto__components__v1__read_request__unpack,
            free: dapr__proto__components__v1__read_request__free_unpacked
        ) { message in
            ReadRequest(
                responseData: swiftBytes(message.pointee.response_data),
                messageID: swiftString(message.pointee.message_id),
                responseError: message.pointee.response_error.map { swiftString($0.pointee.message) })
        }
    }

    public func encoded() -> [UInt8] {
        let arena = CArena()
        var message = Dapr__Proto__Components__V1__ReadRequest()
        dapr__proto__components__v1__read_request__init(&message)
        message.response_data = arena.bytes(responseData)
        message.message_id = arena.string(messageID)
        if let responseError {
            let error = arena.array(of: Dapr__Proto__Components__V1__AckResponseError.self, count: 1)
            dapr__proto__components__v1__ack_response_error__init(error)
            error.pointee.message = arena.string(responseError)
            message.response_error = error
        }
        return packed(&message, size: dapr__proto__components__v1__read_request__get_packed_size,
                      pack: dapr__proto__components__v1__read_request__pack)
    }
}

/// `InputBinding/Read` server message: one delivered message.
public struct ReadResponse: ProtoMessage, Equatable {
    public var data: [UInt8]
    public var metadata: [String: String]
    public var contentType: String
    public var messageID: String

    public init(data: [UInt8], metadata: [String: String] = [:], contentType: String = "", messageID: String) {
        self.data = data
        self.metadata = metadata
        self.contentType = contentType
        self.messageID = messageID
    }

    public init(decoding bytes: [UInt8]) throws {
        self = try withUnpacked(
            bytes, name: "ReadResponse",
            unpack: dapr__proto__components__v1__read_response__unpack,
            free: dapr__proto__components__v1__read_response__free_unpacked
        ) { message in
            ReadResponse(
                data: swiftBytes(message.pointee.data),
                metadata: mapEntries(message.pointee.metadata, count: message.pointee.n_metadata) {
                    ($0.pointee.key, $0.pointee.value)
                },
                contentType: swiftString(message.pointee.content_type),
                messageID: swiftString(message.pointee.message_id))
        }
    }

    public func encoded() -> [UInt8] {
        let arena = CArena()
        var message = Dapr__Proto__Components__V1__ReadResponse()
        dapr__proto__components__v1__read_response__init(&message)
        message.data = arena.bytes(data)
        message.content_type = arena.string(contentType)
        message.message_id = arena.string(messageID)
        message.n_metadata = metadata.count
        message.metadata = arena.entries(metadata, init: dapr__proto__components__v1__read_response__metadata_entry__init) {
            $0.pointee.key = $1
            $0.pointee.value = $2
        }
        return packed(&message, size: dapr__proto__components__v1__read_response__get_packed_size,
                      pack: dapr__proto__components__v1__read_response__pack)
    }
}

/// The messages with no fields (`PingRequest`, `PingResponse`, `ListOperationsRequest`,
/// `*InitResponse`). Decoding still validates the bytes: unknown fields are allowed, broken
/// wire data is not.
public struct EmptyMessage: ProtoMessage, Equatable {
    public init() {}

    public init(decoding bytes: [UInt8]) throws {
        try withUnpacked(
            bytes, name: "empty message",
            unpack: dapr__proto__components__v1__ping_request__unpack,
            free: dapr__proto__components__v1__ping_request__free_unpacked
        ) { _ in }
    }

    public func encoded() -> [UInt8] { [] }
}

// MARK: - map fields

/// Copies a protobuf-c map field (an array of entry messages). // borrowed
func mapEntries<Entry>(
    _ entries: UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>?, count: Int,
    _ keyValue: (UnsafeMutablePointer<Entry>) -> (UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<CChar>?)
) -> [String: String] {
    guard let entries else { return [:] }
    var result = [String: String](minimumCapacity: count)  // sized once, not regrown entry by entry
    for index in 0..<count {
        guard let entry = entries[index] else { continue }
        let (key, value) = keyValue(entry)
        result[swiftString(key)] = swiftString(value)  // a repeated key: the last one wins, as in protobuf
    }
    return result
}

extension CArena {
    /// Builds a protobuf-c map field from a dictionary, in the dictionary's order (protobuf
    /// leaves the order of map entries open; the decoder takes them in any order).
    func entries<Entry>(
        _ map: [String: String],
        init initEntry: (UnsafeMutablePointer<Entry>?) -> Void,
        set: (UnsafeMutablePointer<Entry>, UnsafeMutablePointer<CChar>, UnsafeMutablePointer<CChar>) -> Void
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<Entry>?> {
        let pointers = array(of: UnsafeMutablePointer<Entry>?.self, count: map.count)
        let entries = array(of: Entry.self, count: map.count)
        for (index, (key, value)) in map.enumerated() {
            let entry = entries + index
            initEntry(entry)
            set(entry, string(key), string(value))
            (pointers + index).initialize(to: entry)
        }
        return pointers
    }
}
