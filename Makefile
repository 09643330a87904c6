# Every target installs what it needs first, so each works on a fresh machine.
SWIFT ?= swift
BIN := .build/debug/todo-server

.PHONY: run test e2e harden bench build release docs format migrate system-packages

## make run: build, migrate and serve on http://127.0.0.1:8080 (settings: .env, see .env.example)
run: build
	@scripts/install-system-packages.sh msmtp
	$(BIN) migrate
	$(BIN) serve

## make test: check that every target imports only what it declares, then run every test (the store tests also against a throw-away PostgreSQL cluster)
test: system-packages
	python3 scripts/check-imports.py
	REQUIRE_POSTGRES_TESTS=1 scripts/postgres-cluster.sh run $(SWIFT) test --explicit-target-dependency-import-check error

## make e2e: end-to-end tests with real MCP clients and a headless browser against the real binary
e2e: system-packages
	scripts/e2e.sh

## make harden: fuzzing, hostile-input matrix, crash safety, soak and ThreadSanitizer (HARDEN_QUICK=1 for the CI form)
harden: system-packages
	scripts/harden.sh

## make bench: throughput, latency and memory of the release build beside bare Hummingbird and the official Python SDK, with 1,000 notification streams open, and on PostgreSQL with one and two instances; writes bench/results.md
bench: release
	@scripts/install-system-packages.sh wrk util-linux
	scripts/python-clients.sh
	$(SWIFT) build -c release --package-path bench/Probe
	python3 bench/streams.py
	python3 bench/postgres.py
	python3 bench/run.py

## make build: debug build
build: system-packages
	$(SWIFT) build --product todo-server

## make release: optimized build at .build/release/todo-server
release: system-packages
	$(SWIFT) build -c release --product todo-server
	@echo "Built .build/release/todo-server"

## make migrate: apply pending migrations to DATABASE_PATH
migrate: build
	$(BIN) migrate

## make docs: API documentation of every library, as DocC archives in .build/plugins/Swift-DocC/outputs/
docs: system-packages
	for target in EndpointCore HummingbirdEndpoints MCPCore OAuthKit ClientMetadataFetching MailDelivery TodoDomain TodoMCP Storage HTTPServer; do \
		$(SWIFT) package generate-documentation --target $$target || exit 1; \
	done

## make format: apply swift format to the sources and tests
format:
	$(SWIFT) format format --in-place --parallel --recursive Package.swift Sources Tests Fuzz

system-packages:
	@scripts/install-system-packages.sh
