// swift-tools-version: 6.2
import Foundation
import PackageDescription

// This project's libraries, by path: the package's identity is the name of its folder.
let todoServer = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().deletingLastPathComponent()
let todoServerIdentity = todoServer.lastPathComponent.lowercased()

let package = Package(
    name: "EmbeddedServer",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: todoServer.path),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "EmbeddedServer",
            dependencies: [
                .product(name: "ClientMetadataFetching", package: todoServerIdentity),
                .product(name: "HummingbirdEndpoints", package: todoServerIdentity),
                .product(name: "MCPCore", package: todoServerIdentity),
                .product(name: "OAuthKit", package: todoServerIdentity),
                .product(name: "Storage", package: todoServerIdentity),
                .product(name: "TodoDomain", package: todoServerIdentity),
                .product(name: "TodoMCP", package: todoServerIdentity),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        )
    ]
)
