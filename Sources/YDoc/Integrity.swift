/// The struct graph's invariants, checked by walking it.
///
/// Links and parents are held unretained (`Item`), so memory safety rests
/// on the graph being what integration means it to be: every item a type
/// links is held by the store, and every item the store holds is linked by
/// exactly the type it names as its parent (docs/documents.md, "Hostile
/// updates"). Tests and the fuzz targets ask after every update. Links are
/// compared as addresses, and followed only to items found in the store, so
/// asking about a broken graph reads no freed memory.
extension Doc {
    /// What is wrong with the struct graph, if anything (empty when sound).
    /// Walks the whole document: for tests and fuzzing, not for serving.
    public func integrityProblems() -> [String] {
        var problems: [String] = []
        func problem(_ text: String) { if problems.count < 20 { problems.append(text) } }
        func address(_ item: Unmanaged<Item>?) -> UnsafeMutableRawPointer? { item?.toOpaque() }
        func address(_ type: Unmanaged<YType>?) -> UnsafeMutableRawPointer? { type?.toOpaque() }
        func address(_ type: YType) -> UnsafeMutableRawPointer { Unmanaged.passUnretained(type).toOpaque() }

        // Every item the store holds, by address; and the types alive in
        // the document: the roots and the content of held items.
        var held: [UnsafeMutableRawPointer: Item] = [:]
        var types: [UnsafeMutableRawPointer: YType] = [:]
        for type in share.values { types[address(type)] = type }
        for (client, list) in store.clients {
            var end: UInt64? = nil
            for s in list.structs {
                if let end, s.id.clock != end { problem("client \(client): struct at \(s.id.clock) follows one ending at \(end)") }
                end = s.id.clock + UInt64(s.length)
                guard let item = s.asItem else { continue }
                held[Unmanaged.passUnretained(item).toOpaque()] = item
                if item.holdsType, case .type(let type) = item.content {
                    types[address(type)] = type
                    if type.item !== item { problem("\(item.id): its type does not name it as its item") }
                    if type.isDetached { problem("\(item.id): holds a detached type") }
                }
            }
        }

        // Walk each type's list and keys: every item reached must be held,
        // name this type as its parent, and be reached once.
        var reached: Set<UnsafeMutableRawPointer> = []
        /// The held item at `at`, reached for the first time; `nil` (and said
        /// why) when the store does not hold it or it was reached before.
        func enter(_ at: UnsafeMutableRawPointer, from place: String) -> Item? {
            guard let current = held[at] else {
                problem("\(place) links an item the store does not hold")
                return nil
            }
            guard reached.insert(at).inserted else {
                problem("\(current.id): linked twice")
                return nil
            }
            return current
        }
        for (typeAddress, type) in types {
            var previous: UnsafeMutableRawPointer? = nil
            var next = type.start.map { Unmanaged.passUnretained($0).toOpaque() }
            while let at = next, let current = enter(at, from: "a list") {
                if address(current.parentRef) != typeAddress { problem("\(current.id): in one type's list, names another as its parent") }
                if current.isKeyed { problem("\(current.id): a keyed item in a list") }
                if address(current.leftRef) != previous { problem("\(current.id): its left link disagrees with the list") }
                previous = at
                next = address(current.rightRef)
            }
            for (key, last) in type.map {
                let name = key.string
                var following: UnsafeMutableRawPointer? = nil
                var next: UnsafeMutableRawPointer? = Unmanaged.passUnretained(last).toOpaque()
                while let at = next, let current = enter(at, from: "key \(name)") {
                    if address(current.parentRef) != typeAddress { problem("\(current.id): under one type's key, names another as its parent") }
                    if !current.parentSub.isSameKey(as: name) { problem("\(current.id): under key \(name), names key \(current.parentSub ?? "none")") }
                    if address(current.rightRef) != following { problem("\(current.id): its right link disagrees with key \(name)") }
                    following = at
                    next = address(current.leftRef)
                }
            }
        }

        // And every held item was reached: one its type does not link
        // keeps pointing at the type after the type is collected.
        for (at, item) in held where !reached.contains(at) {
            let parentAlive = address(item.parentRef).map { types[$0] != nil } ?? false
            problem("\(item.id): held but not linked by its parent\(parentAlive ? "" : ", which is not in the document")")
        }
        return problems
    }
}
