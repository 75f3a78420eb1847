/// A token of a SQL92 filter expression, with where it was written (for the broker-style remarks).
struct SQL92Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case keyword(String)  // uppercased: NOT AND OR BETWEEN IN TRUE FALSE NULL IS
        case identifier(String)
        case string(String)
        case decimal(String)
        case floating(String)
        case symbol(String)  // = <> > >= < <= ( ) , + -
        case end
    }

    var kind: Kind
    /// The text as written, for error messages.
    var image: String
    var line: Int
    var column: Int
}

enum SQL92Lexer {
    static let keywords: Set<String> = ["NOT", "AND", "OR", "BETWEEN", "IN", "TRUE", "FALSE", "NULL", "IS"]

    /// Splits `text` into tokens, skipping white space and `--` / `/* */` comments. A character
    /// that starts no token is a lexical error, as in the broker's token manager.
    static func tokens(of text: String) throws(SQL92FilterError) -> [SQL92Token] {
        let scalars = Array(text.unicodeScalars)
        var tokens: [SQL92Token] = []
        var index = 0
        var line = 1
        var column = 0
        /// Advances over `count` scalars, tracking line and column (1-based, as JavaCC reports).
        func advance(_ count: Int) {
            for _ in 0..<count {
                if scalars[index] == "\n" { line += 1; column = 0 } else { column += 1 }
                index += 1
            }
        }
        func slice(_ range: Range<Int>) -> String {
            var result = String.UnicodeScalarView()
            result.append(contentsOf: scalars[range])
            return String(result)
        }
        func isDigit(_ i: Int) -> Bool { i < scalars.count && ("0"..."9").contains(scalars[i]) }
        func isIdentifierStart(_ s: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(s) || ("A"..."Z").contains(s) || s == "_" || s == "$"
        }
        /// Length of an exponent (`E`, optional sign, digits) at `i`, or 0.
        func exponentLength(at i: Int) -> Int {
            guard i < scalars.count, scalars[i] == "e" || scalars[i] == "E" else { return 0 }
            var j = i + 1
            if j < scalars.count, scalars[j] == "+" || scalars[j] == "-" { j += 1 }
            guard isDigit(j) else { return 0 }
            while isDigit(j) { j += 1 }
            return j - i
        }

        while index < scalars.count {
            let scalar = scalars[index]
            let startLine = line, startColumn = column + 1
            func emit(_ kind: SQL92Token.Kind, length: Int) {
                let image = slice(index..<(index + length))
                tokens.append(SQL92Token(kind: kind, image: image, line: startLine, column: startColumn))
                advance(length)
            }
            switch scalar {
            case " ", "\t", "\n", "\r", "\u{0C}":
                advance(1)
            case "-" where index + 1 < scalars.count && scalars[index + 1] == "-":
                var end = index + 2
                while end < scalars.count, scalars[end] != "\n", scalars[end] != "\r" { end += 1 }
                advance(end - index)
            case "/" where index + 1 < scalars.count && scalars[index + 1] == "*":
                var end = index + 2
                while end + 1 < scalars.count, !(scalars[end] == "*" && scalars[end + 1] == "/") { end += 1 }
                guard end + 1 < scalars.count else {
                    throw lexicalError(line: startLine, column: startColumn, scalar: scalar, after: "")
                }
                advance(end + 2 - index)
            case "'":
                var end = index + 1
                var value = String.UnicodeScalarView()
                while true {
                    guard end < scalars.count else {
                        throw lexicalError(line: line, column: column + (end - index), scalar: nil, after: slice(index..<end))
                    }
                    if scalars[end] == "'" {
                        if end + 1 < scalars.count, scalars[end + 1] == "'" {
                            value.append("'")
                            end += 2
                            continue
                        }
                        break
                    }
                    value.append(scalars[end])
                    end += 1
                }
                emit(.string(String(value)), length: end + 1 - index)
            case "0"..."9", ".":
                // The longest of: decimal (no leading zeros, optional L), or floating point.
                var end = index
                while isDigit(end) { end += 1 }
                let intDigits = end - index
                var isFloat = false
                if end < scalars.count, scalars[end] == ".", intDigits > 0 || isDigit(end + 1) {
                    isFloat = true
                    end += 1
                    while isDigit(end) { end += 1 }
                }
                if intDigits > 0 || isFloat {
                    let exponent = exponentLength(at: end)
                    if exponent > 0 { isFloat = true; end += exponent }
                }
                if isFloat {
                    emit(.floating(slice(index..<end)), length: end - index)
                } else if intDigits > 0 {
                    // "0" alone is a decimal; "012" lexes as "0" then "12".
                    let length = scalars[index] == "0" ? 1 : intDigits
                    let hasSuffix = scalars[index] != "0" && index + length < scalars.count
                        && (scalars[index + length] == "l" || scalars[index + length] == "L")
                    emit(.decimal(slice(index..<(index + length))), length: length + (hasSuffix ? 1 : 0))
                } else {
                    throw lexicalError(line: startLine, column: startColumn, scalar: scalar, after: "")
                }
            case "=", ">", "<", "(", ")", ",", "+", "-":
                let next = index + 1 < scalars.count ? scalars[index + 1] : nil
                if (scalar == ">" && next == "=") || (scalar == "<" && (next == "=" || next == ">")) {
                    emit(.symbol(slice(index..<(index + 2))), length: 2)
                } else {
                    emit(.symbol(String(scalar)), length: 1)
                }
            default:
                guard isIdentifierStart(scalar) else {
                    throw lexicalError(line: startLine, column: startColumn, scalar: scalar, after: "")
                }
                var end = index + 1
                while end < scalars.count, isIdentifierStart(scalars[end]) || ("0"..."9").contains(scalars[end]) { end += 1 }
                let word = slice(index..<end)
                let upper = word.uppercased()
                emit(keywords.contains(upper) ? .keyword(upper) : .identifier(word), length: end - index)
            }
        }
        tokens.append(SQL92Token(kind: .end, image: "<EOF>", line: line, column: column))
        return tokens
    }

    /// The broker's `TokenMgrError` text.
    private static func lexicalError(line: Int, column: Int, scalar: Unicode.Scalar?, after: String) -> SQL92FilterError {
        let encountered = scalar.map { "\"\(Character($0))\" (\($0.value)), " } ?? "<EOF> "
        return SQL92FilterError(remark: "org.apache.rocketmq.filter.parser.TokenMgrError: Lexical error at line \(line), "
            + "column \(column).  Encountered: \(encountered)after : \"\(after)\"")
    }
}
