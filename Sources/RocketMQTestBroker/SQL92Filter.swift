/// A compiled RocketMQ SQL92 property filter, as a 4.9.8 broker with `enablePropertyFilter=true`
/// evaluates one (docs/protocol-remoting.md §2.17): the grammar of its selector parser and the
/// quirks of its evaluation, so a test against this broker sees what a real one would deliver.
///
/// Grammar, loosest binding first (keywords in any case, names case-sensitive):
///
///     expression  := and (OR and)*
///     and         := equality (AND equality)*
///     equality    := comparison ( "=" comparison | "<>" comparison | IS NULL | IS NOT NULL )*
///     comparison  := unary ( (">" | ">=" | "<" | "<=") unary | [NOT] BETWEEN unary AND unary
///                          | [NOT] IN "(" string ("," string)* ")" )*
///     unary       := "+" unary | "-" unary | NOT unary | primary
///     primary     := string | integer | decimal | TRUE | FALSE | NULL | name | "(" expression ")"
///
/// `NOT` binds tighter than comparisons, as in the broker: `NOT a = 'x'` is `(NOT a) = 'x'`.
/// Like the broker's parser, tokens after a complete expression are not looked at.
///
/// Evaluation is three-valued: a missing property makes a comparison unknown (null), and only a
/// result of true delivers the message. A property compared with a number is converted to that
/// number's type; when the conversion fails the whole expression fails, so the message is not
/// delivered. Compiling is bounded: an expression longer than ``maxLength`` or nested deeper than
/// ``maxDepth`` is refused with an error, never a crash.
struct SQL92Filter: Sendable {
    static let maxLength = 8192
    static let maxDepth = 64

    let expression: String
    private let root: SQL92Node

    /// Compiles `expression`; the error's ``SQL92FilterError/remark`` is what the broker answers.
    init(compiling expression: String) throws(SQL92FilterError) {
        guard expression.unicodeScalars.count <= Self.maxLength else {
            throw SQL92FilterError(remark: "java.lang.RuntimeException: expression longer than \(Self.maxLength) characters")
        }
        var parser = SQL92Parser(tokens: try SQL92Lexer.tokens(of: expression))
        self.expression = expression
        self.root = try parser.parseSelector()
    }

    /// Whether a message with `properties` (system properties included) is delivered.
    func matches(_ properties: [String: String]) -> Bool {
        // ExpressionMessageFilter: any failure during evaluation, or a result other than true,
        // means the message does not match.
        guard let result = try? root.evaluate(properties) else { return false }
        if case .boolean(true) = result { return true }
        return false
    }
}

/// Why an expression does not compile, in the form the broker's remark has: the Java exception's
/// class name and message (`org.apache.rocketmq.filter.parser.ParseException: Encountered ...`).
struct SQL92FilterError: Error, Equatable, Sendable, CustomStringConvertible {
    let remark: String
    var description: String { remark }

    static func parse(_ message: String) -> SQL92FilterError {
        SQL92FilterError(remark: "org.apache.rocketmq.filter.parser.ParseException: " + message)
    }

    static func runtime(_ message: String) -> SQL92FilterError {
        SQL92FilterError(remark: "java.lang.RuntimeException: " + message)
    }
}
