// DeviceLabel: a short human label ("Firefox on Linux") for a User-Agent, for "your devices" pages.

/// Derives a label such as `"Firefox on Linux"` or `"Safari on iPhone"` from a `User-Agent` header.
///
/// It looks for well-known product tokens only (no regular expressions, linear in the input's length, any bytes
/// accepted): a label to help a user recognise a session, not an identification. Unknown agents give their first
/// product name (`"curl"`), or `"Unknown device"`.
public enum DeviceLabel {
    /// Browsers, most specific first (Edge and Opera also say Chrome; Chrome also says Safari).
    private static let browsers: [(token: String, name: String)] = [
        ("Edg/", "Edge"), ("EdgA/", "Edge"), ("EdgiOS/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"), ("Safari/", "Safari"),
    ]
    /// Operating systems, most specific first (Android also says Linux; iOS says "like Mac OS X").
    private static let systems: [(token: String, name: String)] = [
        ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("CrOS", "ChromeOS"),
        ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("Linux", "Linux"),
        ("FreeBSD", "FreeBSD"),
    ]

    /// The label for `userAgent`.
    public static func describe(userAgent: String?) -> String {
        guard let userAgent, !userAgent.isEmpty else { return "Unknown device" }
        let browser = browsers.first { userAgent.contains($0.token) }?.name
        let system = systems.first { userAgent.contains($0.token) }?.name
        switch (browser, system) {
        case let (browser?, system?): return "\(browser) on \(system)"
        case let (browser?, nil): return browser
        case let (nil, system?): return "Unknown browser on \(system)"
        case (nil, nil): return firstProduct(userAgent) ?? "Unknown device"
        }
    }

    /// The name of the first product token (`"curl"` in `"curl/8.5.0"`), when it is a plain word of at most 32 bytes.
    private static func firstProduct(_ userAgent: String) -> String? {
        let name = userAgent.prefix { $0 != "/" && $0 != " " }
        guard !name.isEmpty, name.utf8.count <= 32,
              name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "-" || $0 == "_" || $0 == ".") })
        else { return nil }
        return String(name)
    }
}
