import Foundation
import JSON
import Workflows

/// The workflow's graph as SVG (docs/page.md): one box a trigger or job,
/// one arrow an edge, disabled edges dashed. Each node sits where the
/// document's `positions` put it (`{"<id>": {"x", "y"}}`, the reference
/// editor's top-left corner). When some node has no position, every node
/// is laid out in layers instead — triggers first, each job one layer
/// after its furthest source — since mixing the editor's coordinates with
/// made-up ones draws nonsense (a job above the trigger that starts it).
enum WorkflowGraph {
    static let width = 190.0
    static let height = 52.0
    static let margin = 24.0

    struct Node {
        let id: String
        let title: String
        let subtitle: String
        let isTrigger: Bool
        var x: Double
        var y: Double
    }

    static func svg(_ workflow: Workflow) -> String {
        var nodes = workflow.triggers.map { t in
            Node(
                id: t.id, title: t.type == .cron ? "cron \(t.cronExpression ?? Trigger.defaultCronExpression)" : t.type.rawValue,
                subtitle: t.enabled ? "trigger" : "trigger (disabled)", isTrigger: true, x: .nan, y: .nan)
        }
        nodes += workflow.jobs.map { j in
            Node(id: j.id, title: j.name.isEmpty ? j.id : j.name, subtitle: j.adaptor ?? "job", isTrigger: false, x: .nan, y: .nan)
        }
        // Given positions first.
        let positions = Dictionary(
            (workflow.positions?.objectValue ?? []).map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        for index in nodes.indices {
            if let place = positions[nodes[index].id], let x = place["x"]?.doubleValue, let y = place["y"]?.doubleValue,
                x.isFinite, y.isFinite, abs(x) < 1e6, abs(y) < 1e6
            {
                nodes[index].x = x
                nodes[index].y = y
            }
        }
        // All or nothing: a partial layout would mix two coordinate systems.
        if nodes.contains(where: { !$0.x.isFinite }) {
            for index in nodes.indices {
                nodes[index].x = .nan
                nodes[index].y = .nan
            }
        }
        // Else in layers: a job one layer after its furthest source (cycles cut).
        var depth: [String: Int] = [:]
        for t in workflow.triggers { depth[t.id] = 0 }
        for _ in 0...workflow.jobs.count {
            var changed = false
            for e in workflow.edges {
                guard let source = e.sourceTriggerId ?? e.sourceJobId, let d = depth[source] else { continue }
                let next = min(d + 1, workflow.jobs.count + 1)
                if (depth[e.targetJobId] ?? -1) < next {
                    depth[e.targetJobId] = next
                    changed = true
                }
            }
            if !changed { break }
        }
        // Each layer centred on the widest.
        let unplaced = nodes.indices.filter { !nodes[$0].x.isFinite }
        let layerOf = { (index: Int) in depth[nodes[index].id] ?? 1 }
        var counts: [Int: Int] = [:]
        for index in unplaced { counts[layerOf(index), default: 0] += 1 }
        let widest = Double(counts.values.max() ?? 0)
        var perLayer: [Int: Int] = [:]
        for index in unplaced {
            let layer = layerOf(index)
            let slot = perLayer[layer, default: 0]
            perLayer[layer] = slot + 1
            let shift = (widest - Double(counts[layer] ?? 1)) * (width + 40) / 2
            nodes[index].x = shift + Double(slot) * (width + 40)
            nodes[index].y = Double(layer) * (height + 56)
        }
        // Everything into view.
        let minX = nodes.map(\.x).min() ?? 0
        let minY = nodes.map(\.y).min() ?? 0
        for index in nodes.indices {
            nodes[index].x += margin - minX
            nodes[index].y += margin - minY
        }
        let totalWidth = max(400, (nodes.map { $0.x + width }.max() ?? 0) + margin)
        let totalHeight = max(120, (nodes.map { $0.y + height }.max() ?? 0) + margin)
        let byId = Dictionary(nodes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })

        var out = #"<svg class="graph" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="workflow graph" "#
        out += #"viewBox="0 0 \#(n(totalWidth)) \#(n(totalHeight))" width="\#(n(totalWidth))" height="\#(n(totalHeight))">"#
        out += ##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#66768a"/></marker></defs>"##
        for e in workflow.edges {
            guard let source = byId[e.sourceTriggerId ?? e.sourceJobId ?? ""], let target = byId[e.targetJobId] else { continue }
            let (path, mid) = curve(from: source, to: target)
            let label = e.conditionType == .always ? nil : (e.conditionLabel ?? e.conditionType.rawValue)
            out += #"<g class="edge-group" data-edge="\#(escape(e.id))"><path class="edge\#(e.enabled ? "" : " disabled")" d="\#(path)" marker-end="url(#arrow)"><title>\#(escape(e.id))\#(e.enabled ? "" : " (disabled)")</title></path>"#
            if let label { out += #"<text class="edge-label" x="\#(n(mid.0 + 6))" y="\#(n(mid.1))">\#(escape(label))</text>"# }
            out += "</g>"
        }
        for node in nodes {
            out += #"<g class="node\#(node.isTrigger ? " trigger" : "")" data-node="\#(escape(node.id))" transform="translate(\#(n(node.x)),\#(n(node.y)))">"#
            out += #"<rect width="\#(n(width))" height="\#(n(height))" rx="6"/>"#
            out += #"<text x="10" y="21">\#(escape(clip(node.title, 24)))</text>"#
            out += #"<text class="sub" x="10" y="40">\#(escape(clip(node.subtitle, 28)))</text><title>\#(escape(node.id))</title></g>"#
        }
        return out + "</svg>"
    }

    /// From the bottom of `a` to the top of `b` when `b` is lower, else from side to side.
    static func curve(from a: Node, to b: Node) -> (String, (Double, Double)) {
        if b.y >= a.y + height {
            let (x1, y1, x2, y2) = (a.x + width / 2, a.y + height, b.x + width / 2, b.y)
            let bend = (y2 - y1) / 2
            return ("M\(n(x1)),\(n(y1)) C\(n(x1)),\(n(y1 + bend)) \(n(x2)),\(n(y2 - bend)) \(n(x2)),\(n(y2))", ((x1 + x2) / 2, (y1 + y2) / 2))
        }
        let leftToRight = b.x >= a.x
        let (x1, y1) = (leftToRight ? a.x + width : a.x, a.y + height / 2)
        let (x2, y2) = (leftToRight ? b.x : b.x + width, b.y + height / 2)
        let bend = (x2 - x1) / 2
        return ("M\(n(x1)),\(n(y1)) C\(n(x1 + bend)),\(n(y1)) \(n(x2 - bend)),\(n(y2)) \(n(x2)),\(n(y2))", ((x1 + x2) / 2, (y1 + y2) / 2))
    }

    static func n(_ value: Double) -> String { String(format: "%.1f", value) }

    static func clip(_ text: String, _ count: Int) -> String {
        text.count <= count ? text : String(text.prefix(count - 1)) + "…"
    }

    /// Text for HTML or SVG content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
