import DaprProtoC

// gRPC server reflection messages. The v1alpha and v1 messages are identical on the wire (only
// their package differs), so these codecs serve both `grpc.reflection.v1alpha` and
// `grpc.reflection.v1`.

/// `ServerReflectionRequest`.
public struct ReflectionRequest: ProtoMessage, Equatable {
    public enum Kind: Sendable, Equatable {
        case fileByFilename(String)
        case fileContainingSymbol(String)
        case fileContainingExtension(containingType: String, number: Int32)
        case allExtensionNumbersOfType(String)
        case listServices(String)
        case notSet
    }

    public var host: String
    public var kind: Kind

    public init(host: String = "", kind: Kind) {
        self.host = host
        self.kind = kind
    }

    public init(decoding bytes: [UInt8]) throws {
        self = try withUnpacked(
            bytes, name: "ServerReflectionRequest",
            unpack: grpc__reflection__v1alpha__server_reflection_request__unpack,
            free: grpc__reflection__v1alpha__server_reflection_request__free_unpacked
        ) { ReflectionRequest(copying: $0) }
    }

    init(copying message: UnsafePointer<Grpc__Reflection__V1alpha__ServerReflectionRequest>) {
        let kind: Kind
        switch message.pointee.message_request_case {
        case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
            kind = .fileByFilename(swiftString(message.pointee.file_by_filename))
        case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
            kind = .fileContainingSymbol(swiftString(message.pointee.file_containing_symbol))
        case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION:
            let request = message.pointee.file_containing_extension
            kind = .fileContainingExtension(
                containingType: swiftString(request?.pointee.containing_type),
                number: request?.pointee.extension_number ?? 0)
        case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
            kind = .allExtensionNumbersOfType(swiftString(message.pointee.all_extension_numbers_of_type))
        case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
            kind = .listServices(swiftString(message.pointee.list_services))
        default:
            kind = .notSet
        }
        self.init(host: swiftString(message.pointee.host), kind: kind)
    }

    public func encoded() -> [UInt8] {
        let arena = CArena()
        var message = Grpc__Reflection__V1alpha__ServerReflectionRequest()
        fill(&message, arena: arena)
        return packed(&message, size: grpc__reflection__v1alpha__server_reflection_request__get_packed_size,
                      pack: grpc__reflection__v1alpha__server_reflection_request__pack)
    }

    func fill(_ message: UnsafeMutablePointer<Grpc__Reflection__V1alpha__ServerReflectionRequest>, arena: CArena) {
        grpc__reflection__v1alpha__server_reflection_request__init(message)
        message.pointee.host = arena.string(host)
        switch kind {
        case .fileByFilename(let name):
            message.pointee.message_request_case = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME
            message.pointee.file_by_filename = arena.string(name)
        case .fileContainingSymbol(let symbol):
            message.pointee.message_request_case = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL
            message.pointee.file_containing_symbol = arena.string(symbol)
        case .fileContainingExtension(let containingType, let number):
            let request = arena.array(of: Grpc__Reflection__V1alpha__ExtensionRequest.self, count: 1)
            grpc__reflection__v1alpha__extension_request__init(request)
            request.pointee.containing_type = arena.string(containingType)
            request.pointee.extension_number = number
            message.pointee.message_request_case = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION
            message.pointee.file_containing_extension = request
        case .allExtensionNumbersOfType(let type):
            message.pointee.message_request_case = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE
            message.pointee.all_extension_numbers_of_type = arena.string(type)
        case .listServices(let pattern):
            message.pointee.message_request_case = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES
            message.pointee.list_services = arena.string(pattern)
        case .notSet:
            break
        }
    }
}

/// `ServerReflectionResponse`.
public struct ReflectionResponse: ProtoMessage, Equatable {
    public enum Kind: Sendable, Equatable {
        case fileDescriptors([[UInt8]])
        case services([String])
        case error(code: Int32, message: String)
    }

    public var validHost: String
    public var originalRequest: ReflectionRequest
    public var kind: Kind

    public init(validHost: String = "", originalRequest: ReflectionRequest, kind: Kind) {
        self.validHost = validHost
        self.originalRequest = originalRequest
        self.kind = kind
    }

    public init(decoding bytes: [UInt8]) throws {
        self = try withUnpacked(
            bytes, name: "ServerReflectionResponse",
            unpack: grpc__reflection__v1alpha__server_reflection_response__unpack,
            free: grpc__reflection__v1alpha__server_reflection_response__free_unpacked
        ) { message in
            let kind: Kind
            switch message.pointee.message_response_case {
            case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE:
                let files = message.pointee.file_descriptor_response
                kind = .fileDescriptors((0..<(files?.pointee.n_file_descriptor_proto ?? 0)).map {
                    swiftBytes(files!.pointee.file_descriptor_proto[$0])
                })
            case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE:
                let list = message.pointee.list_services_response
                kind = .services((0..<(list?.pointee.n_service ?? 0)).map {
                    swiftString(list!.pointee.service[$0]?.pointee.name)
                })
            case GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE:
                let error = message.pointee.error_response
                kind = .error(code: error?.pointee.error_code ?? 0, message: swiftString(error?.pointee.error_message))
            default:
                throw ProtoDecodingError(messageName: "ServerReflectionResponse without a response")
            }
            let original = message.pointee.original_request.map { ReflectionRequest(copying: $0) }
                ?? ReflectionRequest(kind: .notSet)
            return ReflectionResponse(validHost: swiftString(message.pointee.valid_host), originalRequest: original, kind: kind)
        }
    }

    public func encoded() -> [UInt8] {
        let arena = CArena()
        var message = Grpc__Reflection__V1alpha__ServerReflectionResponse()
        grpc__reflection__v1alpha__server_reflection_response__init(&message)
        message.valid_host = arena.string(validHost)
        let original = arena.array(of: Grpc__Reflection__V1alpha__ServerReflectionRequest.self, count: 1)
        originalRequest.fill(original, arena: arena)
        message.original_request = original
        switch kind {
        case .fileDescriptors(let files):
            let response = arena.array(of: Grpc__Reflection__V1alpha__FileDescriptorResponse.self, count: 1)
            grpc__reflection__v1alpha__file_descriptor_response__init(response)
            let blobs = arena.array(of: ProtobufCBinaryData.self, count: files.count)
            for (index, file) in files.enumerated() { (blobs + index).initialize(to: arena.bytes(file)) }
            response.pointee.n_file_descriptor_proto = files.count
            response.pointee.file_descriptor_proto = blobs
            message.message_response_case = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE
            message.file_descriptor_response = response
        case .services(let names):
            let response = arena.array(of: Grpc__Reflection__V1alpha__ListServiceResponse.self, count: 1)
            grpc__reflection__v1alpha__list_service_response__init(response)
            let services = arena.array(of: UnsafeMutablePointer<Grpc__Reflection__V1alpha__ServiceResponse>?.self, count: names.count)
            for (index, name) in names.enumerated() {
                let service = arena.array(of: Grpc__Reflection__V1alpha__ServiceResponse.self, count: 1)
                grpc__reflection__v1alpha__service_response__init(service)
                service.pointee.name = arena.string(name)
                (services + index).initialize(to: service)
            }
            response.pointee.n_service = names.count
            response.pointee.service = services
            message.message_response_case = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE
            message.list_services_response = response
        case .error(let code, let text):
            let response = arena.array(of: Grpc__Reflection__V1alpha__ErrorResponse.self, count: 1)
            grpc__reflection__v1alpha__error_response__init(response)
            response.pointee.error_code = code
            response.pointee.error_message = arena.string(text)
            message.message_response_case = GRPC__REFLECTION__V1ALPHA__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE
            message.error_response = response
        }
        return packed(&message, size: grpc__reflection__v1alpha__server_reflection_response__get_packed_size,
                      pack: grpc__reflection__v1alpha__server_reflection_response__pack)
    }
}
