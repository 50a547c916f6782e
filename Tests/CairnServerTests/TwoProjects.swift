import CairnKit
import CairnServer
import EventLog
import Foundation
import LMDB
import Hummingbird
import HummingbirdTesting
import TestSupport
import Workflows

/// A store with the sample workflow published twice: in project p1 (its own
/// ids) and in p2 (other workflow, job, trigger and edge ids), with a token for each.
/// Immutable once made (the folder is removed only when it goes), so shared
/// with the test client's closures.
struct TwoProjects: @unchecked Sendable {
    static let workflowA = "7b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60"
    static let workflowB = "8b1c2b4e-0c2d-4f7a-9a51-1d2f3e4a5b60"
    static let job = "a1000000-0000-4000-8000-000000000001"

    let folder = TemporaryFolder()
    let store: Store
    let configuration = ServerConfiguration(runScheduler: false)

    /// - Parameter options: how to open the folder (a map ceiling, for a full store).
    init(options: LMDB.Environment.Options = LMDB.Environment.Options()) throws {
        store = try Store(path: folder.path, options: options)
        _ = try store.publish(try WorkflowJSONDecoding.decode(
            Fixtures.sampleWorkflowJSON(project: "p1", workflowId: Self.workflowA)))
        _ = try store.publish(try WorkflowJSONDecoding.decode(
            Fixtures.sampleWorkflowJSON(project: "p2", workflowId: Self.workflowB, copy: 2)))
        try Self.issueTokens(store)
    }

    /// Tokens whose secrets are their names: `t1`, `t2` (editors of p1, p2),
    /// `w1` (worker of p1), `v1` (viewer of p1).
    static func issueTokens(_ store: Store) throws {
        let actor = AuditActor(tokenId: nil, name: "test")
        for (secret, project, role) in [("t1", "p1", Role.editor), ("t2", "p2", .editor), ("w1", "p1", .worker), ("v1", "p1", .viewer)] {
            _ = try store.createToken(projectId: project, role: role, name: secret, actor: actor, secret: secret)
        }
    }

    var app: some ApplicationProtocol { Application(router: makeRouter(store: store, configuration: configuration)) }

    static func auth(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    static func json(_ buffer: ByteBuffer) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView), options: [.fragmentsAllowed])
    }

    /// The body of `run:created` for `run` of `workflow`, its input a new dataclip `input`.
    static func create(_ run: String, workflow: String, input: String, created: Int64? = nil) -> String {
        let time = created.map { #","timestamp":\#($0)"# } ?? ""
        return #"{"run_id":"\#(run)","workflow_id":"\#(workflow)","input_dataclip_id":"\#(input)","input":{"type":"global","body":{"secret":"\#(run)"}}\#(time)}"#
    }
}
