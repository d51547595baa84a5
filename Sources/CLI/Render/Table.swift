/// Fixed-width columns, two spaces apart; the last column is not padded.
/// Widths are what a terminal shows: colour codes take no room.
enum Table {
    static func render(_ cells: [[String]]) -> String {
        guard let width = cells.first?.count else { return "" }
        let widths = (0..<width).map { col in cells.map { TerminalText.width($0[col]) }.max() ?? 0 }
        return cells.map { row in
            row.enumerated().map { col, cell in col == row.count - 1 ? cell : cell.padding(to: widths[col]) }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// A column and what it may give up to fit a narrow terminal.
    struct Column {
        var header: String
        /// A shorter header, used before anything else gives way.
        var short: String?
        /// 0: always shown. Otherwise dropped when the table is still too wide,
        /// the highest rank first.
        var drop: Int
        /// Names in this column may be elided in the middle down to this width.
        var elide: Int?
        /// The last column may wrap onto lines of its own, under itself.
        var wraps: Bool

        init(_ header: String, short: String? = nil, drop: Int = 0, elide: Int? = nil, wraps: Bool = false) {
            self.header = header
            self.short = short
            self.drop = drop
            self.elide = elide
            self.wraps = wraps
        }
    }

    /// The narrowest a wrapping last column is allowed to become.
    static let wrapMinimum = 24

    /// `rows` under `columns`, fitted to `width` columns when one is given (a
    /// terminal): short headers first, then names elided, then columns dropped
    /// by rank, and a last column that still does not fit wraps under itself.
    /// Without a width (a pipe) every row is whole, on one line.
    static func render(_ columns: [Column], _ rows: [[String]], width: Int?) -> String {
        guard !columns.isEmpty else { return "" }
        var shown = Array(columns.indices)
        var short = false
        func headers() -> [String] { shown.map { short ? columns[$0].short ?? columns[$0].header : columns[$0].header } }
        func natural(_ i: Int) -> Int {
            let col = shown[i]
            return max(TerminalText.width(headers()[i]), rows.map { col < $0.count ? TerminalText.width($0[col]) : 0 }.max() ?? 0)
        }
        func need(_ widths: [Int], wrapping: Bool) -> Int {
            var total = widths.reduce(0, +) + 2 * max(0, widths.count - 1)
            // A wrapping last column asks only for its minimum.
            if wrapping, let last = shown.last, columns[last].wraps, let w = widths.last { total -= w - min(w, wrapMinimum) }
            return total
        }
        /// Elides names, the widest first, down to each column's minimum; true when the table then fits.
        func elide(_ widths: inout [Int], to width: Int, wrapping: Bool) -> Bool {
            let names = headers()
            func floor(_ i: Int) -> Int? { columns[shown[i]].elide.map { max($0, TerminalText.width(names[i])) } }
            while need(widths, wrapping: wrapping) > width {
                let excess = need(widths, wrapping: wrapping) - width
                guard let i = shown.indices.filter({ i in floor(i).map { widths[i] > $0 } ?? false }).max(by: { widths[$0] < widths[$1] })
                else { return false }
                widths[i] = max(floor(i) ?? 0, widths[i] - excess)
            }
            return true
        }
        var widths = shown.indices.map(natural)
        if let width, need(widths, wrapping: false) > width {
            short = true
            widths = shown.indices.map(natural)
            // Whole rows when short headers, dropped low-value columns and
            // elided names are enough, with as few columns dropped as can be;
            // else the last column wraps, again with as few dropped.
            // A droppable column with nothing in it ("-" everywhere) goes before any other.
            func empty(_ col: Int) -> Bool { rows.allSatisfy { col >= $0.count || $0[col] == "-" || $0[col].isEmpty } }
            let ranked = columns.indices.filter { columns[$0].drop > 0 }
                .sorted { (empty($0) ? 1 : 0, columns[$0].drop) > (empty($1) ? 1 : 0, columns[$1].drop) }
            search: for wrapping in [false, true] {
                for dropped in 0...ranked.count {
                    shown = columns.indices.filter { !ranked.prefix(dropped).contains($0) }
                    widths = shown.indices.map(natural)
                    if elide(&widths, to: width, wrapping: wrapping) { break search }
                }
            }
        }
        // The last column takes what is left, wrapping when it must.
        var lastWidth: Int?
        if let width, let last = shown.last, columns[last].wraps {
            let used = widths.dropLast().reduce(0, +) + 2 * (widths.count - 1)
            if used + widths[widths.count - 1] > width { lastWidth = max(1, width - used) }
        }
        var out = ""
        for row in [headers()] + rows.map({ row in shown.map { $0 < row.count ? row[$0] : "" } }) {
            var line = ""
            var continuation: [String] = []
            for (i, cell) in row.enumerated() {
                let isLast = i == row.count - 1
                if isLast {
                    if let lastWidth {
                        let parts = wrap(cell, to: lastWidth)
                        line += parts.first ?? ""
                        continuation = Array(parts.dropFirst())
                    } else if let width, TerminalText.width(line) + TerminalText.width(cell) > width {
                        line += TerminalText.elide(cell, to: max(1, width - TerminalText.width(line)))
                    } else {
                        line += cell
                    }
                } else {
                    let fitted = TerminalText.width(cell) > widths[i] ? TerminalText.elide(cell, to: widths[i]) : cell
                    line += fitted.padding(to: widths[i]) + "  "
                }
            }
            out += line + "\n"
            let indent = String(repeating: " ", count: max(0, (width ?? 0) - (lastWidth ?? 0)))
            for c in continuation { out += indent + c + "\n" }
        }
        return out
    }

    /// `text` in lines of at most `width` columns, broken at spaces where it
    /// can be; a longer word is cut into pieces unless `cutWords` is false.
    static func wrap(_ text: String, to width: Int, cutWords: Bool = true) -> [String] {
        guard TerminalText.width(text) > width, width > 0 else { return [text] }
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            let candidate = line.isEmpty ? word : line + " " + word
            if TerminalText.width(candidate) <= width {
                line = candidate
                continue
            }
            if !line.isEmpty { lines.append(line) }
            var rest = word
            // A word longer than the column is cut into pieces.
            while cutWords, TerminalText.width(rest) > width {
                let head = String(rest.unicodeScalars.prefix(width))
                lines.append(head)
                rest = String(rest.unicodeScalars.dropFirst(width))
            }
            line = rest
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }

    /// Choices (Tab completion's) in columns filled top to bottom, as shells
    /// list them, each line at most `width` columns.
    static func grid(_ items: [String], width: Int) -> String {
        guard !items.isEmpty else { return "" }
        let cell = (items.map(TerminalText.width).max() ?? 0) + 2
        let columns = max(1, min(items.count, (width + 2) / max(1, cell)))
        let rows = (items.count + columns - 1) / columns
        var out = ""
        for r in 0..<rows {
            var line = ""
            for c in 0..<columns {
                let i = c * rows + r
                guard i < items.count else { break }
                let last = c == columns - 1 || (c + 1) * rows + r >= items.count
                line += last ? items[i] : items[i].padding(to: cell)
            }
            out += (TerminalText.width(line) > width ? TerminalText.elide(line, to: width) : line) + "\n"
        }
        return out
    }
}
