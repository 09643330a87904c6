import Foundation
import Testing

@testable import TodoDomain

/// The change feed: every stored write reaches its owner's subscribers only, in order, and a slow
/// subscriber is bounded.
@Suite("Todo change feed", .timeLimit(.minutes(1)))
struct TodoChangeFeedTests {
    func make(bufferSize: Int = 256) -> (TodoService, TodoChangeFeed) {
        let feed = TodoChangeFeed(bufferSize: bufferSize)
        return (TodoService(repository: InMemoryTodoRepository(), now: ManualClock().now, changes: feed), feed)
    }

    func change(_ event: TodoChangeSubscription.Event?) -> TodoChange? {
        if case .changed(let change)? = event { return change }
        return nil
    }

    @Test("Create, update, complete, bulk completion and delete each publish the todo before and after, in order")
    func everyWritePublishes() async throws {
        let (service, feed) = self.make()
        let subscription = feed.subscribe(owner: alice)
        defer { subscription.cancel() }
        // Each change is read before the next write (waiting changes of one todo would merge).
        let created = try await service.create(NewTodo(title: "Milk"), owner: alice)
        let first = self.change(await subscription.next())
        #expect(first?.before == nil && first?.after == created && first?.owner == alice)
        let renamed = try await service.update(created.id.rawValue, changes: TodoChanges(title: "Oat milk"), owner: alice)
        let second = self.change(await subscription.next())
        #expect(second?.before == created && second?.after == renamed)
        _ = try await service.update(created.id.rawValue, changes: TodoChanges(title: "Oat milk"), owner: alice)  // no change: nothing published
        let completed = try await service.complete(ids: [created.id.rawValue], owner: alice).completed[0]
        let third = self.change(await subscription.next())
        #expect(third?.before == renamed && third?.after == completed)
        let deleted = try await service.delete(created.id.rawValue, owner: alice)
        let fourth = self.change(await subscription.next())
        #expect(fourth?.before == deleted && fourth?.after == nil)
    }

    @Test("Another person's writes never reach a subscriber, and failed writes publish nothing")
    func onlyTheOwner() async throws {
        let (service, feed) = self.make()
        let mine = feed.subscribe(owner: alice)
        defer { mine.cancel() }
        let bobs = try await service.create(NewTodo(title: "Bob's"), owner: bob)
        _ = try? await service.complete(bobs.id.rawValue, owner: alice)
        _ = try? await service.delete(bobs.id.rawValue, owner: alice)
        _ = try? await service.create(NewTodo(title: " "), owner: alice)
        _ = try await service.complete(ids: [bobs.id.rawValue], owner: alice)
        let marker = try await service.create(NewTodo(title: "Marker"), owner: alice)
        #expect(self.change(await mine.next())?.after == marker, "the first event alice hears is her own marker")
    }

    @Test("A subscriber that falls behind loses the backlog, is told it missed changes, then hears new ones; the writer never waits")
    func overflow() async throws {
        let (service, feed) = self.make(bufferSize: 3)
        let slow = feed.subscribe(owner: alice)
        defer { slow.cancel() }
        for index in 0..<10 { _ = try await service.create(NewTodo(title: "Todo \(index)"), owner: alice) }
        #expect(await slow.next() == .missed)
        let later = try await service.create(NewTodo(title: "Later"), owner: alice)
        var titles: [String] = []
        while titles.last != "Later" {
            guard let change = self.change(await slow.next()) else { break }
            titles.append(change.after?.title ?? "")
        }
        #expect(titles.count <= 3, "at most the buffer's worth survives: \(titles)")
        #expect(titles.last == later.title)
    }

    @Test("Changes to one todo merge while they wait: one change from the first state to the last; created and deleted unseen is nothing")
    func merging() async throws {
        let (service, feed) = self.make(bufferSize: 3)
        let slow = feed.subscribe(owner: alice)
        defer { slow.cancel() }
        let todo = try await service.create(NewTodo(title: "Draft"), owner: alice)
        var last = todo
        for index in 0..<100 { last = try await service.update(todo.id.rawValue, changes: TodoChanges(title: "Draft \(index)"), owner: alice) }
        let fleeting = try await service.create(NewTodo(title: "Fleeting"), owner: alice)
        try await service.delete(fleeting.id.rawValue, owner: alice)
        let marker = try await service.create(NewTodo(title: "Marker"), owner: alice)
        let merged = self.change(await slow.next())
        #expect(merged?.before == nil && merged?.after == last, "created, then 100 edits: one creation of the last state")
        #expect(self.change(await slow.next())?.after == marker, "nothing of the todo created and deleted unseen, and no missed changes")
    }

    @Test("Cancelling ends the subscription and the feed forgets it; a cancelled wait keeps the subscription")
    func cancelling() async throws {
        let (service, feed) = self.make()
        let subscription = feed.subscribe(owner: alice)
        #expect(feed.subscriberCount(owner: alice) == 1)

        let waiting = Task { await subscription.next() }
        waiting.cancel()
        #expect(await waiting.value == nil, "a cancelled wait returns nil")
        let kept = try await service.create(NewTodo(title: "Kept"), owner: alice)
        #expect(self.change(await subscription.next())?.after == kept, "the subscription still works")

        let blocked = Task { await subscription.next() }
        subscription.cancel()
        #expect(await blocked.value == nil)
        #expect(await subscription.next() == nil)
        #expect(feed.subscriberCount(owner: alice) == 0)
        _ = try await service.create(NewTodo(title: "After"), owner: alice)
    }

    @Test("Many writers and subscribers at once: every subscriber hears every write of its owner exactly once")
    func concurrent() async throws {
        let (service, feed) = self.make(bufferSize: 10_000)
        let subscriptions = (0..<4).map { _ in feed.subscribe(owner: alice) }
        defer { subscriptions.forEach { $0.cancel() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for index in 0..<25 { _ = try await service.create(NewTodo(title: "w\(writer)-\(index)"), owner: alice) }
                }
            }
            try await group.waitForAll()
        }
        for subscription in subscriptions {
            var seen: Set<String> = []
            for _ in 0..<100 { seen.insert(self.change(await subscription.next())?.after?.title ?? "") }
            #expect(seen.count == 100)
        }
    }

    @Test("Changes lost on the way are told to the owner's subscribers (or to everyone's) as missed, dropping what waited")
    func markedMissed() async throws {
        let (service, feed) = self.make()
        let waiting = feed.subscribe(owner: alice)
        let idle = feed.subscribe(owner: alice)
        let bobs = feed.subscribe(owner: bob)
        defer { for subscription in [waiting, idle, bobs] { subscription.cancel() } }
        _ = try await service.create(NewTodo(title: "Before"), owner: alice)
        feed.markMissed(owner: alice)
        #expect(await idle.next() == .missed, "what waited is dropped for the read-again")
        #expect(await waiting.next() == .missed)
        let marker = try await service.create(NewTodo(title: "Bob's marker"), owner: bob)
        #expect(self.change(await bobs.next())?.after == marker, "another owner's subscriber is not told")

        // A subscriber waiting in next() wakes with the news (and one not yet waiting finds it).
        async let woken = idle.next()
        feed.markAllMissed()
        #expect(await woken == .missed)
        #expect(await bobs.next() == .missed)
    }
}
