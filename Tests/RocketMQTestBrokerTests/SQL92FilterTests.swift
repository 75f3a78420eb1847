@testable import RocketMQTestBroker
import XCTest

/// The test broker's SQL92 filter: the grammar of RocketMQ 4.9.8's selector parser and its
/// evaluation rules (docs/protocol-remoting.md §2.17).
final class SQL92FilterTests: XCTestCase {
    private let order: [String: String] = ["color": "red", "amount": "150", "price": "9.5", "region": "eu", "TAGS": "TagA"]

    private func matches(_ expression: String, _ properties: [String: String]? = nil,
                         file: StaticString = #filePath, line: UInt = #line) throws -> Bool {
        do {
            return try SQL92Filter(compiling: expression).matches(properties ?? order)
        } catch {
            XCTFail("\(expression) should compile: \(error)", file: file, line: line)
            throw error
        }
    }

    private func remark(_ expression: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try SQL92Filter(compiling: expression)
            XCTFail("\(expression) should not compile", file: file, line: line)
            return ""
        } catch {
            return error.remark
        }
    }

    func testComparisonsOfStringsAndNumbers() throws {
        XCTAssertTrue(try matches("color = 'red'"))
        XCTAssertFalse(try matches("color = 'blue'"))
        XCTAssertTrue(try matches("color <> 'blue'"))
        XCTAssertFalse(try matches("color <> 'red'"))
        XCTAssertTrue(try matches("amount > 100"))
        XCTAssertFalse(try matches("amount > 150"))
        XCTAssertTrue(try matches("amount >= 150"))
        XCTAssertTrue(try matches("amount < 151"))
        XCTAssertTrue(try matches("amount <= 150"))
        XCTAssertFalse(try matches("amount < 150"))
        XCTAssertTrue(try matches("amount = 150"), "a numeric property equals the number")
        XCTAssertTrue(try matches("price > 9.25"))
        XCTAssertTrue(try matches("price < 10.0"))
        XCTAssertTrue(try matches("100 < amount"), "the literal may come first")
        XCTAssertTrue(try matches("amount > -1"))
        XCTAssertTrue(try matches("amount > +149"))
        XCTAssertTrue(try matches("amount > 99L"), "an L suffix makes a long")
        XCTAssertTrue(try matches("amount > 1.4e2"), "exponents")
        XCTAssertTrue(try matches("amount = 150.0"), "integer property against a double")
    }

    func testStringNumberConversionFollowsTheLiteralsType() throws {
        XCTAssertFalse(try matches("price < 10"), "9.5 is no integer: the whole expression fails")
        XCTAssertFalse(try matches("price < 10 OR color = 'red'"), "a failed conversion fails the whole expression, OR included")
        XCTAssertFalse(try matches("color > 1"), "a non-numeric property against a number: not delivered")
        XCTAssertFalse(try matches("color = 1"))
        XCTAssertTrue(try matches("big > 2147483648", ["big": "3000000000"]), "a literal past 32 bits is a long")
        XCTAssertFalse(try matches("big > 5", ["big": "3000000000"]), "an integer literal converts the property to 32 bits, which fails")
        XCTAssertTrue(try matches("a > b", ["a": "10", "b": "9"]), "two properties compare as numbers, not as text")
        XCTAssertFalse(try matches("a > b", ["a": "x", "b": "y"]), "two non-numeric properties cannot be ordered")
        XCTAssertTrue(try matches("a = b", ["a": "x", "b": "x"]))
    }

    func testBetweenAndNotBetween() throws {
        XCTAssertTrue(try matches("amount BETWEEN 100 AND 200"))
        XCTAssertTrue(try matches("amount BETWEEN 150 AND 150"), "both bounds are inclusive")
        XCTAssertFalse(try matches("amount BETWEEN 151 AND 200"))
        XCTAssertTrue(try matches("amount NOT BETWEEN 151 AND 200"))
        XCTAssertFalse(try matches("amount NOT BETWEEN 100 AND 200"))
        XCTAssertTrue(try matches("amount between 1 and 1000 and color = 'red'"), "keywords in any case; AND after BETWEEN's AND")
    }

    func testInAndNotIn() throws {
        XCTAssertTrue(try matches("color IN ('red', 'green')"))
        XCTAssertFalse(try matches("color IN ('blue', 'green')"))
        XCTAssertTrue(try matches("color NOT IN ('blue', 'green')"))
        XCTAssertFalse(try matches("color NOT IN ('red')"))
        XCTAssertFalse(try matches("missing IN ('red')"), "a missing property is unknown, never in a list")
        XCTAssertFalse(try matches("missing NOT IN ('red')"), "nor outside one")
        XCTAssertTrue(try matches("quote IN ('it''s')", ["quote": "it's"]), "'' is a quote inside a string")
    }

    func testNullsAndMissingProperties() throws {
        XCTAssertTrue(try matches("missing IS NULL"))
        XCTAssertFalse(try matches("color IS NULL"))
        XCTAssertTrue(try matches("color IS NOT NULL"))
        XCTAssertFalse(try matches("missing IS NOT NULL"))
        XCTAssertFalse(try matches("missing = 'x'"), "unknown is not true")
        XCTAssertFalse(try matches("missing <> 'x'"), "and not false either: NOT unknown is unknown")
        XCTAssertFalse(try matches("missing > 1"))
        XCTAssertTrue(try matches("missing > 1 OR color = 'red'"), "unknown OR true is true")
        XCTAssertFalse(try matches("missing > 1 AND color = 'red'"), "unknown AND true is unknown")
        XCTAssertFalse(try matches("color = 'red'", [:]), "a message without properties matches no comparison")
    }

    func testLogicAndPrecedence() throws {
        XCTAssertTrue(try matches("color = 'red' AND amount > 100"))
        XCTAssertFalse(try matches("color = 'red' AND amount > 200"))
        XCTAssertTrue(try matches("color = 'blue' OR amount > 100"))
        XCTAssertTrue(try matches("color = 'blue' AND amount > 200 OR region = 'eu'"), "AND binds tighter than OR")
        XCTAssertFalse(try matches("color = 'blue' AND (amount > 200 OR region = 'eu')"))
        XCTAssertTrue(try matches("NOT (color = 'blue')"))
        XCTAssertFalse(try matches("NOT color = 'red'"), "NOT binds to the property first, as in the broker: (NOT color) = 'red' fails")
        XCTAssertTrue(try matches("TRUE"))
        XCTAssertFalse(try matches("FALSE"))
        XCTAssertFalse(try matches("color"), "a bare string property is no boolean")
        XCTAssertTrue(try matches("TAGS = 'TagA'"), "system properties are visible too")
        XCTAssertTrue(try matches("(((color = 'red')))"))
        XCTAssertTrue(try matches("color = 'red' -- a comment\n AND /* another */ amount > 1"))
        XCTAssertTrue(try matches("color = 'red' garbage"), "like the broker's parser, what follows a complete expression is not read")
    }

    func testSyntaxErrorsNameTheTokenAndPosition() {
        XCTAssertEqual(remark("color = "), #"org.apache.rocketmq.filter.parser.ParseException: Encountered "<EOF>" at line 1, column 8."#)
        XCTAssertEqual(remark("color = = 'red'"),
                       #"org.apache.rocketmq.filter.parser.ParseException: Encountered "=" at line 1, column 9."#)
        XCTAssertEqual(remark(""), #"org.apache.rocketmq.filter.parser.ParseException: Encountered "<EOF>" at line 1, column 0."#)
        XCTAssertEqual(remark("(color = 'red'"),
                       #"org.apache.rocketmq.filter.parser.ParseException: Encountered "<EOF>" at line 1, column 14."#)
        XCTAssertEqual(remark("a IN (1, 2)"), #"org.apache.rocketmq.filter.parser.ParseException: Encountered "1" at line 1, column 7."#,
                       "IN takes string literals only")
        XCTAssertEqual(remark("a\n = AND"), #"org.apache.rocketmq.filter.parser.ParseException: Encountered "AND" at line 2, column 4."#)
        XCTAssertEqual(remark("5"), "org.apache.rocketmq.filter.parser.ParseException: Expression will not result in a boolean value: 5")
        XCTAssertEqual(remark("NOT 'x'"), "org.apache.rocketmq.filter.parser.ParseException: Expression will not result in a boolean value: 'x'")
    }

    func testLexicalErrors() {
        XCTAssertEqual(remark("color = 'red"),
                       #"org.apache.rocketmq.filter.parser.TokenMgrError: Lexical error at line 1, column 12.  Encountered: <EOF> after : "'red""#)
        XCTAssertEqual(remark("color # 'red'"),
                       ##"org.apache.rocketmq.filter.parser.TokenMgrError: Lexical error at line 1, column 7.  Encountered: "#" (35), after : """##)
        XCTAssertTrue(remark("a = 1 /* open").contains("Lexical error"))
    }

    func testOperandsTheBrokerRefusesWhileCompiling() {
        XCTAssertEqual(remark("color > 'red'"), "java.lang.RuntimeException: Value ''red'' cannot be compared.")
        XCTAssertEqual(remark("a > TRUE"), "java.lang.RuntimeException: Value 'TRUE' cannot be compared.")
        XCTAssertEqual(remark("(a = 1) > 2"), "java.lang.RuntimeException: Value '(a == 1)' cannot be compared.")
        XCTAssertEqual(remark("a = NULL"), "java.lang.RuntimeException: 'NULL' cannot be compared.")
        XCTAssertEqual(remark("TRUE = 'x'"), "java.lang.RuntimeException: 'TRUE' cannot be compared with ''x''")
        XCTAssertEqual(remark("a BETWEEN 5 AND 1"),
                       "java.lang.RuntimeException: Illegal values of between, left value(5) must less than or equal to right value(1)")
        XCTAssertEqual(remark("a BETWEEN NULL AND 1"), "java.lang.RuntimeException: Illegal values of between, values can not be null!")
        XCTAssertEqual(remark("'x' IN ('x')"), "java.lang.RuntimeException: Expected a property for In expression, got: 'x'")
        XCTAssertEqual(remark("a > 99999999999999999999"),
                       #"java.lang.NumberFormatException: For input string: "99999999999999999999""#)
        XCTAssertEqual(remark("a > 0.0"), "java.lang.RuntimeException: 0.0 is less than 4.9E-324",
                       "the broker refuses a floating literal below Double.MIN_VALUE, zero included")
    }

    func testHostileExpressionsAreRefusedNotCrashed() {
        let deep = String(repeating: "(", count: 10_000) + "a = 1" + String(repeating: ")", count: 10_000)
        XCTAssertTrue(remark(deep).contains("java.lang.RuntimeException: expression longer than 8192 characters"))
        let nested = String(repeating: "(", count: 200) + "a = 1" + String(repeating: ")", count: 200)
        XCTAssertEqual(remark(nested), "java.lang.RuntimeException: expression nested deeper than 64 levels")
        let nots = String(repeating: "NOT ", count: 100) + "a"
        XCTAssertEqual(remark(nots), "java.lang.RuntimeException: expression nested deeper than 64 levels")
        XCTAssertNoThrow(try SQL92Filter(compiling: String(repeating: "(", count: 30) + "a = 1" + String(repeating: ")", count: 30)))
    }
}
