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
}
