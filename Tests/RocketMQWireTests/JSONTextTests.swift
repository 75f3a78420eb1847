import RocketMQWire
import XCTest

final class JSONTextTests: XCTestCase {
    func testFastjsonEscapingOfControlCharactersQuotesAndSlashes() {
        var writer = FastJSONWriter()
        writer.string("a\"b\\c/d\n\t\r\u{8}\u{C}\u{1}\u{2}\u{1F}\u{7F}é€😀")
        XCTAssertEqual(writer.text, #""a\"b\\c/d\n\t\r\b\f\u0001\u0002\u001F\u007Fé€😀""#)
        var edges = FastJSONWriter()  // escapes at both ends, back to back, and an empty string
        edges.string("\u{1}é\"\"")
        edges.raw(",")
        edges.string("")
        XCTAssertEqual(edges.text, #""\u0001é\"\"","""#)
        var browser = FastJSONWriter(options: .init(escapeNonASCII: true))
        browser.string("é😀")
        XCTAssertEqual(browser.text, #""\u00E9\uD83D\uDE00""#)
    }

    func testIntegersAreWrittenAsJavaPrintsThem() {
        let values: [Int64] = [0, 7, -1, 10, 409, -2_147_483_648, 1_733_390_000_123, .max, .min]
        var writer = FastJSONWriter()
        for (index, value) in values.enumerated() {
            if index > 0 { writer.fragment(",") }
            writer.integer(value)
        }
        XCTAssertEqual(writer.text, values.map(String.init).joined(separator: ","))
        XCTAssertEqual(writer.text, "0,7,-1,10,409,-2147483648,1733390000123,9223372036854775807,-9223372036854775808")
    }

    func testParserAcceptsFastjsonKeysAndKeepsOrder() throws {
        let value = try JSONValue.parse(#"{"b":1,0:"x",{"k":1}:2,"a":[true,false,null,-1.5e3,"\u00e9\ud83d\ude00"]}"#)
        XCTAssertEqual(value.objectValue?.map(\.key), ["b", "0", #"{"k":1}"#, "a"])
        XCTAssertEqual(value["a"]?.arrayValue?.last?.stringValue, "é😀")
        XCTAssertEqual(value["a"]?.arrayValue?[3], .number("-1.5e3"))
        XCTAssertEqual(value["0"]?.stringValue, "x")
    }

    func testParserRejectsBrokenTextWithOffsets() {
        for bad in ["", "{", #"{"a"}"#, #"{"a":}"#, "[1,]", #""\x""#, "tru", "nuLL", "falsy", "{} x", #""\u12"#] {
            XCTAssertThrowsError(try JSONValue.parse(bad), bad) { XCTAssertTrue($0 is JSONParseError) }
        }
        XCTAssertThrowsError(try JSONValue.parse(String(repeating: "[", count: 100), maxDepth: 10))
    }

    func testWriterAndParserRoundTrip() throws {
        let value: JSONValue = .object([(key: "s", value: .string("x\u{1}y")), (key: "n", value: .number("9007199254740993")),
                                        (key: "o", value: .object([])), (key: "l", value: .array([.bool(true), .null]))])
        XCTAssertEqual(try JSONValue.parse(FastJSONWriter.text(of: value)), value)
        XCTAssertEqual(try JSONValue.parse(FastJSONWriter.text(of: value))["n"]?.int64Value, 9_007_199_254_740_993)
    }
}
