/// Splits a SQL file into statements, because PostgreSQL's extended query protocol runs
/// one statement at a time. Semicolons inside quotes, dollar-quoted bodies, quoted
/// identifiers and comments do not split.
enum SQLScript {
    static func statements(in script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        let characters = Array(script)
        var index = 0
        func peek(_ offset: Int) -> Character? {
            index + offset < characters.count ? characters[index + offset] : nil
        }
        while index < characters.count {
            let character = characters[index]
            if character == "-", peek(1) == "-" {
                while index < characters.count, characters[index] != "\n" { index += 1 }
                continue
            }
            if character == "/", peek(1) == "*" {
                index += 2
                while index < characters.count, !(characters[index] == "*" && peek(1) == "/") { index += 1 }
                index += 2
                continue
            }
            if character == "'" || character == "\"" {
                current.append(character)
                index += 1
                while index < characters.count {
                    current.append(characters[index])
                    if characters[index] == character {
                        if peek(1) == character {  // doubled quote: an escaped quote
                            index += 1
                            current.append(characters[index])
                        } else {
                            break
                        }
                    }
                    index += 1
                }
                index += 1
                continue
            }
            if character == "$", let tagEnd = (index + 1..<characters.count).first(where: { characters[$0] == "$" }),
               characters[(index + 1)..<tagEnd].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                let tag = String(characters[index...tagEnd])
                current += tag
                index = tagEnd + 1
                while index < characters.count, !String(characters[index..<min(index + tag.count, characters.count)]).elementsEqual(tag) {
                    current.append(characters[index])
                    index += 1
                }
                current += tag
                index += tag.count
                continue
            }
            if character == ";" {
                let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !statement.isEmpty { statements.append(statement) }
                current = ""
                index += 1
                continue
            }
            current.append(character)
            index += 1
        }
        let last = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.isEmpty { statements.append(last) }
        return statements
    }
}
