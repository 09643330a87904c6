#!/usr/bin/env python3
"""Every target imports only the modules it declares.

Written by hand because `swift build --explicit-target-dependency-import-check` lets a module
through when it arrives transitively (checked on Linux with Swift 6.3). For each target of the
package (as `swift package describe` reports it), every `import` of one of our own modules must be
a declared target dependency, and every other import must be a declared product or a module of
the toolchain. Prints each violation and exits 1 when there is one.
"""

import json
import os
import re
import subprocess
import sys

# Modules that come with the toolchain and need no declaration.
TOOLCHAIN = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "Dispatch", "Synchronization", "Testing", "XCTest",
    "Glibc", "Musl", "Darwin", "os", "_Concurrency", "Observation", "RegexBuilder", "PackageDescription",
}
IMPORT = re.compile(r"^\s*(?:@[A-Za-z_]+(?:\([^)]*\))?\s+)*(?:public |package |internal |fileprivate |private )?import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)


def main() -> int:
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    description = json.loads(subprocess.run(["swift", "package", "describe", "--type", "json"], cwd=root, check=True, capture_output=True, text=True).stdout)
    ours = {target["c99name"] for target in description["targets"]}
    problems = []
    for target in description["targets"]:
        allowed = set(target.get("target_dependencies") or []) | set(target.get("product_dependencies") or []) | {target["c99name"]}
        for source in target.get("sources", []):
            if not source.endswith(".swift"):
                continue
            path = os.path.join(root, target["path"], source)
            with open(path, encoding="utf-8") as file:
                text = file.read()
            for module in sorted(set(IMPORT.findall(text))):
                if module in allowed or module in TOOLCHAIN:
                    continue
                kind = "target" if module in ours else "product"
                problems.append(f"{os.path.relpath(path, root)}: imports {module}, which the target {target['name']} does not declare as a {kind}")
    for problem in problems:
        print(problem)
    print(f"imports: {len(problems)} undeclared" if problems else "imports: every target imports only what it declares")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
