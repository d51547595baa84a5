import RouterCore
import TestSupport
import Testing
@testable import Engine

@Suite struct ChatSessionTests {
    func turn(_ chat: ChatSession, _ text: String, events: inout [ChatSession.Event]) async -> ChatSession.Turn {
        var seen: [ChatSession.Event] = []
        var t = await chat.send(text, live: false) { seen.append($0) }
        chat.commit(&t)
        events += seen
        return t
    }

    @Test func eachTurnIsSavedInOrderAndCarriesTheEarlierOnes() async throws {
        let w = try EngineWorld(["http://a": [ScriptedTransport.openAIStream("first answer"), ScriptedTransport.openAIStream("second answer")]])
        let chat = ChatSession(context: w.context, selection: .automatic, name: "notes", clock: w.clock)
        var events: [ChatSession.Event] = []
        let one = await turn(chat, "one", events: &events)
        let two = await turn(chat, "two", events: &events)
        #expect(one.number == 1)
        #expect(two.number == 2)
        #expect(try w.store.session("notes")?.turns.map(\.assistant) == ["first answer", "second answer"])
        // The second request carries the first exchange.
        let body = String(decoding: w.transport.sent[1].body, as: UTF8.self)
        #expect(body.contains("first answer") && body.contains("\"one\"") && body.contains("\"two\""))
        #expect(chat.conversation.turns.count == 2)
        // What the session spent is what the attempts cost.
        #expect(chat.spent == w.store.rows.compactMap(\.attempt.costUSD).reduce(0, +))
        #expect(chat.spent > 0)
        #expect(events.contains { if case .planned = $0 { return true } else { return false } })
    }

    @Test func aFailedTurnIsRecordedButLeavesTheConversationAlone() async throws {
        let w = try EngineWorld(["http://a": [EngineWorld.busy], "http://b": [EngineWorld.busy]])
        let chat = ChatSession(context: w.context, selection: .automatic, name: "s", clock: w.clock)
        var events: [ChatSession.Event] = []
        let t = await turn(chat, "hello", events: &events)
        #expect(t.result.failure?.kind == .exhausted)
        #expect(t.number == nil)
        #expect(chat.conversation.turns.isEmpty)
        #expect(try w.store.session("s") == nil)
        #expect(w.store.rows.map(\.attempt.outcome) == [.http(503), .http(503)])
    }

    @Test func retryTakesTheLastTurnBackFromTheConversationAndTheStore() async throws {
        let w = try EngineWorld(["http://a": [ScriptedTransport.openAIStream("meh"), ScriptedTransport.openAIStream("better")]])
        let chat = ChatSession(context: w.context, selection: .automatic, name: "r", clock: w.clock)
        var events: [ChatSession.Event] = []
        _ = await turn(chat, "question", events: &events)
        let again = try #require(chat.takeBackLast())
        #expect(again == "question")
        #expect(chat.conversation.turns.isEmpty)
        #expect(try w.store.session("r")?.turns.isEmpty == true)
        let t = await turn(chat, again, events: &events)
        #expect(t.result.text == "better")
        #expect(try w.store.session("r")?.turns.map(\.assistant) == ["better"])
        #expect(chat.takeBackLast() != nil)
        #expect(chat.takeBackLast() == nil)
    }

    @Test func aMessageTooLargeEvenAloneDropsNothingAndSendsNothing() async throws {
        let w = try EngineWorld(["http://a": [ScriptedTransport.openAIStream("short")]], extra: "\nchat: {trim: oldest}\n")
        let chat = ChatSession(context: w.context, selection: .route("small"), name: "t", clock: w.clock)
        var events: [ChatSession.Event] = []
        _ = await turn(chat, "hi", events: &events)
        #expect(chat.conversation.turns.count == 1)
        let t = await turn(chat, String(repeating: "word ", count: 200), events: &events)
        #expect(t.refusal?.kind == .input)
        #expect(t.refusal?.message.contains("this message is") == true)
        // The earlier turn is still there: trimming could not have helped.
        #expect(chat.conversation.turns.count == 1)
        #expect(w.transport.sent.count == 1)
    }

    @Test func withTrimTheOldestTurnsGoWithANote() async throws {
        let w = try EngineWorld(["http://a": [ScriptedTransport.openAIStream("ok")]], extra: "\nchat: {trim: oldest}\n")
        let chat = ChatSession(context: w.context, selection: .route("small"), name: "t", clock: w.clock)
        var events: [ChatSession.Event] = []
        for i in 0..<6 { _ = await turn(chat, "message number \(i) with some words", events: &events) }
        let notes = events.compactMap { if case .note(let n) = $0 { return n } else { return nil } }
        #expect(notes.contains { $0.contains("dropped the oldest") })
        #expect(chat.conversation.turns.count < 6)
        #expect(chat.conversation.turns.last?.user == "message number 5 with some words")
    }

    @Test func resumingCarriesTheEarlierSpendAndTurns() async throws {
        let store = InMemoryState()
        let w = try EngineWorld(["http://a": [ScriptedTransport.openAIStream("answer")]], store: store)
        let first = ChatSession(context: w.context, selection: .automatic, name: "trip", clock: w.clock)
        var events: [ChatSession.Event] = []
        _ = await turn(first, "one", events: &events)
        let second = ChatSession(context: w.context, selection: .automatic, clock: w.clock)
        #expect(try second.resume("trip"))
        #expect(second.conversation.turns.map(\.user) == ["one"])
        #expect(second.spentBefore == first.spent)
        #expect(try second.mostRecent() == "trip")
        #expect(try second.resume("nope") == false)
    }

    /// Sessions started in the same second never share a name: each claims its own.
    @Test func sessionsStartedInTheSameSecondGetTheirOwnNames() throws {
        let w = try EngineWorld([:])
        let names = (0..<5).map { _ in ChatSession(context: w.context, selection: .automatic, clock: w.clock).newName() }
        #expect(Set(names).count == 5)
        #expect(names.first?.hasPrefix("chat-") == true)
    }

    @Test func newNamesDoNotCollide() async throws {
        let w = try EngineWorld(["http://a": [ScriptedTransport.openAIStream("answer")]])
        let chat = ChatSession(context: w.context, selection: .automatic, clock: w.clock)
        chat.name = chat.newName()
        var events: [ChatSession.Event] = []
        _ = await turn(chat, "one", events: &events)
        let other = ChatSession(context: w.context, selection: .automatic, clock: w.clock)
        other.name = other.newName()
        #expect(other.name != chat.name)
        #expect(other.rename(to: chat.name)?.contains("already exists") == true)
        #expect(other.rename(to: "fresh") == nil)
        #expect(other.name == "fresh")
    }
}
