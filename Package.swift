// swift-tools-version: 6.2
import PackageDescription

/// One set of strict settings for every target (see `../shared/style.md` §1).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "todo-server",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "todo-server", targets: ["todo-server"]),
        .library(name: "EndpointCore", targets: ["EndpointCore"]),
        .library(name: "HummingbirdEndpoints", targets: ["HummingbirdEndpoints"]),
        .library(name: "MCPCore", targets: ["MCPCore"]),
        .library(name: "OAuthKit", targets: ["OAuthKit"]),
        .library(name: "TodoDomain", targets: ["TodoDomain"]),
        .library(name: "TodoMCP", targets: ["TodoMCP"]),
        .library(name: "ClientMetadataFetching", targets: ["ClientMetadataFetching"]),
        .library(name: "MailDelivery", targets: ["MailDelivery"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // `swift package generate-documentation --target OAuthKit` (and the other libraries).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: Libraries, lowest layer first. Only Storage and HTTPServer see GRDB or Hummingbird.
        .target(
            name: "TodoDomain",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EndpointCore",
            dependencies: [.product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MCPCore",
            dependencies: [
                "EndpointCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OAuthKit",
            dependencies: [
                "EndpointCore",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ClientMetadataFetching",
            dependencies: [
                "EndpointCore", "OAuthKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MailDelivery",
            dependencies: [
                "OAuthKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TodoMCP",
            dependencies: ["MCPCore", "TodoDomain"],
            resources: [.embedInCode("Widget/todo-list.html")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Storage",
            dependencies: [
                "TodoDomain", "MCPCore", "OAuthKit", "MailDelivery", "EndpointCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Migrations/postgres"],
            resources: [.embedInCode("Migrations"), .embedInCode("PostgresMigrations")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HummingbirdEndpoints",
            dependencies: [
                "EndpointCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HTTPServer",
            dependencies: [
                "ClientMetadataFetching", "EndpointCore", "HummingbirdEndpoints", "MailDelivery", "MCPCore", "OAuthKit", "TodoDomain", "TodoMCP",
                "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "todo-server",
            dependencies: [
                "HTTPServer", "OAuthKit", "Storage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests, one target per library, and the clients they share.
        .target(
            name: "EndpointTestSupport",
            dependencies: ["EndpointCore", .product(name: "HTTPTypes", package: "swift-http-types")],
            path: "Tests/EndpointTestSupport",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OAuthTestSupport",
            dependencies: [
                "EndpointTestSupport", "EndpointCore", .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/OAuthTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TodoDomainTests", dependencies: ["TodoDomain"], swiftSettings: swiftSettings),
        .testTarget(
            name: "EndpointCoreTests",
            dependencies: ["EndpointCore", .product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MCPTestSupport",
            dependencies: ["EndpointTestSupport", "MCPCore", .product(name: "HTTPTypes", package: "swift-http-types")],
            path: "Tests/MCPTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MCPCoreTests",
            dependencies: [
                "MCPCore", "EndpointCore", "EndpointTestSupport", "MCPTestSupport", .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OAuthKitTests",
            dependencies: [
                "OAuthKit", "EndpointCore", "EndpointTestSupport", "OAuthTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ClientMetadataFetchingTests",
            dependencies: [
                "ClientMetadataFetching", "EndpointCore", "OAuthKit",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailDeliveryTests",
            dependencies: [
                "MailDelivery", "OAuthKit", "EndpointTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Storage", "TodoDomain", "MCPCore", "OAuthKit", "MailDelivery", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HTTPServerTests",
            dependencies: [
                "HTTPServer", "Storage", "TodoDomain", "TodoMCP", "MCPCore", "OAuthKit", "MailDelivery", "EndpointCore", "EndpointTestSupport",
                "OAuthTestSupport", "MCPTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// MARK: Fuzz targets, built only for `make harden` (scripts/fuzz.sh) with `TODO_FUZZ=1` and
// `-sanitize=fuzzer`, which links libFuzzer into them; a normal build leaves them out.
if Context.environment["TODO_FUZZ"] != nil {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzJSON", ["MCPCore"]),
        ("FuzzJSONRPC", ["MCPCore"]),
        ("FuzzToolArguments", ["TodoMCP", "MCPCore", "TodoDomain"]),
        ("FuzzForms", ["HTTPServer", "OAuthKit"]),
        ("FuzzAccessToken", ["OAuthKit", "EndpointCore"]),
        ("FuzzRedirectURI", ["OAuthKit"]),
        ("FuzzCursor", ["TodoDomain"]),
    ]
    package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/FuzzSupport", swiftSettings: swiftSettings))
    for target in fuzzTargets {
        package.targets.append(
            .executableTarget(
                name: target.name,
                dependencies: ["FuzzSupport"] + target.dependencies,
                path: "Fuzz/\(target.name)",
                swiftSettings: swiftSettings
            )
        )
        package.products.append(.executable(name: target.name, targets: [target.name]))
    }
}
