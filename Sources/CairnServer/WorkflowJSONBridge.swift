import JSON
import Workflows

enum WorkflowJSONBridge {
    static func decode(_ value: JSONValue) throws -> Workflow {
        do { return try WorkflowJSON.decode(value) } catch {
            throw APIError(status: .unprocessableContent, field: error.problems.first?.path, message: error.description)
        }
    }
}
