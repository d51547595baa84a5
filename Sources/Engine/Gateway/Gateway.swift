import Dispatch
import Providers
import RouterCore
import Synchronization

/// The gateway as a use case, whatever serves it: a client's request named
/// by `model` (a route, a task, a catalog model or `provider/model-id`) is
/// planned and routed like `ask`'s, and its attempts recorded.
public struct Gateway: Sendable {
    public let context: RoutingContext

    /// A gateway over `context`; it reads breakers and cooldowns once per
    /// moment (`HealthCache`), as a process that answers many requests may.
    public init(context: RoutingContext) {
        var context = context
        context.healthCache = HealthCache()
        self.context = context
    }

    /// What `model` names: a route first, then a task, else a model (`-m`).
    public func selection(_ model: String) -> RouteSelection {
        if context.config.routes.contains(where: { $0.name == model }) { return .route(model) }
        if context.config.tasks[model] != nil { return .task(model) }
        return .model(model)
    }

    /// The ids `GET /v1/models` lists: routes, tasks, then catalog models.
    public var modelIDs: [String] {
        var ids = context.config.routes.map(\.name)
        for task in context.config.tasks.keys.sorted() where !ids.contains(task) { ids.append(task) }
        for m in context.config.models.map(\.name) where !ids.contains(m) { ids.append(m) }
        return ids
    }

    /// The plan for a request, or why there is none (an unknown name: 404; a config problem: 500).
    public func prepare(_ served: ServedRequest) -> Result<Routing, ClientError> {
        do {
            return .success(try Routing.prepare(served.request, selection: selection(served.model), seed: nil, maxCost: nil, context: context))
        } catch {
            return .failure(ClientError(status: error.kind == .usage ? 404 : 500, error.message, param: "model"))
        }
    }

    /// Routes the request; `observe` sees every router event. The caller
    /// answers the client, then records the attempts (`record`): the client
    /// never waits on the state file.
    public func answer(_ served: ServedRequest, routing: Routing, live: Bool, observe: (RouterEvent) -> Void) async -> RouteResult {
        var routing = routing
        return await routing.execute(served.request, live: live, observe: observe)
    }

    /// Where answers that change no breaker are written: a thread of its own,
    /// so that no task answering a client waits on the state file's lock or
    /// its fsyncs.
    private let writer = DispatchQueue(label: "llmr.serve.record")
    /// Records handed to the writer and not yet written. Past `backlog`, a
    /// request writes its own: the queue (and memory) cannot grow when the
    /// disk is slower than the clients.
    private let pending = PendingCount()
    static let backlog = 256

    /// Records every attempt of an answered request and moves the breakers on.
    /// A request that failed somewhere, or any while a breaker is open or a
    /// cooldown live, is written before this returns, so the next plan sees
    /// it; an answer with nothing to move is written on the writer's thread.
    public func record(_ result: RouteResult, of served: ServedRequest) {
        let movesHealth = context.healthCache?.wouldChange(after: result) ?? true
        if !movesHealth {
            if pending.value.add(1, ordering: .relaxed).newValue <= Self.backlog {
                let (context, request, pending) = (self.context, served.request, self.pending)
                writer.async {
                    _ = context.record(result, request: request)
                    pending.value.subtract(1, ordering: .relaxed)
                }
                return
            }
            pending.value.subtract(1, ordering: .relaxed)
        }
        _ = context.record(result, request: served.request)
    }

    /// Waits until every record handed to the writer is written (at shutdown).
    public func flushRecords() {
        writer.sync {}
    }
}

/// How many records wait for the writer.
final class PendingCount: Sendable {
    let value = Atomic<Int>(0)
}
