// CSRFInput: which CSRF token a request supplies (header or form field), and the constant-time check (fuzzed).

import SessionStore

/// The framework-neutral part of the CSRF synchronizer-token check.
package enum CSRFInput {
    /// Whether a `Content-Type` is `application/x-www-form-urlencoded` (parameters and case ignored).
    package static func isForm(contentType: String?) -> Bool {
        guard let type = contentType?.lowercased().split(separator: ";", omittingEmptySubsequences: false).first else { return false }
        return type.trimmingBlanks == "application/x-www-form-urlencoded"
    }

    /// The token a request supplies: its one header value; with no header, its one form field (`formBody` is the
    /// form, read only when ``isForm(contentType:)``). `nil` when absent or ambiguous (two headers, two fields).
    package static func supplied(headerValues: [String], formBody: String?, field: String) -> String? {
        if headerValues.count == 1 { return headerValues[0] }
        guard headerValues.isEmpty, let formBody else { return nil }
        let values = FormFields.values(of: field, in: formBody)
        return values.count == 1 ? values[0] : nil
    }

    /// Whether the supplied token is the session's, compared in constant time.
    package static func matches(_ supplied: String, expected: String) -> Bool {
        ConstantTime.equal(Array(supplied.utf8), Array(expected.utf8))
    }
}

extension Substring {
    /// Without spaces and tabs around it.
    fileprivate var trimmingBlanks: Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
