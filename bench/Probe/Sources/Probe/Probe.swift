import Hummingbird
import NIOCore
import NIOPosix

/// A bare Hummingbird server: `GET /hello` answers a fixed text, with no middleware, no database and
/// no JSON. `make bench` measures it beside the real server, pinned the same way, as the ceiling of
/// the stack both are built on. Usage: `Probe PORT [--nio-executor]`; with `--nio-executor`, Swift
/// concurrency runs on NIO's event loops, as in todo-server.
@main
struct Probe {
    static func main() async throws {
        if CommandLine.arguments.contains("--nio-executor") {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8090
        let router = Router()
        router.get("/hello") { _, _ in "hello" }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
        try await app.runService()
    }
}
